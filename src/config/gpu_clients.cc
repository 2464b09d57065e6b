#include "config/gpu_clients.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "config/yaml_support.h"
#include "util/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace migctl::config {
namespace {

absl::StatusOr<GpuClients> Parse(const YAML::Node& root,
                                 absl::string_view file) {
  auto error = [file](const YAML::Node& at, absl::string_view problem,
                      absl::string_view valid) {
    return ErrorAt(ToMark(file, at.Mark()), problem, valid);
  };
  if (!root.IsMap()) {
    return error(root,
                 root.IsNull()
                     ? "the document is empty"
                     : absl::StrCat("the document is ", Describe(root)),
                 "expected a map with keys version and systemd-services");
  }
  const YAML::Node version = root["version"];
  if (!version) {
    return error(root, "missing key \"version\"", "expected version: v1");
  }
  if (!version.IsScalar() || version.Scalar() != "v1") {
    return error(version, absl::StrCat("unknown version ", Describe(version)),
                 "expected version: v1");
  }
  GpuClients clients;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (!it->first.IsScalar()) {
      return error(it->first, absl::StrCat("key is ", Describe(it->first)),
                   "expected a string");
    }
    const std::string key = it->first.Scalar();
    if (key == "version") continue;
    if (key != "systemd-services") {
      return error(it->first, absl::StrCat("unknown key \"", key, "\""),
                   "valid keys are version, systemd-services");
    }
    const YAML::Node list = it->second;
    if (list.IsNull()) continue;
    if (!list.IsSequence()) {
      return error(list, absl::StrCat("systemd-services is ", Describe(list)),
                   "expected a list of unit names");
    }
    std::set<std::string> seen;
    for (const YAML::Node& unit : list) {
      if (!unit.IsScalar() || unit.Scalar().empty()) {
        return error(unit, absl::StrCat("unit name is ", Describe(unit)),
                     "expected a systemd unit name such as nvsm.service");
      }
      std::string name = unit.Scalar();
      if (name.find('.') == std::string::npos) name += ".service";
      if (!seen.insert(name).second) {
        return error(unit, absl::StrCat("duplicate unit \"", name, "\""),
                     "expected each unit once");
      }
      clients.systemd_services.push_back(std::move(name));
    }
  }
  return clients;
}

}  // namespace

absl::StatusOr<GpuClients> ParseGpuClients(absl::string_view yaml,
                                           absl::string_view filename) {
  try {
    return Parse(YAML::Load(std::string(yaml)), filename);
  } catch (const YAML::Exception& e) {
    return YamlSyntaxError(filename, e);
  }
}

absl::StatusOr<GpuClients> LoadGpuClients(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  return ParseGpuClients(text, path);
}

}  // namespace migctl::config
