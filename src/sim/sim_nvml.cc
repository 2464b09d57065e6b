#include "sim/sim_nvml.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "sim/gpu_rules.h"

namespace migctl::sim {
namespace {

using nvml::NvmlError;
using nvml::Return;

absl::Status LoadError(const absl::Status& status) { return status; }

}  // namespace

std::unique_ptr<SimNvml> SimNvml::InMemory(SimState state) {
  std::unique_ptr<SimNvml> sim(new SimNvml());
  sim->memory_ = std::move(state);
  return sim;
}

std::unique_ptr<SimNvml> SimNvml::FromFile(std::string path) {
  std::unique_ptr<SimNvml> sim(new SimNvml());
  sim->file_.emplace(std::move(path));
  return sim;
}

template <typename F>
auto SimNvml::Read(F&& query)
    -> decltype(query(std::declval<const SimState&>())) {
  if (memory_) return query(*memory_);
  absl::StatusOr<StateFile::Lock> lock = file_->Acquire();
  if (!lock.ok()) return LoadError(lock.status());
  absl::StatusOr<SimState> state = file_->Load();
  if (!state.ok()) return LoadError(state.status());
  return query(*state);
}

template <typename F>
auto SimNvml::Mutate(absl::string_view call, F&& change)
    -> decltype(change(std::declval<SimState&>())) {
  auto run = [&](SimState& state) -> decltype(change(state)) {
    ++state.mutating_calls;
    SimFault& fault = state.fault;
    if (fault.countdown > 0 && --fault.countdown == 0) {
      if (fault.abort) {
        if (file_) (void)file_->Save(state);
        // SIGKILL, as a crash or an OOM kill would: no handlers, no flush.
        ::kill(::getpid(), SIGKILL);
      }
      return NvmlError(fault.code, absl::StrCat(call, " (injected fault)"));
    }
    return change(state);
  };
  if (memory_) return run(*memory_);
  absl::StatusOr<StateFile::Lock> lock = file_->Acquire();
  if (!lock.ok()) return LoadError(lock.status());
  absl::StatusOr<SimState> state = file_->Load();
  if (!state.ok()) return LoadError(state.status());
  auto result = run(*state);
  if (absl::Status saved = file_->Save(*state); !saved.ok()) return saved;
  return result;
}

absl::StatusOr<SimState> SimNvml::Snapshot() {
  return Read([](const SimState& s) -> absl::StatusOr<SimState> { return s; });
}

absl::Status SimNvml::Update(
    const std::function<absl::Status(SimState&)>& change) {
  if (memory_) {
    SimState copy = *memory_;
    absl::Status s = change(copy);
    if (s.ok()) memory_ = std::move(copy);
    return s;
  }
  absl::StatusOr<StateFile::Lock> lock = file_->Acquire();
  if (!lock.ok()) return lock.status();
  absl::StatusOr<SimState> state = file_->Load();
  if (!state.ok()) return state.status();
  absl::Status s = change(*state);
  if (!s.ok()) return s;
  return file_->Save(*state);
}

absl::StatusOr<int> SimNvml::DeviceCount() {
  return Read([](const SimState& s) -> absl::StatusOr<int> {
    return static_cast<int>(s.gpus.size());
  });
}

absl::StatusOr<nvml::DeviceInfo> SimNvml::GetDevice(int gpu) {
  return Read([&](const SimState& s) -> absl::StatusOr<nvml::DeviceInfo> {
    return rules::Device(s, gpu);
  });
}

absl::StatusOr<std::string> SimNvml::DriverVersion() {
  return Read([](const SimState& s) -> absl::StatusOr<std::string> {
    return s.driver_version;
  });
}

absl::StatusOr<int> SimNvml::CudaDriverVersion() {
  return Read([](const SimState& s) -> absl::StatusOr<int> {
    return s.cuda_driver_version;
  });
}

absl::StatusOr<int> SimNvml::MinorNumber(int gpu) {
  return Read([&](const SimState& s) -> absl::StatusOr<int> {
    return rules::MinorNumber(s, gpu);
  });
}

absl::StatusOr<nvml::MigMode> SimNvml::GetMigMode(int gpu) {
  return Read([&](const SimState& s) -> absl::StatusOr<nvml::MigMode> {
    return rules::GetMigMode(s, gpu);
  });
}

absl::StatusOr<Return> SimNvml::SetMigMode(int gpu, bool enabled) {
  return Mutate("nvmlDeviceSetMigMode",
                [&](SimState& s) -> absl::StatusOr<Return> {
                  return rules::SetMigMode(s, gpu, enabled);
                });
}

absl::Status SimNvml::ResetGpu(int gpu) {
  return Mutate("nvmlDeviceResetGpu", [&](SimState& s) -> absl::Status {
    return rules::ResetGpu(s, gpu);
  });
}

absl::StatusOr<mig::GpuInstanceProfile> SimNvml::GetGpuInstanceProfile(
    int gpu, int profile_index) {
  return Read(
      [&](const SimState& s) -> absl::StatusOr<mig::GpuInstanceProfile> {
        return rules::GpuInstanceProfile(s, gpu, profile_index);
      });
}

absl::StatusOr<std::vector<mig::Placement>>
SimNvml::GetGpuInstancePossiblePlacements(int gpu, int profile_id) {
  return Read(
      [&](const SimState& s) -> absl::StatusOr<std::vector<mig::Placement>> {
        return rules::PossiblePlacements(s, gpu, profile_id);
      });
}

absl::StatusOr<int> SimNvml::GetGpuInstanceRemainingCapacity(int gpu,
                                                             int profile_id) {
  return Read([&](const SimState& s) -> absl::StatusOr<int> {
    return rules::RemainingCapacity(s, gpu, profile_id);
  });
}

absl::StatusOr<std::vector<nvml::GpuInstance>> SimNvml::ListGpuInstances(
    int gpu) {
  return Read(
      [&](const SimState& s) -> absl::StatusOr<std::vector<nvml::GpuInstance>> {
        return rules::ListGpuInstances(s, gpu);
      });
}

absl::StatusOr<nvml::GpuInstance> SimNvml::CreateGpuInstance(
    int gpu, int profile_id, std::optional<mig::Placement> placement) {
  return Mutate(placement ? "nvmlDeviceCreateGpuInstanceWithPlacement"
                          : "nvmlDeviceCreateGpuInstance",
                [&](SimState& s) -> absl::StatusOr<nvml::GpuInstance> {
                  return rules::CreateGpuInstance(s, gpu, profile_id,
                                                  placement);
                });
}

absl::Status SimNvml::DestroyGpuInstance(int gpu, int gi_id) {
  return Mutate("nvmlGpuInstanceDestroy", [&](SimState& s) -> absl::Status {
    return rules::DestroyGpuInstance(s, gpu, gi_id);
  });
}

absl::StatusOr<mig::ComputeProfile> SimNvml::GetComputeInstanceProfile(
    int gpu, int gi_id, int ci_profile_index) {
  return Read([&](const SimState& s) -> absl::StatusOr<mig::ComputeProfile> {
    return rules::ComputeInstanceProfile(s, gpu, gi_id, ci_profile_index);
  });
}

absl::StatusOr<std::vector<nvml::ComputeInstance>>
SimNvml::ListComputeInstances(int gpu, int gi_id) {
  return Read([&](const SimState& s)
                  -> absl::StatusOr<std::vector<nvml::ComputeInstance>> {
    return rules::ListComputeInstances(s, gpu, gi_id);
  });
}

absl::StatusOr<nvml::ComputeInstance> SimNvml::CreateComputeInstance(
    int gpu, int gi_id, int ci_profile_id) {
  return Mutate("nvmlGpuInstanceCreateComputeInstance",
                [&](SimState& s) -> absl::StatusOr<nvml::ComputeInstance> {
                  return rules::CreateComputeInstance(s, gpu, gi_id,
                                                      ci_profile_id);
                });
}

absl::Status SimNvml::DestroyComputeInstance(int gpu, int gi_id, int ci_id) {
  return Mutate("nvmlComputeInstanceDestroy", [&](SimState& s) -> absl::Status {
    return rules::DestroyComputeInstance(s, gpu, gi_id, ci_id);
  });
}

absl::StatusOr<std::vector<nvml::MigDevice>> SimNvml::ListMigDevices(int gpu) {
  return Read(
      [&](const SimState& s) -> absl::StatusOr<std::vector<nvml::MigDevice>> {
        return rules::ListMigDevices(s, gpu);
      });
}

absl::StatusOr<std::vector<nvml::Process>> SimNvml::ListProcesses(int gpu) {
  return Read(
      [&](const SimState& s) -> absl::StatusOr<std::vector<nvml::Process>> {
        return rules::ListProcesses(s, gpu);
      });
}

absl::StatusOr<std::vector<nvml::XidEvent>> SimNvml::WaitForXidEvents(
    int timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    struct Seen {
      uint64_t last_seq;
      std::vector<nvml::XidEvent> events;
    };
    absl::StatusOr<Seen> seen =
        Read([&](const SimState& s) -> absl::StatusOr<Seen> {
          uint64_t last = s.next_xid_seq - 1;
          if (!xid_cursor_) return Seen{last, {}};
          return Seen{last, rules::XidEventsAfter(s, *xid_cursor_)};
        });
    if (!seen.ok()) return seen.status();
    xid_cursor_ = seen->last_seq;
    if (!seen->events.empty()) return std::move(seen->events);
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::vector<nvml::XidEvent>{};
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(10), deadline - now));
  }
}

}  // namespace migctl::sim
