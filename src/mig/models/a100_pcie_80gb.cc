// NVIDIA A100 80GB PCIe (nvidia-smi's name for the A100-PCIE-80GB).
// Source: real `nvidia-smi mig -lgip` of an A100-SXM4-80GB (9.50 / 19.50 /
// 39.25 / 79.00 GiB; memory MB = GiB * 1024), engines as the MIG User Guide's
// "Supported MIG Profiles" A100 table (2g: 1 NVDEC, 3g/4g: 2, 7g: 5, 1 JPEG,
// 1 OFA), which older -lgip outputs also show; placements as the guide's A100
// `-lgipp` ({0,4}:4 for 3g, {0,2,4,6}:2 for 1g.20gb). MIG-device SMs: 14 per
// compute slice. PCI id from NVIDIA/mig-parted config-default.yaml; memory
// total 81920 MiB as nvidia-smi prints it.
// The MIG User Guide gives one table for all A100 80GB parts; a real A100
// 80GB PCIe's -lgip matches the SXM4-80GB numbers except 7g.80gb, which it
// prints as 78.75 GiB (80640 MB; see tests/mig/published_tables_test.cc).
#include "mig/models/compute_profiles.h"
#include "mig/models/models.h"

namespace migctl::mig::models {

GpuModel A100Pcie_80gb() {
  const SmsByCiSlices sms = {{1, 14}, {2, 28}, {3, 42}, {4, 56}, {7, 98}};
  GpuModel m;
  m.key = "A100-PCIE-80GB";
  m.product_name = "NVIDIA A100 80GB PCIe";
  m.pci_device_id = 0x20B510DE;
  m.memory_total_bytes = 81920ull << 20;
  m.architecture = 7;
  m.compute_major = 8;
  m.compute_minor = 0;
  m.compute_slices = 7;
  m.memory_slices = 8;
  m.source =
      "nvidia-smi mig -lgip of an A100-SXM4-80GB; MIG User Guide A100 tables";
  m.profiles = {
      {0,
       19,
       "1g.10gb",
       1,
       7,
       9728,
       14,
       {1, 0, 0, 0, 0},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {1,
       14,
       "2g.20gb",
       2,
       3,
       19968,
       28,
       {2, 1, 0, 0, 0},
       {{0, 2}, {2, 2}, {4, 2}},
       ComputeProfilesFor(2, sms)},
      {2,
       9,
       "3g.40gb",
       3,
       2,
       40192,
       42,
       {3, 2, 0, 0, 0},
       {{0, 4}, {4, 4}},
       ComputeProfilesFor(3, sms)},
      {3,
       5,
       "4g.40gb",
       4,
       1,
       40192,
       56,
       {4, 2, 0, 0, 0},
       {{0, 4}},
       ComputeProfilesFor(4, sms)},
      {4,
       0,
       "7g.80gb",
       7,
       1,
       80640,
       98,
       {7, 5, 0, 1, 1},
       {{0, 8}},
       ComputeProfilesFor(7, sms)},
      {7,
       20,
       "1g.10gb+me",
       1,
       1,
       9728,
       14,
       {1, 1, 0, 1, 1},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {9,
       15,
       "1g.20gb",
       1,
       4,
       19968,
       14,
       {1, 1, 0, 0, 0},
       {{0, 2}, {2, 2}, {4, 2}, {6, 2}},
       ComputeProfilesFor(1, sms)},
  };
  return m;
}

}  // namespace migctl::mig::models
