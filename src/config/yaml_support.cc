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

bool IsValidUtf8(absl::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char lead = static_cast<unsigned char>(text[i]);
    int extra = 0;
    uint32_t min = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    }
    if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      min = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      min = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      min = 0x10000;
    } else {
      return false;
    }
    if (text.size() - i <= static_cast<size_t>(extra)) return false;
    uint32_t code = lead & (0x3F >> extra);
    for (int k = 1; k <= extra; ++k) {
      const unsigned char next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
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
