// NVIDIA H200 (141 GB).
// Source: shared/reference/h200-141gb.md, read off a real H200 through NVML
// and nvidia-smi (driver 580.159.04): every profile's index, id, memorySizeMB,
// SMs, engines and placements; PCI id 0x233510DE; total memory 150754820096
// bytes (143771 MiB). MIG-device SMs as the other Hopper models (16 per
// slice, 3c 60, 4c 64, 7c 132; the 1g.35gb device reports 16, not 26).
#include "mig/models/compute_profiles.h"
#include "mig/models/models.h"

namespace migctl::mig::models {

GpuModel H200() {
  const SmsByCiSlices sms = {{1, 16}, {2, 32}, {3, 60}, {4, 64}, {7, 132}};
  GpuModel m;
  m.key = "H200";
  m.product_name = "NVIDIA H200";
  m.pci_device_id = 0x233510DE;
  m.memory_total_bytes = 150754820096ull;
  m.architecture = 9;
  m.compute_major = 9;
  m.compute_minor = 0;
  m.compute_slices = 7;
  m.memory_slices = 8;
  m.source = "shared/reference/h200-141gb.md (real H200 via NVML)";
  m.profiles = {
      {0,
       19,
       "1g.18gb",
       1,
       7,
       16384,
       16,
       {1, 1, 0, 1, 0},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {1,
       14,
       "2g.35gb",
       2,
       3,
       33280,
       32,
       {2, 2, 0, 2, 0},
       {{0, 2}, {2, 2}, {4, 2}},
       ComputeProfilesFor(2, sms)},
      {2,
       9,
       "3g.71gb",
       3,
       2,
       71424,
       60,
       {3, 3, 0, 3, 0},
       {{0, 4}, {4, 4}},
       ComputeProfilesFor(3, sms)},
      {3,
       5,
       "4g.71gb",
       4,
       1,
       71424,
       64,
       {4, 4, 0, 4, 0},
       {{0, 4}},
       ComputeProfilesFor(4, sms)},
      {4,
       0,
       "7g.141gb",
       7,
       1,
       143360,
       132,
       {8, 7, 0, 7, 1},
       {{0, 8}},
       ComputeProfilesFor(7, sms)},
      {7,
       20,
       "1g.18gb+me",
       1,
       1,
       16384,
       16,
       {1, 1, 0, 1, 1},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {9,
       15,
       "1g.35gb",
       1,
       4,
       33280,
       26,
       {1, 1, 0, 1, 0},
       {{0, 2}, {2, 2}, {4, 2}, {6, 2}},
       Rev1ComputeProfile(sms.at(1))},
  };
  return m;
}

}  // namespace migctl::mig::models
