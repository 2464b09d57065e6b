// NVIDIA A100-SXM4-40GB.
// Source: `nvidia-smi mig -lgip` on an A100-SXM4-40GB with driver 580.126.09
// (tests/golden/real/ssup2_a100_580_mig_session.txt; memory MB = GiB * 1024),
// placements from the `-lgipp` example in NVIDIA's MIG User Guide, "Getting
// Started with MIG" (R525+ drivers report 9856/19968/40192 MB instead). Engines
// as that -lgip prints them, which agree with the guide's "Supported MIG
// Profiles" A100 table. MIG-device SMs: 14 per compute slice (the guide's -lcip
// example: 1c.3g.20gb 14, 2c.3g.20gb 28, 3g.20gb 42; "A100-SXM4-40GB MIG
// 4c.7g.40gb" reports 56 SMs). PCI id from NVIDIA/mig-parted
// config-default.yaml; memory total 40960 MiB as nvidia-smi prints it on
// current drivers.
#include "mig/models/compute_profiles.h"
#include "mig/models/models.h"

namespace migctl::mig::models {

GpuModel A100Sxm4_40gb() {
  const SmsByCiSlices sms = {{1, 14}, {2, 28}, {3, 42}, {4, 56}, {7, 98}};
  GpuModel m;
  m.key = "A100-SXM4-40GB";
  m.product_name = "NVIDIA A100-SXM4-40GB";
  m.pci_device_id = 0x20B010DE;
  m.memory_total_bytes = 40960ull << 20;
  m.architecture = 7;
  m.compute_major = 8;
  m.compute_minor = 0;
  m.compute_slices = 7;
  m.memory_slices = 8;
  m.source =
      "MIG User Guide nvidia-smi mig -lgip/-lgipp example for A100-SXM4-40GB";
  m.profiles = {
      {0,
       19,
       "1g.5gb",
       1,
       7,
       4864,
       14,
       {1, 0, 0, 0, 0},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {1,
       14,
       "2g.10gb",
       2,
       3,
       9984,
       28,
       {2, 1, 0, 0, 0},
       {{0, 2}, {2, 2}, {4, 2}},
       ComputeProfilesFor(2, sms)},
      {2,
       9,
       "3g.20gb",
       3,
       2,
       20096,
       42,
       {3, 2, 0, 0, 0},
       {{0, 4}, {4, 4}},
       ComputeProfilesFor(3, sms)},
      {3,
       5,
       "4g.20gb",
       4,
       1,
       20096,
       56,
       {4, 2, 0, 0, 0},
       {{0, 4}},
       ComputeProfilesFor(4, sms)},
      {4,
       0,
       "7g.40gb",
       7,
       1,
       40320,
       98,
       {7, 5, 0, 1, 1},
       {{0, 8}},
       ComputeProfilesFor(7, sms)},
      {7,
       20,
       "1g.5gb+me",
       1,
       1,
       4864,
       14,
       {1, 1, 0, 1, 1},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {9,
       15,
       "1g.10gb",
       1,
       4,
       9984,
       14,
       {1, 1, 0, 0, 0},
       {{0, 2}, {2, 2}, {4, 2}, {6, 2}},
       ComputeProfilesFor(1, sms)},
  };
  return m;
}

}  // namespace migctl::mig::models
