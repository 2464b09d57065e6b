// The simulated node as libnvidia-ml.so.1.
//
// Exports the NVML C entry points of nvml/entry_points.h (the same table the
// real binding loads) over a sim::SimNvml on the state file named by
// MIGCTL_SIM_STATE, so nvml::Library — and any NVML program that sticks to
// these calls — runs against the simulated node. See
// docs/simulator-shim.md.
//
// Handles are pointers to small structs the shim owns and interns: the same
// GPU, GPU instance or compute instance always gets the same handle, valid
// until the library is unloaded. Like NVML, the shim is process-wide state
// (one mutex serialises every call); it exists between nvmlInit and the
// matching last nvmlShutdown.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "nvml/abi.h"
#include "nvml/entry_points.h"
#include "nvml/error.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"

namespace migctl::nvml::abi {

struct nvmlDevice_st {
  int gpu = 0;
  bool mig = false;  // a MIG device (gi_id, ci_id) of GPU `gpu`
  int gi_id = -1;
  int ci_id = -1;
};

struct nvmlGpuInstance_st {
  nvmlDevice_st* device = nullptr;
  int gi_id = 0;
};

struct nvmlComputeInstance_st {
  nvmlGpuInstance_st* gpu_instance = nullptr;
  int ci_id = 0;
};

// GPU -> the sequence number of the last XID event this set has delivered
// (or that existed when the GPU was registered).
struct nvmlEventSet_st {
  std::map<int, uint64_t> cursors;
};

}  // namespace migctl::nvml::abi

namespace migctl::sim::shim {
namespace {

using namespace ::migctl::nvml::abi;  // NOLINT: NVML's own names
using ::migctl::nvml::Return;

constexpr char kStateVariable[] = "MIGCTL_SIM_STATE";
constexpr unsigned int kMaxProfileIndex = 32;

// The handles the shim has given out, interned. Reached only through
// WithSim, under Node::mu.
class Handles {
 public:
  nvmlDevice_st* Device(int gpu) { return Intern(devices_, {gpu, -1, -1}); }
  nvmlDevice_st* MigDevice(int gpu, int gi_id, int ci_id) {
    return Intern(devices_, {gpu, gi_id, ci_id});
  }
  nvmlGpuInstance_st* GpuInstance(int gpu, int gi_id) {
    auto& slot = gpu_instances_[{gpu, gi_id}];
    if (!slot) slot.reset(new nvmlGpuInstance_st{Device(gpu), gi_id});
    return slot.get();
  }
  nvmlComputeInstance_st* ComputeInstance(int gpu, int gi_id, int ci_id) {
    auto& slot = compute_instances_[{gpu, gi_id, ci_id}];
    if (!slot) {
      slot.reset(new nvmlComputeInstance_st{GpuInstance(gpu, gi_id), ci_id});
    }
    return slot.get();
  }

 private:
  using Key = std::tuple<int, int, int>;
  static nvmlDevice_st* Intern(
      std::map<Key, std::unique_ptr<nvmlDevice_st>>& table, Key key) {
    auto& slot = table[key];
    if (!slot) {
      const auto [gpu, gi_id, ci_id] = key;
      slot.reset(new nvmlDevice_st{gpu, gi_id >= 0, gi_id, ci_id});
    }
    return slot.get();
  }

  std::map<Key, std::unique_ptr<nvmlDevice_st>> devices_;
  std::map<std::tuple<int, int>, std::unique_ptr<nvmlGpuInstance_st>>
      gpu_instances_;
  std::map<Key, std::unique_ptr<nvmlComputeInstance_st>> compute_instances_;
};

// The process-wide simulated node: the SimNvml between nvmlInit and the last
// nvmlShutdown, and the handles given out.
class Node {
 public:
  static Node& Get() {
    static Node node;
    return node;
  }

  absl::Mutex mu;
  std::unique_ptr<SimNvml> sim ABSL_GUARDED_BY(mu);
  int init_count ABSL_GUARDED_BY(mu) = 0;
  Handles handles ABSL_GUARDED_BY(mu);
};

Return ToReturn(const absl::Status& status) {
  return nvml::ReturnOf(status).value_or(Return::kUnknown);
}

// Runs `call(handles, sim)` under the lock once NVML is initialised; the
// references are valid during the call only.
template <typename F>
Return WithSim(F&& call) {
  Node& node = Node::Get();
  absl::MutexLock lock(&node.mu);
  if (node.sim == nullptr) return Return::kUninitialized;
  return call(node.handles, *node.sim);
}

Return CopyString(absl::string_view s, char* out, unsigned int length) {
  if (out == nullptr) return Return::kInvalidArgument;
  if (s.size() + 1 > length) return Return::kInsufficientSize;
  std::memcpy(out, s.data(), s.size());
  out[s.size()] = '\0';
  return Return::kSuccess;
}

template <size_t N>
void CopyName(absl::string_view s, char (&out)[N]) {
  const size_t n = std::min(s.size(), N - 1);
  std::memcpy(out, s.data(), n);
  out[n] = '\0';
}

// Fills a caller's array NVML-style: with `out` null or `*count` too small,
// reports the size needed in `*count`.
template <typename T, typename Raw, typename Convert>
Return FillArray(const std::vector<T>& items, Raw* out, unsigned int* count,
                 Convert convert) {
  if (count == nullptr) return Return::kInvalidArgument;
  const auto n = static_cast<unsigned int>(items.size());
  if (out == nullptr || *count < n) {
    *count = n;
    return out == nullptr || n == 0 ? Return::kSuccess
                                    : Return::kInsufficientSize;
  }
  for (unsigned int i = 0; i < n; ++i) out[i] = convert(items[i]);
  *count = n;
  return Return::kSuccess;
}

absl::StatusOr<nvml::MigDevice> FindMigDevice(SimNvml& sim,
                                              const nvmlDevice_st& d) {
  absl::StatusOr<std::vector<nvml::MigDevice>> all = sim.ListMigDevices(d.gpu);
  if (!all.ok()) return all.status();
  for (const nvml::MigDevice& m : *all) {
    if (m.gi_id == d.gi_id && m.ci_id == d.ci_id) return m;
  }
  return nvml::NvmlError(Return::kNotFound, "MIG device");
}

absl::StatusOr<nvml::GpuInstance> FindGpuInstance(SimNvml& sim, int gpu,
                                                  int gi_id) {
  absl::StatusOr<std::vector<nvml::GpuInstance>> all =
      sim.ListGpuInstances(gpu);
  if (!all.ok()) return all.status();
  for (const nvml::GpuInstance& gi : *all) {
    if (gi.id == gi_id) return gi;
  }
  return nvml::NvmlError(Return::kNotFound, "GPU instance");
}

absl::StatusOr<nvml::ComputeInstance> FindComputeInstance(SimNvml& sim, int gpu,
                                                          int gi_id,
                                                          int ci_id) {
  absl::StatusOr<std::vector<nvml::ComputeInstance>> all =
      sim.ListComputeInstances(gpu, gi_id);
  if (!all.ok()) return all.status();
  for (const nvml::ComputeInstance& ci : *all) {
    if (ci.id == ci_id) return ci;
  }
  return nvml::NvmlError(Return::kNotFound, "compute instance");
}

// The catalogue model of GPU `gpu`, for what SimNvml does not report itself.
const mig::GpuModel* ModelOf(SimNvml& sim, int gpu) {
  absl::StatusOr<SimState> state = sim.Snapshot();
  if (!state.ok() || gpu < 0 || gpu >= static_cast<int>(state->gpus.size())) {
    return nullptr;
  }
  return &rules::ModelOf(state->gpus[gpu]);
}

template <typename Info>
void FillGpuInstanceProfile(const mig::GpuInstanceProfile& p, Info& info) {
  info.id = static_cast<unsigned int>(p.id);
  info.sliceCount = static_cast<unsigned int>(p.slices);
  info.instanceCount = static_cast<unsigned int>(p.instance_count);
  info.multiprocessorCount = static_cast<unsigned int>(p.multiprocessors);
  info.copyEngineCount = static_cast<unsigned int>(p.engines.copy);
  info.decoderCount = static_cast<unsigned int>(p.engines.decoder);
  info.encoderCount = static_cast<unsigned int>(p.engines.encoder);
  info.jpegCount = static_cast<unsigned int>(p.engines.jpeg);
  info.ofaCount = static_cast<unsigned int>(p.engines.ofa);
  info.memorySizeMB = p.memory_mb;
}

template <typename Info>
void FillComputeProfile(const mig::ComputeProfile& c,
                        const mig::GpuInstanceProfile* gi, Info& info) {
  info.id = static_cast<unsigned int>(c.id);
  info.sliceCount = static_cast<unsigned int>(c.slices);
  info.instanceCount = static_cast<unsigned int>(c.instance_count);
  info.multiprocessorCount = static_cast<unsigned int>(c.multiprocessors);
  if (gi != nullptr) {
    info.sharedCopyEngineCount = static_cast<unsigned int>(gi->engines.copy);
    info.sharedDecoderCount = static_cast<unsigned int>(gi->engines.decoder);
    info.sharedEncoderCount = static_cast<unsigned int>(gi->engines.encoder);
    info.sharedJpegCount = static_cast<unsigned int>(gi->engines.jpeg);
    info.sharedOfaCount = static_cast<unsigned int>(gi->engines.ofa);
  }
}

const mig::GpuInstanceProfile* GiProfileOf(SimNvml& sim, int gpu, int gi_id) {
  absl::StatusOr<nvml::GpuInstance> gi = FindGpuInstance(sim, gpu, gi_id);
  const mig::GpuModel* model = ModelOf(sim, gpu);
  if (!gi.ok() || model == nullptr) return nullptr;
  return model->FindProfileById(gi->profile_id);
}

absl::StatusOr<mig::ComputeProfile> ComputeProfileById(SimNvml& sim, int gpu,
                                                       int gi_id, int id) {
  for (unsigned int index = 0; index < kMaxProfileIndex; ++index) {
    absl::StatusOr<mig::ComputeProfile> c =
        sim.GetComputeInstanceProfile(gpu, gi_id, static_cast<int>(index));
    if (c.ok() && c->id == id) return c;
    if (!c.ok() && ToReturn(c.status()) == Return::kNotFound) return c;
  }
  return nvml::NvmlError(Return::kNotSupported, "CI profile");
}

bool MigEnabled(SimNvml& sim, int gpu) {
  absl::StatusOr<nvml::MigMode> mode = sim.GetMigMode(gpu);
  return mode.ok() && mode->current;
}

}  // namespace

// ---- Entry points: one function per row of MIGCTL_NVML_ENTRY_POINTS. ----

nvmlReturn_t nvmlInit_v2() {
  Node& node = Node::Get();
  absl::MutexLock lock(&node.mu);
  if (node.init_count > 0) {
    ++node.init_count;
    return Return::kSuccess;
  }
  const char* path = std::getenv(kStateVariable);
  if (path == nullptr || *path == '\0') {
    std::fprintf(stderr,
                 "migctl NVML simulator: %s is not set; point it at a state "
                 "file made by `migctl sim create`\n",
                 kStateVariable);
    return Return::kDriverNotLoaded;
  }
  std::unique_ptr<SimNvml> sim = SimNvml::FromFile(path);
  if (absl::StatusOr<int> count = sim->DeviceCount(); !count.ok()) {
    std::fprintf(stderr, "migctl NVML simulator: %s\n",
                 std::string(count.status().message()).c_str());
    return Return::kDriverNotLoaded;
  }
  node.sim = std::move(sim);
  node.init_count = 1;
  return Return::kSuccess;
}

nvmlReturn_t nvmlInit() { return nvmlInit_v2(); }

nvmlReturn_t nvmlShutdown() {
  Node& node = Node::Get();
  absl::MutexLock lock(&node.mu);
  if (node.init_count == 0) return Return::kUninitialized;
  if (--node.init_count == 0) node.sim.reset();
  return Return::kSuccess;
}

const char* nvmlErrorString(nvmlReturn_t result) {
  return nvml::ErrorString(result).data();  // literals: NUL-terminated
}

nvmlReturn_t nvmlSystemGetDriverVersion(char* version, unsigned int length) {
  return WithSim([&](Handles&, SimNvml& sim) {
    absl::StatusOr<std::string> v = sim.DriverVersion();
    if (!v.ok()) return ToReturn(v.status());
    return CopyString(*v, version, length);
  });
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int* cudaDriverVersion) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (cudaDriverVersion == nullptr) return Return::kInvalidArgument;
    absl::StatusOr<int> v = sim.CudaDriverVersion();
    if (!v.ok()) return ToReturn(v.status());
    *cudaDriverVersion = *v;
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlSystemGetCudaDriverVersion(int* cudaDriverVersion) {
  return nvmlSystemGetCudaDriverVersion_v2(cudaDriverVersion);
}

nvmlReturn_t nvmlSystemGetProcessName(unsigned int pid, char* name,
                                      unsigned int length) {
  return WithSim([&](Handles&, SimNvml& sim) {
    absl::StatusOr<int> count = sim.DeviceCount();
    if (!count.ok()) return ToReturn(count.status());
    for (int gpu = 0; gpu < *count; ++gpu) {
      absl::StatusOr<std::vector<nvml::Process>> ps = sim.ListProcesses(gpu);
      if (!ps.ok()) return ToReturn(ps.status());
      for (const nvml::Process& p : *ps) {
        if (p.pid == pid) return CopyString(p.name, name, length);
      }
    }
    return Return::kNotFound;
  });
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int* deviceCount) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (deviceCount == nullptr) return Return::kInvalidArgument;
    absl::StatusOr<int> count = sim.DeviceCount();
    if (!count.ok()) return ToReturn(count.status());
    *deviceCount = static_cast<unsigned int>(*count);
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetCount(unsigned int* deviceCount) {
  return nvmlDeviceGetCount_v2(deviceCount);
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index,
                                           nvmlDevice_t* device) {
  return WithSim([&](Handles& node, SimNvml& sim) {
    if (device == nullptr) return Return::kInvalidArgument;
    absl::StatusOr<int> count = sim.DeviceCount();
    if (!count.ok()) return ToReturn(count.status());
    if (index >= static_cast<unsigned int>(*count)) {
      return Return::kInvalidArgument;
    }
    *device = node.Device(static_cast<int>(index));
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned int index,
                                        nvmlDevice_t* device) {
  return nvmlDeviceGetHandleByIndex_v2(index, device);
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char* name,
                               unsigned int length) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr) return Return::kInvalidArgument;
    absl::StatusOr<nvml::DeviceInfo> info = sim.GetDevice(device->gpu);
    if (!info.ok()) return ToReturn(info.status());
    if (!device->mig) return CopyString(info->name, name, length);
    absl::StatusOr<nvml::MigDevice> m = FindMigDevice(sim, *device);
    if (!m.ok()) return ToReturn(m.status());
    const mig::GpuModel* model = ModelOf(sim, device->gpu);
    const mig::GpuInstanceProfile* p =
        model ? model->FindProfileById(m->gi_profile_id) : nullptr;
    return CopyString(absl::StrCat(info->name, " MIG ", p ? p->name : "?"),
                      name, length);
  });
}

nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char* uuid,
                               unsigned int length) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr) return Return::kInvalidArgument;
    if (device->mig) {
      absl::StatusOr<nvml::MigDevice> m = FindMigDevice(sim, *device);
      if (!m.ok()) return ToReturn(m.status());
      return CopyString(m->uuid, uuid, length);
    }
    absl::StatusOr<nvml::DeviceInfo> info = sim.GetDevice(device->gpu);
    if (!info.ok()) return ToReturn(info.status());
    return CopyString(info->uuid, uuid, length);
  });
}

nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || pci == nullptr) return Return::kInvalidArgument;
    absl::StatusOr<nvml::DeviceInfo> info = sim.GetDevice(device->gpu);
    if (!info.ok()) return ToReturn(info.status());
    *pci = {};
    unsigned int function = 0;
    std::sscanf(info->pci_bus_id.c_str(), "%x:%x:%x.%x", &pci->domain,
                &pci->bus, &pci->device, &function);
    CopyName(info->pci_bus_id, pci->busId);
    char legacy[sizeof(pci->busIdLegacy)];
    std::snprintf(legacy, sizeof(legacy), "%04X:%02X:%02X.%X",
                  pci->domain & 0xFFFF, pci->bus & 0xFF, pci->device & 0xFF,
                  function & 0xF);
    CopyName(legacy, pci->busIdLegacy);
    pci->pciDeviceId = info->pci_device_id;
    pci->pciSubSystemId = info->pci_subsystem_id;
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetPciInfo_v2(nvmlDevice_t device, nvmlPciInfo_t* pci) {
  return nvmlDeviceGetPciInfo_v3(device, pci);
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device,
                                     nvmlMemory_t* memory) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || memory == nullptr) {
      return Return::kInvalidArgument;
    }
    uint64_t total = 0;
    if (device->mig) {
      absl::StatusOr<nvml::MigDevice> m = FindMigDevice(sim, *device);
      if (!m.ok()) return ToReturn(m.status());
      total = m->memory_mb << 20;
    } else {
      absl::StatusOr<nvml::DeviceInfo> info = sim.GetDevice(device->gpu);
      if (!info.ok()) return ToReturn(info.status());
      total = info->memory_total_bytes;
    }
    *memory = {total, total, 0};
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetArchitecture(nvmlDevice_t device,
                                       nvmlDeviceArchitecture_t* arch) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || arch == nullptr) return Return::kInvalidArgument;
    absl::StatusOr<nvml::DeviceInfo> info = sim.GetDevice(device->gpu);
    if (!info.ok()) return ToReturn(info.status());
    *arch = static_cast<nvmlDeviceArchitecture_t>(info->architecture);
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t device, int* major,
                                                int* minor) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || major == nullptr || minor == nullptr) {
      return Return::kInvalidArgument;
    }
    absl::StatusOr<nvml::DeviceInfo> info = sim.GetDevice(device->gpu);
    if (!info.ok()) return ToReturn(info.status());
    *major = info->compute_major;
    *minor = info->compute_minor;
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t device,
                                      unsigned int* minorNumber) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || minorNumber == nullptr) {
      return Return::kInvalidArgument;
    }
    if (device->mig) return Return::kNotSupported;
    absl::StatusOr<int> minor = sim.MinorNumber(device->gpu);
    if (!minor.ok()) return ToReturn(minor.status());
    *minorNumber = static_cast<unsigned int>(*minor);
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetMigMode(nvmlDevice_t device,
                                  unsigned int* currentMode,
                                  unsigned int* pendingMode) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || currentMode == nullptr || pendingMode == nullptr) {
      return Return::kInvalidArgument;
    }
    absl::StatusOr<nvml::MigMode> mode = sim.GetMigMode(device->gpu);
    if (!mode.ok()) return ToReturn(mode.status());
    *currentMode = mode->current ? kDeviceMigEnable : kDeviceMigDisable;
    *pendingMode = mode->pending ? kDeviceMigEnable : kDeviceMigDisable;
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceSetMigMode(nvmlDevice_t device, unsigned int mode,
                                  nvmlReturn_t* activationStatus) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || activationStatus == nullptr ||
        mode > kDeviceMigEnable) {
      return Return::kInvalidArgument;
    }
    absl::StatusOr<Return> activation =
        sim.SetMigMode(device->gpu, mode == kDeviceMigEnable);
    if (!activation.ok()) return ToReturn(activation.status());
    *activationStatus = *activation;
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfoV(
    nvmlDevice_t device, unsigned int profile,
    nvmlGpuInstanceProfileInfo_v2_t* info) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || info == nullptr) return Return::kInvalidArgument;
    if (info->version != kGpuInstanceProfileInfoV2 &&
        info->version != kGpuInstanceProfileInfoV3) {
      return Return::kArgumentVersionMismatch;
    }
    absl::StatusOr<mig::GpuInstanceProfile> p =
        sim.GetGpuInstanceProfile(device->gpu, static_cast<int>(profile));
    if (!p.ok()) return ToReturn(p.status());
    // Driver 580 on an H200 with MIG disabled leaves the name empty.
    const std::string name = MigEnabled(sim, device->gpu)
                                 ? absl::StrCat("MIG ", p->name)
                                 : std::string();
    if (info->version == kGpuInstanceProfileInfoV3) {
      auto* v3 = reinterpret_cast<nvmlGpuInstanceProfileInfo_v3_t*>(info);
      *v3 = {};
      v3->version = kGpuInstanceProfileInfoV3;
      FillGpuInstanceProfile(*p, *v3);
      CopyName(name, v3->name);
    } else {
      *info = {};
      info->version = kGpuInstanceProfileInfoV2;
      FillGpuInstanceProfile(*p, *info);
      CopyName(name, info->name);
    }
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstanceProfileInfo(
    nvmlDevice_t device, unsigned int profile,
    nvmlGpuInstanceProfileInfo_t* info) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || info == nullptr) return Return::kInvalidArgument;
    absl::StatusOr<mig::GpuInstanceProfile> p =
        sim.GetGpuInstanceProfile(device->gpu, static_cast<int>(profile));
    if (!p.ok()) return ToReturn(p.status());
    *info = {};
    FillGpuInstanceProfile(*p, *info);
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstancePossiblePlacements_v2(
    nvmlDevice_t device, unsigned int profileId,
    nvmlGpuInstancePlacement_t* placements, unsigned int* count) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr) return Return::kInvalidArgument;
    absl::StatusOr<std::vector<mig::Placement>> all =
        sim.GetGpuInstancePossiblePlacements(device->gpu,
                                             static_cast<int>(profileId));
    if (!all.ok()) return ToReturn(all.status());
    return FillArray(*all, placements, count, [](const mig::Placement& p) {
      return nvmlGpuInstancePlacement_t{static_cast<unsigned int>(p.start),
                                        static_cast<unsigned int>(p.size)};
    });
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstancePossiblePlacements(
    nvmlDevice_t device, unsigned int profileId,
    nvmlGpuInstancePlacement_t* placements, unsigned int* count) {
  return nvmlDeviceGetGpuInstancePossiblePlacements_v2(device, profileId,
                                                       placements, count);
}

nvmlReturn_t nvmlDeviceGetGpuInstanceRemainingCapacity(nvmlDevice_t device,
                                                       unsigned int profileId,
                                                       unsigned int* count) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || count == nullptr) return Return::kInvalidArgument;
    absl::StatusOr<int> n = sim.GetGpuInstanceRemainingCapacity(
        device->gpu, static_cast<int>(profileId));
    if (!n.ok()) return ToReturn(n.status());
    *count = static_cast<unsigned int>(*n);
    return Return::kSuccess;
  });
}

namespace {

Return CreateGpuInstance(nvmlDevice_t device, unsigned int profileId,
                         std::optional<mig::Placement> placement,
                         nvmlGpuInstance_t* gpuInstance) {
  return WithSim([&](Handles& node, SimNvml& sim) {
    if (device == nullptr || gpuInstance == nullptr) {
      return Return::kInvalidArgument;
    }
    absl::StatusOr<nvml::GpuInstance> gi = sim.CreateGpuInstance(
        device->gpu, static_cast<int>(profileId), placement);
    if (!gi.ok()) return ToReturn(gi.status());
    *gpuInstance = node.GpuInstance(device->gpu, gi->id);
    return Return::kSuccess;
  });
}

}  // namespace

nvmlReturn_t nvmlDeviceCreateGpuInstance(nvmlDevice_t device,
                                         unsigned int profileId,
                                         nvmlGpuInstance_t* gpuInstance) {
  return CreateGpuInstance(device, profileId, std::nullopt, gpuInstance);
}

nvmlReturn_t nvmlDeviceCreateGpuInstanceWithPlacement(
    nvmlDevice_t device, unsigned int profileId,
    const nvmlGpuInstancePlacement_t* placement,
    nvmlGpuInstance_t* gpuInstance) {
  if (placement == nullptr) return Return::kInvalidArgument;
  return CreateGpuInstance(device, profileId,
                           mig::Placement{static_cast<int>(placement->start),
                                          static_cast<int>(placement->size)},
                           gpuInstance);
}

nvmlReturn_t nvmlGpuInstanceDestroy(nvmlGpuInstance_t gpuInstance) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (gpuInstance == nullptr) return Return::kInvalidArgument;
    return ToReturn(
        sim.DestroyGpuInstance(gpuInstance->device->gpu, gpuInstance->gi_id));
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstances(nvmlDevice_t device,
                                       unsigned int profileId,
                                       nvmlGpuInstance_t* gpuInstances,
                                       unsigned int* count) {
  return WithSim([&](Handles& node, SimNvml& sim) {
    if (device == nullptr || count == nullptr) return Return::kInvalidArgument;
    if (!MigEnabled(sim, device->gpu)) return Return::kNotSupported;
    absl::StatusOr<std::vector<mig::Placement>> profile =
        sim.GetGpuInstancePossiblePlacements(device->gpu,
                                             static_cast<int>(profileId));
    if (!profile.ok()) return ToReturn(profile.status());
    absl::StatusOr<std::vector<nvml::GpuInstance>> all =
        sim.ListGpuInstances(device->gpu);
    if (!all.ok()) return ToReturn(all.status());
    std::vector<nvml::GpuInstance> matching;
    for (const nvml::GpuInstance& gi : *all) {
      if (gi.profile_id == static_cast<int>(profileId)) matching.push_back(gi);
    }
    if (gpuInstances == nullptr || *count < matching.size()) {
      *count = static_cast<unsigned int>(matching.size());
      return matching.empty() ? Return::kSuccess : Return::kInsufficientSize;
    }
    for (size_t i = 0; i < matching.size(); ++i) {
      gpuInstances[i] = node.GpuInstance(device->gpu, matching[i].id);
    }
    *count = static_cast<unsigned int>(matching.size());
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstanceById(nvmlDevice_t device, unsigned int id,
                                          nvmlGpuInstance_t* gpuInstance) {
  return WithSim([&](Handles& node, SimNvml& sim) {
    if (device == nullptr || gpuInstance == nullptr) {
      return Return::kInvalidArgument;
    }
    absl::StatusOr<nvml::GpuInstance> gi =
        FindGpuInstance(sim, device->gpu, static_cast<int>(id));
    if (!gi.ok()) return ToReturn(gi.status());
    *gpuInstance = node.GpuInstance(device->gpu, gi->id);
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlGpuInstanceGetInfo(nvmlGpuInstance_t gpuInstance,
                                    nvmlGpuInstanceInfo_t* info) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (gpuInstance == nullptr || info == nullptr) {
      return Return::kInvalidArgument;
    }
    absl::StatusOr<nvml::GpuInstance> gi =
        FindGpuInstance(sim, gpuInstance->device->gpu, gpuInstance->gi_id);
    if (!gi.ok()) return Return::kInvalidArgument;  // a destroyed instance
    *info = {};
    info->device = gpuInstance->device;
    info->id = static_cast<unsigned int>(gi->id);
    info->profileId = static_cast<unsigned int>(gi->profile_id);
    info->placement = {static_cast<unsigned int>(gi->placement.start),
                       static_cast<unsigned int>(gi->placement.size)};
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfoV(
    nvmlGpuInstance_t gpuInstance, unsigned int profile,
    unsigned int engProfile, nvmlComputeInstanceProfileInfo_v2_t* info) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (gpuInstance == nullptr || info == nullptr ||
        engProfile != kComputeInstanceEngineProfileShared) {
      return Return::kInvalidArgument;
    }
    if (info->version != kComputeInstanceProfileInfoV2 &&
        info->version != kComputeInstanceProfileInfoV3) {
      return Return::kArgumentVersionMismatch;
    }
    const int gpu = gpuInstance->device->gpu;
    absl::StatusOr<mig::ComputeProfile> c = sim.GetComputeInstanceProfile(
        gpu, gpuInstance->gi_id, static_cast<int>(profile));
    if (!c.ok()) return ToReturn(c.status());
    const mig::GpuInstanceProfile* gi =
        GiProfileOf(sim, gpu, gpuInstance->gi_id);
    const std::string name =
        gi == nullptr ? "" : absl::StrCat("MIG ", c->slices, "c.", gi->name);
    if (info->version == kComputeInstanceProfileInfoV3) {
      auto* v3 = reinterpret_cast<nvmlComputeInstanceProfileInfo_v3_t*>(info);
      *v3 = {};
      v3->version = kComputeInstanceProfileInfoV3;
      FillComputeProfile(*c, gi, *v3);
      CopyName(name, v3->name);
    } else {
      *info = {};
      info->version = kComputeInstanceProfileInfoV2;
      FillComputeProfile(*c, gi, *info);
      CopyName(name, info->name);
    }
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceProfileInfo(
    nvmlGpuInstance_t gpuInstance, unsigned int profile,
    unsigned int engProfile, nvmlComputeInstanceProfileInfo_t* info) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (gpuInstance == nullptr || info == nullptr ||
        engProfile != kComputeInstanceEngineProfileShared) {
      return Return::kInvalidArgument;
    }
    const int gpu = gpuInstance->device->gpu;
    absl::StatusOr<mig::ComputeProfile> c = sim.GetComputeInstanceProfile(
        gpu, gpuInstance->gi_id, static_cast<int>(profile));
    if (!c.ok()) return ToReturn(c.status());
    *info = {};
    FillComputeProfile(*c, GiProfileOf(sim, gpu, gpuInstance->gi_id), *info);
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstancePossiblePlacements(
    nvmlGpuInstance_t gpuInstance, unsigned int profileId,
    nvmlComputeInstancePlacement_t* placements, unsigned int* count) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (gpuInstance == nullptr) return Return::kInvalidArgument;
    absl::StatusOr<mig::ComputeProfile> c =
        ComputeProfileById(sim, gpuInstance->device->gpu, gpuInstance->gi_id,
                           static_cast<int>(profileId));
    if (!c.ok()) return ToReturn(c.status());
    return FillArray(c->placements, placements, count,
                     [](const mig::Placement& p) {
                       return nvmlComputeInstancePlacement_t{
                           static_cast<unsigned int>(p.start),
                           static_cast<unsigned int>(p.size)};
                     });
  });
}

nvmlReturn_t nvmlGpuInstanceCreateComputeInstance(
    nvmlGpuInstance_t gpuInstance, unsigned int profileId,
    nvmlComputeInstance_t* computeInstance) {
  return WithSim([&](Handles& node, SimNvml& sim) {
    if (gpuInstance == nullptr || computeInstance == nullptr) {
      return Return::kInvalidArgument;
    }
    const int gpu = gpuInstance->device->gpu;
    absl::StatusOr<nvml::ComputeInstance> ci = sim.CreateComputeInstance(
        gpu, gpuInstance->gi_id, static_cast<int>(profileId));
    if (!ci.ok()) return ToReturn(ci.status());
    *computeInstance = node.ComputeInstance(gpu, ci->gi_id, ci->id);
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlComputeInstanceDestroy(nvmlComputeInstance_t computeInstance) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (computeInstance == nullptr) return Return::kInvalidArgument;
    const nvmlGpuInstance_st& gi = *computeInstance->gpu_instance;
    return ToReturn(sim.DestroyComputeInstance(gi.device->gpu, gi.gi_id,
                                               computeInstance->ci_id));
  });
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstances(
    nvmlGpuInstance_t gpuInstance, unsigned int profileId,
    nvmlComputeInstance_t* computeInstances, unsigned int* count) {
  return WithSim([&](Handles& node, SimNvml& sim) {
    if (gpuInstance == nullptr || count == nullptr) {
      return Return::kInvalidArgument;
    }
    const int gpu = gpuInstance->device->gpu;
    absl::StatusOr<std::vector<nvml::ComputeInstance>> all =
        sim.ListComputeInstances(gpu, gpuInstance->gi_id);
    if (!all.ok()) return ToReturn(all.status());
    std::vector<nvml::ComputeInstance> matching;
    for (const nvml::ComputeInstance& ci : *all) {
      if (ci.profile_id == static_cast<int>(profileId)) matching.push_back(ci);
    }
    if (computeInstances == nullptr || *count < matching.size()) {
      *count = static_cast<unsigned int>(matching.size());
      return matching.empty() ? Return::kSuccess : Return::kInsufficientSize;
    }
    for (size_t i = 0; i < matching.size(); ++i) {
      computeInstances[i] =
          node.ComputeInstance(gpu, gpuInstance->gi_id, matching[i].id);
    }
    *count = static_cast<unsigned int>(matching.size());
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlGpuInstanceGetComputeInstanceById(
    nvmlGpuInstance_t gpuInstance, unsigned int id,
    nvmlComputeInstance_t* computeInstance) {
  return WithSim([&](Handles& node, SimNvml& sim) {
    if (gpuInstance == nullptr || computeInstance == nullptr) {
      return Return::kInvalidArgument;
    }
    const int gpu = gpuInstance->device->gpu;
    absl::StatusOr<nvml::ComputeInstance> ci =
        FindComputeInstance(sim, gpu, gpuInstance->gi_id, static_cast<int>(id));
    if (!ci.ok()) return ToReturn(ci.status());
    *computeInstance = node.ComputeInstance(gpu, gpuInstance->gi_id, ci->id);
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlComputeInstanceGetInfo_v2(
    nvmlComputeInstance_t computeInstance, nvmlComputeInstanceInfo_t* info) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (computeInstance == nullptr || info == nullptr) {
      return Return::kInvalidArgument;
    }
    nvmlGpuInstance_st* gi = computeInstance->gpu_instance;
    absl::StatusOr<nvml::ComputeInstance> ci = FindComputeInstance(
        sim, gi->device->gpu, gi->gi_id, computeInstance->ci_id);
    if (!ci.ok()) return Return::kInvalidArgument;  // a destroyed instance
    *info = {};
    info->device = gi->device;
    info->gpuInstance = gi;
    info->id = static_cast<unsigned int>(ci->id);
    info->profileId = static_cast<unsigned int>(ci->profile_id);
    info->placement = {static_cast<unsigned int>(ci->placement.start),
                       static_cast<unsigned int>(ci->placement.size)};
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlComputeInstanceGetInfo(nvmlComputeInstance_t computeInstance,
                                        nvmlComputeInstanceInfo_t* info) {
  return nvmlComputeInstanceGetInfo_v2(computeInstance, info);
}

nvmlReturn_t nvmlDeviceGetMaxMigDeviceCount(nvmlDevice_t device,
                                            unsigned int* count) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || count == nullptr || device->mig) {
      return Return::kInvalidArgument;
    }
    if (!MigEnabled(sim, device->gpu)) {
      *count = 0;
      return Return::kSuccess;
    }
    absl::StatusOr<std::vector<nvml::MigDevice>> all =
        sim.ListMigDevices(device->gpu);
    if (!all.ok()) return ToReturn(all.status());
    const mig::GpuModel* model = ModelOf(sim, device->gpu);
    *count = static_cast<unsigned int>(
        std::max<size_t>(model ? model->compute_slices : 0, all->size()));
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetMigDeviceHandleByIndex(nvmlDevice_t device,
                                                 unsigned int index,
                                                 nvmlDevice_t* migDevice) {
  return WithSim([&](Handles& node, SimNvml& sim) {
    if (device == nullptr || migDevice == nullptr || device->mig) {
      return Return::kInvalidArgument;
    }
    absl::StatusOr<std::vector<nvml::MigDevice>> all =
        sim.ListMigDevices(device->gpu);
    if (!all.ok()) return ToReturn(all.status());
    if (index >= all->size()) return Return::kNotFound;
    const nvml::MigDevice& d = (*all)[index];
    *migDevice = node.MigDevice(device->gpu, d.gi_id, d.ci_id);
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetGpuInstanceId(nvmlDevice_t device, unsigned int* id) {
  if (device == nullptr || id == nullptr) return Return::kInvalidArgument;
  if (!device->mig) return Return::kNotSupported;
  *id = static_cast<unsigned int>(device->gi_id);
  return Return::kSuccess;
}

nvmlReturn_t nvmlDeviceGetComputeInstanceId(nvmlDevice_t device,
                                            unsigned int* id) {
  if (device == nullptr || id == nullptr) return Return::kInvalidArgument;
  if (!device->mig) return Return::kNotSupported;
  *id = static_cast<unsigned int>(device->ci_id);
  return Return::kSuccess;
}

nvmlReturn_t nvmlDeviceGetAttributes_v2(nvmlDevice_t device,
                                        nvmlDeviceAttributes_t* attributes) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || attributes == nullptr) {
      return Return::kInvalidArgument;
    }
    if (!device->mig) return Return::kNotSupported;
    absl::StatusOr<nvml::MigDevice> m = FindMigDevice(sim, *device);
    if (!m.ok()) return ToReturn(m.status());
    *attributes = {};
    attributes->multiprocessorCount =
        static_cast<unsigned int>(m->multiprocessors);
    attributes->sharedCopyEngineCount =
        static_cast<unsigned int>(m->engines.copy);
    attributes->sharedDecoderCount =
        static_cast<unsigned int>(m->engines.decoder);
    attributes->sharedEncoderCount =
        static_cast<unsigned int>(m->engines.encoder);
    attributes->sharedJpegCount = static_cast<unsigned int>(m->engines.jpeg);
    attributes->sharedOfaCount = static_cast<unsigned int>(m->engines.ofa);
    attributes->gpuInstanceSliceCount = static_cast<unsigned int>(m->gi_slices);
    attributes->computeInstanceSliceCount =
        static_cast<unsigned int>(m->ci_slices);
    attributes->memorySizeMB = m->memory_mb;
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceGetAttributes(nvmlDevice_t device,
                                     nvmlDeviceAttributes_t* attributes) {
  return nvmlDeviceGetAttributes_v2(device, attributes);
}

nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t device,
                                                     unsigned int* infoCount,
                                                     nvmlProcessInfo_t* infos) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || infoCount == nullptr) {
      return Return::kInvalidArgument;
    }
    absl::StatusOr<std::vector<nvml::Process>> all =
        sim.ListProcesses(device->gpu);
    if (!all.ok()) return ToReturn(all.status());
    std::vector<nvml::Process> on;
    for (const nvml::Process& p : *all) {
      if (!device->mig ||
          (p.gi_id == device->gi_id && p.ci_id == device->ci_id)) {
        on.push_back(p);
      }
    }
    if (infos == nullptr || *infoCount < on.size()) {
      *infoCount = static_cast<unsigned int>(on.size());
      return on.empty() ? Return::kSuccess : Return::kInsufficientSize;
    }
    for (size_t i = 0; i < on.size(); ++i) {
      infos[i] = {
          on[i].pid, on[i].used_memory_bytes,
          on[i].gi_id ? static_cast<unsigned int>(*on[i].gi_id) : kNoInstanceId,
          on[i].ci_id ? static_cast<unsigned int>(*on[i].ci_id)
                      : kNoInstanceId};
    }
    *infoCount = static_cast<unsigned int>(on.size());
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t* set) {
  return WithSim([&](Handles&, SimNvml&) {
    if (set == nullptr) return Return::kInvalidArgument;
    *set = new nvmlEventSet_st();
    return Return::kSuccess;
  });
}

nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device,
                                      unsigned long long eventTypes,
                                      nvmlEventSet_t set) {
  return WithSim([&](Handles&, SimNvml& sim) {
    if (device == nullptr || set == nullptr) return Return::kInvalidArgument;
    // The simulator raises XID critical errors only.
    if ((eventTypes & ~kEventTypeXidCriticalError) != 0) {
      return Return::kNotSupported;
    }
    if (device->mig) return Return::kNotSupported;
    absl::StatusOr<SimState> state = sim.Snapshot();
    if (!state.ok()) return ToReturn(state.status());
    if (eventTypes != 0)
      set->cursors.emplace(device->gpu, state->next_xid_seq - 1);
    return Return::kSuccess;
  });
}

namespace {

// The oldest XID event `set` has not delivered yet, marked delivered.
std::optional<SimXidEvent> TakeXidEvent(SimNvml& sim, nvmlEventSet_st& set,
                                        Return& error) {
  absl::StatusOr<SimState> state = sim.Snapshot();
  if (!state.ok()) {
    error = ToReturn(state.status());
    return std::nullopt;
  }
  for (const SimXidEvent& e : state->xid_events) {
    auto cursor = set.cursors.find(e.gpu);
    if (cursor == set.cursors.end() || e.seq <= cursor->second) continue;
    cursor->second = e.seq;
    return e;
  }
  return std::nullopt;
}

// Polls every 10 ms, without holding the shim's lock in between.
Return WaitForEvent(nvmlEventSet_t set, nvmlEventData_t* data,
                    unsigned int timeoutms, bool with_instance_ids) {
  if (set == nullptr || data == nullptr) return Return::kInvalidArgument;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutms);
  while (true) {
    std::optional<SimXidEvent> event;
    const Return r = WithSim([&](Handles& node, SimNvml& sim) {
      Return error = Return::kSuccess;
      event = TakeXidEvent(sim, *set, error);
      if (event) {
        data->device = node.Device(event->gpu);
        data->eventType = kEventTypeXidCriticalError;
        data->eventData = event->xid;
        if (with_instance_ids) {
          data->gpuInstanceId = event->gi_id
                                    ? static_cast<unsigned int>(*event->gi_id)
                                    : kNoInstanceId;
          data->computeInstanceId =
              event->ci_id ? static_cast<unsigned int>(*event->ci_id)
                           : kNoInstanceId;
        }
      }
      return error;
    });
    if (r != Return::kSuccess || event) return r;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return Return::kTimeout;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(10), deadline - now));
  }
}

}  // namespace

nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t* data,
                                 unsigned int timeoutms) {
  return WaitForEvent(set, data, timeoutms, /*with_instance_ids=*/true);
}

// The pre-R450 call: its nvmlEventData_t ends after eventData.
nvmlReturn_t nvmlEventSetWait(nvmlEventSet_t set, nvmlEventData_t* data,
                              unsigned int timeoutms) {
  return WaitForEvent(set, data, timeoutms, /*with_instance_ids=*/false);
}

nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
  return WithSim([&](Handles&, SimNvml&) {
    if (set == nullptr) return Return::kInvalidArgument;
    delete set;
    return Return::kSuccess;
  });
}

}  // namespace migctl::sim::shim

// The exported C symbols, generated from the table: a missing or mistyped
// implementation above fails to compile here.
using namespace ::migctl::nvml::abi;  // NOLINT: NVML's own names

extern "C" {
#define MIGCTL_NVML_SHIM_EXPORT(ret, name, params, args)              \
  static_assert(std::is_same_v<decltype(&::migctl::sim::shim::name),  \
                               ::migctl::nvml::abi::name##_fn>,       \
                "shim " #name " differs from the entry-point table"); \
  __attribute__((visibility("default"))) ret name params {            \
    return ::migctl::sim::shim::name args;                            \
  }
MIGCTL_NVML_ENTRY_POINTS(MIGCTL_NVML_SHIM_EXPORT)
#undef MIGCTL_NVML_SHIM_EXPORT
}
