// GpuState: one GPU as the reconciler sees it — its model, MIG mode, GPU
// instances with their compute instances, and the processes holding them.
#ifndef MIGCTL_RECONCILE_GPU_STATE_H_
#define MIGCTL_RECONCILE_GPU_STATE_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "mig/layout.h"
#include "mig/model.h"
#include "nvml/nvml.h"

namespace migctl::reconcile {

struct InstanceState {
  nvml::GpuInstance gi;
  std::vector<nvml::ComputeInstance> cis;
  std::vector<uint32_t> pids;  // processes on any of its MIG devices
  bool busy() const { return !pids.empty(); }
};

struct GpuState {
  int index = 0;
  nvml::DeviceInfo device;
  const mig::GpuModel* model = nullptr;  // never null after ReadGpuState
  nvml::MigMode mode;
  std::vector<InstanceState> instances;  // by GI id
  std::vector<nvml::Process> processes;  // every process on the GPU

  mig::Layout layout() const;
};

// Reads GPU `gpu`. NOT_FOUND when its model (by PCI device id, then name) is
// not in the catalogue.
absl::StatusOr<GpuState> ReadGpuState(nvml::Nvml& nvml, int gpu);

}  // namespace migctl::reconcile

#endif  // MIGCTL_RECONCILE_GPU_STATE_H_
