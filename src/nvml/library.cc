#include "nvml/library.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "mig/catalogue.h"
#include "nvml/entry_points.h"
#include "util/status_macros.h"

namespace migctl::nvml {

struct Library::Functions {
#define MIGCTL_NVML_MEMBER(ret, name, params, args) \
  abi::name##_fn name = nullptr;
  MIGCTL_NVML_ENTRY_POINTS(MIGCTL_NVML_MEMBER)
#undef MIGCTL_NVML_MEMBER
};

namespace {

using abi::nvmlComputeInstance_t;
using abi::nvmlDevice_t;
using abi::nvmlGpuInstance_t;

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

absl::Status Missing(absl::string_view call) {
  return NvmlError(
      Return::kFunctionNotFound,
      absl::StrCat(call,
                   ": libnvidia-ml.so.1 does not export it (a driver "
                   "older than migctl supports?)"));
}

bool NotSupportedHere(Return r) {
  return r == Return::kNotSupported || r == Return::kInvalidArgument;
}

// "MIG 1g.10gb" (what the driver reports) -> "1g.10gb".
std::string ProfileName(const char* raw, size_t size) {
  absl::string_view name(raw, strnlen(raw, size));
  absl::ConsumePrefix(&name, "MIG ");
  return std::string(name);
}

std::string CString(const char* raw, size_t size) {
  return std::string(raw, strnlen(raw, size));
}

}  // namespace

std::vector<std::string> Library::DefaultPaths() {
  return {
      "libnvidia-ml.so.1",
      "/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
      "/usr/lib/aarch64-linux-gnu/libnvidia-ml.so.1",
      "/usr/lib64/libnvidia-ml.so.1",
      "/usr/lib/wsl/lib/libnvidia-ml.so.1",
      // NVIDIA GPU Operator's driver container, GKE's driver installer.
      "/run/nvidia/driver/usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1",
      "/home/kubernetes/bin/nvidia/lib64/libnvidia-ml.so.1",
      "/usr/local/nvidia/lib64/libnvidia-ml.so.1",
  };
}

absl::StatusOr<std::unique_ptr<Library>> Library::Open(Options options) {
  if (options.paths.empty()) options.paths = DefaultPaths();
  void* handle = nullptr;
  std::string loaded;
  std::string first_error;
  for (const std::string& path : options.paths) {
    // NODELETE: a driver (or the shim) keeps process-wide state; unmapping
    // it on close gains nothing and strands what it allocated.
    handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle != nullptr) {
      loaded = path;
      break;
    }
    const char* why = ::dlerror();
    if (first_error.empty()) first_error = why ? why : "not loadable";
  }
  if (handle == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "no NVIDIA driver found (libnvidia-ml.so.1): ", first_error,
        " (also looked in ", options.paths.size() - 1,
        " other places); to try migctl without a GPU use the simulator: "
        "`migctl sim create node.json --gpus 2xH100-NVL` then "
        "`migctl --sim node.json list`"));
  }
  auto fns = std::make_unique<Functions>();
  auto hidden = [&](absl::string_view name) {
    return std::find(options.hidden_symbols_for_test.begin(),
                     options.hidden_symbols_for_test.end(),
                     name) != options.hidden_symbols_for_test.end();
  };
#define MIGCTL_NVML_RESOLVE(ret, name, params, args)                      \
  if (!hidden(#name)) {                                                   \
    fns->name = reinterpret_cast<abi::name##_fn>(::dlsym(handle, #name)); \
  }
  MIGCTL_NVML_ENTRY_POINTS(MIGCTL_NVML_RESOLVE)
#undef MIGCTL_NVML_RESOLVE
  std::unique_ptr<Library> lib(
      new Library(std::move(loaded), handle, std::move(fns)));
  const Functions& f = *lib->fns_;
  const char* init_name = f.nvmlInit_v2 ? "nvmlInit_v2" : "nvmlInit";
  auto init = f.nvmlInit_v2 ? f.nvmlInit_v2 : f.nvmlInit;
  if (init == nullptr) return Missing(init_name);
  const Return r = init();
  if (r != Return::kSuccess) {
    absl::Status s =
        lib->Error(r, absl::StrCat(init_name, " (", lib->path_, ")"));
    lib->fns_->nvmlShutdown = nullptr;  // nothing to shut down
    return s;
  }
  return lib;
}

absl::StatusOr<std::unique_ptr<Library>> Library::OpenForTest(
    std::string path, std::vector<std::string> hidden_symbols) {
  Options options;
  options.paths.push_back(std::move(path));
  options.hidden_symbols_for_test = std::move(hidden_symbols);
  return Open(std::move(options));
}

Library::Library(std::string path, void* handle, std::unique_ptr<Functions> fns)
    : path_(std::move(path)), handle_(handle), fns_(std::move(fns)) {}

Library::~Library() {
  if (event_set_ != nullptr && fns_->nvmlEventSetFree != nullptr) {
    fns_->nvmlEventSetFree(event_set_);
  }
  if (fns_->nvmlShutdown != nullptr) fns_->nvmlShutdown();
  ::dlclose(handle_);
}

absl::Status Library::Error(Return r, const std::string& context) const {
  if (r == Return::kSuccess) return absl::OkStatus();
  const char* text = fns_->nvmlErrorString ? fns_->nvmlErrorString(r) : nullptr;
  return NvmlError(r, context, text ? absl::string_view(text) : "");
}

absl::StatusOr<nvmlDevice_t> Library::Device(int gpu) {
  const Functions& f = *fns_;
  const char* name = f.nvmlDeviceGetHandleByIndex_v2
                         ? "nvmlDeviceGetHandleByIndex_v2"
                         : "nvmlDeviceGetHandleByIndex";
  auto fn = f.nvmlDeviceGetHandleByIndex_v2 ? f.nvmlDeviceGetHandleByIndex_v2
                                            : f.nvmlDeviceGetHandleByIndex;
  if (fn == nullptr) return Missing(name);
  if (gpu < 0) return Error(Return::kInvalidArgument, Ctx(name, gpu));
  nvmlDevice_t device = nullptr;
  RETURN_IF_ERROR(
      Error(fn(static_cast<unsigned int>(gpu), &device), Ctx(name, gpu)));
  return device;
}

absl::StatusOr<nvmlGpuInstance_t> Library::GpuInstanceHandle(int gpu,
                                                             int gi_id) {
  constexpr absl::string_view kCall = "nvmlDeviceGetGpuInstanceById";
  if (fns_->nvmlDeviceGetGpuInstanceById == nullptr) return Missing(kCall);
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  nvmlGpuInstance_t gi = nullptr;
  RETURN_IF_ERROR(Error(fns_->nvmlDeviceGetGpuInstanceById(
                            device, static_cast<unsigned int>(gi_id), &gi),
                        Ctx(kCall, gpu, gi_id)));
  return gi;
}

absl::StatusOr<nvmlComputeInstance_t> Library::ComputeInstanceHandle(
    int gpu, int gi_id, int ci_id) {
  constexpr absl::string_view kCall = "nvmlGpuInstanceGetComputeInstanceById";
  if (fns_->nvmlGpuInstanceGetComputeInstanceById == nullptr) {
    return Missing(kCall);
  }
  ASSIGN_OR_RETURN(nvmlGpuInstance_t gi, GpuInstanceHandle(gpu, gi_id));
  nvmlComputeInstance_t ci = nullptr;
  RETURN_IF_ERROR(Error(fns_->nvmlGpuInstanceGetComputeInstanceById(
                            gi, static_cast<unsigned int>(ci_id), &ci),
                        Ctx(kCall, gpu, gi_id, ci_id)));
  return ci;
}

absl::StatusOr<int> Library::DeviceCount() {
  const Functions& f = *fns_;
  const char* name =
      f.nvmlDeviceGetCount_v2 ? "nvmlDeviceGetCount_v2" : "nvmlDeviceGetCount";
  auto fn =
      f.nvmlDeviceGetCount_v2 ? f.nvmlDeviceGetCount_v2 : f.nvmlDeviceGetCount;
  if (fn == nullptr) return Missing(name);
  unsigned int count = 0;
  RETURN_IF_ERROR(Error(fn(&count), name));
  return static_cast<int>(count);
}

absl::StatusOr<DeviceInfo> Library::GetDevice(int gpu) {
  const Functions& f = *fns_;
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  DeviceInfo info;
  info.index = gpu;

  char name[abi::kDeviceNameV2BufferSize] = {};
  if (f.nvmlDeviceGetName == nullptr) return Missing("nvmlDeviceGetName");
  RETURN_IF_ERROR(Error(f.nvmlDeviceGetName(device, name, sizeof(name)),
                        Ctx("nvmlDeviceGetName", gpu)));
  info.name = CString(name, sizeof(name));

  char uuid[abi::kDeviceUuidV2BufferSize] = {};
  if (f.nvmlDeviceGetUUID == nullptr) return Missing("nvmlDeviceGetUUID");
  RETURN_IF_ERROR(Error(f.nvmlDeviceGetUUID(device, uuid, sizeof(uuid)),
                        Ctx("nvmlDeviceGetUUID", gpu)));
  info.uuid = CString(uuid, sizeof(uuid));

  const char* pci_name = f.nvmlDeviceGetPciInfo_v3 ? "nvmlDeviceGetPciInfo_v3"
                                                   : "nvmlDeviceGetPciInfo_v2";
  auto pci_fn = f.nvmlDeviceGetPciInfo_v3 ? f.nvmlDeviceGetPciInfo_v3
                                          : f.nvmlDeviceGetPciInfo_v2;
  if (pci_fn == nullptr) return Missing(pci_name);
  abi::nvmlPciInfo_t pci = {};
  RETURN_IF_ERROR(Error(pci_fn(device, &pci), Ctx(pci_name, gpu)));
  info.pci_bus_id = CString(pci.busId, sizeof(pci.busId));
  info.pci_device_id = pci.pciDeviceId;
  info.pci_subsystem_id = pci.pciSubSystemId;

  if (f.nvmlDeviceGetMemoryInfo == nullptr) {
    return Missing("nvmlDeviceGetMemoryInfo");
  }
  abi::nvmlMemory_t memory = {};
  RETURN_IF_ERROR(Error(f.nvmlDeviceGetMemoryInfo(device, &memory),
                        Ctx("nvmlDeviceGetMemoryInfo", gpu)));
  info.memory_total_bytes = memory.total;

  if (f.nvmlDeviceGetArchitecture == nullptr) {
    return Missing("nvmlDeviceGetArchitecture");
  }
  abi::nvmlDeviceArchitecture_t arch = 0;
  RETURN_IF_ERROR(Error(f.nvmlDeviceGetArchitecture(device, &arch),
                        Ctx("nvmlDeviceGetArchitecture", gpu)));
  info.architecture = static_cast<int>(arch);

  if (f.nvmlDeviceGetCudaComputeCapability == nullptr) {
    return Missing("nvmlDeviceGetCudaComputeCapability");
  }
  RETURN_IF_ERROR(Error(f.nvmlDeviceGetCudaComputeCapability(
                            device, &info.compute_major, &info.compute_minor),
                        Ctx("nvmlDeviceGetCudaComputeCapability", gpu)));
  return info;
}

absl::StatusOr<std::string> Library::DriverVersion() {
  constexpr absl::string_view kCall = "nvmlSystemGetDriverVersion";
  if (fns_->nvmlSystemGetDriverVersion == nullptr) return Missing(kCall);
  char version[abi::kSystemDriverVersionBufferSize] = {};
  RETURN_IF_ERROR(
      Error(fns_->nvmlSystemGetDriverVersion(version, sizeof(version)),
            std::string(kCall)));
  return CString(version, sizeof(version));
}

absl::StatusOr<int> Library::CudaDriverVersion() {
  const Functions& f = *fns_;
  const char* name = f.nvmlSystemGetCudaDriverVersion_v2
                         ? "nvmlSystemGetCudaDriverVersion_v2"
                         : "nvmlSystemGetCudaDriverVersion";
  auto fn = f.nvmlSystemGetCudaDriverVersion_v2
                ? f.nvmlSystemGetCudaDriverVersion_v2
                : f.nvmlSystemGetCudaDriverVersion;
  if (fn == nullptr) return Missing(name);
  int version = 0;
  RETURN_IF_ERROR(Error(fn(&version), name));
  return version;
}

absl::StatusOr<int> Library::MinorNumber(int gpu) {
  constexpr absl::string_view kCall = "nvmlDeviceGetMinorNumber";
  if (fns_->nvmlDeviceGetMinorNumber == nullptr) return Missing(kCall);
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  unsigned int minor = 0;
  RETURN_IF_ERROR(
      Error(fns_->nvmlDeviceGetMinorNumber(device, &minor), Ctx(kCall, gpu)));
  return static_cast<int>(minor);
}

absl::StatusOr<MigMode> Library::GetMigMode(int gpu) {
  constexpr absl::string_view kCall = "nvmlDeviceGetMigMode";
  if (fns_->nvmlDeviceGetMigMode == nullptr) return Missing(kCall);
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  unsigned int current = 0;
  unsigned int pending = 0;
  RETURN_IF_ERROR(Error(fns_->nvmlDeviceGetMigMode(device, &current, &pending),
                        Ctx(kCall, gpu)));
  return MigMode{current == abi::kDeviceMigEnable,
                 pending == abi::kDeviceMigEnable};
}

absl::StatusOr<Return> Library::SetMigMode(int gpu, bool enabled) {
  constexpr absl::string_view kCall = "nvmlDeviceSetMigMode";
  if (fns_->nvmlDeviceSetMigMode == nullptr) return Missing(kCall);
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  Return activation = Return::kSuccess;
  RETURN_IF_ERROR(Error(
      fns_->nvmlDeviceSetMigMode(
          device, enabled ? abi::kDeviceMigEnable : abi::kDeviceMigDisable,
          &activation),
      Ctx(kCall, gpu)));
  return activation;
}

absl::Status Library::ResetGpu(int gpu) {
  return NvmlError(
      Return::kNotSupported,
      absl::StrCat(Ctx("GPU reset", gpu),
                   ": NVML has no call that resets a GPU; stop the processes "
                   "using it, then run `nvidia-smi --gpu-reset -i ",
                   gpu, "` as root (or reboot)"));
}

// The name of GI profile `p` when the driver gives none (the v1 struct has
// no name field; driver 580 on an H200 with MIG disabled leaves it empty):
// the catalogue's for this GPU, else "<slices>g.<GiB>gb".
std::string Library::FallbackProfileName(
    nvmlDevice_t device, const mig::GpuInstanceProfile& p) const {
  const Functions& f = *fns_;
  abi::nvmlPciInfo_t pci = {};
  auto pci_fn = f.nvmlDeviceGetPciInfo_v3 ? f.nvmlDeviceGetPciInfo_v3
                                          : f.nvmlDeviceGetPciInfo_v2;
  const mig::GpuModel* model =
      pci_fn != nullptr && pci_fn(device, &pci) == Return::kSuccess
          ? mig::FindModelByPciDeviceId(pci.pciDeviceId)
          : nullptr;
  const mig::GpuInstanceProfile* known =
      model ? model->FindProfileById(p.id) : nullptr;
  if (known != nullptr) return known->name;
  return absl::StrCat(p.slices, "g.", (p.memory_mb + 1023) / 1024, "gb");
}

absl::StatusOr<mig::GpuInstanceProfile> Library::ProfileInfo(
    nvmlDevice_t device, int gpu, int profile_index) {
  const Functions& f = *fns_;
  mig::GpuInstanceProfile p;
  p.index = profile_index;
  const auto index = static_cast<unsigned int>(profile_index);
  if (f.nvmlDeviceGetGpuInstanceProfileInfoV != nullptr) {
    const std::string context =
        absl::StrCat(Ctx("nvmlDeviceGetGpuInstanceProfileInfoV", gpu),
                     " profile index ", profile_index);
    abi::nvmlGpuInstanceProfileInfo_v3_t v3 = {};
    v3.version = abi::kGpuInstanceProfileInfoV3;
    Return r = f.nvmlDeviceGetGpuInstanceProfileInfoV(
        device, index,
        reinterpret_cast<abi::nvmlGpuInstanceProfileInfo_v2_t*>(&v3));
    if (r == Return::kSuccess) {
      p.id = static_cast<int>(v3.id);
      p.name = ProfileName(v3.name, sizeof(v3.name));
      if (p.name.empty()) p.name = FallbackProfileName(device, p);
      p.slices = static_cast<int>(v3.sliceCount);
      p.instance_count = static_cast<int>(v3.instanceCount);
      p.memory_mb = v3.memorySizeMB;
      p.multiprocessors = static_cast<int>(v3.multiprocessorCount);
      p.engines = {
          static_cast<int>(v3.copyEngineCount),
          static_cast<int>(v3.decoderCount), static_cast<int>(v3.encoderCount),
          static_cast<int>(v3.jpegCount), static_cast<int>(v3.ofaCount)};
      return p;
    }
    if (r != Return::kArgumentVersionMismatch) return Error(r, context);
    abi::nvmlGpuInstanceProfileInfo_v2_t v2 = {};
    v2.version = abi::kGpuInstanceProfileInfoV2;
    RETURN_IF_ERROR(Error(
        f.nvmlDeviceGetGpuInstanceProfileInfoV(device, index, &v2), context));
    p.id = static_cast<int>(v2.id);
    p.name = ProfileName(v2.name, sizeof(v2.name));
    if (p.name.empty()) p.name = FallbackProfileName(device, p);
    p.slices = static_cast<int>(v2.sliceCount);
    p.instance_count = static_cast<int>(v2.instanceCount);
    p.memory_mb = v2.memorySizeMB;
    p.multiprocessors = static_cast<int>(v2.multiprocessorCount);
    p.engines = {static_cast<int>(v2.copyEngineCount),
                 static_cast<int>(v2.decoderCount),
                 static_cast<int>(v2.encoderCount),
                 static_cast<int>(v2.jpegCount), static_cast<int>(v2.ofaCount)};
    return p;
  }
  constexpr absl::string_view kV1 = "nvmlDeviceGetGpuInstanceProfileInfo";
  if (f.nvmlDeviceGetGpuInstanceProfileInfo == nullptr) return Missing(kV1);
  abi::nvmlGpuInstanceProfileInfo_t v1 = {};
  RETURN_IF_ERROR(
      Error(f.nvmlDeviceGetGpuInstanceProfileInfo(device, index, &v1),
            absl::StrCat(Ctx(kV1, gpu), " profile index ", profile_index)));
  p.id = static_cast<int>(v1.id);
  p.slices = static_cast<int>(v1.sliceCount);
  p.instance_count = static_cast<int>(v1.instanceCount);
  p.memory_mb = v1.memorySizeMB;
  p.multiprocessors = static_cast<int>(v1.multiprocessorCount);
  p.engines = {static_cast<int>(v1.copyEngineCount),
               static_cast<int>(v1.decoderCount),
               static_cast<int>(v1.encoderCount),
               static_cast<int>(v1.jpegCount), static_cast<int>(v1.ofaCount)};
  p.name = FallbackProfileName(device, p);
  return p;
}

absl::StatusOr<mig::GpuInstanceProfile> Library::GetGpuInstanceProfile(
    int gpu, int profile_index) {
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  return ProfileInfo(device, gpu, profile_index);
}

absl::StatusOr<std::vector<mig::Placement>>
Library::GetGpuInstancePossiblePlacements(int gpu, int profile_id) {
  const Functions& f = *fns_;
  const char* name = f.nvmlDeviceGetGpuInstancePossiblePlacements_v2
                         ? "nvmlDeviceGetGpuInstancePossiblePlacements_v2"
                         : "nvmlDeviceGetGpuInstancePossiblePlacements";
  auto fn = f.nvmlDeviceGetGpuInstancePossiblePlacements_v2
                ? f.nvmlDeviceGetGpuInstancePossiblePlacements_v2
                : f.nvmlDeviceGetGpuInstancePossiblePlacements;
  if (fn == nullptr) return Missing(name);
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  const std::string context =
      absl::StrCat(Ctx(name, gpu), " profile ID ", profile_id);
  const auto id = static_cast<unsigned int>(profile_id);
  unsigned int count = 0;
  Return r = fn(device, id, nullptr, &count);
  if (r != Return::kSuccess && r != Return::kInsufficientSize) {
    return Error(r, context);
  }
  std::vector<abi::nvmlGpuInstancePlacement_t> raw(count);
  if (count > 0)
    RETURN_IF_ERROR(Error(fn(device, id, raw.data(), &count), context));
  std::vector<mig::Placement> out;
  for (unsigned int i = 0; i < count && i < raw.size(); ++i) {
    out.push_back(
        {static_cast<int>(raw[i].start), static_cast<int>(raw[i].size)});
  }
  return out;
}

absl::StatusOr<int> Library::GetGpuInstanceRemainingCapacity(int gpu,
                                                             int profile_id) {
  constexpr absl::string_view kCall =
      "nvmlDeviceGetGpuInstanceRemainingCapacity";
  if (fns_->nvmlDeviceGetGpuInstanceRemainingCapacity == nullptr) {
    return Missing(kCall);
  }
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  unsigned int count = 0;
  RETURN_IF_ERROR(
      Error(fns_->nvmlDeviceGetGpuInstanceRemainingCapacity(
                device, static_cast<unsigned int>(profile_id), &count),
            absl::StrCat(Ctx(kCall, gpu), " profile ID ", profile_id)));
  return static_cast<int>(count);
}

absl::StatusOr<GpuInstance> Library::GpuInstanceInfo(
    nvmlGpuInstance_t gi, const std::string& context) {
  if (fns_->nvmlGpuInstanceGetInfo == nullptr) {
    return Missing("nvmlGpuInstanceGetInfo");
  }
  abi::nvmlGpuInstanceInfo_t info = {};
  RETURN_IF_ERROR(
      Error(fns_->nvmlGpuInstanceGetInfo(gi, &info),
            absl::StrCat("nvmlGpuInstanceGetInfo after ", context)));
  return GpuInstance{static_cast<int>(info.id),
                     static_cast<int>(info.profileId),
                     {static_cast<int>(info.placement.start),
                      static_cast<int>(info.placement.size)}};
}

absl::StatusOr<std::vector<GpuInstance>> Library::ListGpuInstances(int gpu) {
  constexpr absl::string_view kCall = "nvmlDeviceGetGpuInstances";
  if (fns_->nvmlDeviceGetGpuInstances == nullptr) return Missing(kCall);
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  std::vector<GpuInstance> out;
  for (unsigned int index = 0; index < abi::kGpuInstanceProfileIndexLimit;
       ++index) {
    absl::StatusOr<mig::GpuInstanceProfile> p =
        ProfileInfo(device, gpu, static_cast<int>(index));
    if (!p.ok()) {
      std::optional<Return> r = ReturnOf(p.status());
      if (r && NotSupportedHere(*r)) continue;
      return p.status();
    }
    const std::string context =
        absl::StrCat(Ctx(kCall, gpu), " profile ID ", p->id);
    std::vector<nvmlGpuInstance_t> gis(std::max(p->instance_count, 1));
    unsigned int count = static_cast<unsigned int>(gis.size());
    Return r = fns_->nvmlDeviceGetGpuInstances(
        device, static_cast<unsigned int>(p->id), gis.data(), &count);
    if (r == Return::kNotSupported) return out;  // MIG mode is disabled
    RETURN_IF_ERROR(Error(r, context));
    for (unsigned int i = 0; i < count && i < gis.size(); ++i) {
      ASSIGN_OR_RETURN(GpuInstance gi, GpuInstanceInfo(gis[i], context));
      out.push_back(gi);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

absl::StatusOr<GpuInstance> Library::CreateGpuInstance(
    int gpu, int profile_id, std::optional<mig::Placement> placement) {
  const Functions& f = *fns_;
  const absl::string_view call =
      placement ? "nvmlDeviceCreateGpuInstanceWithPlacement"
                : "nvmlDeviceCreateGpuInstance";
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  const std::string context = absl::StrCat(
      Ctx(call, gpu), " profile ID ", profile_id,
      placement ? absl::StrCat(" at {", placement->start, "}:", placement->size)
                : "");
  const auto id = static_cast<unsigned int>(profile_id);
  nvmlGpuInstance_t gi = nullptr;
  if (placement) {
    if (f.nvmlDeviceCreateGpuInstanceWithPlacement == nullptr) {
      return Missing(call);
    }
    const abi::nvmlGpuInstancePlacement_t at = {
        static_cast<unsigned int>(placement->start),
        static_cast<unsigned int>(placement->size)};
    RETURN_IF_ERROR(
        Error(f.nvmlDeviceCreateGpuInstanceWithPlacement(device, id, &at, &gi),
              context));
  } else {
    if (f.nvmlDeviceCreateGpuInstance == nullptr) return Missing(call);
    RETURN_IF_ERROR(
        Error(f.nvmlDeviceCreateGpuInstance(device, id, &gi), context));
  }
  return GpuInstanceInfo(gi, context);
}

absl::Status Library::DestroyGpuInstance(int gpu, int gi_id) {
  constexpr absl::string_view kCall = "nvmlGpuInstanceDestroy";
  if (fns_->nvmlGpuInstanceDestroy == nullptr) return Missing(kCall);
  ASSIGN_OR_RETURN(nvmlGpuInstance_t gi, GpuInstanceHandle(gpu, gi_id));
  return Error(fns_->nvmlGpuInstanceDestroy(gi), Ctx(kCall, gpu, gi_id));
}

absl::StatusOr<mig::ComputeProfile> Library::ComputeProfileInfo(
    nvmlGpuInstance_t gi, int gpu, int gi_id, int ci_profile_index) {
  const Functions& f = *fns_;
  mig::ComputeProfile c;
  c.index = ci_profile_index;
  const auto index = static_cast<unsigned int>(ci_profile_index);
  auto fill = [&](const auto& info) {
    c.id = static_cast<int>(info.id);
    c.slices = static_cast<int>(info.sliceCount);
    c.instance_count = static_cast<int>(info.instanceCount);
    c.multiprocessors = static_cast<int>(info.multiprocessorCount);
  };
  if (f.nvmlGpuInstanceGetComputeInstanceProfileInfoV != nullptr) {
    const std::string context = absl::StrCat(
        Ctx("nvmlGpuInstanceGetComputeInstanceProfileInfoV", gpu, gi_id),
        " CI profile index ", ci_profile_index);
    abi::nvmlComputeInstanceProfileInfo_v3_t v3 = {};
    v3.version = abi::kComputeInstanceProfileInfoV3;
    Return r = f.nvmlGpuInstanceGetComputeInstanceProfileInfoV(
        gi, index, abi::kComputeInstanceEngineProfileShared,
        reinterpret_cast<abi::nvmlComputeInstanceProfileInfo_v2_t*>(&v3));
    if (r == Return::kSuccess) {
      fill(v3);
    } else if (r == Return::kArgumentVersionMismatch) {
      abi::nvmlComputeInstanceProfileInfo_v2_t v2 = {};
      v2.version = abi::kComputeInstanceProfileInfoV2;
      RETURN_IF_ERROR(
          Error(f.nvmlGpuInstanceGetComputeInstanceProfileInfoV(
                    gi, index, abi::kComputeInstanceEngineProfileShared, &v2),
                context));
      fill(v2);
    } else {
      return Error(r, context);
    }
  } else {
    constexpr absl::string_view kV1 =
        "nvmlGpuInstanceGetComputeInstanceProfileInfo";
    if (f.nvmlGpuInstanceGetComputeInstanceProfileInfo == nullptr) {
      return Missing(kV1);
    }
    abi::nvmlComputeInstanceProfileInfo_t v1 = {};
    RETURN_IF_ERROR(
        Error(f.nvmlGpuInstanceGetComputeInstanceProfileInfo(
                  gi, index, abi::kComputeInstanceEngineProfileShared, &v1),
              absl::StrCat(Ctx(kV1, gpu, gi_id), " CI profile index ",
                           ci_profile_index)));
    fill(v1);
  }
  return c;
}

absl::StatusOr<mig::ComputeProfile> Library::GetComputeInstanceProfile(
    int gpu, int gi_id, int ci_profile_index) {
  ASSIGN_OR_RETURN(nvmlGpuInstance_t gi, GpuInstanceHandle(gpu, gi_id));
  ASSIGN_OR_RETURN(mig::ComputeProfile c,
                   ComputeProfileInfo(gi, gpu, gi_id, ci_profile_index));
  auto fn = fns_->nvmlGpuInstanceGetComputeInstancePossiblePlacements;
  if (fn == nullptr) return c;  // older drivers: placements unknown
  const std::string context = absl::StrCat(
      Ctx("nvmlGpuInstanceGetComputeInstancePossiblePlacements", gpu, gi_id),
      " CI profile ID ", c.id);
  const auto id = static_cast<unsigned int>(c.id);
  unsigned int count = 0;
  Return r = fn(gi, id, nullptr, &count);
  if (r != Return::kSuccess && r != Return::kInsufficientSize) {
    return Error(r, context);
  }
  std::vector<abi::nvmlComputeInstancePlacement_t> raw(count);
  if (count > 0)
    RETURN_IF_ERROR(Error(fn(gi, id, raw.data(), &count), context));
  for (unsigned int i = 0; i < count && i < raw.size(); ++i) {
    c.placements.push_back(
        {static_cast<int>(raw[i].start), static_cast<int>(raw[i].size)});
  }
  return c;
}

absl::StatusOr<ComputeInstance> Library::ComputeInstanceInfo(
    nvmlComputeInstance_t ci, int gi_id, const std::string& context) {
  const Functions& f = *fns_;
  const char* name = f.nvmlComputeInstanceGetInfo_v2
                         ? "nvmlComputeInstanceGetInfo_v2"
                         : "nvmlComputeInstanceGetInfo";
  auto fn = f.nvmlComputeInstanceGetInfo_v2 ? f.nvmlComputeInstanceGetInfo_v2
                                            : f.nvmlComputeInstanceGetInfo;
  if (fn == nullptr) return Missing(name);
  abi::nvmlComputeInstanceInfo_t info = {};
  RETURN_IF_ERROR(Error(fn(ci, &info), absl::StrCat(name, " after ", context)));
  return ComputeInstance{gi_id,
                         static_cast<int>(info.id),
                         static_cast<int>(info.profileId),
                         {static_cast<int>(info.placement.start),
                          static_cast<int>(info.placement.size)}};
}

absl::StatusOr<std::vector<ComputeInstance>> Library::ListComputeInstances(
    int gpu, int gi_id) {
  constexpr absl::string_view kCall = "nvmlGpuInstanceGetComputeInstances";
  if (fns_->nvmlGpuInstanceGetComputeInstances == nullptr) {
    return Missing(kCall);
  }
  ASSIGN_OR_RETURN(nvmlGpuInstance_t gi, GpuInstanceHandle(gpu, gi_id));
  std::vector<ComputeInstance> out;
  for (unsigned int index = 0; index < abi::kComputeInstanceProfileIndexLimit;
       ++index) {
    absl::StatusOr<mig::ComputeProfile> c =
        ComputeProfileInfo(gi, gpu, gi_id, static_cast<int>(index));
    if (!c.ok()) {
      std::optional<Return> r = ReturnOf(c.status());
      if (r && NotSupportedHere(*r)) continue;
      return c.status();
    }
    const std::string context =
        absl::StrCat(Ctx(kCall, gpu, gi_id), " CI profile ID ", c->id);
    std::vector<nvmlComputeInstance_t> cis(std::max(c->instance_count, 1));
    unsigned int count = static_cast<unsigned int>(cis.size());
    RETURN_IF_ERROR(
        Error(fns_->nvmlGpuInstanceGetComputeInstances(
                  gi, static_cast<unsigned int>(c->id), cis.data(), &count),
              context));
    for (unsigned int i = 0; i < count && i < cis.size(); ++i) {
      ASSIGN_OR_RETURN(ComputeInstance info,
                       ComputeInstanceInfo(cis[i], gi_id, context));
      out.push_back(info);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

absl::StatusOr<ComputeInstance> Library::CreateComputeInstance(
    int gpu, int gi_id, int ci_profile_id) {
  constexpr absl::string_view kCall = "nvmlGpuInstanceCreateComputeInstance";
  if (fns_->nvmlGpuInstanceCreateComputeInstance == nullptr) {
    return Missing(kCall);
  }
  ASSIGN_OR_RETURN(nvmlGpuInstance_t gi, GpuInstanceHandle(gpu, gi_id));
  const std::string context =
      absl::StrCat(Ctx(kCall, gpu, gi_id), " CI profile ID ", ci_profile_id);
  nvmlComputeInstance_t ci = nullptr;
  RETURN_IF_ERROR(Error(fns_->nvmlGpuInstanceCreateComputeInstance(
                            gi, static_cast<unsigned int>(ci_profile_id), &ci),
                        context));
  return ComputeInstanceInfo(ci, gi_id, context);
}

absl::Status Library::DestroyComputeInstance(int gpu, int gi_id, int ci_id) {
  constexpr absl::string_view kCall = "nvmlComputeInstanceDestroy";
  if (fns_->nvmlComputeInstanceDestroy == nullptr) return Missing(kCall);
  ASSIGN_OR_RETURN(nvmlComputeInstance_t ci,
                   ComputeInstanceHandle(gpu, gi_id, ci_id));
  return Error(fns_->nvmlComputeInstanceDestroy(ci),
               Ctx(kCall, gpu, gi_id, ci_id));
}

absl::StatusOr<std::vector<MigDevice>> Library::ListMigDevices(int gpu) {
  const Functions& f = *fns_;
  if (f.nvmlDeviceGetMaxMigDeviceCount == nullptr) {
    return Missing("nvmlDeviceGetMaxMigDeviceCount");
  }
  if (f.nvmlDeviceGetMigDeviceHandleByIndex == nullptr) {
    return Missing("nvmlDeviceGetMigDeviceHandleByIndex");
  }
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  std::vector<MigDevice> out;
  unsigned int max = 0;
  Return r = f.nvmlDeviceGetMaxMigDeviceCount(device, &max);
  if (r == Return::kNotSupported) return out;  // no MIG on this GPU
  RETURN_IF_ERROR(Error(r, Ctx("nvmlDeviceGetMaxMigDeviceCount", gpu)));
  for (unsigned int i = 0; i < max; ++i) {
    const std::string context = absl::StrCat(
        Ctx("nvmlDeviceGetMigDeviceHandleByIndex", gpu), " index ", i);
    nvmlDevice_t mig = nullptr;
    r = f.nvmlDeviceGetMigDeviceHandleByIndex(device, i, &mig);
    if (r == Return::kNotFound || r == Return::kInvalidArgument) continue;
    RETURN_IF_ERROR(Error(r, context));
    MigDevice d;
    d.index = static_cast<int>(out.size());
    char uuid[abi::kDeviceUuidV2BufferSize] = {};
    if (f.nvmlDeviceGetUUID == nullptr) return Missing("nvmlDeviceGetUUID");
    RETURN_IF_ERROR(Error(f.nvmlDeviceGetUUID(mig, uuid, sizeof(uuid)),
                          absl::StrCat("nvmlDeviceGetUUID of ", context)));
    d.uuid = CString(uuid, sizeof(uuid));
    unsigned int gi_id = 0;
    unsigned int ci_id = 0;
    if (f.nvmlDeviceGetGpuInstanceId == nullptr) {
      return Missing("nvmlDeviceGetGpuInstanceId");
    }
    if (f.nvmlDeviceGetComputeInstanceId == nullptr) {
      return Missing("nvmlDeviceGetComputeInstanceId");
    }
    RETURN_IF_ERROR(
        Error(f.nvmlDeviceGetGpuInstanceId(mig, &gi_id),
              absl::StrCat("nvmlDeviceGetGpuInstanceId of ", context)));
    RETURN_IF_ERROR(
        Error(f.nvmlDeviceGetComputeInstanceId(mig, &ci_id),
              absl::StrCat("nvmlDeviceGetComputeInstanceId of ", context)));
    d.gi_id = static_cast<int>(gi_id);
    d.ci_id = static_cast<int>(ci_id);

    const char* attr_name = f.nvmlDeviceGetAttributes_v2
                                ? "nvmlDeviceGetAttributes_v2"
                                : "nvmlDeviceGetAttributes";
    auto attr_fn = f.nvmlDeviceGetAttributes_v2 ? f.nvmlDeviceGetAttributes_v2
                                                : f.nvmlDeviceGetAttributes;
    if (attr_fn == nullptr) return Missing(attr_name);
    abi::nvmlDeviceAttributes_t a = {};
    RETURN_IF_ERROR(
        Error(attr_fn(mig, &a), Ctx(attr_name, gpu, d.gi_id, d.ci_id)));
    d.gi_slices = static_cast<int>(a.gpuInstanceSliceCount);
    d.ci_slices = static_cast<int>(a.computeInstanceSliceCount);
    d.multiprocessors = static_cast<int>(a.multiprocessorCount);
    d.engines = {static_cast<int>(a.sharedCopyEngineCount),
                 static_cast<int>(a.sharedDecoderCount),
                 static_cast<int>(a.sharedEncoderCount),
                 static_cast<int>(a.sharedJpegCount),
                 static_cast<int>(a.sharedOfaCount)};
    d.memory_mb = a.memorySizeMB;

    ASSIGN_OR_RETURN(nvmlGpuInstance_t gi, GpuInstanceHandle(gpu, d.gi_id));
    ASSIGN_OR_RETURN(GpuInstance gi_info, GpuInstanceInfo(gi, context));
    d.gi_profile_id = gi_info.profile_id;
    ASSIGN_OR_RETURN(nvmlComputeInstance_t ci,
                     ComputeInstanceHandle(gpu, d.gi_id, d.ci_id));
    ASSIGN_OR_RETURN(ComputeInstance ci_info,
                     ComputeInstanceInfo(ci, d.gi_id, context));
    d.ci_profile_id = ci_info.profile_id;
    out.push_back(std::move(d));
  }
  return out;
}

absl::StatusOr<std::vector<Process>> Library::ListProcesses(int gpu) {
  constexpr absl::string_view kCall = "nvmlDeviceGetComputeRunningProcesses_v3";
  auto fn = fns_->nvmlDeviceGetComputeRunningProcesses_v3;
  if (fn == nullptr) return Missing(kCall);
  ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
  std::vector<abi::nvmlProcessInfo_t> raw;
  unsigned int count = 0;
  Return r = fn(device, &count, nullptr);
  // Processes come and go between the two calls: retry with room to spare.
  while (r == Return::kInsufficientSize) {
    raw.resize(count + 8);
    count = static_cast<unsigned int>(raw.size());
    r = fn(device, &count, raw.data());
  }
  RETURN_IF_ERROR(Error(r, Ctx(kCall, gpu)));
  std::vector<Process> out;
  for (unsigned int i = 0; i < count && i < raw.size(); ++i) {
    const abi::nvmlProcessInfo_t& p = raw[i];
    Process process;
    process.pid = p.pid;
    process.used_memory_bytes = p.usedGpuMemory;
    if (p.gpuInstanceId != abi::kNoInstanceId) {
      process.gi_id = static_cast<int>(p.gpuInstanceId);
    }
    if (p.computeInstanceId != abi::kNoInstanceId) {
      process.ci_id = static_cast<int>(p.computeInstanceId);
    }
    char name[256] = {};
    if (fns_->nvmlSystemGetProcessName != nullptr &&
        fns_->nvmlSystemGetProcessName(p.pid, name, sizeof(name)) ==
            Return::kSuccess) {
      process.name = CString(name, sizeof(name));
    }
    out.push_back(std::move(process));
  }
  return out;
}

absl::Status Library::SubscribeXidEvents() {
  const Functions& f = *fns_;
  if (f.nvmlEventSetCreate == nullptr) return Missing("nvmlEventSetCreate");
  if (f.nvmlDeviceRegisterEvents == nullptr) {
    return Missing("nvmlDeviceRegisterEvents");
  }
  ASSIGN_OR_RETURN(int count, DeviceCount());
  std::vector<nvmlDevice_t> devices;
  for (int gpu = 0; gpu < count; ++gpu) {
    ASSIGN_OR_RETURN(nvmlDevice_t device, Device(gpu));
    devices.push_back(device);
  }
  abi::nvmlEventSet_t set = nullptr;
  RETURN_IF_ERROR(Error(f.nvmlEventSetCreate(&set), "nvmlEventSetCreate"));
  for (int gpu = 0; gpu < count; ++gpu) {
    const Return r = f.nvmlDeviceRegisterEvents(
        devices[gpu], abi::kEventTypeXidCriticalError, set);
    if (r == Return::kNotSupported) continue;
    if (r != Return::kSuccess) {
      if (f.nvmlEventSetFree != nullptr) f.nvmlEventSetFree(set);
      return Error(r, absl::StrCat(Ctx("nvmlDeviceRegisterEvents", gpu),
                                   " for XID critical errors"));
    }
  }
  event_set_ = set;
  event_devices_ = std::move(devices);
  return absl::OkStatus();
}

absl::StatusOr<std::optional<XidEvent>> Library::NextXidEvent(int timeout_ms) {
  const Functions& f = *fns_;
  const char* name =
      f.nvmlEventSetWait_v2 ? "nvmlEventSetWait_v2" : "nvmlEventSetWait";
  auto fn = f.nvmlEventSetWait_v2 ? f.nvmlEventSetWait_v2 : f.nvmlEventSetWait;
  if (fn == nullptr) return Missing(name);
  while (true) {
    abi::nvmlEventData_t data = {};
    // nvmlEventSetWait leaves these alone: the event names the whole GPU.
    data.gpuInstanceId = abi::kNoInstanceId;
    data.computeInstanceId = abi::kNoInstanceId;
    const Return r =
        fn(event_set_, &data, static_cast<unsigned int>(timeout_ms));
    if (r == Return::kTimeout) return std::nullopt;
    RETURN_IF_ERROR(Error(r, name));
    if ((data.eventType & abi::kEventTypeXidCriticalError) == 0) continue;
    auto it =
        std::find(event_devices_.begin(), event_devices_.end(), data.device);
    if (it == event_devices_.end()) {
      return NvmlError(Return::kUnknown,
                       absl::StrCat(name, ": XID ", data.eventData,
                                    " on a device handle of no known GPU"));
    }
    XidEvent e;
    e.gpu = static_cast<int>(it - event_devices_.begin());
    e.xid = data.eventData;
    if (data.gpuInstanceId != abi::kNoInstanceId) {
      e.gi_id = static_cast<int>(data.gpuInstanceId);
    }
    if (data.computeInstanceId != abi::kNoInstanceId) {
      e.ci_id = static_cast<int>(data.computeInstanceId);
    }
    return e;
  }
}

absl::StatusOr<std::vector<XidEvent>> Library::WaitForXidEvents(
    int timeout_ms) {
  if (event_set_ == nullptr) RETURN_IF_ERROR(SubscribeXidEvents());
  std::vector<XidEvent> out;
  ASSIGN_OR_RETURN(std::optional<XidEvent> first,
                   NextXidEvent(std::max(timeout_ms, 0)));
  if (!first) return out;
  out.push_back(*first);
  while (true) {
    ASSIGN_OR_RETURN(std::optional<XidEvent> more, NextXidEvent(0));
    if (!more) return out;
    out.push_back(*more);
  }
}

}  // namespace migctl::nvml
