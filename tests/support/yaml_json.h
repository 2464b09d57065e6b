// YamlToJson: a YAML document as JSON, resolving plain scalars the way Helm
// reads values files (YAML 1.1 as go-yaml v2: y/yes/on/true… are booleans,
// ~/null/empty are null, decimal/hex/octal integers and floats are numbers;
// quoted scalars and !!str are strings).
#ifndef MIGCTL_TESTS_SUPPORT_YAML_JSON_H_
#define MIGCTL_TESTS_SUPPORT_YAML_JSON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace migctl::testing {

// InvalidArgument naming the position for what JSON cannot hold (.inf,
// .nan, an integer out of range).
absl::StatusOr<nlohmann::json> YamlToJson(const YAML::Node& node);

// Every document of a YAML stream ("---" separated), empty ones skipped;
// InvalidArgument with yaml-cpp's message for malformed YAML.
absl::StatusOr<std::vector<nlohmann::json>> YamlStreamToJson(
    const std::string& text);

}  // namespace migctl::testing

#endif  // MIGCTL_TESTS_SUPPORT_YAML_JSON_H_
