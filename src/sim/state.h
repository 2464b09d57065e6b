// The simulated node's state: GPUs, their MIG mode, instances and the
// processes holding them, plus armed faults. A plain value; the rules that
// change it live in SimNvml, its storage in StateFile.
#ifndef MIGCTL_SIM_STATE_H_
#define MIGCTL_SIM_STATE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mig/model.h"
#include "nlohmann/json.hpp"
#include "nvml/error.h"

namespace migctl::sim {

inline constexpr int kStateVersion = 1;
inline constexpr absl::string_view kStateKind = "migctl-sim-node";

struct SimComputeInstance {
  int id = 0;
  int profile_id = 0;
  mig::Placement placement;
  std::string uuid;  // the MIG device's "MIG-…"
};

struct SimGpuInstance {
  int id = 0;
  int profile_id = 0;
  mig::Placement placement;
  std::vector<SimComputeInstance> compute_instances;
};

struct SimProcess {
  uint32_t pid = 0;
  std::string name;
  uint64_t used_memory_bytes = 0;
  std::optional<int> gi_id;  // on a MIG device when set
  std::optional<int> ci_id;
};

struct SimGpu {
  std::string model;  // catalogue key
  std::string uuid;
  std::string pci_bus_id;
  // The N of /dev/nvidiaN; unset: the GPU's index, as on most nodes.
  std::optional<int> minor_number;
  bool mig_current = false;
  bool mig_pending = false;
  std::vector<SimGpuInstance> gpu_instances;
  std::vector<SimProcess> processes;
};

// "Fail the N-th mutating call from now": with `code`, or by killing the
// process with SIGKILL when `abort` is set (a crash in the middle of a
// reconfiguration); the call is not made either way.
struct SimFault {
  int countdown = 0;  // 0: none armed
  nvml::Return code = nvml::Return::kUnknown;
  bool abort = false;
};

// An XID error injected on a GPU (`migctl sim inject-xid`); NVML reports
// it to every event subscriber whose cursor is below `seq`.
struct SimXidEvent {
  uint64_t seq = 0;
  int gpu = 0;
  uint64_t xid = 0;
  std::optional<int> gi_id;  // unset: the whole GPU
  std::optional<int> ci_id;
};

// How many injected XID events the state keeps (oldest dropped first).
inline constexpr size_t kMaxSimXidEvents = 256;

struct SimState {
  std::string node_name = "sim-node";
  std::string driver_version = "580.159.04";
  // nvmlSystemGetCudaDriverVersion_v2: 1000 * major + 10 * minor.
  int cuda_driver_version = 13000;
  // False models pass-through VMs: no GPU reset, mode changes need a reboot.
  bool reset_supported = true;
  // MIG mode survives a reboot (the driver stores it on the GPU).
  bool mig_mode_persistent = true;
  uint64_t boot_count = 0;
  uint64_t mutating_calls = 0;  // successful or not, since creation
  uint64_t next_serial = 1;     // feeds MIG device UUIDs
  SimFault fault;
  std::vector<SimGpu> gpus;
  uint64_t next_xid_seq = 1;
  std::vector<SimXidEvent> xid_events;  // oldest first
};

nlohmann::json ToJson(const SimState& state);
// INVALID_ARGUMENT naming the field for a malformed document,
// FAILED_PRECONDITION for an unknown kind or version.
absl::StatusOr<SimState> FromJson(const nlohmann::json& doc);

// A new node of `models` (catalogue keys), MIG disabled, stable UUIDs derived
// from `node_name` and the GPU index.
absl::StatusOr<SimState> NewNode(const std::string& node_name,
                                 const std::vector<std::string>& models);

// "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" from a seed string, stable across
// runs and platforms.
std::string StableUuid(absl::string_view seed);

}  // namespace migctl::sim

#endif  // MIGCTL_SIM_STATE_H_
