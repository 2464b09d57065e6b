// Constructors of the catalogue's GPU models, one per file in this folder.
// Only catalogue.cc and tests include this header.
#ifndef MIGCTL_MIG_MODELS_MODELS_H_
#define MIGCTL_MIG_MODELS_MODELS_H_

#include "mig/model.h"

namespace migctl::mig::models {

GpuModel A100Sxm4_40gb();
GpuModel A100Sxm4_80gb();
GpuModel A100Pcie_80gb();
GpuModel A30_24gb();
GpuModel H100Sxm5_80gb();
GpuModel H100Pcie_80gb();
GpuModel H100Nvl();
GpuModel H200();
GpuModel Gh200_96gb();

}  // namespace migctl::mig::models

#endif  // MIGCTL_MIG_MODELS_MODELS_H_
