// Small graph-editing helpers shared by the passes: who produces and consumes a tensor, replacing
// uses, deleting ops, reading and writing float32 constants. They never change the meaning of the
// graph by themselves; each pass states its own contract.
#pragma once

#include <vector>

#include "graph/graph.h"

namespace cae::passes {

// For every tensor, the indices of the ops that read it (an op reading a tensor twice is listed
// twice).
std::vector<std::vector<int>> ConsumersOf(const Graph& g);
// For every tensor, the index of the op that writes it, or -1 (graph input, constant, unused).
std::vector<int> ProducersOf(const Graph& g);

bool IsGraphInput(const Graph& g, int tensor);
bool IsGraphOutput(const Graph& g, int tensor);
// True if index is a valid tensor index of g.
bool ValidTensor(const Graph& g, int tensor);

// Every op input equal to `from` becomes `to` (graph outputs are not touched).
void ReplaceUses(Graph& g, int from, int to);
// Deletes the ops whose flag is set, keeping the order of the others.
void EraseOps(Graph& g, const std::vector<bool>& erase);

// The values of a float32 constant tensor. Throws cae::Error if it is not one.
std::vector<float> ReadFloats(const Graph& g, int tensor);
// Replaces the data of tensor with values (float32, shape unchanged: sizes must agree).
void WriteFloats(Graph& g, int tensor, const std::vector<float>& values);

// Number of tensor references among op inputs, op outputs and graph inputs/outputs.
int CountReferences(const Graph& g, int tensor);

}  // namespace cae::passes
