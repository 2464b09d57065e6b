// The subset of NVML's C ABI that migctl uses, declared by us.
//
// Written from NVIDIA's NVML API reference (struct layouts, versioned
// structs, constants), not copied from nvml.h, so migctl builds without the
// CUDA toolkit. The names of types and fields are NVML's own, inside
// migctl::nvml::abi, so code reads like the reference. scripts/device-check
// compiles tests/nvml/abi_check.cc on a GPU machine, which static_asserts
// that every size, offset, constant and entry-point type here equals the
// real header's.
//
// Plain C-layout types only: this header must not depend on abseil.
#ifndef MIGCTL_NVML_ABI_H_
#define MIGCTL_NVML_ABI_H_

#include <cstddef>

#include "nvml/return.h"

namespace migctl::nvml::abi {

using nvmlReturn_t = ::migctl::nvml::Return;

// Opaque handles: the driver (or the simulator's shim) owns the pointees.
struct nvmlDevice_st;
struct nvmlGpuInstance_st;
struct nvmlComputeInstance_st;
struct nvmlEventSet_st;
using nvmlDevice_t = nvmlDevice_st*;
using nvmlGpuInstance_t = nvmlGpuInstance_st*;
using nvmlComputeInstance_t = nvmlComputeInstance_st*;
using nvmlEventSet_t = nvmlEventSet_st*;

using nvmlDeviceArchitecture_t = unsigned int;

// Buffer sizes the reference guarantees to be large enough.
inline constexpr unsigned int kSystemDriverVersionBufferSize = 80;
inline constexpr unsigned int kDeviceNameV2BufferSize = 96;
inline constexpr unsigned int kDeviceUuidV2BufferSize = 96;
inline constexpr unsigned int kDevicePciBusIdBufferSize = 32;
inline constexpr unsigned int kDevicePciBusIdBufferV2Size = 16;

// nvmlDeviceGetMigMode / nvmlDeviceSetMigMode.
inline constexpr unsigned int kDeviceMigDisable = 0;
inline constexpr unsigned int kDeviceMigEnable = 1;

// Profile indices: NVML_GPU_INSTANCE_PROFILE_1_SLICE (0) and up. The count
// grows with each driver branch; indices a driver does not know return
// NOT_SUPPORTED or INVALID_ARGUMENT, so migctl asks up to these limits.
inline constexpr unsigned int kGpuInstanceProfileIndexLimit = 32;
inline constexpr unsigned int kComputeInstanceProfileIndexLimit = 16;
inline constexpr unsigned int kComputeInstanceEngineProfileShared = 0;

// gpuInstanceId / computeInstanceId of a process outside any MIG device.
inline constexpr unsigned int kNoInstanceId = 0xFFFFFFFFu;

// nvmlDeviceRegisterEvents' event type bit for XID critical errors.
inline constexpr unsigned long long kEventTypeXidCriticalError = 0x8ULL;

// What nvmlEventSetWait_v2 delivers. nvmlEventSetWait (before R450) fills
// only device, eventType and eventData.
struct nvmlEventData_t {
  nvmlDevice_t device;  // the physical GPU, also for a MIG device's error
  unsigned long long eventType;
  unsigned long long eventData;    // the XID, for XID critical errors
  unsigned int gpuInstanceId;      // kNoInstanceId: not attributable
  unsigned int computeInstanceId;  // kNoInstanceId: not attributable
};

struct nvmlPciInfo_t {
  char busIdLegacy[kDevicePciBusIdBufferV2Size];
  unsigned int domain;
  unsigned int bus;
  unsigned int device;
  unsigned int pciDeviceId;
  unsigned int pciSubSystemId;
  char busId[kDevicePciBusIdBufferSize];
};

struct nvmlMemory_t {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};

struct nvmlProcessInfo_t {
  unsigned int pid;
  unsigned long long usedGpuMemory;
  unsigned int gpuInstanceId;
  unsigned int computeInstanceId;
};

struct nvmlDeviceAttributes_t {
  unsigned int multiprocessorCount;
  unsigned int sharedCopyEngineCount;
  unsigned int sharedDecoderCount;
  unsigned int sharedEncoderCount;
  unsigned int sharedJpegCount;
  unsigned int sharedOfaCount;
  unsigned int gpuInstanceSliceCount;
  unsigned int computeInstanceSliceCount;
  unsigned long long memorySizeMB;
};

struct nvmlGpuInstancePlacement_t {
  unsigned int start;
  unsigned int size;
};

// Version 1, for nvmlDeviceGetGpuInstanceProfileInfo (no version field).
struct nvmlGpuInstanceProfileInfo_t {
  unsigned int id;
  unsigned int isP2pSupported;
  unsigned int sliceCount;
  unsigned int instanceCount;
  unsigned int multiprocessorCount;
  unsigned int copyEngineCount;
  unsigned int decoderCount;
  unsigned int encoderCount;
  unsigned int jpegCount;
  unsigned int ofaCount;
  unsigned long long memorySizeMB;
};

struct nvmlGpuInstanceProfileInfo_v2_t {
  unsigned int version;
  unsigned int id;
  unsigned int isP2pSupported;
  unsigned int sliceCount;
  unsigned int instanceCount;
  unsigned int multiprocessorCount;
  unsigned int copyEngineCount;
  unsigned int decoderCount;
  unsigned int encoderCount;
  unsigned int jpegCount;
  unsigned int ofaCount;
  unsigned long long memorySizeMB;
  char name[kDeviceNameV2BufferSize];  // "MIG 1g.10gb"
};

// v3 drops isP2pSupported in favour of capability bits.
struct nvmlGpuInstanceProfileInfo_v3_t {
  unsigned int version;
  unsigned int id;
  unsigned int sliceCount;
  unsigned int instanceCount;
  unsigned int multiprocessorCount;
  unsigned int copyEngineCount;
  unsigned int decoderCount;
  unsigned int encoderCount;
  unsigned int jpegCount;
  unsigned int ofaCount;
  unsigned long long memorySizeMB;
  char name[kDeviceNameV2BufferSize];
  unsigned int capabilities;
};

struct nvmlGpuInstanceInfo_t {
  nvmlDevice_t device;
  unsigned int id;
  unsigned int profileId;
  nvmlGpuInstancePlacement_t placement;
};

struct nvmlComputeInstancePlacement_t {
  unsigned int start;
  unsigned int size;
};

struct nvmlComputeInstanceProfileInfo_t {
  unsigned int id;
  unsigned int sliceCount;
  unsigned int instanceCount;
  unsigned int multiprocessorCount;
  unsigned int sharedCopyEngineCount;
  unsigned int sharedDecoderCount;
  unsigned int sharedEncoderCount;
  unsigned int sharedJpegCount;
  unsigned int sharedOfaCount;
};

struct nvmlComputeInstanceProfileInfo_v2_t {
  unsigned int version;
  unsigned int id;
  unsigned int sliceCount;
  unsigned int instanceCount;
  unsigned int multiprocessorCount;
  unsigned int sharedCopyEngineCount;
  unsigned int sharedDecoderCount;
  unsigned int sharedEncoderCount;
  unsigned int sharedJpegCount;
  unsigned int sharedOfaCount;
  char name[kDeviceNameV2BufferSize];
};

struct nvmlComputeInstanceProfileInfo_v3_t {
  unsigned int version;
  unsigned int id;
  unsigned int sliceCount;
  unsigned int instanceCount;
  unsigned int multiprocessorCount;
  unsigned int sharedCopyEngineCount;
  unsigned int sharedDecoderCount;
  unsigned int sharedEncoderCount;
  unsigned int sharedJpegCount;
  unsigned int sharedOfaCount;
  char name[kDeviceNameV2BufferSize];
  unsigned int capabilities;
};

struct nvmlComputeInstanceInfo_t {
  nvmlDevice_t device;
  nvmlGpuInstance_t gpuInstance;
  unsigned int id;
  unsigned int profileId;
  nvmlComputeInstancePlacement_t placement;
};

// NVML_STRUCT_VERSION: the struct's size in the low bits, its version in the
// top byte.
template <typename T>
constexpr unsigned int StructVersion(unsigned int version) {
  return static_cast<unsigned int>(sizeof(T)) | (version << 24U);
}
inline constexpr unsigned int kGpuInstanceProfileInfoV2 =
    StructVersion<nvmlGpuInstanceProfileInfo_v2_t>(2);
inline constexpr unsigned int kGpuInstanceProfileInfoV3 =
    StructVersion<nvmlGpuInstanceProfileInfo_v3_t>(3);
inline constexpr unsigned int kComputeInstanceProfileInfoV2 =
    StructVersion<nvmlComputeInstanceProfileInfo_v2_t>(2);
inline constexpr unsigned int kComputeInstanceProfileInfoV3 =
    StructVersion<nvmlComputeInstanceProfileInfo_v3_t>(3);

// Layouts on LP64 Linux, as the reference's structs give them.
static_assert(sizeof(nvmlPciInfo_t) == 68);
static_assert(sizeof(nvmlProcessInfo_t) == 24);
static_assert(sizeof(nvmlDeviceAttributes_t) == 40);
static_assert(kGpuInstanceProfileInfoV2 == 0x02000098);
static_assert(kComputeInstanceProfileInfoV2 == 0x02000088);
static_assert(sizeof(nvmlGpuInstanceInfo_t) == 24);
static_assert(sizeof(nvmlComputeInstanceInfo_t) == 32);
static_assert(sizeof(nvmlEventData_t) == 32);

}  // namespace migctl::nvml::abi

#endif  // MIGCTL_NVML_ABI_H_
