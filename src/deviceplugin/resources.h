// What the device plugin advertises: the node's GPUs or MIG devices grouped
// into extended resources by MIG strategy, exactly as NVIDIA's
// k8s-device-plugin names them:
//
//   none    nvidia.com/gpu for every GPU, MIG or not
//   single  nvidia.com/gpu for every MIG device; every GPU must have MIG
//           enabled and every MIG device the same profile (with no GPU in
//           MIG mode it falls back to none)
//   mixed   nvidia.com/mig-<profile> per MIG profile ("+" written as "."),
//           nvidia.com/gpu for GPUs without MIG
//
// Device IDs are UUIDs. A device's NUMA node comes from its PCI device in
// sysfs (absent or negative: no topology); a MIG device has its parent's.
// Plain values and one discovery function; no state.
#ifndef MIGCTL_DEVICEPLUGIN_RESOURCES_H_
#define MIGCTL_DEVICEPLUGIN_RESOURCES_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "deviceplugin/config.h"
#include "nvml/nvml.h"

namespace migctl::deviceplugin {

struct Device {
  std::string id;     // the UUID, "GPU-…" or "MIG-…"
  std::string index;  // "1" for GPU 1, "1:2" for its MIG device 2
  int gpu = 0;        // index of the GPU (the parent of a MIG device)
  bool mig = false;
  int gi_id = -1;  // MIG devices only
  int ci_id = -1;
  std::optional<int> numa_node;
  // Device nodes it needs besides the control ones: /dev/nvidiaN, and for
  // MIG devices /dev/nvidia-caps/nvidia-capN of its GI and CI (only when
  // device specs are passed).
  std::vector<std::string> paths;
  friend bool operator==(const Device&, const Device&) = default;
};

// Resource name ("nvidia.com/mig-1g.12gb") -> its devices, in NVML order.
using ResourceMap = std::map<std::string, std::vector<Device>>;

inline constexpr absl::string_view kGpuResource = "nvidia.com/gpu";

// "1g.12gb+me" -> "nvidia.com/mig-1g.12gb.me".
std::string MigResourceName(absl::string_view mig_device_name);

// The socket file NVIDIA's plugin serves `resource` on:
// "nvidia.com/mig-1g.12gb" -> "nvidia-mig-1g.12gb.sock".
std::string SocketName(absl::string_view resource);

// Reads the node through `nvml`. FAILED_PRECONDITION explaining the layout
// for a node the single strategy cannot serve; FAILED_PRECONDITION naming
// the file when device specs are passed and mig-minors is unreadable.
absl::StatusOr<ResourceMap> DiscoverResources(nvml::Nvml& nvml,
                                              const Config& config);

// /proc/driver/nvidia-caps/mig-minors: "gpu0/gi1/ci0/access" -> 13.
absl::StatusOr<std::map<std::string, int>> ReadMigMinors(
    const std::string& proc_root);

}  // namespace migctl::deviceplugin

#endif  // MIGCTL_DEVICEPLUGIN_RESOURCES_H_
