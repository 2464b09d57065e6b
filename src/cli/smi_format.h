// Text that reproduces nvidia-smi's own output, byte for byte (driver 580
// layouts, checked against real output in tests/golden/real/):
// `nvidia-smi -L`, `nvidia-smi mig -lgip`, `-lgipp`, `-lcip`, and the
// messages of `nvidia-smi -i N -mig 0|1`. Pure functions over plain rows.
#ifndef MIGCTL_CLI_SMI_FORMAT_H_
#define MIGCTL_CLI_SMI_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "mig/model.h"
#include "nvml/error.h"

namespace migctl::cli {

struct MigDeviceLine {
  std::string profile_name;  // "1g.12gb", "1c.2g.10gb"
  int index = 0;
  std::string uuid;
};

struct GpuLine {
  int index = 0;
  std::string name;
  std::string uuid;
  std::vector<MigDeviceLine> mig_devices;
};

// `nvidia-smi -L`.
std::string FormatDeviceList(const std::vector<GpuLine>& gpus);

struct GpuInstanceProfileRow {
  int gpu = 0;
  std::string name;  // "1g.12gb"
  int id = 0;
  int free = 0;
  int total = 0;
  uint64_t memory_mb = 0;
  bool p2p = false;
  int multiprocessors = 0;
  mig::Engines engines;
};

// `nvidia-smi mig -lgip`; rows in the order given.
std::string FormatGpuInstanceProfiles(
    const std::vector<GpuInstanceProfileRow>& rows);

struct PlacementRow {
  int gpu = 0;
  int profile_id = 0;
  std::vector<mig::Placement> placements;
};

// `nvidia-smi mig -lgipp`.
std::string FormatPlacements(const std::vector<PlacementRow>& rows);

struct ComputeProfileRow {
  int gpu = 0;
  int gi_id = 0;
  std::string name;  // "1c.4g.20gb", or the GI name for the full-size CI
  int id = 0;
  bool is_default = false;
  int free = 0;
  int total = 0;
  int multiprocessors = 0;
  mig::Engines engines;
};

// `nvidia-smi mig -lcip`.
std::string FormatComputeProfiles(const std::vector<ComputeProfileRow>& rows);

// `nvidia-smi -i N -mig 0|1`: the lines printed for one GPU, given the
// activation status NVML returned.
std::string FormatMigModeChange(const std::string& pci_bus_id, bool enabled,
                                nvml::Return activation);

inline constexpr absl::string_view kNoMigDevices =
    "No MIG-enabled devices found.\n";

}  // namespace migctl::cli

#endif  // MIGCTL_CLI_SMI_FORMAT_H_
