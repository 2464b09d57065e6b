// NVIDIA B200 (180 GB).
// Source: the MIG User Guide's "Supported MIG Profiles" B200 table (profile
// names, instance counts, memory/SM fractions, copy engines 2/2/2/3/6/8/16)
// and real `nvidia-smi mig -lgip` of a B200 (NVIDIA/mig-parted#187,
// NVIDIA/gpu-operator#1351, 2025-03): 1g.23gb 20.50 GiB 18 SMs, 1g.23gb+me,
// 1g.45gb 44.25 GiB 30 SMs, 2g.45gb 44.25 GiB 36 SMs, with their engines (that
// -lgip prints 4 CEs on 2g.45gb where the guide says 3; the -lgip is used).
// ESTIMATES, not read anywhere: the 3g.90gb, 4g.90gb and 7g.180gb rows' memory
// (2 and 4 times 1g.45gb), SMs (18 per slice, 148 for 7g), NVDEC/JPEG (one
// per slice, 7 + OFA on 7g); all placements (as Hopper, 8 memory slices);
// MIG-device SMs per CI size. PCI id 0x290110DE from NVIDIA/mig-parted
// config-default.yaml; total memory 183359 MiB as nvidia-smi prints it.
#include "mig/models/compute_profiles.h"
#include "mig/models/models.h"

namespace migctl::mig::models {

GpuModel B200() {
  const SmsByCiSlices sms = {{1, 18}, {2, 36}, {3, 54}, {4, 72}, {7, 148}};
  GpuModel m;
  m.key = "B200";
  m.product_name = "NVIDIA B200";
  m.pci_device_id = 0x290110DE;
  m.memory_total_bytes = 183359ull << 20;
  m.architecture = 10;
  m.compute_major = 10;
  m.compute_minor = 0;
  m.compute_slices = 7;
  m.memory_slices = 8;
  m.source =
      "MIG User Guide B200 table; partial nvidia-smi mig -lgip (3g/4g/7g "
      "estimated)";
  m.profiles = {
      {0,
       19,
       "1g.23gb",
       1,
       7,
       20992,
       18,
       {2, 1, 0, 1, 0},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {1,
       14,
       "2g.45gb",
       2,
       3,
       45312,
       36,
       {4, 2, 0, 2, 0},
       {{0, 2}, {2, 2}, {4, 2}},
       ComputeProfilesFor(2, sms)},
      {2,
       9,
       "3g.90gb",
       3,
       2,
       90624,
       54,
       {6, 3, 0, 3, 0},
       {{0, 4}, {4, 4}},
       ComputeProfilesFor(3, sms)},
      {3,
       5,
       "4g.90gb",
       4,
       1,
       90624,
       72,
       {8, 4, 0, 4, 0},
       {{0, 4}},
       ComputeProfilesFor(4, sms)},
      {4,
       0,
       "7g.180gb",
       7,
       1,
       181248,
       148,
       {16, 7, 0, 7, 1},
       {{0, 8}},
       ComputeProfilesFor(7, sms)},
      {7,
       20,
       "1g.23gb+me",
       1,
       1,
       20992,
       18,
       {2, 1, 0, 1, 1},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}, {4, 1}, {5, 1}, {6, 1}},
       ComputeProfilesFor(1, sms)},
      {9,
       15,
       "1g.45gb",
       1,
       4,
       45312,
       30,
       {2, 1, 0, 1, 0},
       {{0, 2}, {2, 2}, {4, 2}, {6, 2}},
       ComputeProfilesFor(1, sms)},
  };
  return m;
}

}  // namespace migctl::mig::models
