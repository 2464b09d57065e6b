// MIGCTL_NVML_ENTRY_POINTS: every NVML C entry point migctl uses, once.
//
// X(return_type, name, (parameters), (arguments)) for each. The one table
// generates:
//  - abi::<name>_fn, the function-pointer type (below);
//  - nvml::Library's dlsym'd members (library.cc);
//  - the exported C symbols of the simulator's libnvidia-ml.so.1
//    (src/sim/shim/nvml_shim.cc);
//  - the device-side ABI check against the real nvml.h
//    (tests/nvml/abi_check.cc, scripts/device-check).
// Unversioned names after a versioned one are fallbacks for older drivers.
// Types are those of nvml/abi.h; expand the table inside migctl::nvml::abi
// or with those names visible.
#ifndef MIGCTL_NVML_ENTRY_POINTS_H_
#define MIGCTL_NVML_ENTRY_POINTS_H_

#include "nvml/abi.h"

// clang-format off
#define MIGCTL_NVML_ENTRY_POINTS(X)                                           \
  X(nvmlReturn_t, nvmlInit_v2, (), ())                                        \
  X(nvmlReturn_t, nvmlInit, (), ())                                           \
  X(nvmlReturn_t, nvmlShutdown, (), ())                                       \
  X(const char*, nvmlErrorString, (nvmlReturn_t result), (result))            \
  X(nvmlReturn_t, nvmlSystemGetDriverVersion,                                 \
    (char* version, unsigned int length), (version, length))                  \
  X(nvmlReturn_t, nvmlSystemGetCudaDriverVersion_v2,                         \
    (int* cudaDriverVersion), (cudaDriverVersion))                            \
  X(nvmlReturn_t, nvmlSystemGetCudaDriverVersion,                             \
    (int* cudaDriverVersion), (cudaDriverVersion))                            \
  X(nvmlReturn_t, nvmlSystemGetProcessName,                                   \
    (unsigned int pid, char* name, unsigned int length), (pid, name, length)) \
  X(nvmlReturn_t, nvmlDeviceGetCount_v2, (unsigned int* deviceCount),         \
    (deviceCount))                                                            \
  X(nvmlReturn_t, nvmlDeviceGetCount, (unsigned int* deviceCount),            \
    (deviceCount))                                                            \
  X(nvmlReturn_t, nvmlDeviceGetHandleByIndex_v2,                              \
    (unsigned int index, nvmlDevice_t* device), (index, device))              \
  X(nvmlReturn_t, nvmlDeviceGetHandleByIndex,                                 \
    (unsigned int index, nvmlDevice_t* device), (index, device))              \
  X(nvmlReturn_t, nvmlDeviceGetName,                                          \
    (nvmlDevice_t device, char* name, unsigned int length),                   \
    (device, name, length))                                                   \
  X(nvmlReturn_t, nvmlDeviceGetUUID,                                          \
    (nvmlDevice_t device, char* uuid, unsigned int length),                   \
    (device, uuid, length))                                                   \
  X(nvmlReturn_t, nvmlDeviceGetPciInfo_v3,                                    \
    (nvmlDevice_t device, nvmlPciInfo_t* pci), (device, pci))                 \
  X(nvmlReturn_t, nvmlDeviceGetPciInfo_v2,                                    \
    (nvmlDevice_t device, nvmlPciInfo_t* pci), (device, pci))                 \
  X(nvmlReturn_t, nvmlDeviceGetMemoryInfo,                                    \
    (nvmlDevice_t device, nvmlMemory_t* memory), (device, memory))            \
  X(nvmlReturn_t, nvmlDeviceGetArchitecture,                                  \
    (nvmlDevice_t device, nvmlDeviceArchitecture_t* arch), (device, arch))    \
  X(nvmlReturn_t, nvmlDeviceGetCudaComputeCapability,                         \
    (nvmlDevice_t device, int* major, int* minor), (device, major, minor))    \
  X(nvmlReturn_t, nvmlDeviceGetMinorNumber,                                   \
    (nvmlDevice_t device, unsigned int* minorNumber), (device, minorNumber))  \
  X(nvmlReturn_t, nvmlDeviceGetMigMode,                                       \
    (nvmlDevice_t device, unsigned int* currentMode,                          \
     unsigned int* pendingMode),                                              \
    (device, currentMode, pendingMode))                                       \
  X(nvmlReturn_t, nvmlDeviceSetMigMode,                                       \
    (nvmlDevice_t device, unsigned int mode,                                  \
     nvmlReturn_t* activationStatus),                                         \
    (device, mode, activationStatus))                                         \
  X(nvmlReturn_t, nvmlDeviceGetGpuInstanceProfileInfoV,                       \
    (nvmlDevice_t device, unsigned int profile,                               \
     nvmlGpuInstanceProfileInfo_v2_t* info),                                  \
    (device, profile, info))                                                  \
  X(nvmlReturn_t, nvmlDeviceGetGpuInstanceProfileInfo,                        \
    (nvmlDevice_t device, unsigned int profile,                               \
     nvmlGpuInstanceProfileInfo_t* info),                                     \
    (device, profile, info))                                                  \
  X(nvmlReturn_t, nvmlDeviceGetGpuInstancePossiblePlacements_v2,              \
    (nvmlDevice_t device, unsigned int profileId,                             \
     nvmlGpuInstancePlacement_t* placements, unsigned int* count),            \
    (device, profileId, placements, count))                                   \
  X(nvmlReturn_t, nvmlDeviceGetGpuInstancePossiblePlacements,                 \
    (nvmlDevice_t device, unsigned int profileId,                             \
     nvmlGpuInstancePlacement_t* placements, unsigned int* count),            \
    (device, profileId, placements, count))                                   \
  X(nvmlReturn_t, nvmlDeviceGetGpuInstanceRemainingCapacity,                  \
    (nvmlDevice_t device, unsigned int profileId, unsigned int* count),       \
    (device, profileId, count))                                               \
  X(nvmlReturn_t, nvmlDeviceCreateGpuInstance,                                \
    (nvmlDevice_t device, unsigned int profileId,                             \
     nvmlGpuInstance_t* gpuInstance),                                         \
    (device, profileId, gpuInstance))                                         \
  X(nvmlReturn_t, nvmlDeviceCreateGpuInstanceWithPlacement,                   \
    (nvmlDevice_t device, unsigned int profileId,                             \
     const nvmlGpuInstancePlacement_t* placement,                             \
     nvmlGpuInstance_t* gpuInstance),                                         \
    (device, profileId, placement, gpuInstance))                              \
  X(nvmlReturn_t, nvmlGpuInstanceDestroy, (nvmlGpuInstance_t gpuInstance),    \
    (gpuInstance))                                                            \
  X(nvmlReturn_t, nvmlDeviceGetGpuInstances,                                  \
    (nvmlDevice_t device, unsigned int profileId,                             \
     nvmlGpuInstance_t* gpuInstances, unsigned int* count),                   \
    (device, profileId, gpuInstances, count))                                 \
  X(nvmlReturn_t, nvmlDeviceGetGpuInstanceById,                               \
    (nvmlDevice_t device, unsigned int id, nvmlGpuInstance_t* gpuInstance),   \
    (device, id, gpuInstance))                                                \
  X(nvmlReturn_t, nvmlGpuInstanceGetInfo,                                     \
    (nvmlGpuInstance_t gpuInstance, nvmlGpuInstanceInfo_t* info),             \
    (gpuInstance, info))                                                      \
  X(nvmlReturn_t, nvmlGpuInstanceGetComputeInstanceProfileInfoV,              \
    (nvmlGpuInstance_t gpuInstance, unsigned int profile,                     \
     unsigned int engProfile, nvmlComputeInstanceProfileInfo_v2_t* info),     \
    (gpuInstance, profile, engProfile, info))                                 \
  X(nvmlReturn_t, nvmlGpuInstanceGetComputeInstanceProfileInfo,               \
    (nvmlGpuInstance_t gpuInstance, unsigned int profile,                     \
     unsigned int engProfile, nvmlComputeInstanceProfileInfo_t* info),        \
    (gpuInstance, profile, engProfile, info))                                 \
  X(nvmlReturn_t, nvmlGpuInstanceGetComputeInstancePossiblePlacements,        \
    (nvmlGpuInstance_t gpuInstance, unsigned int profileId,                   \
     nvmlComputeInstancePlacement_t* placements, unsigned int* count),        \
    (gpuInstance, profileId, placements, count))                              \
  X(nvmlReturn_t, nvmlGpuInstanceCreateComputeInstance,                       \
    (nvmlGpuInstance_t gpuInstance, unsigned int profileId,                   \
     nvmlComputeInstance_t* computeInstance),                                 \
    (gpuInstance, profileId, computeInstance))                                \
  X(nvmlReturn_t, nvmlComputeInstanceDestroy,                                 \
    (nvmlComputeInstance_t computeInstance), (computeInstance))               \
  X(nvmlReturn_t, nvmlGpuInstanceGetComputeInstances,                         \
    (nvmlGpuInstance_t gpuInstance, unsigned int profileId,                   \
     nvmlComputeInstance_t* computeInstances, unsigned int* count),           \
    (gpuInstance, profileId, computeInstances, count))                        \
  X(nvmlReturn_t, nvmlGpuInstanceGetComputeInstanceById,                      \
    (nvmlGpuInstance_t gpuInstance, unsigned int id,                          \
     nvmlComputeInstance_t* computeInstance),                                 \
    (gpuInstance, id, computeInstance))                                       \
  X(nvmlReturn_t, nvmlComputeInstanceGetInfo_v2,                              \
    (nvmlComputeInstance_t computeInstance, nvmlComputeInstanceInfo_t* info), \
    (computeInstance, info))                                                  \
  X(nvmlReturn_t, nvmlComputeInstanceGetInfo,                                 \
    (nvmlComputeInstance_t computeInstance, nvmlComputeInstanceInfo_t* info), \
    (computeInstance, info))                                                  \
  X(nvmlReturn_t, nvmlDeviceGetMaxMigDeviceCount,                             \
    (nvmlDevice_t device, unsigned int* count), (device, count))              \
  X(nvmlReturn_t, nvmlDeviceGetMigDeviceHandleByIndex,                        \
    (nvmlDevice_t device, unsigned int index, nvmlDevice_t* migDevice),       \
    (device, index, migDevice))                                               \
  X(nvmlReturn_t, nvmlDeviceGetGpuInstanceId,                                 \
    (nvmlDevice_t device, unsigned int* id), (device, id))                    \
  X(nvmlReturn_t, nvmlDeviceGetComputeInstanceId,                             \
    (nvmlDevice_t device, unsigned int* id), (device, id))                    \
  X(nvmlReturn_t, nvmlDeviceGetAttributes_v2,                                 \
    (nvmlDevice_t device, nvmlDeviceAttributes_t* attributes),                \
    (device, attributes))                                                     \
  X(nvmlReturn_t, nvmlDeviceGetAttributes,                                    \
    (nvmlDevice_t device, nvmlDeviceAttributes_t* attributes),                \
    (device, attributes))                                                     \
  X(nvmlReturn_t, nvmlDeviceGetComputeRunningProcesses_v3,                    \
    (nvmlDevice_t device, unsigned int* infoCount, nvmlProcessInfo_t* infos), \
    (device, infoCount, infos))                                               \
  X(nvmlReturn_t, nvmlEventSetCreate, (nvmlEventSet_t* set), (set))           \
  X(nvmlReturn_t, nvmlDeviceRegisterEvents,                                   \
    (nvmlDevice_t device, unsigned long long eventTypes, nvmlEventSet_t set), \
    (device, eventTypes, set))                                                \
  X(nvmlReturn_t, nvmlEventSetWait_v2,                                        \
    (nvmlEventSet_t set, nvmlEventData_t* data, unsigned int timeoutms),      \
    (set, data, timeoutms))                                                   \
  X(nvmlReturn_t, nvmlEventSetWait,                                           \
    (nvmlEventSet_t set, nvmlEventData_t* data, unsigned int timeoutms),      \
    (set, data, timeoutms))                                                   \
  X(nvmlReturn_t, nvmlEventSetFree, (nvmlEventSet_t set), (set))
// clang-format on

namespace migctl::nvml::abi {

// `ret` is a type and `params` a parameter list: neither can be
// parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define MIGCTL_NVML_DECLARE_FN(ret, name, params, args) \
  using name##_fn = ret(*) params;
// NOLINTEND(bugprone-macro-parentheses)
MIGCTL_NVML_ENTRY_POINTS(MIGCTL_NVML_DECLARE_FN)
#undef MIGCTL_NVML_DECLARE_FN

}  // namespace migctl::nvml::abi

#endif  // MIGCTL_NVML_ENTRY_POINTS_H_
