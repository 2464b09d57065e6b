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

std::map<int, reconcile::GpuPods> PodsOnGpus(
    nvml::Nvml& nvml, const deviceplugin::PodsByDevice& pods) {
  std::map<int, reconcile::GpuPods> out;
  if (pods.empty()) return out;
  absl::StatusOr<int> count = nvml.DeviceCount();
  for (int gpu = 0; count.ok() && gpu < *count; ++gpu) {
    reconcile::GpuPods on = PodsOnGpu(nvml, gpu, pods);
    if (!on.whole_gpu.empty() || !on.instances.empty()) {
      out[gpu] = std::move(on);
    }
  }
  return out;
}

}  // namespace migctl::agent
