// NVIDIA H100 PCIe (80 GB).
// Source: real `nvidia-smi mig -lgip` of an H100 PCIe (driver 570.169): the
// same ids, counts, memory (9.75 / 19.62 / 39.50 / 79.25 GiB, i.e. the MB of
// shared/reference/h100-80gb-sxm.md) and engines as the SXM5 part, but fewer
// SMs (114 in all): 1g 14, 1g.20gb 14, 2g 30, 3g 46, 4g 62, 7g 114.
// Placements as the SXM5 reference (no PCIe -lgipp found). MIG-device SMs per
// CI size taken to equal those GI SM counts (a 1g device reports 14 in that
// capture). Total memory 81559 MiB as on the SXM5; PCI id from
// NVIDIA/mig-parted config-default.yaml.
#include "mig/models/compute_profiles.h"
#include "mig/models/models.h"

namespace migctl::mig::models {

GpuModel H100Pcie_80gb() {
  const SmsByCiSlices sms = {{1, 14}, {2, 30}, {3, 46}, {4, 62}, {7, 114}};
  GpuModel m;
  m.key = "H100-PCIE-80GB";
  m.product_name = "NVIDIA H100 PCIe";
  m.pci_device_id = 0x233110DE;
  m.memory_total_bytes = 85520809984ull;
  m.architecture = 9;
  m.compute_major = 9;
  m.compute_minor = 0;
  m.compute_slices = 7;
  m.memory_slices = 8;
  m.source = "nvidia-smi mig -lgip of an H100 PCIe (driver 570.169)";
  m.profiles = {
      {0,
       19,
       "1g.10gb",
       1,
       7,
       9984,
       14,
       {1, 1, 0, 1, 0},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {1,
       14,
       "2g.20gb",
       2,
       3,
       20096,
       30,
       {2, 2, 0, 2, 0},
       {{0, 2}, {2, 2}, {4, 2}},
       ComputeProfilesFor(2, sms)},
      {2,
       9,
       "3g.40gb",
       3,
       2,
       40448,
       46,
       {3, 3, 0, 3, 0},
       {{0, 4}, {4, 4}},
       ComputeProfilesFor(3, sms)},
      {3,
       5,
       "4g.40gb",
       4,
       1,
       40448,
       62,
       {4, 4, 0, 4, 0},
       {{0, 4}},
       ComputeProfilesFor(4, sms)},
      {4,
       0,
       "7g.80gb",
       7,
       1,
       81152,
       114,
       {8, 7, 0, 7, 1},
       {{0, 8}},
       ComputeProfilesFor(7, sms)},
      {7,
       20,
       "1g.10gb+me",
       1,
       1,
       9984,
       14,
       {1, 1, 0, 1, 1},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {9,
       15,
       "1g.20gb",
       1,
       4,
       20096,
       14,
       {1, 1, 0, 1, 0},
       {{0, 2}, {2, 2}, {4, 2}, {6, 2}},
       Rev1ComputeProfile(sms.at(1))},
  };
  return m;
}

}  // namespace migctl::mig::models
