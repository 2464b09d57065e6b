// Strict reads of JSON object fields, for the planner's inputs (the layout
// annotation, cluster snapshots): errors are INVALID_ARGUMENT
// "<where>: <what>" (just "<what>" when `where` is empty), where names the
// place in the document ("nodes[1] (node-b) gpus[0]").
#ifndef MIGCTL_PLANNER_JSON_FIELDS_H_
#define MIGCTL_PLANNER_JSON_FIELDS_H_

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace migctl::planner::json_fields {

absl::Status Error(const std::string& where, absl::string_view what);

// Fails on keys outside `known`: a typo must not be silently ignored.
absl::Status Keys(const nlohmann::json& obj, const std::string& where,
                  std::initializer_list<absl::string_view> known);

// "" when absent and not required.
absl::StatusOr<std::string> String(const nlohmann::json& obj,
                                   const std::string& where, const char* key,
                                   bool required);
// Fails on an integer outside int64_t ("\"key\" 18446744073709551615 is out
// of range").
absl::StatusOr<int64_t> Int(const nlohmann::json& obj, const std::string& where,
                            const char* key, int64_t fallback);
// An integer in [min, max] (by default, any int): "\"key\" 4294967296 is out
// of range [-2147483648, 2147483647]".
absl::StatusOr<int> IntIn(const nlohmann::json& obj, const std::string& where,
                          const char* key, int fallback,
                          int min = std::numeric_limits<int>::min(),
                          int max = std::numeric_limits<int>::max());
absl::StatusOr<bool> Bool(const nlohmann::json& obj, const std::string& where,
                          const char* key, bool fallback);
// Empty when absent.
absl::StatusOr<std::vector<std::string>> Strings(const nlohmann::json& obj,
                                                 const std::string& where,
                                                 const char* key);

}  // namespace migctl::planner::json_fields

#endif  // MIGCTL_PLANNER_JSON_FIELDS_H_
