// Compile-time check of nvml/abi.h and nvml/entry_points.h against the real
// nvml.h, on a machine with the CUDA toolkit (scripts/device-check):
//
//   g++ -std=c++20 -fsyntax-only -Isrc -I<gen> -I/usr/local/cuda/include \
//       tests/nvml/abi_check.cc
//
// <gen>/abi_check_entries.inc lists MIGCTL_CHECK_ENTRY(name) for each table
// entry the header declares (the script writes it). Every size, offset,
// constant, enum value and entry-point type must match, or this fails to
// compile. Not part of the CMake build: the build machines have no nvml.h.
#include <cstddef>
#include <type_traits>

#include "nvml/entry_points.h"
// Ours first: nvml.h defines macros such as nvmlGpuInstanceProfileInfo_v2.
#define NVML_NO_UNVERSIONED_FUNC_DEFS
#include <nvml.h>

namespace abi = ::migctl::nvml::abi;
using ::migctl::nvml::Return;

// Maps a type written with our declarations to the real header's.
template <typename T>
struct Real {
  using type = T;
};
template <typename T>
struct Real<T*> {
  using type = typename Real<T>::type*;
};
template <typename T>
struct Real<const T> {
  using type = const typename Real<T>::type;
};
template <typename R, typename... A>
struct Real<R (*)(A...)> {
  using type = typename Real<R>::type (*)(typename Real<A>::type...);
};
#define MIGCTL_MAP(ours, theirs) \
  template <>                    \
  struct Real<ours> {            \
    using type = theirs;         \
  };
MIGCTL_MAP(Return, ::nvmlReturn_t)
MIGCTL_MAP(abi::nvmlDevice_st, ::nvmlDevice_st)
MIGCTL_MAP(abi::nvmlGpuInstance_st, ::nvmlGpuInstance_st)
MIGCTL_MAP(abi::nvmlComputeInstance_st, ::nvmlComputeInstance_st)
MIGCTL_MAP(abi::nvmlPciInfo_t, ::nvmlPciInfo_t)
MIGCTL_MAP(abi::nvmlMemory_t, ::nvmlMemory_t)
MIGCTL_MAP(abi::nvmlProcessInfo_t, ::nvmlProcessInfo_t)
MIGCTL_MAP(abi::nvmlDeviceAttributes_t, ::nvmlDeviceAttributes_t)
MIGCTL_MAP(abi::nvmlGpuInstancePlacement_t, ::nvmlGpuInstancePlacement_t)
MIGCTL_MAP(abi::nvmlGpuInstanceProfileInfo_t, ::nvmlGpuInstanceProfileInfo_t)
MIGCTL_MAP(abi::nvmlGpuInstanceProfileInfo_v2_t,
           ::nvmlGpuInstanceProfileInfo_v2_t)
MIGCTL_MAP(abi::nvmlGpuInstanceProfileInfo_v3_t,
           ::nvmlGpuInstanceProfileInfo_v3_t)
MIGCTL_MAP(abi::nvmlGpuInstanceInfo_t, ::nvmlGpuInstanceInfo_t)
MIGCTL_MAP(abi::nvmlComputeInstancePlacement_t,
           ::nvmlComputeInstancePlacement_t)
MIGCTL_MAP(abi::nvmlComputeInstanceProfileInfo_t,
           ::nvmlComputeInstanceProfileInfo_t)
MIGCTL_MAP(abi::nvmlComputeInstanceProfileInfo_v2_t,
           ::nvmlComputeInstanceProfileInfo_v2_t)
MIGCTL_MAP(abi::nvmlComputeInstanceProfileInfo_v3_t,
           ::nvmlComputeInstanceProfileInfo_v3_t)
MIGCTL_MAP(abi::nvmlComputeInstanceInfo_t, ::nvmlComputeInstanceInfo_t)
MIGCTL_MAP(abi::nvmlEventSet_st, ::nvmlEventSet_st)
MIGCTL_MAP(abi::nvmlEventData_t, ::nvmlEventData_t)
#undef MIGCTL_MAP

// ---- Structs: size, and offset and size of every field. ----
#define MIGCTL_SIZE(type) \
  static_assert(sizeof(abi::type) == sizeof(::type), "sizeof " #type);
#define MIGCTL_FIELD(type, field)                                      \
  static_assert(offsetof(abi::type, field) == offsetof(::type, field), \
                "offsetof " #type "." #field);                         \
  static_assert(sizeof(abi::type::field) == sizeof(::type::field),     \
                "sizeof " #type "." #field);

MIGCTL_SIZE(nvmlPciInfo_t)
MIGCTL_FIELD(nvmlPciInfo_t, busIdLegacy)
MIGCTL_FIELD(nvmlPciInfo_t, domain)
MIGCTL_FIELD(nvmlPciInfo_t, bus)
MIGCTL_FIELD(nvmlPciInfo_t, device)
MIGCTL_FIELD(nvmlPciInfo_t, pciDeviceId)
MIGCTL_FIELD(nvmlPciInfo_t, pciSubSystemId)
MIGCTL_FIELD(nvmlPciInfo_t, busId)

MIGCTL_SIZE(nvmlMemory_t)
MIGCTL_FIELD(nvmlMemory_t, total)
MIGCTL_FIELD(nvmlMemory_t, free)
MIGCTL_FIELD(nvmlMemory_t, used)

MIGCTL_SIZE(nvmlProcessInfo_t)
MIGCTL_FIELD(nvmlProcessInfo_t, pid)
MIGCTL_FIELD(nvmlProcessInfo_t, usedGpuMemory)
MIGCTL_FIELD(nvmlProcessInfo_t, gpuInstanceId)
MIGCTL_FIELD(nvmlProcessInfo_t, computeInstanceId)

MIGCTL_SIZE(nvmlDeviceAttributes_t)
MIGCTL_FIELD(nvmlDeviceAttributes_t, multiprocessorCount)
MIGCTL_FIELD(nvmlDeviceAttributes_t, sharedCopyEngineCount)
MIGCTL_FIELD(nvmlDeviceAttributes_t, sharedDecoderCount)
MIGCTL_FIELD(nvmlDeviceAttributes_t, sharedEncoderCount)
MIGCTL_FIELD(nvmlDeviceAttributes_t, sharedJpegCount)
MIGCTL_FIELD(nvmlDeviceAttributes_t, sharedOfaCount)
MIGCTL_FIELD(nvmlDeviceAttributes_t, gpuInstanceSliceCount)
MIGCTL_FIELD(nvmlDeviceAttributes_t, computeInstanceSliceCount)
MIGCTL_FIELD(nvmlDeviceAttributes_t, memorySizeMB)

MIGCTL_SIZE(nvmlGpuInstancePlacement_t)
MIGCTL_FIELD(nvmlGpuInstancePlacement_t, start)
MIGCTL_FIELD(nvmlGpuInstancePlacement_t, size)
MIGCTL_SIZE(nvmlComputeInstancePlacement_t)
MIGCTL_FIELD(nvmlComputeInstancePlacement_t, start)
MIGCTL_FIELD(nvmlComputeInstancePlacement_t, size)

#define MIGCTL_GI_PROFILE_FIELDS(type)    \
  MIGCTL_SIZE(type)                       \
  MIGCTL_FIELD(type, id)                  \
  MIGCTL_FIELD(type, sliceCount)          \
  MIGCTL_FIELD(type, instanceCount)       \
  MIGCTL_FIELD(type, multiprocessorCount) \
  MIGCTL_FIELD(type, copyEngineCount)     \
  MIGCTL_FIELD(type, decoderCount)        \
  MIGCTL_FIELD(type, encoderCount)        \
  MIGCTL_FIELD(type, jpegCount)           \
  MIGCTL_FIELD(type, ofaCount)            \
  MIGCTL_FIELD(type, memorySizeMB)
MIGCTL_GI_PROFILE_FIELDS(nvmlGpuInstanceProfileInfo_t)
MIGCTL_FIELD(nvmlGpuInstanceProfileInfo_t, isP2pSupported)
MIGCTL_GI_PROFILE_FIELDS(nvmlGpuInstanceProfileInfo_v2_t)
MIGCTL_FIELD(nvmlGpuInstanceProfileInfo_v2_t, version)
MIGCTL_FIELD(nvmlGpuInstanceProfileInfo_v2_t, isP2pSupported)
MIGCTL_FIELD(nvmlGpuInstanceProfileInfo_v2_t, name)
MIGCTL_GI_PROFILE_FIELDS(nvmlGpuInstanceProfileInfo_v3_t)
MIGCTL_FIELD(nvmlGpuInstanceProfileInfo_v3_t, version)
MIGCTL_FIELD(nvmlGpuInstanceProfileInfo_v3_t, name)
MIGCTL_FIELD(nvmlGpuInstanceProfileInfo_v3_t, capabilities)

MIGCTL_SIZE(nvmlGpuInstanceInfo_t)
MIGCTL_FIELD(nvmlGpuInstanceInfo_t, device)
MIGCTL_FIELD(nvmlGpuInstanceInfo_t, id)
MIGCTL_FIELD(nvmlGpuInstanceInfo_t, profileId)
MIGCTL_FIELD(nvmlGpuInstanceInfo_t, placement)

#define MIGCTL_CI_PROFILE_FIELDS(type)      \
  MIGCTL_SIZE(type)                         \
  MIGCTL_FIELD(type, id)                    \
  MIGCTL_FIELD(type, sliceCount)            \
  MIGCTL_FIELD(type, instanceCount)         \
  MIGCTL_FIELD(type, multiprocessorCount)   \
  MIGCTL_FIELD(type, sharedCopyEngineCount) \
  MIGCTL_FIELD(type, sharedDecoderCount)    \
  MIGCTL_FIELD(type, sharedEncoderCount)    \
  MIGCTL_FIELD(type, sharedJpegCount)       \
  MIGCTL_FIELD(type, sharedOfaCount)
MIGCTL_CI_PROFILE_FIELDS(nvmlComputeInstanceProfileInfo_t)
MIGCTL_CI_PROFILE_FIELDS(nvmlComputeInstanceProfileInfo_v2_t)
MIGCTL_FIELD(nvmlComputeInstanceProfileInfo_v2_t, version)
MIGCTL_FIELD(nvmlComputeInstanceProfileInfo_v2_t, name)
MIGCTL_CI_PROFILE_FIELDS(nvmlComputeInstanceProfileInfo_v3_t)
MIGCTL_FIELD(nvmlComputeInstanceProfileInfo_v3_t, version)
MIGCTL_FIELD(nvmlComputeInstanceProfileInfo_v3_t, name)
MIGCTL_FIELD(nvmlComputeInstanceProfileInfo_v3_t, capabilities)

MIGCTL_SIZE(nvmlComputeInstanceInfo_t)

MIGCTL_SIZE(nvmlEventData_t)
MIGCTL_FIELD(nvmlEventData_t, device)
MIGCTL_FIELD(nvmlEventData_t, eventType)
MIGCTL_FIELD(nvmlEventData_t, eventData)
MIGCTL_FIELD(nvmlEventData_t, gpuInstanceId)
MIGCTL_FIELD(nvmlEventData_t, computeInstanceId)
MIGCTL_FIELD(nvmlComputeInstanceInfo_t, device)
MIGCTL_FIELD(nvmlComputeInstanceInfo_t, gpuInstance)
MIGCTL_FIELD(nvmlComputeInstanceInfo_t, id)
MIGCTL_FIELD(nvmlComputeInstanceInfo_t, profileId)
MIGCTL_FIELD(nvmlComputeInstanceInfo_t, placement)

static_assert(
    std::is_same_v<abi::nvmlDeviceArchitecture_t, ::nvmlDeviceArchitecture_t>);
static_assert(std::is_same_v<Real<abi::nvmlDevice_t>::type, ::nvmlDevice_t>);
static_assert(
    std::is_same_v<Real<abi::nvmlGpuInstance_t>::type, ::nvmlGpuInstance_t>);
static_assert(std::is_same_v<Real<abi::nvmlComputeInstance_t>::type,
                             ::nvmlComputeInstance_t>);
static_assert(
    std::is_same_v<Real<abi::nvmlEventSet_t>::type, ::nvmlEventSet_t>);

// ---- Constants and enum values. ----
static_assert(sizeof(Return) == sizeof(::nvmlReturn_t));
#define MIGCTL_SAME(ours, theirs)                                     \
  static_assert(                                                      \
      static_cast<long long>(ours) == static_cast<long long>(theirs), \
      #ours " == " #theirs);
MIGCTL_SAME(Return::kSuccess, NVML_SUCCESS)
MIGCTL_SAME(Return::kUninitialized, NVML_ERROR_UNINITIALIZED)
MIGCTL_SAME(Return::kInvalidArgument, NVML_ERROR_INVALID_ARGUMENT)
MIGCTL_SAME(Return::kNotSupported, NVML_ERROR_NOT_SUPPORTED)
MIGCTL_SAME(Return::kNoPermission, NVML_ERROR_NO_PERMISSION)
MIGCTL_SAME(Return::kAlreadyInitialized, NVML_ERROR_ALREADY_INITIALIZED)
MIGCTL_SAME(Return::kNotFound, NVML_ERROR_NOT_FOUND)
MIGCTL_SAME(Return::kInsufficientSize, NVML_ERROR_INSUFFICIENT_SIZE)
MIGCTL_SAME(Return::kInsufficientPower, NVML_ERROR_INSUFFICIENT_POWER)
MIGCTL_SAME(Return::kDriverNotLoaded, NVML_ERROR_DRIVER_NOT_LOADED)
MIGCTL_SAME(Return::kTimeout, NVML_ERROR_TIMEOUT)
MIGCTL_SAME(Return::kIrqIssue, NVML_ERROR_IRQ_ISSUE)
MIGCTL_SAME(Return::kLibraryNotFound, NVML_ERROR_LIBRARY_NOT_FOUND)
MIGCTL_SAME(Return::kFunctionNotFound, NVML_ERROR_FUNCTION_NOT_FOUND)
MIGCTL_SAME(Return::kCorruptedInforom, NVML_ERROR_CORRUPTED_INFOROM)
MIGCTL_SAME(Return::kGpuIsLost, NVML_ERROR_GPU_IS_LOST)
MIGCTL_SAME(Return::kResetRequired, NVML_ERROR_RESET_REQUIRED)
MIGCTL_SAME(Return::kOperatingSystem, NVML_ERROR_OPERATING_SYSTEM)
MIGCTL_SAME(Return::kLibRmVersionMismatch, NVML_ERROR_LIB_RM_VERSION_MISMATCH)
MIGCTL_SAME(Return::kInUse, NVML_ERROR_IN_USE)
MIGCTL_SAME(Return::kMemory, NVML_ERROR_MEMORY)
MIGCTL_SAME(Return::kNoData, NVML_ERROR_NO_DATA)
MIGCTL_SAME(Return::kVgpuEccNotSupported, NVML_ERROR_VGPU_ECC_NOT_SUPPORTED)
MIGCTL_SAME(Return::kInsufficientResources, NVML_ERROR_INSUFFICIENT_RESOURCES)
MIGCTL_SAME(Return::kFreqNotSupported, NVML_ERROR_FREQ_NOT_SUPPORTED)
MIGCTL_SAME(Return::kArgumentVersionMismatch,
            NVML_ERROR_ARGUMENT_VERSION_MISMATCH)
MIGCTL_SAME(Return::kDeprecated, NVML_ERROR_DEPRECATED)
MIGCTL_SAME(Return::kNotReady, NVML_ERROR_NOT_READY)
MIGCTL_SAME(Return::kGpuNotFound, NVML_ERROR_GPU_NOT_FOUND)
MIGCTL_SAME(Return::kInvalidState, NVML_ERROR_INVALID_STATE)
MIGCTL_SAME(Return::kUnknown, NVML_ERROR_UNKNOWN)
MIGCTL_SAME(abi::kSystemDriverVersionBufferSize,
            NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE)
MIGCTL_SAME(abi::kDeviceNameV2BufferSize, NVML_DEVICE_NAME_V2_BUFFER_SIZE)
MIGCTL_SAME(abi::kDeviceUuidV2BufferSize, NVML_DEVICE_UUID_V2_BUFFER_SIZE)
MIGCTL_SAME(abi::kDevicePciBusIdBufferSize, NVML_DEVICE_PCI_BUS_ID_BUFFER_SIZE)
MIGCTL_SAME(abi::kDevicePciBusIdBufferV2Size,
            NVML_DEVICE_PCI_BUS_ID_BUFFER_V2_SIZE)
MIGCTL_SAME(abi::kDeviceMigDisable, NVML_DEVICE_MIG_DISABLE)
MIGCTL_SAME(abi::kEventTypeXidCriticalError, nvmlEventTypeXidCriticalError)
MIGCTL_SAME(abi::kDeviceMigEnable, NVML_DEVICE_MIG_ENABLE)
MIGCTL_SAME(abi::kComputeInstanceEngineProfileShared,
            NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED)
MIGCTL_SAME(abi::kGpuInstanceProfileInfoV2, nvmlGpuInstanceProfileInfo_v2)
MIGCTL_SAME(abi::kGpuInstanceProfileInfoV3, nvmlGpuInstanceProfileInfo_v3)
MIGCTL_SAME(abi::kComputeInstanceProfileInfoV2,
            nvmlComputeInstanceProfileInfo_v2)
MIGCTL_SAME(abi::kComputeInstanceProfileInfoV3,
            nvmlComputeInstanceProfileInfo_v3)
static_assert(abi::kGpuInstanceProfileIndexLimit >=
              NVML_GPU_INSTANCE_PROFILE_COUNT);
static_assert(abi::kComputeInstanceProfileIndexLimit >=
              NVML_COMPUTE_INSTANCE_PROFILE_COUNT);

// ---- Entry points: our function-pointer type, mapped, is the real one. ----
#define MIGCTL_CHECK_ENTRY(name)                                               \
  static_assert(std::is_same_v<Real<abi::name##_fn>::type, decltype(&::name)>, \
                "entry point " #name " differs from nvml.h");
#include "abi_check_entries.inc"

int main() { return 0; }
