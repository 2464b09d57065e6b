// GpuState: one GPU as the reconciler sees it — its model, MIG mode, GPU
// instances with their compute instances, and the processes and pods
// holding them.
#ifndef MIGCTL_RECONCILE_GPU_STATE_H_
#define MIGCTL_RECONCILE_GPU_STATE_H_

#include <cstdint>
#include <map>
#include <string>
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
  // Pods ("namespace/name") the kubelet assigned one of its MIG devices,
  // when the reader knows them (PlanOptions::pods).
  std::vector<std::string> pods;
  bool busy() const { return !pids.empty() || !pods.empty(); }
};

struct GpuState {
  int index = 0;
  nvml::DeviceInfo device;
  const mig::GpuModel* model = nullptr;  // never null after ReadGpuState
  nvml::MigMode mode;
  std::vector<InstanceState> instances;  // by GI id
  std::vector<nvml::Process> processes;  // every process on the GPU
  // Pods the kubelet assigned the whole GPU (nvidia.com/gpu), when the
  // reader knows them: its MIG mode cannot change under them.
  std::vector<std::string> pods;

  mig::Layout layout() const;
};

// What the kubelet assigned to pods ("namespace/name") on one GPU.
struct GpuPods {
  std::vector<std::string> whole_gpu;                 // as nvidia.com/gpu
  std::map<int, std::vector<std::string>> instances;  // by GPU instance id
};

// Reads GPU `gpu`. NOT_FOUND when its model (by PCI device id, then name) is
// not in the catalogue.
absl::StatusOr<GpuState> ReadGpuState(nvml::Nvml& nvml, int gpu);

}  // namespace migctl::reconcile

#endif  // MIGCTL_RECONCILE_GPU_STATE_H_
