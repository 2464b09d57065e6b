// SimNvml: a simulated node behind the Nvml interface, enforcing the
// driver's rules as NVIDIA's MIG user guide and NVML reference describe them:
//
//  - MIG mode has a current and a pending value. Setting it resets the GPU to
//    activate the new mode when nothing holds the GPU; while a process holds
//    it the mode stays pending (activation status IN_USE); on nodes without
//    GPU reset (pass-through VMs) it stays pending until a reboot
//    (RESET_REQUIRED). Disabling MIG while GPU instances exist is refused.
//  - GPU instances only with MIG enabled; unsupported profile NOT_SUPPORTED;
//    a placement the profile does not offer INVALID_ARGUMENT; overlap or
//    exhausted instance count INSUFFICIENT_RESOURCES. Without a placement the
//    driver takes the lowest free one. GI ids follow the placement.
//  - Compute instances inside a GI; destroying a GI that still has CIs, or
//    an instance a process runs on, is refused with IN_USE.
//  - MIG devices enumerate by GI id, then CI id.
//
// State lives in memory (unit tests) or in a StateFile, locked and saved on
// every call so several processes can share one node. Every mutating call is
// counted and can be made to fail, or to abort the process, by an armed
// SimFault. Not thread-safe: one SimNvml per thread.
#ifndef MIGCTL_SIM_SIM_NVML_H_
#define MIGCTL_SIM_SIM_NVML_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "nvml/nvml.h"
#include "sim/state.h"
#include "sim/state_file.h"

namespace migctl::sim {

class SimNvml : public nvml::Nvml {
 public:
  static std::unique_ptr<SimNvml> InMemory(SimState state);
  static std::unique_ptr<SimNvml> FromFile(std::string path);

  // A copy of the current state.
  absl::StatusOr<SimState> Snapshot();
  // Runs `change` on the state under the lock and saves it when it returns
  // OK. For simulator controls (processes, reboot, faults), not NVML calls:
  // it neither counts as a mutating call nor triggers faults.
  absl::Status Update(const std::function<absl::Status(SimState&)>& change);

  absl::StatusOr<int> DeviceCount() override;
  absl::StatusOr<nvml::DeviceInfo> GetDevice(int gpu) override;
  absl::StatusOr<std::string> DriverVersion() override;
  absl::StatusOr<int> CudaDriverVersion() override;
  absl::StatusOr<int> MinorNumber(int gpu) override;
  absl::StatusOr<nvml::MigMode> GetMigMode(int gpu) override;
  absl::StatusOr<nvml::Return> SetMigMode(int gpu, bool enabled) override;
  absl::Status ResetGpu(int gpu) override;
  absl::StatusOr<mig::GpuInstanceProfile> GetGpuInstanceProfile(
      int gpu, int profile_index) override;
  absl::StatusOr<std::vector<mig::Placement>> GetGpuInstancePossiblePlacements(
      int gpu, int profile_id) override;
  absl::StatusOr<int> GetGpuInstanceRemainingCapacity(int gpu,
                                                      int profile_id) override;
  absl::StatusOr<std::vector<nvml::GpuInstance>> ListGpuInstances(
      int gpu) override;
  absl::StatusOr<nvml::GpuInstance> CreateGpuInstance(
      int gpu, int profile_id,
      std::optional<mig::Placement> placement) override;
  absl::Status DestroyGpuInstance(int gpu, int gi_id) override;
  absl::StatusOr<mig::ComputeProfile> GetComputeInstanceProfile(
      int gpu, int gi_id, int ci_profile_index) override;
  absl::StatusOr<std::vector<nvml::ComputeInstance>> ListComputeInstances(
      int gpu, int gi_id) override;
  absl::StatusOr<nvml::ComputeInstance> CreateComputeInstance(
      int gpu, int gi_id, int ci_profile_id) override;
  absl::Status DestroyComputeInstance(int gpu, int gi_id, int ci_id) override;
  absl::StatusOr<std::vector<nvml::MigDevice>> ListMigDevices(int gpu) override;
  absl::StatusOr<std::vector<nvml::Process>> ListProcesses(int gpu) override;
  // Polls the state for injected XID events (rules::InjectXid) every 10 ms
  // until one comes or `timeout_ms` passes.
  absl::StatusOr<std::vector<nvml::XidEvent>> WaitForXidEvents(
      int timeout_ms) override;

 private:
  SimNvml() = default;

  // Runs a read-only query on the current state.
  template <typename F>
  auto Read(F&& query) -> decltype(query(std::declval<const SimState&>()));
  // Runs an NVML call that changes the GPU: counts it, applies an armed fault
  // and saves the state afterwards.
  template <typename F>
  auto Mutate(absl::string_view call, F&& change)
      -> decltype(change(std::declval<SimState&>()));

  std::optional<SimState> memory_;
  std::optional<StateFile> file_;
  // Sequence number of the last XID event reported; unset until the first
  // WaitForXidEvents subscribes.
  std::optional<uint64_t> xid_cursor_;
};

}  // namespace migctl::sim

#endif  // MIGCTL_SIM_SIM_NVML_H_
