// mig-parted v1 configs: the file format NVIDIA's mig-parted and mig-manager
// read, so existing ConfigMaps work unchanged.
//
//   version: v1
//   mig-configs:
//     custom-mig:
//       - devices: [0]            # or "all"
//         device-filter: ["0x233110DE"]   # optional, string or list
//         mig-enabled: true
//         mig-devices:
//           "1g.12gb": 2
//
// A GPU matched by several entries of a config gets them in order, as
// mig-parted applies them. Parsing validates the schema; profile names are
// checked against a GPU model only when a GPU is matched (SelectForGpu).
#ifndef MIGCTL_CONFIG_MIG_CONFIG_H_
#define MIGCTL_CONFIG_MIG_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mig/layout.h"
#include "mig/model.h"

namespace migctl::config {

// Where something was written: "file:line:column" in errors (1-based).
struct Mark {
  std::string file;
  int line = 0;
  int column = 0;
  std::string ToString() const;  // "file:line:column"
};

// One `device-filter` value: "0xDDDDVVVV" with an optional ":0xSSSSVVVV".
struct DeviceFilter {
  uint32_t device_id = 0;
  std::optional<uint32_t> subsystem_id;
  friend bool operator==(const DeviceFilter&, const DeviceFilter&) = default;
};

// One entry of a named config.
struct MigConfigEntry {
  bool all_devices = false;                  // devices: all
  std::vector<int> devices;                  // devices: [0, 1]
  std::vector<DeviceFilter> device_filters;  // empty: any GPU model
  bool mig_enabled = false;
  // Profile name as written (e.g. "1g.12gb", "1g.10gb+me") -> count, in
  // file order. Counts are >= 0.
  std::vector<std::pair<std::string, int>> mig_devices;
  Mark mark;  // where the entry starts
  friend bool operator==(const MigConfigEntry& a, const MigConfigEntry& b) {
    return a.all_devices == b.all_devices && a.devices == b.devices &&
           a.device_filters == b.device_filters &&
           a.mig_enabled == b.mig_enabled && a.mig_devices == b.mig_devices;
  }
};

struct MigConfigFile {
  std::string version = "v1";
  // Config name -> entries, in file order.
  std::vector<std::pair<std::string, std::vector<MigConfigEntry>>> configs;

  const std::vector<MigConfigEntry>* Find(absl::string_view name) const;
  friend bool operator==(const MigConfigFile&, const MigConfigFile&) = default;
};

// Parses and validates a config. Errors are INVALID_ARGUMENT with
// "file:line:column: <what is wrong>; <what would be valid>".
absl::StatusOr<MigConfigFile> ParseMigConfig(absl::string_view yaml,
                                             absl::string_view filename);
absl::StatusOr<MigConfigFile> LoadMigConfig(const std::string& path);

// Writes `file` as mig-parted v1 YAML that ParseMigConfig reads back equal.
std::string WriteMigConfig(const MigConfigFile& file);

// What one GPU should look like under a named config.
struct GpuTarget {
  bool mig_enabled = false;
  // GI profile id -> count (zero counts dropped); empty when MIG disabled.
  mig::ProfileCounts profiles;
  // When set, the exact GI placements wanted (a checkpoint, or a planner's
  // choice); `profiles` then holds their counts.
  std::optional<mig::Layout> layout;
  // Entries that matched this GPU, in order (for logs: "Walking MigConfig
  // for (devices=[0])").
  std::vector<const MigConfigEntry*> entries;
};

// The target of GPU `gpu_index` (a GPU of `model`, with PCI subsystem id
// `pci_subsystem_id`) under config `name`. mig-parted applies every matching
// entry in order, each replacing the GPU's whole MIG config, so the last
// matching entry decides; all matching entries are listed. NOT_FOUND when no
// entry matches the GPU, or when the name is unknown (listing the names there
// are); INVALID_ARGUMENT, with the entry's file:line:column, when a profile
// name does not exist on the model or a layout cannot fit on it.
absl::StatusOr<GpuTarget> SelectForGpu(const MigConfigFile& file,
                                       absl::string_view name, int gpu_index,
                                       const mig::GpuModel& model,
                                       uint32_t pci_subsystem_id);

}  // namespace migctl::config

#endif  // MIGCTL_CONFIG_MIG_CONFIG_H_
