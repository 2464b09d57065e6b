#include "agent/gpu_pods.h"

#include <algorithm>
#include <string>
#include <vector>

namespace migctl::agent {

reconcile::GpuPods PodsOnGpu(nvml::Nvml& nvml, int gpu,
                             const deviceplugin::PodsByDevice& pods) {
  reconcile::GpuPods out;
  if (pods.empty()) return out;
  if (absl::StatusOr<nvml::DeviceInfo> device = nvml.GetDevice(gpu);
      device.ok()) {
    if (auto it = pods.find(device->uuid); it != pods.end()) {
      out.whole_gpu = it->second;
    }
  }
  absl::StatusOr<std::vector<nvml::MigDevice>> devices =
      nvml.ListMigDevices(gpu);
  if (!devices.ok()) return out;
  for (const nvml::MigDevice& d : *devices) {
    auto it = pods.find(d.uuid);
    if (it == pods.end()) continue;
    std::vector<std::string>& gi = out.instances[d.gi_id];
    gi.insert(gi.end(), it->second.begin(), it->second.end());
    std::sort(gi.begin(), gi.end());
    gi.erase(std::unique(gi.begin(), gi.end()), gi.end());
  }
  return out;
}

}  // namespace migctl::agent
