// Helpers shared by the YAML file parsers of this module (MIG configs and
// hooks): positions, node descriptions, errors in the
// "file:line:column: <problem>; <what is valid>" form, and file reading.
#ifndef MIGCTL_CONFIG_YAML_SUPPORT_H_
#define MIGCTL_CONFIG_YAML_SUPPORT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "config/mig_config.h"
#include "yaml-cpp/yaml.h"

namespace migctl::config {

// 1-based; a null mark (no position) is 1:1.
Mark ToMark(absl::string_view file, const YAML::Mark& m);

// What a node is, for "X is <what>" messages: "\"text\"", "a list", "a map",
// "null".
std::string Describe(const YAML::Node& node);

// INVALID_ARGUMENT "file:line:column: problem; valid".
absl::Status ErrorAt(const Mark& mark, absl::string_view problem,
                     absl::string_view valid);

// The error for a document yaml-cpp cannot parse.
absl::Status YamlSyntaxError(absl::string_view file, const YAML::Exception& e);

// True when `text` is well-formed UTF-8 (YAML documents must be; yaml-cpp
// does not check, and its emitter rewrites bytes that are not).
bool IsValidUtf8(absl::string_view text);

// The whole file; errno's status naming the path when it cannot be read.
absl::StatusOr<std::string> ReadTextFile(const std::string& path);

}  // namespace migctl::config

#endif  // MIGCTL_CONFIG_YAML_SUPPORT_H_
