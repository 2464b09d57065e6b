#include "mig/catalogue.h"

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "mig/models/models.h"

namespace migctl::mig {

const std::vector<GpuModel>& Catalogue() {
  static const std::vector<GpuModel>* const catalogue =
      new std::vector<GpuModel>{
          models::A100Sxm4_40gb(), models::A100Sxm4_80gb(),
          models::A100Pcie_80gb(), models::A30_24gb(),
          models::H100Sxm5_80gb(), models::H100Pcie_80gb(),
          models::H100Nvl(),       models::H200(),
          models::Gh200_96gb(),
      };
  return *catalogue;
}

const GpuModel* FindModel(absl::string_view key) {
  for (const GpuModel& m : Catalogue()) {
    if (absl::EqualsIgnoreCase(m.key, key)) return &m;
  }
  return nullptr;
}

const GpuModel* FindModelByPciDeviceId(uint32_t pci_device_id) {
  for (const GpuModel& m : Catalogue()) {
    if (m.pci_device_id == pci_device_id) return &m;
  }
  return nullptr;
}

const GpuModel* FindModelByProductName(absl::string_view product_name) {
  for (const GpuModel& m : Catalogue()) {
    if (m.product_name == product_name) return &m;
  }
  return nullptr;
}

}  // namespace migctl::mig
