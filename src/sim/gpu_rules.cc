#include "sim/gpu_rules.h"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "mig/catalogue.h"
#include "mig/layout.h"
#include "util/status_macros.h"

namespace migctl::sim::rules {
namespace {

using nvml::NvmlError;
using nvml::Return;

std::string Ctx(absl::string_view call, int gpu) {
  return absl::StrCat(call, " (GPU ", gpu, ")");
}

std::string Ctx(absl::string_view call, int gpu, int gi_id) {
  return absl::StrCat(call, " (GPU ", gpu, ", GPU instance ", gi_id, ")");
}

std::string Ctx(absl::string_view call, int gpu, int gi_id, int ci_id) {
  return absl::StrCat(call, " (GPU ", gpu, ", GPU instance ", gi_id,
                      ", compute instance ", ci_id, ")");
}

template <typename State>
auto FindGpu(State& s, int gpu, absl::string_view call)
    -> absl::StatusOr<decltype(&s.gpus[0])> {
  if (gpu < 0 || gpu >= static_cast<int>(s.gpus.size())) {
    return NvmlError(Return::kInvalidArgument,
                     absl::StrCat(call, " (GPU ", gpu, "): the node has ",
                                  s.gpus.size(), " GPUs"));
  }
  return &s.gpus[gpu];
}

template <typename Gpu>
auto FindGi(Gpu& g, int gi_id) -> decltype(&g.gpu_instances[0]) {
  for (auto& gi : g.gpu_instances) {
    if (gi.id == gi_id) return &gi;
  }
  return nullptr;
}

mig::Layout LayoutOf(const SimGpu& g) {
  mig::Layout layout;
  for (const SimGpuInstance& gi : g.gpu_instances) {
    layout.push_back({gi.profile_id, gi.placement});
  }
  return layout;
}

bool HasProcessOn(const SimGpu& g, int gi_id, std::optional<int> ci_id) {
  return std::any_of(g.processes.begin(), g.processes.end(),
                     [&](const SimProcess& p) {
                       return p.gi_id == gi_id && (!ci_id || p.ci_id == ci_id);
                     });
}

absl::Status RequireMigEnabled(const SimGpu& g, absl::string_view context) {
  if (!g.mig_current) {
    return NvmlError(Return::kNotSupported,
                     absl::StrCat(context, ": MIG mode is disabled"));
  }
  return absl::OkStatus();
}

}  // namespace

const mig::GpuModel& ModelOf(const SimGpu& gpu) {
  const mig::GpuModel* model = mig::FindModel(gpu.model);
  if (model == nullptr) std::abort();  // FromJson and NewNode check models.
  return *model;
}

int GpuInstanceIdFor(const mig::GpuModel& model,
                     const mig::Placement& placement) {
  const int slots = model.memory_slices / placement.size;
  const int half = model.memory_slices / 2;
  const int rotated = (placement.start + half) % model.memory_slices;
  return (slots - 1) + rotated / placement.size;
}

absl::StatusOr<nvml::DeviceInfo> Device(const SimState& s, int gpu) {
  auto g = FindGpu(s, gpu, "nvmlDeviceGetHandleByIndex_v2");
  if (!g.ok()) return g.status();
  const mig::GpuModel& m = ModelOf(**g);
  nvml::DeviceInfo info;
  info.index = gpu;
  info.name = m.product_name;
  info.uuid = (*g)->uuid;
  info.pci_bus_id = (*g)->pci_bus_id;
  info.pci_device_id = m.pci_device_id;
  info.pci_subsystem_id = m.pci_subsystem_id;
  info.memory_total_bytes = m.memory_total_bytes;
  info.architecture = m.architecture;
  info.compute_major = m.compute_major;
  info.compute_minor = m.compute_minor;
  return info;
}

absl::StatusOr<int> MinorNumber(const SimState& s, int gpu) {
  auto g = FindGpu(s, gpu, "nvmlDeviceGetMinorNumber");
  if (!g.ok()) return g.status();
  return (*g)->minor_number.value_or(gpu);
}

absl::StatusOr<nvml::MigMode> GetMigMode(const SimState& s, int gpu) {
  auto g = FindGpu(s, gpu, "nvmlDeviceGetMigMode");
  if (!g.ok()) return g.status();
  return nvml::MigMode{(*g)->mig_current, (*g)->mig_pending};
}

absl::StatusOr<Return> SetMigMode(SimState& s, int gpu, bool enabled) {
  auto found = FindGpu(s, gpu, "nvmlDeviceSetMigMode");
  if (!found.ok()) return found.status();
  SimGpu& g = **found;
  if (!enabled && g.mig_current && !g.gpu_instances.empty()) {
    return NvmlError(Return::kInUse,
                     absl::StrCat(Ctx("nvmlDeviceSetMigMode", gpu), ": ",
                                  g.gpu_instances.size(),
                                  " GPU instances exist; destroy them first"));
  }
  g.mig_pending = enabled;
  if (g.mig_current == enabled) return Return::kSuccess;
  if (!g.processes.empty()) return Return::kInUse;
  if (!s.reset_supported) return Return::kResetRequired;
  g.mig_current = enabled;
  return Return::kSuccess;
}

absl::Status ResetGpu(SimState& s, int gpu) {
  auto found = FindGpu(s, gpu, "nvmlDeviceResetGpu");
  if (!found.ok()) return found.status();
  SimGpu& g = **found;
  if (!s.reset_supported) {
    return NvmlError(Return::kNotSupported,
                     absl::StrCat(Ctx("GPU reset", gpu),
                                  ": this node does not expose GPU reset; "
                                  "reboot it"));
  }
  if (!g.processes.empty()) {
    return NvmlError(Return::kInUse,
                     absl::StrCat(Ctx("GPU reset", gpu), ": held by ",
                                  g.processes.size(), " process(es)"));
  }
  g.mig_current = g.mig_pending;
  g.gpu_instances.clear();
  return absl::OkStatus();
}

absl::StatusOr<mig::GpuInstanceProfile> GpuInstanceProfile(const SimState& s,
                                                           int gpu,
                                                           int profile_index) {
  constexpr absl::string_view kCall = "nvmlDeviceGetGpuInstanceProfileInfoV";
  auto g = FindGpu(s, gpu, kCall);
  if (!g.ok()) return g.status();
  const mig::GpuInstanceProfile* p =
      ModelOf(**g).FindProfileByIndex(profile_index);
  if (p == nullptr) {
    return NvmlError(
        Return::kNotSupported,
        absl::StrCat(Ctx(kCall, gpu), " profile index ", profile_index));
  }
  mig::GpuInstanceProfile info = *p;
  info.placements.clear();
  info.compute_profiles.clear();
  return info;
}

absl::StatusOr<std::vector<mig::Placement>> PossiblePlacements(
    const SimState& s, int gpu, int profile_id) {
  constexpr absl::string_view kCall =
      "nvmlDeviceGetGpuInstancePossiblePlacements_v2";
  auto g = FindGpu(s, gpu, kCall);
  if (!g.ok()) return g.status();
  const mig::GpuInstanceProfile* p = ModelOf(**g).FindProfileById(profile_id);
  if (p == nullptr) {
    return NvmlError(Return::kNotSupported,
                     absl::StrCat(Ctx(kCall, gpu), " profile ID ", profile_id));
  }
  return p->placements;
}

absl::StatusOr<int> RemainingCapacity(const SimState& s, int gpu,
                                      int profile_id) {
  constexpr absl::string_view kCall =
      "nvmlDeviceGetGpuInstanceRemainingCapacity";
  auto g = FindGpu(s, gpu, kCall);
  if (!g.ok()) return g.status();
  const mig::GpuModel& model = ModelOf(**g);
  const mig::GpuInstanceProfile* p = model.FindProfileById(profile_id);
  if (p == nullptr) {
    return NvmlError(Return::kNotSupported,
                     absl::StrCat(Ctx(kCall, gpu), " profile ID ", profile_id));
  }
  const mig::Layout layout = LayoutOf(**g);
  int fits = 0;
  while (fits < p->instance_count &&
         mig::FitProfiles(model, {{profile_id, fits + 1}}, layout).ok()) {
    ++fits;
  }
  return fits;
}

absl::StatusOr<std::vector<nvml::GpuInstance>> ListGpuInstances(
    const SimState& s, int gpu) {
  auto g = FindGpu(s, gpu, "nvmlDeviceGetGpuInstances");
  if (!g.ok()) return g.status();
  std::vector<nvml::GpuInstance> out;
  for (const SimGpuInstance& gi : (*g)->gpu_instances) {
    out.push_back({gi.id, gi.profile_id, gi.placement});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

absl::StatusOr<nvml::GpuInstance> CreateGpuInstance(
    SimState& s, int gpu, int profile_id,
    std::optional<mig::Placement> placement) {
  const absl::string_view call =
      placement ? "nvmlDeviceCreateGpuInstanceWithPlacement"
                : "nvmlDeviceCreateGpuInstance";
  auto found = FindGpu(s, gpu, call);
  if (!found.ok()) return found.status();
  SimGpu& g = **found;
  const std::string context = absl::StrCat(
      Ctx(call, gpu), " profile ID ", profile_id,
      placement ? absl::StrCat(" at {", placement->start, "}:", placement->size)
                : "");
  RETURN_IF_ERROR(RequireMigEnabled(g, context));
  const mig::GpuModel& model = ModelOf(g);
  const mig::GpuInstanceProfile* p = model.FindProfileById(profile_id);
  if (p == nullptr) return NvmlError(Return::kNotSupported, context);
  mig::Layout layout = LayoutOf(g);
  std::vector<mig::Placement> candidates;
  if (placement) {
    if (std::find(p->placements.begin(), p->placements.end(), *placement) ==
        p->placements.end()) {
      return NvmlError(
          Return::kInvalidArgument,
          absl::StrCat(context, ": ", p->name, " cannot be placed there"));
    }
    candidates.push_back(*placement);
  } else {
    candidates = p->placements;
  }
  for (const mig::Placement& at : candidates) {
    mig::Layout next = layout;
    next.push_back({profile_id, at});
    if (!mig::ValidateLayout(model, next).ok()) continue;
    SimGpuInstance gi;
    gi.id = GpuInstanceIdFor(model, at);
    gi.profile_id = profile_id;
    gi.placement = at;
    g.gpu_instances.push_back(gi);
    return nvml::GpuInstance{gi.id, gi.profile_id, gi.placement};
  }
  return NvmlError(Return::kInsufficientResources, context);
}

absl::Status DestroyGpuInstance(SimState& s, int gpu, int gi_id) {
  constexpr absl::string_view kCall = "nvmlGpuInstanceDestroy";
  auto found = FindGpu(s, gpu, kCall);
  if (!found.ok()) return found.status();
  SimGpu& g = **found;
  const std::string context = Ctx(kCall, gpu, gi_id);
  SimGpuInstance* gi = FindGi(g, gi_id);
  if (gi == nullptr) return NvmlError(Return::kNotFound, context);
  if (!gi->compute_instances.empty()) {
    return NvmlError(
        Return::kInUse,
        absl::StrCat(context, ": ", gi->compute_instances.size(),
                     " compute instances exist; destroy them first"));
  }
  if (HasProcessOn(g, gi_id, std::nullopt)) {
    return NvmlError(Return::kInUse, context);
  }
  std::erase_if(g.gpu_instances,
                [&](const SimGpuInstance& x) { return x.id == gi_id; });
  return absl::OkStatus();
}

absl::StatusOr<mig::ComputeProfile> ComputeInstanceProfile(
    const SimState& s, int gpu, int gi_id, int ci_profile_index) {
  constexpr absl::string_view kCall =
      "nvmlGpuInstanceGetComputeInstanceProfileInfoV";
  auto g = FindGpu(s, gpu, kCall);
  if (!g.ok()) return g.status();
  const SimGpuInstance* gi = FindGi(**g, gi_id);
  if (gi == nullptr)
    return NvmlError(Return::kNotFound, Ctx(kCall, gpu, gi_id));
  const mig::GpuInstanceProfile* p =
      ModelOf(**g).FindProfileById(gi->profile_id);
  const mig::ComputeProfile* c = p->FindComputeProfile(ci_profile_index);
  if (c == nullptr) {
    return NvmlError(Return::kNotSupported,
                     absl::StrCat(Ctx(kCall, gpu, gi_id), " CI profile index ",
                                  ci_profile_index));
  }
  return *c;
}

absl::StatusOr<std::vector<nvml::ComputeInstance>> ListComputeInstances(
    const SimState& s, int gpu, int gi_id) {
  constexpr absl::string_view kCall = "nvmlGpuInstanceGetComputeInstances";
  auto g = FindGpu(s, gpu, kCall);
  if (!g.ok()) return g.status();
  const SimGpuInstance* gi = FindGi(**g, gi_id);
  if (gi == nullptr)
    return NvmlError(Return::kNotFound, Ctx(kCall, gpu, gi_id));
  std::vector<nvml::ComputeInstance> out;
  for (const SimComputeInstance& ci : gi->compute_instances) {
    out.push_back({gi_id, ci.id, ci.profile_id, ci.placement});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

absl::StatusOr<nvml::ComputeInstance> CreateComputeInstance(SimState& s,
                                                            int gpu, int gi_id,
                                                            int ci_profile_id) {
  constexpr absl::string_view kCall = "nvmlGpuInstanceCreateComputeInstance";
  auto found = FindGpu(s, gpu, kCall);
  if (!found.ok()) return found.status();
  SimGpu& g = **found;
  const std::string context =
      absl::StrCat(Ctx(kCall, gpu, gi_id), " CI profile ID ", ci_profile_id);
  SimGpuInstance* gi = FindGi(g, gi_id);
  if (gi == nullptr) return NvmlError(Return::kNotFound, context);
  const mig::GpuInstanceProfile* p = ModelOf(g).FindProfileById(gi->profile_id);
  const mig::ComputeProfile* c = nullptr;
  for (const mig::ComputeProfile& cp : p->compute_profiles) {
    if (cp.id == ci_profile_id) c = &cp;
  }
  if (c == nullptr) return NvmlError(Return::kNotSupported, context);
  int same = 0;
  uint32_t taken = 0;
  std::set<int> ids;
  for (const SimComputeInstance& ci : gi->compute_instances) {
    if (ci.profile_id == ci_profile_id) ++same;
    taken |= mig::MemoryMask(ci.placement);
    ids.insert(ci.id);
  }
  if (same >= c->instance_count) {
    return NvmlError(Return::kInsufficientResources, context);
  }
  for (const mig::Placement& at : c->placements) {
    if ((taken & mig::MemoryMask(at)) != 0) continue;
    SimComputeInstance ci;
    while (ids.contains(ci.id)) ++ci.id;
    ci.profile_id = ci_profile_id;
    ci.placement = at;
    ci.uuid = absl::StrCat(
        "MIG-", StableUuid(absl::StrCat(g.uuid, "/mig/", s.next_serial++)));
    gi->compute_instances.push_back(ci);
    return nvml::ComputeInstance{gi_id, ci.id, ci.profile_id, ci.placement};
  }
  return NvmlError(Return::kInsufficientResources, context);
}

absl::Status DestroyComputeInstance(SimState& s, int gpu, int gi_id,
                                    int ci_id) {
  constexpr absl::string_view kCall = "nvmlComputeInstanceDestroy";
  auto found = FindGpu(s, gpu, kCall);
  if (!found.ok()) return found.status();
  SimGpu& g = **found;
  const std::string context = Ctx(kCall, gpu, gi_id, ci_id);
  SimGpuInstance* gi = FindGi(g, gi_id);
  if (gi == nullptr) return NvmlError(Return::kNotFound, context);
  auto it =
      std::find_if(gi->compute_instances.begin(), gi->compute_instances.end(),
                   [&](const SimComputeInstance& c) { return c.id == ci_id; });
  if (it == gi->compute_instances.end()) {
    return NvmlError(Return::kNotFound, context);
  }
  if (HasProcessOn(g, gi_id, ci_id)) return NvmlError(Return::kInUse, context);
  gi->compute_instances.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<nvml::MigDevice>> ListMigDevices(const SimState& s,
                                                            int gpu) {
  auto found = FindGpu(s, gpu, "nvmlDeviceGetMigDeviceHandleByIndex");
  if (!found.ok()) return found.status();
  const SimGpu& g = **found;
  std::vector<nvml::MigDevice> out;
  if (!g.mig_current) return out;
  const mig::GpuModel& model = ModelOf(g);
  for (const SimGpuInstance& gi : g.gpu_instances) {
    const mig::GpuInstanceProfile* p = model.FindProfileById(gi.profile_id);
    for (const SimComputeInstance& ci : gi.compute_instances) {
      const mig::ComputeProfile* c = p->FindComputeProfile(ci.profile_id);
      nvml::MigDevice d;
      d.uuid = ci.uuid;
      d.gi_id = gi.id;
      d.ci_id = ci.id;
      d.gi_profile_id = gi.profile_id;
      d.ci_profile_id = ci.profile_id;
      d.gi_slices = p->slices;
      d.ci_slices = c->slices;
      d.multiprocessors = c->multiprocessors;
      d.engines = p->engines;
      d.memory_mb = p->memory_mb;
      out.push_back(d);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return std::tie(a.gi_id, a.ci_id) < std::tie(b.gi_id, b.ci_id);
  });
  for (size_t i = 0; i < out.size(); ++i) out[i].index = static_cast<int>(i);
  return out;
}

absl::StatusOr<std::vector<nvml::Process>> ListProcesses(const SimState& s,
                                                         int gpu) {
  auto found = FindGpu(s, gpu, "nvmlDeviceGetComputeRunningProcesses_v3");
  if (!found.ok()) return found.status();
  std::vector<nvml::Process> out;
  for (const SimProcess& p : (*found)->processes) {
    out.push_back({p.pid, p.name, p.used_memory_bytes, p.gi_id, p.ci_id});
  }
  return out;
}

absl::Status AttachProcess(SimState& s, int gpu, const SimProcess& process) {
  auto found = FindGpu(s, gpu, "attach process");
  if (!found.ok()) return found.status();
  SimGpu& g = **found;
  if (process.gi_id.has_value() != process.ci_id.has_value()) {
    return absl::InvalidArgumentError(
        "a process on a MIG device needs both --gi and --ci");
  }
  if (process.gi_id) {
    const SimGpuInstance* gi = FindGi(g, *process.gi_id);
    bool ci_found =
        gi != nullptr &&
        std::any_of(gi->compute_instances.begin(), gi->compute_instances.end(),
                    [&](const SimComputeInstance& c) {
                      return c.id == *process.ci_id;
                    });
    if (!ci_found) {
      return absl::NotFoundError(absl::StrCat(
          "GPU ", gpu, " has no MIG device with GPU instance ", *process.gi_id,
          " and compute instance ", *process.ci_id));
    }
  }
  for (const SimGpu& other : s.gpus) {
    for (const SimProcess& p : other.processes) {
      if (p.pid == process.pid && &other == &g && p.gi_id == process.gi_id &&
          p.ci_id == process.ci_id) {
        return absl::AlreadyExistsError(absl::StrCat(
            "process ", process.pid, " is already attached there"));
      }
    }
  }
  g.processes.push_back(process);
  return absl::OkStatus();
}

absl::Status DetachProcess(SimState& s, uint32_t pid) {
  size_t removed = 0;
  for (SimGpu& g : s.gpus) {
    removed += std::erase_if(g.processes,
                             [&](const SimProcess& p) { return p.pid == pid; });
  }
  if (removed == 0) {
    return absl::NotFoundError(
        absl::StrCat("no simulated process with PID ", pid));
  }
  return absl::OkStatus();
}

void Reboot(SimState& s) {
  ++s.boot_count;
  for (SimGpu& g : s.gpus) {
    g.processes.clear();
    g.gpu_instances.clear();
    if (!s.mig_mode_persistent) g.mig_pending = false;
    g.mig_current = g.mig_pending;
  }
}

absl::Status InjectXid(SimState& s, int gpu, uint64_t xid,
                       std::optional<int> gi_id, std::optional<int> ci_id) {
  if (gpu < 0 || gpu >= static_cast<int>(s.gpus.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no GPU ", gpu, ": this node has ", s.gpus.size(), " GPUs"));
  }
  if (gi_id.has_value() != ci_id.has_value()) {
    return absl::InvalidArgumentError(
        "name a MIG device with both a GPU instance and a compute instance "
        "ID, or neither for the whole GPU");
  }
  if (gi_id) {
    bool found = false;
    for (const SimGpuInstance& gi : s.gpus[gpu].gpu_instances) {
      for (const SimComputeInstance& ci : gi.compute_instances) {
        found |= gi.id == *gi_id && ci.id == *ci_id;
      }
    }
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat("GPU ", gpu, " has no MIG device with GPU instance ",
                       *gi_id, " and compute instance ", *ci_id));
    }
  }
  s.xid_events.push_back({s.next_xid_seq++, gpu, xid, gi_id, ci_id});
  if (s.xid_events.size() > kMaxSimXidEvents) {
    s.xid_events.erase(s.xid_events.begin());
  }
  return absl::OkStatus();
}

std::vector<nvml::XidEvent> XidEventsAfter(const SimState& s, uint64_t cursor) {
  std::vector<nvml::XidEvent> out;
  for (const SimXidEvent& e : s.xid_events) {
    if (e.seq > cursor) out.push_back({e.gpu, e.xid, e.gi_id, e.ci_id});
  }
  return out;
}

}  // namespace migctl::sim::rules
