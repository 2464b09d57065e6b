// NVIDIA A30 (24 GB).
// Source: real `nvidia-smi mig -lgip` of an A30 (1g.6gb 5.81, 2g.12gb 11.69,
// 4g.24gb 23.44 GiB; memory MB = GiB * 1024 rounded to the MB that prints so),
// engines as that -lgip prints them (it reports 1 NVDEC on 1g.6gb where the
// MIG User Guide table says 0); profile names and counts as the guide's A30
// table. A30 has 4 compute and 4 memory slices; placements {0,1,2,3}:1,
// {0,2}:2, {0}:4 (no A30 -lgipp was found). MIG-device SMs: 14 per compute
// slice; the 3c entry is there only because ComputeProfilesFor asks for every
// size <= 4 (A100's 4g GI offers no 3c CI; A30's very likely neither). PCI id
// from NVIDIA/mig-parted config-default.yaml; memory total 24576 MiB.
#include "mig/models/compute_profiles.h"
#include "mig/models/models.h"

namespace migctl::mig::models {

GpuModel A30_24gb() {
  const SmsByCiSlices sms = {{1, 14}, {2, 28}, {3, 42}, {4, 56}};
  GpuModel m;
  m.key = "A30-24GB";
  m.product_name = "NVIDIA A30";
  m.pci_device_id = 0x20B710DE;
  m.memory_total_bytes = 24576ull << 20;
  m.architecture = 7;
  m.compute_major = 8;
  m.compute_minor = 0;
  m.compute_slices = 4;
  m.memory_slices = 4;
  m.source = "nvidia-smi mig -lgip of an A30; MIG User Guide A30 table";
  m.profiles = {
      {0,
       14,
       "1g.6gb",
       1,
       4,
       5952,
       14,
       {1, 1, 0, 0, 0},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}},
       ComputeProfilesFor(1, sms)},
      {1,
       5,
       "2g.12gb",
       2,
       2,
       11968,
       28,
       {2, 2, 0, 0, 0},
       {{0, 2}, {2, 2}},
       ComputeProfilesFor(2, sms)},
      {3,
       0,
       "4g.24gb",
       4,
       1,
       24000,
       56,
       {4, 4, 0, 1, 1},
       {{0, 4}},
       ComputeProfilesFor(4, sms)},
      {7,
       21,
       "1g.6gb+me",
       1,
       1,
       5952,
       14,
       {1, 1, 0, 1, 1},
       {{0, 1}, {1, 1}, {2, 1}, {3, 1}},
       ComputeProfilesFor(1, sms)},
      {8,
       6,
       "2g.12gb+me",
       2,
       1,
       11968,
       28,
       {2, 2, 0, 1, 1},
       {{0, 2}, {2, 2}},
       ComputeProfilesFor(2, sms)},
  };
  return m;
}

}  // namespace migctl::mig::models
