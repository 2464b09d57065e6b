#include "config/mig_config.h"

#include <cerrno>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "config/yaml_support.h"
#include "mig/profile_name.h"
#include "util/status_macros.h"
#include "yaml-cpp/yaml.h"

namespace migctl::config {
namespace {

constexpr absl::string_view kVersion = "v1";
constexpr absl::string_view kEntryKeys =
    "device-filter, devices, mig-enabled, mig-devices";
constexpr absl::string_view kDevicesExpected =
    "\"all\" or a list of GPU indices";
constexpr absl::string_view kMigDevicesExpected =
    "a map of MIG profile names to counts, or {}";
constexpr absl::string_view kFilterExpected =
    "\"0xDDDDVVVV\" or \"0xDDDDVVVV:0xSSSSVVVV\" (device and vendor id, "
    "optional subsystem id, 8 hex digits each), e.g. \"0x233010DE\"";

// A plain (unquoted) non-negative decimal integer.
std::optional<int> NonNegativeInt(const YAML::Node& node) {
  int value = 0;
  if (!node.IsScalar() || node.Tag() == "!" ||
      !absl::SimpleAtoi(node.Scalar(), &value) || value < 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<uint32_t> HexId(absl::string_view text) {
  if (text.size() != 10 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X'))
    return std::nullopt;
  uint32_t value = 0;
  for (char c : text.substr(2)) {
    if (!absl::ascii_isxdigit(c)) return std::nullopt;
    value = value * 16 +
            static_cast<uint32_t>(absl::ascii_isdigit(c)
                                      ? c - '0'
                                      : absl::ascii_tolower(c) - 'a' + 10);
  }
  return value;
}

std::optional<DeviceFilter> ParseFilter(absl::string_view text) {
  DeviceFilter filter;
  const size_t colon = text.find(':');
  std::optional<uint32_t> device = HexId(text.substr(0, colon));
  if (!device.has_value()) return std::nullopt;
  filter.device_id = *device;
  if (colon != absl::string_view::npos) {
    filter.subsystem_id = HexId(text.substr(colon + 1));
    if (!filter.subsystem_id.has_value()) return std::nullopt;
  }
  return filter;
}

std::string FormatFilter(const DeviceFilter& f) {
  std::string out = absl::StrFormat("0x%08X", f.device_id);
  if (f.subsystem_id.has_value()) {
    absl::StrAppendFormat(&out, ":0x%08X", *f.subsystem_id);
  }
  return out;
}

class Parser {
 public:
  explicit Parser(absl::string_view file) : file_(file) {}

  absl::StatusOr<MigConfigFile> File(const YAML::Node& root) {
    if (!root.IsMap()) {
      return Error(root,
                   root.IsNull()
                       ? "the document is empty"
                       : absl::StrCat("the document is ", Describe(root)),
                   "expected a map with keys version and mig-configs");
    }
    const YAML::Node version = root["version"];
    if (!version) {
      return Error(root, "missing key \"version\"", "expected version: v1");
    }
    if (!version.IsScalar()) {
      return ValueError(root, version,
                        absl::StrCat("\"version\" is ", Describe(version)),
                        "expected version: v1");
    }
    if (version.Scalar() != kVersion) {
      return Error(version,
                   absl::StrCat("unknown version \"", version.Scalar(), "\""),
                   "expected version: v1");
    }
    MigConfigFile file;
    RETURN_IF_ERROR(ForEachKey(
        root,
        [&](const std::string& key, const YAML::Node& key_node,
            const YAML::Node& value) -> absl::Status {
          if (key == "version") return absl::OkStatus();
          if (key != "mig-configs") {
            return Error(key_node, absl::StrCat("unknown key \"", key, "\""),
                         "valid keys are version, mig-configs");
          }
          return Configs(key_node, value, file);
        }));
    return file;
  }

 private:
  absl::Status Error(const YAML::Node& at, absl::string_view problem,
                     absl::string_view valid) const {
    return ErrorAt(ToMark(file_, at.Mark()), problem, valid);
  }
  // A null value has no position of its own (yaml-cpp marks the next token):
  // point at its key instead.
  absl::Status ValueError(const YAML::Node& key, const YAML::Node& value,
                          absl::string_view problem,
                          absl::string_view valid) const {
    return Error(value.IsNull() ? key : value, problem, valid);
  }

  // Calls `fn(key, key_node, value)` for each pair of `map` in order; keys
  // must be strings and unique.
  absl::Status ForEachKey(
      const YAML::Node& map,
      absl::FunctionRef<absl::Status(const std::string&, const YAML::Node&,
                                     const YAML::Node&)>
          fn) const {
    std::map<std::string, Mark> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        return Error(key, absl::StrCat("key is ", Describe(key)),
                     "expected a string");
      }
      const Mark mark = ToMark(file_, key.Mark());
      auto [at, inserted] = seen.emplace(key.Scalar(), mark);
      if (!inserted) {
        return ErrorAt(
            mark,
            absl::StrCat("duplicate key \"", key.Scalar(), "\" (first at ",
                         at->second.line, ":", at->second.column, ")"),
            "expected each key once");
      }
      RETURN_IF_ERROR(fn(key.Scalar(), key, it->second));
    }
    return absl::OkStatus();
  }

  absl::Status Configs(const YAML::Node& key, const YAML::Node& configs,
                       MigConfigFile& file) const {
    if (configs.IsNull() || (configs.IsMap() && configs.size() == 0)) {
      return ValueError(key, configs, "\"mig-configs\" is empty",
                        "expected at least one named config");
    }
    if (!configs.IsMap()) {
      return Error(configs,
                   absl::StrCat("\"mig-configs\" is ", Describe(configs)),
                   "expected a map of config names to lists of entries");
    }
    return ForEachKey(
        configs,
        [&](const std::string& name, const YAML::Node& name_node,
            const YAML::Node& list) -> absl::Status {
          if (!IsValidUtf8(name)) {
            return Error(name_node, "config name is not valid UTF-8",
                         "expected a UTF-8 string");
          }
          if (list.IsNull() || (list.IsSequence() && list.size() == 0)) {
            return ValueError(
                name_node, list,
                absl::StrCat("config \"", name, "\" has no entries"),
                "expected a list of at least one entry");
          }
          if (!list.IsSequence()) {
            return Error(
                list, absl::StrCat("config \"", name, "\" is ", Describe(list)),
                "expected a list of entries");
          }
          std::vector<MigConfigEntry> entries;
          for (size_t i = 0; i < list.size(); ++i) {
            ASSIGN_OR_RETURN(MigConfigEntry entry, Entry(name, i, list[i]));
            entries.push_back(std::move(entry));
          }
          file.configs.emplace_back(name, std::move(entries));
          return absl::OkStatus();
        });
  }

  absl::StatusOr<MigConfigEntry> Entry(const std::string& config, size_t i,
                                       const YAML::Node& node) const {
    if (!node.IsMap()) {
      return Error(node,
                   absl::StrCat("entry ", i + 1, " of config \"", config,
                                "\" is ", Describe(node)),
                   absl::StrCat("expected a map with keys ", kEntryKeys));
    }
    MigConfigEntry entry;
    entry.mark = ToMark(file_, node.Mark());
    bool has_devices = false;
    bool has_enabled = false;
    std::optional<YAML::Node> mig_devices_key;
    std::optional<YAML::Node> mig_devices;
    RETURN_IF_ERROR(ForEachKey(
        node,
        [&](const std::string& key, const YAML::Node& key_node,
            const YAML::Node& value) -> absl::Status {
          if (key == "devices") {
            has_devices = true;
            return Devices(key_node, value, entry);
          }
          if (key == "mig-enabled") {
            has_enabled = true;
            return Enabled(key_node, value, entry);
          }
          if (key == "device-filter") {
            return Filters(key_node, value, entry);
          }
          if (key == "mig-devices") {
            mig_devices_key.emplace(key_node);
            mig_devices.emplace(value);
            return MigDevices(value, entry);
          }
          return Error(key_node, absl::StrCat("unknown key \"", key, "\""),
                       absl::StrCat("valid keys are ", kEntryKeys));
        }));
    if (!has_devices) {
      return Error(node, "missing key \"devices\"",
                   absl::StrCat("expected devices: ", kDevicesExpected));
    }
    if (!has_enabled) {
      return Error(node, "missing key \"mig-enabled\"",
                   "expected mig-enabled: true or false");
    }
    if (entry.mig_enabled && (!mig_devices || mig_devices->IsNull())) {
      return Error(
          mig_devices ? *mig_devices_key : node,
          "missing key \"mig-devices\" (required when mig-enabled is true)",
          absl::StrCat("expected ", kMigDevicesExpected));
    }
    if (!entry.mig_enabled && !entry.mig_devices.empty()) {
      return Error(*mig_devices,
                   "\"mig-devices\" is not empty but mig-enabled is false",
                   "expected no mig-devices, or {}, when MIG is disabled");
    }
    return entry;
  }

  absl::Status Devices(const YAML::Node& key, const YAML::Node& value,
                       MigConfigEntry& entry) const {
    if (value.IsScalar() && value.Scalar() == "all") {
      entry.all_devices = true;
      return absl::OkStatus();
    }
    if (!value.IsSequence()) {
      return ValueError(key, value,
                        absl::StrCat("\"devices\" is ", Describe(value)),
                        absl::StrCat("expected ", kDevicesExpected));
    }
    for (const YAML::Node& item : value) {
      std::optional<int> index = NonNegativeInt(item);
      if (!index.has_value()) {
        return Error(item,
                     absl::StrCat("GPU index ", Describe(item),
                                  " in \"devices\" is not valid"),
                     "expected a non-negative integer");
      }
      entry.devices.push_back(*index);
    }
    return absl::OkStatus();
  }

  absl::Status Enabled(const YAML::Node& key, const YAML::Node& value,
                       MigConfigEntry& entry) const {
    bool enabled = false;
    if (!value.IsScalar() || value.Tag() == "!" ||
        !YAML::convert<bool>::decode(value, enabled)) {
      return ValueError(key, value,
                        absl::StrCat("\"mig-enabled\" is ", Describe(value)),
                        "expected true or false");
    }
    entry.mig_enabled = enabled;
    return absl::OkStatus();
  }

  absl::Status Filters(const YAML::Node& key, const YAML::Node& value,
                       MigConfigEntry& entry) const {
    auto add = [&](const YAML::Node& item) -> absl::Status {
      if (!item.IsScalar()) {
        return Error(item, absl::StrCat("device filter is ", Describe(item)),
                     absl::StrCat("expected ", kFilterExpected));
      }
      if (item.Scalar().empty()) return absl::OkStatus();
      std::optional<DeviceFilter> filter = ParseFilter(item.Scalar());
      if (!filter.has_value()) {
        return Error(
            item, absl::StrCat("invalid device filter \"", item.Scalar(), "\""),
            absl::StrCat("expected ", kFilterExpected));
      }
      entry.device_filters.push_back(*filter);
      return absl::OkStatus();
    };
    if (value.IsScalar()) return add(value);
    if (!value.IsSequence()) {
      return ValueError(
          key, value, absl::StrCat("\"device-filter\" is ", Describe(value)),
          absl::StrCat("expected a device filter or a list of them: ",
                       kFilterExpected));
    }
    for (const YAML::Node& item : value) RETURN_IF_ERROR(add(item));
    return absl::OkStatus();
  }

  absl::Status MigDevices(const YAML::Node& value,
                          MigConfigEntry& entry) const {
    if (value.IsNull()) return absl::OkStatus();
    if (!value.IsMap()) {
      return Error(value, absl::StrCat("\"mig-devices\" is ", Describe(value)),
                   absl::StrCat("expected ", kMigDevicesExpected));
    }
    std::vector<std::pair<mig::ProfileName, YAML::Node>> seen;
    bool any_positive = false;
    RETURN_IF_ERROR(ForEachKey(
        value,
        [&](const std::string& name, const YAML::Node& name_node,
            const YAML::Node& count_node) -> absl::Status {
          absl::StatusOr<mig::ProfileName> parsed = mig::ParseProfileName(name);
          if (!parsed.ok()) {
            return absl::InvalidArgumentError(
                absl::StrCat(ToMark(file_, name_node.Mark()).ToString(), ": ",
                             parsed.status().message()));
          }
          if (parsed->compute_slices != 0) {
            mig::ProfileName gi = *parsed;
            gi.compute_slices = 0;
            return Error(
                name_node,
                absl::StrCat("\"", name, "\" is a compute-instance profile"),
                absl::StrCat("expected a GPU-instance profile such as \"",
                             mig::FormatProfileName(gi), "\""));
          }
          for (const auto& [other, other_node] : seen) {
            if (other == *parsed) {
              const Mark first = ToMark(file_, other_node.Mark());
              return Error(
                  name_node,
                  absl::StrCat("profile \"", name, "\" is the same as \"",
                               other_node.Scalar(), "\" at ", first.line, ":",
                               first.column),
                  "expected each profile once");
            }
          }
          seen.emplace_back(*parsed, name_node);
          std::optional<int> count = NonNegativeInt(count_node);
          if (!count.has_value()) {
            return ValueError(name_node, count_node,
                              absl::StrCat("count of \"", name, "\" is ",
                                           Describe(count_node)),
                              "expected a non-negative integer");
          }
          any_positive = any_positive || *count > 0;
          entry.mig_devices.emplace_back(name, *count);
          return absl::OkStatus();
        }));
    if (!entry.mig_devices.empty() && !any_positive) {
      return Error(value, "all counts in \"mig-devices\" are 0",
                   "expected at least one positive count, or {} for no MIG "
                   "devices");
    }
    return absl::OkStatus();
  }

  std::string file_;
};

bool Matches(const MigConfigEntry& entry, int gpu_index,
             const mig::GpuModel& model, uint32_t pci_subsystem_id) {
  bool index_matches = entry.all_devices;
  for (int d : entry.devices) index_matches = index_matches || d == gpu_index;
  if (!index_matches) return false;
  if (entry.device_filters.empty()) return true;
  for (const DeviceFilter& f : entry.device_filters) {
    if (f.device_id == model.pci_device_id &&
        (!f.subsystem_id.has_value() || *f.subsystem_id == pci_subsystem_id)) {
      return true;
    }
  }
  return false;
}

// The profile counts of one matching entry, checked against `model`.
absl::StatusOr<mig::ProfileCounts> EntryCounts(const MigConfigEntry& entry,
                                               int gpu_index,
                                               const mig::GpuModel& model) {
  mig::ProfileCounts counts;
  for (const auto& [name, count] : entry.mig_devices) {
    const mig::GpuInstanceProfile* profile = model.FindProfileByName(name);
    if (profile == nullptr) {
      std::vector<std::string> valid;
      for (const mig::GpuInstanceProfile& p : model.profiles) {
        valid.push_back(p.name);
      }
      return absl::InvalidArgumentError(
          absl::StrCat(entry.mark.ToString(), ": profile \"", name,
                       "\" does not exist on ", model.product_name,
                       "; valid profiles are ", absl::StrJoin(valid, ", ")));
    }
    if (count > 0) counts[profile->id] += count;
  }
  if (entry.mig_enabled) {
    absl::StatusOr<mig::Layout> fitted = mig::FitProfiles(model, counts);
    if (!fitted.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          entry.mark.ToString(), ": mig-devices do not fit on GPU ", gpu_index,
          " (", model.product_name, "): ", fitted.status().message()));
    }
  }
  return counts;
}

void EmitEntry(YAML::Emitter& out, const MigConfigEntry& entry) {
  out << YAML::BeginMap;
  if (!entry.device_filters.empty()) {
    out << YAML::Key << "device-filter" << YAML::Value << YAML::Flow
        << YAML::BeginSeq;
    for (const DeviceFilter& f : entry.device_filters) {
      out << YAML::DoubleQuoted << FormatFilter(f);
    }
    out << YAML::EndSeq;
  }
  out << YAML::Key << "devices" << YAML::Value;
  if (entry.all_devices) {
    out << "all";
  } else {
    out << YAML::Flow << entry.devices;
  }
  out << YAML::Key << "mig-enabled" << YAML::Value << entry.mig_enabled;
  if (entry.mig_enabled || !entry.mig_devices.empty()) {
    out << YAML::Key << "mig-devices" << YAML::Value;
    if (entry.mig_devices.empty()) out << YAML::Flow;
    out << YAML::BeginMap;
    for (const auto& [name, count] : entry.mig_devices) {
      out << YAML::Key << YAML::DoubleQuoted << name << YAML::Value << count;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
}

}  // namespace

std::string Mark::ToString() const {
  return absl::StrCat(file, ":", line, ":", column);
}

const std::vector<MigConfigEntry>* MigConfigFile::Find(
    absl::string_view name) const {
  for (const auto& [config, entries] : configs) {
    if (config == name) return &entries;
  }
  return nullptr;
}

absl::StatusOr<MigConfigFile> ParseMigConfig(absl::string_view yaml,
                                             absl::string_view filename) {
  try {
    const YAML::Node root = YAML::Load(std::string(yaml));
    return Parser(filename).File(root);
  } catch (const YAML::Exception& e) {
    return YamlSyntaxError(filename, e);
  }
}

absl::StatusOr<MigConfigFile> LoadMigConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadTextFile(path));
  return ParseMigConfig(text, path);
}

// YAML allows an implicit ("name:") key of at most 1024 characters, and the
// emitter escapes each control character as 4 ("\x19"): a config name
// longer than this many bytes is written as an explicit key ("? name").
constexpr size_t kLongKeyBytes = 200;

std::string WriteMigConfig(const MigConfigFile& file) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << file.version;
  if (!file.configs.empty()) {
    out << YAML::Key << "mig-configs" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, entries] : file.configs) {
      out << YAML::Key;
      if (name.size() > kLongKeyBytes) out << YAML::LongKey;
      out << name << YAML::Value << YAML::BeginSeq;
      for (const MigConfigEntry& entry : entries) EmitEntry(out, entry);
      out << YAML::EndSeq;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return absl::StrCat(out.c_str(), "\n");
}

absl::StatusOr<GpuTarget> SelectForGpu(const MigConfigFile& file,
                                       absl::string_view name, int gpu_index,
                                       const mig::GpuModel& model,
                                       uint32_t pci_subsystem_id) {
  const std::vector<MigConfigEntry>* entries = file.Find(name);
  if (entries == nullptr) {
    std::vector<std::string> names;
    for (const auto& [config, unused] : file.configs) names.push_back(config);
    return absl::NotFoundError(
        absl::StrCat("unknown config \"", name, "\"; available configs: ",
                     names.empty() ? "none" : absl::StrJoin(names, ", ")));
  }
  GpuTarget target;
  for (const MigConfigEntry& entry : *entries) {
    if (!Matches(entry, gpu_index, model, pci_subsystem_id)) continue;
    ASSIGN_OR_RETURN(mig::ProfileCounts counts,
                     EntryCounts(entry, gpu_index, model));
    target.mig_enabled = entry.mig_enabled;
    target.profiles = std::move(counts);
    target.entries.push_back(&entry);
  }
  if (target.entries.empty()) {
    return absl::NotFoundError(absl::StrFormat(
        "config \"%s\" has no entry for GPU %d (%s, device id 0x%08X); add an "
        "entry whose devices and device-filter match it",
        std::string(name), gpu_index, model.product_name, model.pci_device_id));
  }
  return target;
}

}  // namespace migctl::config
