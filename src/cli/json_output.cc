#include "cli/json_output.h"

#include <iostream>

namespace cae::cli {

std::string JsonText(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

void PrintJson(const nlohmann::json& j) { std::cout << JsonText(j) << "\n"; }

}  // namespace cae::cli
