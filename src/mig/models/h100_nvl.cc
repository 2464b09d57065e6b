// NVIDIA H100 NVL (94 GB).
// Source: the `nvidia-smi mig -lgip` table in shared/MISSION.md (memory MB =
// GiB * 1024, as nvidia-smi divides NVML's memorySizeMB by 1024), placements as
// the H100 80GB read off real hardware (shared/reference/h100-80gb-sxm.md),
// MIG-device SMs from the story's GFD labels (1g.24gb device: 16 SMs).
#include "mig/models/compute_profiles.h"
#include "mig/models/models.h"

namespace migctl::mig::models {

GpuModel H100Nvl() {
  const SmsByCiSlices sms = {{1, 16}, {2, 32}, {3, 60}, {4, 64}, {7, 132}};
  GpuModel m;
  m.key = "H100-NVL";
  m.product_name = "NVIDIA H100 NVL";
  m.pci_device_id = 0x232110DE;
  m.memory_total_bytes = 95830ull << 20;
  m.architecture = 9;
  m.compute_major = 9;
  m.compute_minor = 0;
  m.compute_slices = 7;
  m.memory_slices = 8;
  m.source = "shared/MISSION.md nvidia-smi mig -lgip table for H100 NVL";
  m.profiles = {
      {0,
       19,
       "1g.12gb",
       1,
       7,
       11008,
       16,
       {1, 1, 0, 1, 0},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {1,
       14,
       "2g.24gb",
       2,
       3,
       22144,
       32,
       {2, 2, 0, 2, 0},
       {{0, 2}, {2, 2}, {4, 2}},
       ComputeProfilesFor(2, sms)},
      {2,
       9,
       "3g.47gb",
       3,
       2,
       47488,
       60,
       {3, 3, 0, 3, 0},
       {{0, 4}, {4, 4}},
       ComputeProfilesFor(3, sms)},
      {3,
       5,
       "4g.47gb",
       4,
       1,
       47488,
       64,
       {4, 4, 0, 4, 0},
       {{0, 4}},
       ComputeProfilesFor(4, sms)},
      {4,
       0,
       "7g.94gb",
       7,
       1,
       95360,
       132,
       {8, 7, 0, 7, 1},
       {{0, 8}},
       ComputeProfilesFor(7, sms)},
      {7,
       20,
       "1g.12gb+me",
       1,
       1,
       11008,
       16,
       {1, 1, 0, 1, 1},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {9,
       15,
       "1g.24gb",
       1,
       4,
       22144,
       26,
       {1, 1, 0, 1, 0},
       {{0, 2}, {2, 2}, {4, 2}, {6, 2}},
       Rev1ComputeProfile(sms.at(1))},
  };
  return m;
}

}  // namespace migctl::mig::models
