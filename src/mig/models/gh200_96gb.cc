// NVIDIA GH200 with 96 GB HBM3 ("H100 on GH200"; nvmlDeviceGetName reports
// "NVIDIA GH200 480GB").
// Source: real `nvidia-smi mig -lgip` of a GH200 480GB (1g.12gb 11.00,
// 1g.24gb / 2g.24gb 23.00, 3g.48gb / 4g.48gb 46.50, 7g.96gb 93.00 GiB; memory
// MB = GiB * 1024), its SMs and engines as printed there; profile set as the
// MIG User Guide's "H100 96GB product (H100 on GH200)" table. Placements as the
// H100 80GB reference (no GH200 -lgipp found). MIG-device SMs as the other
// Hopper models (a 1g.24gb GI gets CI profile 7 by default, 16 SMs).
// PCI id from NVIDIA/mig-parted config-default.yaml ("GH200"); total memory
// 97871 MiB as nvidia-smi prints it.
#include "mig/models/compute_profiles.h"
#include "mig/models/models.h"

namespace migctl::mig::models {

GpuModel Gh200_96gb() {
  const SmsByCiSlices sms = {{1, 16}, {2, 32}, {3, 60}, {4, 64}, {7, 132}};
  GpuModel m;
  m.key = "GH200-96GB";
  m.product_name = "NVIDIA GH200 480GB";
  m.pci_device_id = 0x234210DE;
  m.memory_total_bytes = 97871ull << 20;
  m.architecture = 9;
  m.compute_major = 9;
  m.compute_minor = 0;
  m.compute_slices = 7;
  m.memory_slices = 8;
  m.source =
      "nvidia-smi mig -lgip of a GH200 480GB; MIG User Guide H100 96GB table";
  m.profiles = {
      {0,
       19,
       "1g.12gb",
       1,
       7,
       11264,
       16,
       {1, 1, 0, 1, 0},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {1,
       14,
       "2g.24gb",
       2,
       3,
       23552,
       32,
       {2, 2, 0, 2, 0},
       {{0, 2}, {2, 2}, {4, 2}},
       ComputeProfilesFor(2, sms)},
      {2,
       9,
       "3g.48gb",
       3,
       2,
       47616,
       60,
       {3, 3, 0, 3, 0},
       {{0, 4}, {4, 4}},
       ComputeProfilesFor(3, sms)},
      {3,
       5,
       "4g.48gb",
       4,
       1,
       47616,
       64,
       {4, 4, 0, 4, 0},
       {{0, 4}},
       ComputeProfilesFor(4, sms)},
      {4,
       0,
       "7g.96gb",
       7,
       1,
       95232,
       132,
       {8, 7, 0, 7, 1},
       {{0, 8}},
       ComputeProfilesFor(7, sms)},
      {7,
       20,
       "1g.12gb+me",
       1,
       1,
       11264,
       16,
       {1, 1, 0, 1, 1},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {9,
       15,
       "1g.24gb",
       1,
       4,
       23552,
       26,
       {1, 1, 0, 1, 0},
       {{0, 2}, {2, 2}, {4, 2}, {6, 2}},
       Rev1ComputeProfile(sms.at(1))},
  };
  return m;
}

}  // namespace migctl::mig::models
