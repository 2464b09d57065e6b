// The NVIDIA driver's rules for MIG, as functions over a SimState.
//
// Each function is one NVML call of the simulated node: it validates the
// request exactly as the driver does (see sim_nvml.h for the rules and
// where they come from), changes the state only on success, and reports
// failures as nvml::NvmlError statuses naming the call, the GPU and the
// instance.
#ifndef MIGCTL_SIM_GPU_RULES_H_
#define MIGCTL_SIM_GPU_RULES_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "mig/model.h"
#include "nvml/nvml.h"
#include "sim/state.h"

namespace migctl::sim::rules {

const mig::GpuModel& ModelOf(const SimGpu& gpu);

// GI id the driver gives a GI at `placement`: ids count the slots of each
// size class from the largest (7g = 0), the upper half of the GPU first
// (seen on A100: 3g at 4:4 is ID 1, at 0:4 ID 2; 2g at 4:2 ID 3; 1g at 6:1
// ID 9).
int GpuInstanceIdFor(const mig::GpuModel& model,
                     const mig::Placement& placement);

absl::StatusOr<nvml::DeviceInfo> Device(const SimState& s, int gpu);
// The GPU's minor number: its index unless the state names another.
absl::StatusOr<int> MinorNumber(const SimState& s, int gpu);
absl::StatusOr<nvml::MigMode> GetMigMode(const SimState& s, int gpu);
absl::StatusOr<nvml::Return> SetMigMode(SimState& s, int gpu, bool enabled);
absl::Status ResetGpu(SimState& s, int gpu);
absl::StatusOr<mig::GpuInstanceProfile> GpuInstanceProfile(const SimState& s,
                                                           int gpu,
                                                           int profile_index);
absl::StatusOr<std::vector<mig::Placement>> PossiblePlacements(
    const SimState& s, int gpu, int profile_id);
absl::StatusOr<int> RemainingCapacity(const SimState& s, int gpu,
                                      int profile_id);
absl::StatusOr<std::vector<nvml::GpuInstance>> ListGpuInstances(
    const SimState& s, int gpu);
absl::StatusOr<nvml::GpuInstance> CreateGpuInstance(
    SimState& s, int gpu, int profile_id,
    std::optional<mig::Placement> placement);
absl::Status DestroyGpuInstance(SimState& s, int gpu, int gi_id);
absl::StatusOr<mig::ComputeProfile> ComputeInstanceProfile(
    const SimState& s, int gpu, int gi_id, int ci_profile_index);
absl::StatusOr<std::vector<nvml::ComputeInstance>> ListComputeInstances(
    const SimState& s, int gpu, int gi_id);
absl::StatusOr<nvml::ComputeInstance> CreateComputeInstance(SimState& s,
                                                            int gpu, int gi_id,
                                                            int ci_profile_id);
absl::Status DestroyComputeInstance(SimState& s, int gpu, int gi_id, int ci_id);
absl::StatusOr<std::vector<nvml::MigDevice>> ListMigDevices(const SimState& s,
                                                            int gpu);
absl::StatusOr<std::vector<nvml::Process>> ListProcesses(const SimState& s,
                                                         int gpu);

// Simulator controls (not NVML calls).
// Attaches a process to GPU `gpu`, or to its MIG device (gi_id, ci_id).
absl::Status AttachProcess(SimState& s, int gpu, const SimProcess& process);
// Detaches process `pid` from every GPU; NOT_FOUND when none has it.
absl::Status DetachProcess(SimState& s, uint32_t pid);
// A node reboot: processes end, pending MIG modes take effect (or revert to
// disabled when the mode is not persistent), GPU instances are gone.
void Reboot(SimState& s);
// Records XID `xid` on GPU `gpu` (on its MIG device (gi_id, ci_id) when
// both are set) for NVML event subscribers. INVALID_ARGUMENT for an unknown
// GPU or MIG device, or only one of gi_id / ci_id.
absl::Status InjectXid(SimState& s, int gpu, uint64_t xid,
                       std::optional<int> gi_id, std::optional<int> ci_id);
// The XID events recorded after sequence number `cursor`, oldest first.
std::vector<nvml::XidEvent> XidEventsAfter(const SimState& s, uint64_t cursor);

}  // namespace migctl::sim::rules

#endif  // MIGCTL_SIM_GPU_RULES_H_
