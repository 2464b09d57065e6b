// The MIG hardware model: what one MIG-capable GPU model offers.
//
// A GpuModel is immutable catalogue data: the GPU-instance (GI) profiles NVML
// reports for it, each with its placements in memory slices and the
// compute-instance (CI) profiles a GI of that profile offers. Numbers are what
// NVML returns (nvmlDeviceGetGpuInstanceProfileInfoV, ...PossiblePlacements,
// nvmlGpuInstanceGetComputeInstanceProfileInfoV); CI figures are what the MIG
// *device* reports through nvmlDeviceGetAttributes. Values are plain structs,
// safe to share between threads.
#ifndef MIGCTL_MIG_MODEL_H_
#define MIGCTL_MIG_MODEL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"

namespace migctl::mig {

// Engine counts of an instance (for a CI: the GI engines it shares).
struct Engines {
  int copy = 0;
  int decoder = 0;
  int encoder = 0;
  int jpeg = 0;
  int ofa = 0;
  friend bool operator==(const Engines&, const Engines&) = default;
};

// A span of slices: `start` and `size` as NVML's nvmlGpuInstancePlacement_t
// (memory slices for GIs, compute slices inside a GI for CIs).
struct Placement {
  int start = 0;
  int size = 0;
  int end() const { return start + size; }
  friend bool operator==(const Placement&, const Placement&) = default;
  friend auto operator<=>(const Placement&, const Placement&) = default;
};

// A compute-instance profile offered inside a GI profile.
struct ComputeProfile {
  int index =
      0;       // NVML_COMPUTE_INSTANCE_PROFILE_* (0=1_SLICE … 7=1_SLICE_REV1)
  int id = 0;  // nvmlComputeInstanceProfileInfo_t.id
  int slices = 0;                     // compute slices
  int instance_count = 0;             // how many fit in one GI
  int multiprocessors = 0;            // SMs the MIG device reports
  std::vector<Placement> placements;  // in compute slices of the GI
};

// A GPU-instance profile of one GPU model.
struct GpuInstanceProfile {
  int index = 0;  // NVML_GPU_INSTANCE_PROFILE_* (0=1_SLICE … 9=1_SLICE_REV2 …)
  int id = 0;     // nvmlGpuInstanceProfileInfo_t.id, what nvidia-smi prints
  std::string name;        // "1g.12gb", "1g.12gb+me", as nvidia-smi prints it
  int slices = 0;          // compute slices (sliceCount)
  int instance_count = 0;  // instanceCount: the most that can exist at once
  uint64_t memory_mb = 0;  // memorySizeMB
  int multiprocessors = 0;
  Engines engines;
  std::vector<Placement> placements;  // in memory slices
  std::vector<ComputeProfile> compute_profiles;

  // Memory slices one instance occupies (all placements have the same size).
  int memory_slices() const {
    return placements.empty() ? 0 : placements[0].size;
  }
  const ComputeProfile* FindComputeProfile(int ci_index) const;
  // The CI taking the whole GI (its slices == this GI's slices).
  const ComputeProfile* FullComputeProfile() const;
};

// One MIG-capable GPU model.
struct GpuModel {
  std::string key;  // catalogue key used on the command line, "H100-NVL"
  std::string product_name;         // nvmlDeviceGetName, "NVIDIA H100 NVL"
  uint32_t pci_device_id = 0;       // nvmlPciInfo_t.pciDeviceId, 0x232110DE
  uint32_t pci_subsystem_id = 0;    // nvmlPciInfo_t.pciSubSystemId (0: any)
  uint64_t memory_total_bytes = 0;  // nvmlMemory_t.total
  int architecture =
      0;  // nvmlDeviceArchitecture_t: 7 Ampere, 9 Hopper, 10 Blackwell
  int compute_major = 0;
  int compute_minor = 0;
  int compute_slices = 0;                    // 7 on A100/H100, 4 on A30
  int memory_slices = 0;                     // 8 on A100/H100, 4 on A30
  std::string source;                        // where the numbers come from
  std::vector<GpuInstanceProfile> profiles;  // ordered by NVML profile index

  const GpuInstanceProfile* FindProfileById(int id) const;
  const GpuInstanceProfile* FindProfileByIndex(int index) const;
  const GpuInstanceProfile* FindProfileByName(absl::string_view name) const;
  uint64_t memory_total_mib() const { return memory_total_bytes >> 20; }
};

}  // namespace migctl::mig

#endif  // MIGCTL_MIG_MODEL_H_
