// Nvml: the few NVML operations migctl needs, as one injectable interface.
//
// Everything in migctl that touches a GPU goes through this seam: the real
// driver (nvml::Library, dlopen of libnvidia-ml.so.1) in production, the
// simulated node (sim::SimNvml) in tests, the demo and for users without MIG
// hardware. GPUs are addressed by NVML index, GPU instances by GI id and
// compute instances by (GI id, CI id), exactly as nvidia-smi prints them.
//
// Errors are absl::Status values built by nvml::NvmlError, so they carry the
// NVML return code. Implementations are not required to be thread-safe;
// callers serialise access.
#ifndef MIGCTL_NVML_NVML_H_
#define MIGCTL_NVML_NVML_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mig/model.h"
#include "nvml/error.h"

namespace migctl::nvml {

// What NVML reports about one physical GPU.
struct DeviceInfo {
  int index = 0;
  std::string name;               // "NVIDIA H100 NVL"
  std::string uuid;               // "GPU-…"
  std::string pci_bus_id;         // "00000000:00:06.0"
  uint32_t pci_device_id = 0;     // 0xDDDDVVVV
  uint32_t pci_subsystem_id = 0;  // 0xSSSSVVVV
  uint64_t memory_total_bytes = 0;
  int architecture = 0;
  int compute_major = 0;
  int compute_minor = 0;
};

struct MigMode {
  bool current = false;
  bool pending = false;
  friend bool operator==(const MigMode&, const MigMode&) = default;
};

// A GPU instance that exists on a GPU.
struct GpuInstance {
  int id = 0;
  int profile_id = 0;
  mig::Placement placement;  // in memory slices
  friend bool operator==(const GpuInstance&, const GpuInstance&) = default;
};

// A compute instance inside a GPU instance.
struct ComputeInstance {
  int gi_id = 0;
  int id = 0;
  int profile_id = 0;        // CI profile id
  mig::Placement placement;  // in compute slices of the GI
  friend bool operator==(const ComputeInstance&,
                         const ComputeInstance&) = default;
};

// A MIG device (one CI of one GI), as nvmlDeviceGetMigDeviceHandleByIndex
// enumerates them and nvmlDeviceGetAttributes describes them.
struct MigDevice {
  int index = 0;     // position in the driver's enumeration
  std::string uuid;  // "MIG-…"
  int gi_id = 0;
  int ci_id = 0;
  int gi_profile_id = 0;
  int ci_profile_id = 0;
  int gi_slices = 0;
  int ci_slices = 0;
  int multiprocessors = 0;
  mig::Engines engines;
  uint64_t memory_mb = 0;
};

// A process holding a GPU or a MIG device.
struct Process {
  uint32_t pid = 0;
  std::string name;
  uint64_t used_memory_bytes = 0;
  std::optional<int> gi_id;  // set for processes on a MIG device
  std::optional<int> ci_id;
};

// An XID error NVML reported (an nvmlEventData_t of type
// NVML_EVENT_TYPE_XID_CRITICAL_ERROR).
struct XidEvent {
  int gpu = 0;
  uint64_t xid = 0;
  // The MIG device the error belongs to; unset when NVML names none
  // (0xFFFFFFFF): the whole GPU.
  std::optional<int> gi_id;
  std::optional<int> ci_id;
  friend bool operator==(const XidEvent&, const XidEvent&) = default;
};

class Nvml {
 public:
  virtual ~Nvml() = default;

  virtual absl::StatusOr<int> DeviceCount() = 0;
  virtual absl::StatusOr<DeviceInfo> GetDevice(int gpu) = 0;
  virtual absl::StatusOr<std::string> DriverVersion() = 0;
  // The newest CUDA version the driver supports, as NVML encodes it:
  // 1000 * major + 10 * minor (13000 is CUDA 13.0).
  virtual absl::StatusOr<int> CudaDriverVersion() = 0;
  // The N of the GPU's /dev/nvidiaN, which need not be its NVML index.
  virtual absl::StatusOr<int> MinorNumber(int gpu) = 0;

  // NOT_SUPPORTED (as UNIMPLEMENTED) for GPUs without MIG.
  virtual absl::StatusOr<MigMode> GetMigMode(int gpu) = 0;
  // Asks for a MIG mode. Returns the activation status: kSuccess when the new
  // mode is active, kInUse when it stays pending because a client holds the
  // GPU, kResetRequired when it waits for a GPU reset or reboot.
  virtual absl::StatusOr<Return> SetMigMode(int gpu, bool enabled) = 0;
  // Resets the GPU, activating a pending MIG mode. IN_USE while held.
  virtual absl::Status ResetGpu(int gpu) = 0;

  // GI profile info by NVML profile index (placements not filled in).
  // NOT_SUPPORTED for an index this GPU lacks.
  virtual absl::StatusOr<mig::GpuInstanceProfile> GetGpuInstanceProfile(
      int gpu, int profile_index) = 0;
  virtual absl::StatusOr<std::vector<mig::Placement>>
  GetGpuInstancePossiblePlacements(int gpu, int profile_id) = 0;
  virtual absl::StatusOr<int> GetGpuInstanceRemainingCapacity(
      int gpu, int profile_id) = 0;

  virtual absl::StatusOr<std::vector<GpuInstance>> ListGpuInstances(
      int gpu) = 0;
  virtual absl::StatusOr<GpuInstance> CreateGpuInstance(
      int gpu, int profile_id, std::optional<mig::Placement> placement) = 0;
  virtual absl::Status DestroyGpuInstance(int gpu, int gi_id) = 0;

  // CI profile info by NVML CI profile index, inside GI `gi_id`.
  virtual absl::StatusOr<mig::ComputeProfile> GetComputeInstanceProfile(
      int gpu, int gi_id, int ci_profile_index) = 0;
  virtual absl::StatusOr<std::vector<ComputeInstance>> ListComputeInstances(
      int gpu, int gi_id) = 0;
  virtual absl::StatusOr<ComputeInstance> CreateComputeInstance(
      int gpu, int gi_id, int ci_profile_id) = 0;
  virtual absl::Status DestroyComputeInstance(int gpu, int gi_id,
                                              int ci_id) = 0;

  virtual absl::StatusOr<std::vector<MigDevice>> ListMigDevices(int gpu) = 0;
  virtual absl::StatusOr<std::vector<Process>> ListProcesses(int gpu) = 0;

  // XID critical-error events on any GPU since the previous call, waiting up
  // to `timeout_ms` for one when there are none; empty when none came. The
  // first call subscribes every GPU: earlier events are not reported.
  // NOT_SUPPORTED (as UNIMPLEMENTED) where there are no events.
  virtual absl::StatusOr<std::vector<XidEvent>> WaitForXidEvents(
      int timeout_ms) {
    (void)timeout_ms;
    return NvmlError(Return::kNotSupported, "WaitForXidEvents");
  }
};

}  // namespace migctl::nvml

#endif  // MIGCTL_NVML_NVML_H_
