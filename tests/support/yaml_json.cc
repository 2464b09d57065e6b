#include "support/yaml_json.h"

#include <cmath>
#include <cstdint>
#include <regex>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace migctl::testing {
namespace {

using nlohmann::json;

std::string Where(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  return absl::StrCat("line ", m.line + 1, ", column ", m.column + 1);
}

// A plain scalar's value under go-yaml v2's resolution rules.
absl::StatusOr<json> ResolvePlain(const YAML::Node& node) {
  static const std::set<std::string> kTrue = {
      "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"};
  static const std::set<std::string> kFalse = {"n",   "N",     "no",    "No",
                                               "NO",  "false", "False", "FALSE",
                                               "off", "Off",   "OFF"};
  static const std::set<std::string> kNull = {"", "~", "null", "Null", "NULL"};
  static const std::regex kInt(R"(^[-+]?(0|[1-9][0-9_]*)$)");
  static const std::regex kBased(R"(^([-+]?)0([xob]?)([0-9a-fA-F_]+)$)");
  static const std::regex kFloat(
      R"(^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$)");
  static const std::regex kSpecial(
      R"(^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$)");
  const std::string& text = node.Scalar();
  if (kTrue.contains(text)) return json(true);
  if (kFalse.contains(text)) return json(false);
  if (kNull.contains(text)) return json(nullptr);
  const std::string digits = absl::StrReplaceAll(text, {{"_", ""}});
  std::smatch m;
  if (std::regex_match(text, kInt)) {
    int64_t v = 0;
    if (!absl::SimpleAtoi(digits, &v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(node), ": integer ", text, " is out of range"));
    }
    return json(v);
  }
  if (std::regex_match(text, m, kBased)) {
    int base = m[2] == "x" ? 16 : m[2] == "b" ? 2 : 8;
    std::string body = absl::StrReplaceAll(m[3].str(), {{"_", ""}});
    errno = 0;
    char* end = nullptr;
    long long v = std::strtoll(body.c_str(), &end, base);
    if (errno == 0 && end != nullptr && *end == '\0') {
      return json(static_cast<int64_t>(m[1] == "-" ? -v : v));
    }
  }
  if (std::regex_match(text, kFloat)) {
    double v = 0;
    if (absl::SimpleAtod(digits, &v) && std::isfinite(v)) return json(v);
  }
  if (std::regex_match(text, kSpecial)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(node), ": ", text, " has no JSON form"));
  }
  return json(text);
}

}  // namespace

absl::StatusOr<json> YamlToJson(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return json(nullptr);
    case YAML::NodeType::Scalar:
      // "!" is yaml-cpp's tag for a quoted scalar; "?" for a plain one.
      if (node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str") {
        return json(node.Scalar());
      }
      return ResolvePlain(node);
    case YAML::NodeType::Sequence: {
      json out = json::array();
      for (const YAML::Node& item : node) {
        absl::StatusOr<json> v = YamlToJson(item);
        if (!v.ok()) return v.status();
        out.push_back(*std::move(v));
      }
      return out;
    }
    case YAML::NodeType::Map: {
      json out = json::object();
      for (const auto& entry : node) {
        absl::StatusOr<json> v = YamlToJson(entry.second);
        if (!v.ok()) return v.status();
        out[entry.first.Scalar()] = *std::move(v);
      }
      return out;
    }
  }
  return json(nullptr);
}

absl::StatusOr<std::vector<json>> YamlStreamToJson(const std::string& text) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
  std::vector<json> out;
  for (const YAML::Node& doc : docs) {
    if (doc.IsNull()) continue;
    absl::StatusOr<json> v = YamlToJson(doc);
    if (!v.ok()) return v.status();
    out.push_back(*std::move(v));
  }
  return out;
}

}  // namespace migctl::testing
