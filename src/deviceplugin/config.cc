#include "deviceplugin/config.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "util/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace migctl::deviceplugin {
namespace {

constexpr absl::string_view kDeviceListStrategies[] = {
    "envvar", "volume-mounts", "cdi-annotations", "cdi-cri"};

absl::StatusOr<bool> ParseBool(absl::string_view what, absl::string_view text) {
  std::string t = absl::AsciiStrToLower(absl::StripAsciiWhitespace(text));
  if (t == "true" || t == "1" || t == "yes") return true;
  if (t == "false" || t == "0" || t == "no") return false;
  return absl::InvalidArgumentError(
      absl::StrCat(what, " \"", text, "\" is not true or false"));
}

absl::StatusOr<DeviceIdStrategy> ParseDeviceIdStrategy(absl::string_view what,
                                                       absl::string_view text) {
  if (text == "uuid") return DeviceIdStrategy::kUuid;
  if (text == "index") return DeviceIdStrategy::kIndex;
  return absl::InvalidArgumentError(absl::StrCat(
      what, " \"", text, "\" is not a device ID strategy (uuid, index)"));
}

std::vector<std::string> SplitList(absl::string_view text) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    out.emplace_back(absl::StripAsciiWhitespace(part));
  }
  return out;
}

}  // namespace

absl::Status ApplyConfigFile(absl::string_view text, absl::string_view path,
                             Config& config) {
  YAML::Node doc;
  try {
    doc = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  auto error = [&](const YAML::Mark& m, absl::string_view field,
                   absl::string_view message) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", m.line + 1, ":", m.column + 1, ": ", field, ": ", message));
  };
  if (!doc.IsMap()) return error(doc.Mark(), "document", "must be a mapping");
  std::string version;
  try {
    version = doc["version"] ? doc["version"].as<std::string>("") : "";
  } catch (const YAML::Exception& e) {
    return error(e.mark, "version", e.msg);
  }
  if (version != "v1") {
    return error(doc["version"] ? doc["version"].Mark() : doc.Mark(), "version",
                 absl::StrCat("\"", version,
                              "\" is not supported (NVIDIA's config file "
                              "version v1 is)"));
  }
  const YAML::Node flags = doc["flags"];
  if (!flags) return absl::OkStatus();
  // Applied to a copy: a file with an error changes nothing.
  Config next = config;
  YAML::Mark strategies_mark = flags.Mark();
  auto scalar = [](const YAML::Node& n) { return n.as<std::string>(""); };
  try {
    if (const YAML::Node n = flags["migStrategy"]) {
      absl::StatusOr<MigStrategy> s = ParseMigStrategy(scalar(n));
      if (!s.ok()) {
        return error(n.Mark(), "flags.migStrategy", s.status().message());
      }
      next.mig_strategy = *s;
    }
    if (const YAML::Node n = flags["failOnInitError"]) {
      next.fail_on_init_error = n.as<bool>();
    }
    if (const YAML::Node n = flags["nvidiaDriverRoot"]) {
      next.nvidia_driver_root = scalar(n);
    }
    if (const YAML::Node plugin = flags["plugin"]) {
      if (const YAML::Node n = plugin["passDeviceSpecs"]) {
        next.pass_device_specs = n.as<bool>();
      }
      if (const YAML::Node n = plugin["deviceListStrategy"]) {
        strategies_mark = n.Mark();
        if (n.IsSequence()) {
          next.device_list_strategies = n.as<std::vector<std::string>>();
        } else {
          next.device_list_strategies = SplitList(scalar(n));
        }
      }
      if (const YAML::Node n = plugin["deviceIDStrategy"]) {
        absl::StatusOr<DeviceIdStrategy> s =
            ParseDeviceIdStrategy("deviceIDStrategy", scalar(n));
        if (!s.ok()) {
          return error(n.Mark(), "flags.plugin.deviceIDStrategy",
                       s.status().message());
        }
        next.device_id_strategy = *s;
      }
      if (const YAML::Node n = plugin["cdiAnnotationPrefix"]) {
        next.cdi_annotation_prefix = scalar(n);
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ":", e.mark.line + 1, ":", e.mark.column + 1, ": ", e.msg));
  }
  if (absl::Status s = Validate(next); !s.ok()) {
    return error(strategies_mark, "flags.plugin.deviceListStrategy",
                 s.message());
  }
  config = std::move(next);
  return absl::OkStatus();
}

absl::Status ApplyEnvironment(
    const std::function<std::optional<std::string>(const char*)>& getenv,
    Config& config) {
  if (auto v = getenv("MIG_STRATEGY")) {
    ASSIGN_OR_RETURN(config.mig_strategy, ParseMigStrategy(*v));
  }
  if (auto v = getenv("FAIL_ON_INIT_ERROR")) {
    ASSIGN_OR_RETURN(config.fail_on_init_error,
                     ParseBool("FAIL_ON_INIT_ERROR", *v));
  }
  if (auto v = getenv("NVIDIA_DRIVER_ROOT")) config.nvidia_driver_root = *v;
  if (auto v = getenv("PASS_DEVICE_SPECS")) {
    ASSIGN_OR_RETURN(config.pass_device_specs,
                     ParseBool("PASS_DEVICE_SPECS", *v));
  }
  if (auto v = getenv("DEVICE_LIST_STRATEGY")) {
    config.device_list_strategies = SplitList(*v);
  }
  if (auto v = getenv("DEVICE_ID_STRATEGY")) {
    ASSIGN_OR_RETURN(config.device_id_strategy,
                     ParseDeviceIdStrategy("DEVICE_ID_STRATEGY", *v));
  }
  if (auto v = getenv("CDI_ANNOTATION_PREFIX")) {
    config.cdi_annotation_prefix = *v;
  }
  return Validate(config);
}

absl::Status Validate(const Config& config) {
  if (config.device_list_strategies.empty()) {
    return absl::InvalidArgumentError(
        "deviceListStrategy is empty; use one or more of envvar, "
        "volume-mounts, cdi-annotations, cdi-cri");
  }
  for (const std::string& s : config.device_list_strategies) {
    if (std::find(std::begin(kDeviceListStrategies),
                  std::end(kDeviceListStrategies),
                  s) == std::end(kDeviceListStrategies)) {
      return absl::InvalidArgumentError(
          absl::StrCat("deviceListStrategy \"", s, "\" is not one of ",
                       absl::StrJoin(kDeviceListStrategies, ", ")));
    }
  }
  return absl::OkStatus();
}

}  // namespace migctl::deviceplugin
