#include "edgetpu/pipeline.h"

#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "graph/error.h"
#include "runtime/interpreter.h"

namespace cae::edgetpu {
namespace {

using Values = std::map<std::string, TensorData>;
// An item in flight: its index and the values known so far; nullopt ends the stream.
using Slot = std::optional<std::pair<size_t, Values>>;

class Queue {
 public:
  void Push(Slot s) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      items_.push_back(std::move(s));
    }
    cv_.notify_one();
  }
  Slot Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !items_.empty(); });
    Slot s = std::move(items_.front());
    items_.pop_front();
    return s;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Slot> items_;
};

// "segment K (FILE)", or "segment K" when the segment has no source file.
std::string SegmentName(const Model& m, size_t k) {
  return m.source.empty() ? StrCat("segment ", k) : StrCat("segment ", k, " (", m.source, ")");
}

// Every segment input must be an item value or an output of an earlier segment: checked once for
// the chain, before any item runs. Throws cae::Error naming the segment, its file and the input.
void CheckChain(const std::vector<Model>& segments, const Values& item) {
  std::set<std::string> known;
  for (const auto& [name, value] : item) known.insert(name);
  for (size_t k = 0; k < segments.size(); ++k) {
    Check(!segments[k].subgraphs.empty(), "pipeline: ", SegmentName(segments[k], k), " has no subgraph");
    const Graph& g = segments[k].main();
    for (int t : g.inputs) {
      const std::string& name = g.tensors.at(t).name;
      Check(known.count(name) > 0, "pipeline: ", SegmentName(segments[k], k), " input '", name,
            "' is neither an input of the data nor an output of an earlier segment (segments out of order, "
            "or from another model?)");
    }
    for (int t : g.outputs) known.insert(g.tensors.at(t).name);
  }
}

}  // namespace

std::vector<std::map<std::string, TensorData>> RunPipeline(
    const std::vector<Model>& segments, const std::vector<Values>& items, int threads_per_stage) {
  Check(!segments.empty(), "pipeline: no segments");
  if (!items.empty()) CheckChain(segments, items.front());
  std::vector<std::unique_ptr<Interpreter>> interps;
  InterpreterOptions options;
  options.threads = threads_per_stage;
  for (const Model& s : segments) interps.push_back(std::make_unique<Interpreter>(s, options));

  const size_t n = segments.size();
  std::vector<Queue> queues(n + 1);
  std::vector<Values> results(items.size());
  std::mutex error_mu;
  std::exception_ptr error;

  std::vector<std::thread> stages;
  for (size_t k = 0; k < n; ++k) {
    stages.emplace_back([&, k] {
      const Graph& g = segments[k].main();
      while (true) {
        Slot slot = queues[k].Pop();
        if (!slot) break;
        bool failed;
        {
          std::lock_guard<std::mutex> lock(error_mu);
          failed = error != nullptr;
        }
        if (!failed) {
          try {
            Values& values = slot->second;
            std::vector<TensorData> inputs;
            for (int t : g.inputs) {
              const std::string& name = g.tensors.at(t).name;
              auto it = values.find(name);
              Check(it != values.end(), "pipeline: segment ", k, " input '", name,
                    "' is neither an item value nor an earlier segment's output");
              inputs.push_back(it->second);
            }
            std::vector<TensorData> outputs = interps[k]->Run(inputs);
            Check(outputs.size() == g.outputs.size(), "pipeline: segment ", k, " returned ",
                  outputs.size(), " outputs, expected ", g.outputs.size());
            for (size_t i = 0; i < outputs.size(); ++i) {
              values[g.tensors.at(g.outputs[i]).name] = std::move(outputs[i]);
            }
          } catch (...) {
            std::lock_guard<std::mutex> lock(error_mu);
            if (!error) error = std::current_exception();
          }
        }
        queues[k + 1].Push(std::move(slot));
      }
      queues[k + 1].Push(std::nullopt);
    });
  }
  for (size_t i = 0; i < items.size(); ++i) queues[0].Push(std::make_pair(i, items[i]));
  queues[0].Push(std::nullopt);
  while (true) {
    Slot slot = queues[n].Pop();
    if (!slot) break;
    results[slot->first] = std::move(slot->second);
  }
  for (std::thread& t : stages) t.join();
  if (error) std::rethrow_exception(error);
  return results;
}

}  // namespace cae::edgetpu
