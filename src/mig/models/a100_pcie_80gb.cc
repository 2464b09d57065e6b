// NVIDIA A100 80GB PCIe (nvidia-smi's name for the A100-PCIE-80GB).
// Source: the MIG User Guide gives one table for all A100 80GB parts; a real
// A100 80GB PCIe's `nvidia-smi mig -lgip` matches the A100-SXM4-80GB's
// numbers (a100_sxm4_80gb.cc) except 7g.80gb, which it prints as 78.75 GiB
// (80640 MB; see tests/mig/published_tables_test.cc). PCI id from
// NVIDIA/mig-parted config-default.yaml.
#include "mig/models/models.h"

namespace migctl::mig::models {

GpuModel A100Pcie_80gb() {
  GpuModel m = A100Sxm4_80gb();
  m.key = "A100-PCIE-80GB";
  m.product_name = "NVIDIA A100 80GB PCIe";
  m.pci_device_id = 0x20B510DE;
  m.source =
      "A100-SXM4-80GB tables; nvidia-smi mig -lgip of an A100 80GB PCIe for "
      "7g.80gb";
  constexpr int k7g80gb = 0;
  for (GpuInstanceProfile& p : m.profiles) {
    if (p.id == k7g80gb) p.memory_mb = 80640;
  }
  return m;
}

}  // namespace migctl::mig::models
