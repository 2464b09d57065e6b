// NVIDIA H100 80GB HBM3 (SXM5).
// Source: shared/reference/h100-80gb-sxm.md, read off a real H100 80GB through
// NVML (driver 580.159.04): every profile's index, id, memorySizeMB, SMs,
// engines and placements; total memory 85520809984 bytes (81559 MiB).
// MIG-device SMs as the H100 NVL model (16 per slice, 3c 60, 4c 64, 7c 132);
// a 1g.20gb GI's CI reports 16 SMs although the GI profile says 26.
// PCI id from NVIDIA/mig-parted config-default.yaml.
#include "mig/models/compute_profiles.h"
#include "mig/models/models.h"

namespace migctl::mig::models {

GpuModel H100Sxm5_80gb() {
  const SmsByCiSlices sms = {{1, 16}, {2, 32}, {3, 60}, {4, 64}, {7, 132}};
  GpuModel m;
  m.key = "H100-SXM5-80GB";
  m.product_name = "NVIDIA H100 80GB HBM3";
  m.pci_device_id = 0x233010DE;
  m.memory_total_bytes = 85520809984ull;
  m.architecture = 9;
  m.compute_major = 9;
  m.compute_minor = 0;
  m.compute_slices = 7;
  m.memory_slices = 8;
  m.source = "shared/reference/h100-80gb-sxm.md (real H100 80GB HBM3 via NVML)";
  m.profiles = {
      {0,
       19,
       "1g.10gb",
       1,
       7,
       9984,
       16,
       {1, 1, 0, 1, 0},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {1,
       14,
       "2g.20gb",
       2,
       3,
       20096,
       32,
       {2, 2, 0, 2, 0},
       {{0, 2}, {2, 2}, {4, 2}},
       ComputeProfilesFor(2, sms)},
      {2,
       9,
       "3g.40gb",
       3,
       2,
       40448,
       60,
       {3, 3, 0, 3, 0},
       {{0, 4}, {4, 4}},
       ComputeProfilesFor(3, sms)},
      {3,
       5,
       "4g.40gb",
       4,
       1,
       40448,
       64,
       {4, 4, 0, 4, 0},
       {{0, 4}},
       ComputeProfilesFor(4, sms)},
      {4,
       0,
       "7g.80gb",
       7,
       1,
       81152,
       132,
       {8, 7, 0, 7, 1},
       {{0, 8}},
       ComputeProfilesFor(7, sms)},
      {7,
       20,
       "1g.10gb+me",
       1,
       1,
       9984,
       16,
       {1, 1, 0, 1, 1},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {9,
       15,
       "1g.20gb",
       1,
       4,
       20096,
       26,
       {1, 1, 0, 1, 0},
       {{0, 2}, {2, 2}, {4, 2}, {6, 2}},
       Rev1ComputeProfile(sms.at(1))},
  };
  return m;
}

}  // namespace migctl::mig::models
