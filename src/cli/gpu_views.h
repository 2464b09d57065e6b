// Reads what the GPU commands print from an Nvml, into the plain rows that
// smi_format renders and that -o json serialises.
#ifndef MIGCTL_CLI_GPU_VIEWS_H_
#define MIGCTL_CLI_GPU_VIEWS_H_

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "cli/smi_format.h"
#include "nvml/nvml.h"

namespace migctl::cli {

// GPU indices selected by `-i N` (all GPUs when unset); INVALID_ARGUMENT for
// an index the node lacks.
absl::StatusOr<std::vector<int>> SelectGpus(nvml::Nvml& nvml,
                                            std::optional<int> gpu);

// The MIG device name nvidia-smi prints: the GI profile name when the CI
// spans the whole GI, "<c>c.<gi name>" otherwise.
std::string MigDeviceName(const std::string& gi_name, int ci_slices,
                          int gi_slices);

// Every GI profile NVML offers on `gpu`, in nvidia-smi's order (by slice
// count, then NVML profile index).
absl::StatusOr<std::vector<mig::GpuInstanceProfile>> ListGpuInstanceProfiles(
    nvml::Nvml& nvml, int gpu);

absl::StatusOr<std::vector<GpuLine>> ReadDeviceList(nvml::Nvml& nvml);
absl::StatusOr<std::vector<GpuInstanceProfileRow>> ReadGpuInstanceProfiles(
    nvml::Nvml& nvml, const std::vector<int>& gpus);
absl::StatusOr<std::vector<PlacementRow>> ReadPlacements(
    nvml::Nvml& nvml, const std::vector<int>& gpus);
// CI profiles of GI `gi_id` (every GI when unset) on MIG-enabled GPUs.
absl::StatusOr<std::vector<ComputeProfileRow>> ReadComputeProfiles(
    nvml::Nvml& nvml, const std::vector<int>& gpus, std::optional<int> gi_id);

}  // namespace migctl::cli

#endif  // MIGCTL_CLI_GPU_VIEWS_H_
