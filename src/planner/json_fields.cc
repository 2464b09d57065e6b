#include "planner/json_fields.h"

#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "util/status_macros.h"

namespace migctl::planner::json_fields {

using nlohmann::json;

absl::Status Error(const std::string& where, absl::string_view what) {
  return absl::InvalidArgumentError(
      where.empty() ? std::string(what) : absl::StrCat(where, ": ", what));
}

absl::Status Keys(const json& obj, const std::string& where,
                  std::initializer_list<absl::string_view> known) {
  for (const auto& [key, value] : obj.items()) {
    bool ok = false;
    for (absl::string_view k : known) ok |= key == k;
    if (!ok) {
      return Error(where, absl::StrCat("unknown field \"", key, "\"; known: ",
                                       absl::StrJoin(known, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> String(const json& obj, const std::string& where,
                                   const char* key, bool required) {
  if (!obj.contains(key)) {
    if (required) return Error(where, absl::StrCat("\"", key, "\" missing"));
    return std::string();
  }
  if (!obj[key].is_string()) {
    return Error(where, absl::StrCat("\"", key, "\" must be a string"));
  }
  return obj[key].get<std::string>();
}

absl::StatusOr<int64_t> Int(const json& obj, const std::string& where,
                            const char* key, int64_t fallback) {
  if (!obj.contains(key)) return fallback;
  if (!obj[key].is_number_integer()) {
    return Error(where, absl::StrCat("\"", key, "\" must be an integer"));
  }
  if (obj[key].is_number_unsigned() &&
      obj[key].get<uint64_t>() >
          static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Error(where, absl::StrCat("\"", key, "\" ", obj[key].dump(),
                                     " is out of range"));
  }
  return obj[key].get<int64_t>();
}

absl::StatusOr<int> IntIn(const json& obj, const std::string& where,
                          const char* key, int fallback, int min, int max) {
  ASSIGN_OR_RETURN(int64_t v, Int(obj, where, key, fallback));
  if (v < min || v > max) {
    return Error(where, absl::StrCat("\"", key, "\" ", v, " is out of range [",
                                     min, ", ", max, "]"));
  }
  return static_cast<int>(v);
}

absl::StatusOr<bool> Bool(const json& obj, const std::string& where,
                          const char* key, bool fallback) {
  if (!obj.contains(key)) return fallback;
  if (!obj[key].is_boolean()) {
    return Error(where, absl::StrCat("\"", key, "\" must be true or false"));
  }
  return obj[key].get<bool>();
}

absl::StatusOr<std::vector<std::string>> Strings(const json& obj,
                                                 const std::string& where,
                                                 const char* key) {
  std::vector<std::string> out;
  if (!obj.contains(key)) return out;
  if (!obj[key].is_array()) {
    return Error(where, absl::StrCat("\"", key, "\" must be a list"));
  }
  for (const json& v : obj[key]) {
    if (!v.is_string()) {
      return Error(where, absl::StrCat("\"", key, "\" must list strings only"));
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace migctl::planner::json_fields
