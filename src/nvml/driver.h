// Opens the real NVIDIA driver's NVML (libnvidia-ml.so.1).
#ifndef MIGCTL_NVML_DRIVER_H_
#define MIGCTL_NVML_DRIVER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "nvml/nvml.h"

namespace migctl::nvml {

// nvml::Library::Open(): UNAVAILABLE "no NVIDIA driver found
// (libnvidia-ml.so.1)" when the library cannot be loaded, the NVML error of
// nvmlInit_v2 when the driver refuses.
absl::StatusOr<std::unique_ptr<Nvml>> OpenDriver();

}  // namespace migctl::nvml

#endif  // MIGCTL_NVML_DRIVER_H_
