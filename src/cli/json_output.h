// How commands print --json: one JSON document on stdout, indented by 2, then a newline.
// Strings in it come from files and arguments (tensor names, custom op codes, descriptions,
// paths) and may hold bytes that are not UTF-8; each invalid byte is printed as U+FFFD, so the
// output always parses (nlohmann::json::dump would throw instead, after the work was done).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace cae::cli {

// The text PrintJson prints, without the final newline.
std::string JsonText(const nlohmann::json& j);

// Writes JsonText(j) and '\n' to std::cout.
void PrintJson(const nlohmann::json& j);

}  // namespace cae::cli
