// Reads the NodeFacts GFD's labels are computed from: everything NVML says
// through an Nvml, plus the two files GFD reads (the machine type file and
// each GPU's PCI class in sysfs). What the Nvml interface does not offer yet
// (nvmlSystemGetCudaDriverVersion_v2) comes in through CollectOptions.
//
// The Nvml is borrowed for the duration of the call; not thread-safe, as the
// Nvml it reads.
#ifndef MIGCTL_LABELS_COLLECT_H_
#define MIGCTL_LABELS_COLLECT_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "labels/labels.h"
#include "nvml/nvml.h"

namespace migctl::labels {

struct CollectOptions {
  // GFD's --machine-type-file; empty: "unknown".
  std::string machine_type_file = "/sys/class/dmi/id/product_name";
  // Where <domain:bus:device.function>/class is read.
  std::string pci_devices_dir = "/sys/bus/pci/devices";
  // The CUDA version the driver supports; nullopt: Nvml::CudaDriverVersion's
  // (the cuda.runtime* labels are left out where the driver has none).
  std::optional<CudaVersion> cuda_version;
};

// "13.0" -> {13, 0}; INVALID_ARGUMENT otherwise.
absl::StatusOr<CudaVersion> ParseCudaVersion(absl::string_view text);
// nvmlSystemGetCudaDriverVersion's integer: 13000 -> {13, 0}, 12040 -> 12.4.
CudaVersion CudaVersionFromNvml(int version);

absl::StatusOr<NodeFacts> CollectNodeFacts(nvml::Nvml& nvml,
                                           const CollectOptions& options);

// CollectNodeFacts then ComputeLabels: what the node agent publishes.
absl::StatusOr<Labels> NodeLabels(nvml::Nvml& nvml,
                                  const CollectOptions& collect,
                                  const LabelOptions& options);

}  // namespace migctl::labels

#endif  // MIGCTL_LABELS_COLLECT_H_
