// The gpu-clients file of NVIDIA's mig-manager (GPU_CLIENTS_FILE): the host
// systemd services that use the GPUs and are stopped across a MIG change
// when WITH_SHUTDOWN_HOST_GPU_CLIENTS is set.
//
//   version: v1
//   systemd-services:
//     - nvsm.service
//     - nvidia-dcgm.service
#ifndef MIGCTL_CONFIG_GPU_CLIENTS_H_
#define MIGCTL_CONFIG_GPU_CLIENTS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace migctl::config {

struct GpuClients {
  // Unit names in file order; a name without a unit suffix gets ".service".
  std::vector<std::string> systemd_services;
};

// Errors as ParseMigConfig's: "file:line:column: ...".
absl::StatusOr<GpuClients> ParseGpuClients(absl::string_view yaml,
                                           absl::string_view filename);
absl::StatusOr<GpuClients> LoadGpuClients(const std::string& path);

}  // namespace migctl::config

#endif  // MIGCTL_CONFIG_GPU_CLIENTS_H_
