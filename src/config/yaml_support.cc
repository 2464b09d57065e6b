#include "config/yaml_support.h"

#include <cerrno>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace migctl::config {

Mark ToMark(absl::string_view file, const YAML::Mark& m) {
  if (m.is_null()) return Mark{std::string(file), 1, 1};
  return Mark{std::string(file), m.line + 1, m.column + 1};
}

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return absl::StrCat("\"", node.Scalar(), "\"");
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    default:
      return "null";
  }
}

absl::Status ErrorAt(const Mark& mark, absl::string_view problem,
                     absl::string_view valid) {
  return absl::InvalidArgumentError(
      absl::StrCat(mark.ToString(), ": ", problem, "; ", valid));
}

absl::Status YamlSyntaxError(absl::string_view file, const YAML::Exception& e) {
  return ErrorAt(ToMark(file, e.mark), absl::StrCat("invalid YAML: ", e.msg),
                 "expected well-formed YAML");
}

absl::StatusOr<std::string> ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    const int error = errno;
    return absl::ErrnoToStatus(error, absl::StrCat("cannot read ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace migctl::config
