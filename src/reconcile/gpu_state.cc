#include "reconcile/gpu_state.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "mig/catalogue.h"
#include "util/status_macros.h"

namespace migctl::reconcile {

mig::Layout GpuState::layout() const {
  mig::Layout out;
  for (const InstanceState& i : instances) {
    out.push_back({i.gi.profile_id, i.gi.placement});
  }
  mig::Canonicalize(out);
  return out;
}

absl::StatusOr<GpuState> ReadGpuState(nvml::Nvml& nvml, int gpu) {
  GpuState state;
  state.index = gpu;
  ASSIGN_OR_RETURN(state.device, nvml.GetDevice(gpu));
  state.model = mig::FindModelByPciDeviceId(state.device.pci_device_id);
  if (state.model == nullptr) {
    state.model = mig::FindModelByProductName(state.device.name);
  }
  if (state.model == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "GPU ", gpu, " (", state.device.name, ", PCI device id 0x",
        absl::Hex(state.device.pci_device_id, absl::kZeroPad8),
        ") is not a MIG-capable model migctl knows; `migctl models` lists "
        "them"));
  }
  ASSIGN_OR_RETURN(state.mode, nvml.GetMigMode(gpu));
  ASSIGN_OR_RETURN(state.processes, nvml.ListProcesses(gpu));
  if (state.mode.current) {
    ASSIGN_OR_RETURN(std::vector<nvml::GpuInstance> gis,
                     nvml.ListGpuInstances(gpu));
    for (const nvml::GpuInstance& gi : gis) {
      InstanceState instance{gi, {}, {}, {}};
      ASSIGN_OR_RETURN(instance.cis, nvml.ListComputeInstances(gpu, gi.id));
      for (const nvml::Process& p : state.processes) {
        if (p.gi_id == gi.id) instance.pids.push_back(p.pid);
      }
      state.instances.push_back(std::move(instance));
    }
  }
  return state;
}

}  // namespace migctl::reconcile
