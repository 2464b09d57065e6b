// PodsOnGpu: what the kubelet assigned to pods on one GPU, as the
// reconciler counts it busy — the pods of the whole GPU (its UUID) and of
// each GPU instance (its MIG devices' UUIDs, as the device plugin
// advertises them). Shared by the agent and the CLI's apply/plan/restore.
#ifndef MIGCTL_AGENT_GPU_PODS_H_
#define MIGCTL_AGENT_GPU_PODS_H_

#include <map>

#include "deviceplugin/pod_resources.h"
#include "nvml/nvml.h"
#include "reconcile/gpu_state.h"

namespace migctl::agent {

// GPU `gpu`'s share of `pods` (deviceplugin::ListPodDevices). A GPU or MIG
// device NVML cannot list contributes nothing.
reconcile::GpuPods PodsOnGpu(nvml::Nvml& nvml, int gpu,
                             const deviceplugin::PodsByDevice& pods);

// PodsOnGpu of every GPU NVML counts that has any, by index (the shape of
// reconcile::PlanOptions::pods).
std::map<int, reconcile::GpuPods> PodsOnGpus(
    nvml::Nvml& nvml, const deviceplugin::PodsByDevice& pods);

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_GPU_PODS_H_
