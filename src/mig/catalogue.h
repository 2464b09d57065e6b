// The catalogue of MIG-capable GPU models migctl knows.
//
// Each model's tables live in models/<model>.cc with a comment naming their
// source (NVIDIA's MIG user guide, or a real GPU read through NVML). The
// catalogue is built once and never changes; lookups return borrowed pointers
// valid for the life of the process.
#ifndef MIGCTL_MIG_CATALOGUE_H_
#define MIGCTL_MIG_CATALOGUE_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/strings/string_view.h"
#include "mig/model.h"

namespace migctl::mig {

const std::vector<GpuModel>& Catalogue();

// By catalogue key ("H100-NVL"), case-insensitive.
const GpuModel* FindModel(absl::string_view key);
// By PCI device id (0xDDDDVVVV); the first model with that id.
const GpuModel* FindModelByPciDeviceId(uint32_t pci_device_id);
// By the name NVML reports ("NVIDIA H100 NVL").
const GpuModel* FindModelByProductName(absl::string_view product_name);

}  // namespace migctl::mig

#endif  // MIGCTL_MIG_CATALOGUE_H_
