// The agent's status page (`/`) and its data (`/status.json`): what one node
// looks like right now — per GPU its slice map, MIG mode and health, plus the
// operations still pending, the last reconfiguration and the node's MIG
// labels.
//
// NodeStatus is a plain value gathered by CollectNodeStatus
// (agent/status_board.h); RenderStatusPage and StatusJson are pure functions
// of it, so the page is tested without a server. The page is one
// self-contained HTML document (inline CSS and a few lines of JavaScript, no
// external assets) that refreshes its `<main id="status">` every two seconds
// by fetching `/` again; without JavaScript it reloads every five.
#ifndef MIGCTL_AGENT_STATUS_PAGE_H_
#define MIGCTL_AGENT_STATUS_PAGE_H_

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "nvml/nvml.h"

namespace httplib {
class Server;
}

namespace migctl::agent {

// A GPU instance on the map: memory slices [start, start + size).
struct InstanceStatus {
  std::string profile;  // "1g.12gb"
  int gi_id = 0;
  int start = 0;
  int size = 0;
  bool busy = false;  // processes on its MIG devices
};

// One GPU. `memory_slices` is 0 when its model is not one migctl knows (no
// map is drawn then).
struct GpuStatus {
  int index = 0;
  std::string name;   // "NVIDIA H100 NVL"
  std::string uuid;   // "GPU-…"
  std::string model;  // catalogue key, "H100-NVL"
  int memory_slices = 0;
  int compute_slices = 0;       // the model's, 7 (0 when unknown)
  int compute_slices_used = 0;  // by its GPU instances
  nvml::MigMode mode;
  std::vector<InstanceStatus> instances;  // by start
  // "ok", or why the GPU's state could not be read.
  std::string health = "ok";
};

// The agent's last finished reconfiguration.
struct ReconfigurationStatus {
  std::string config;  // the nvidia.com/mig.config value handled
  std::string state;   // success, failed or rebooting
  absl::Time finished;
  absl::Duration took;
};

struct NodeStatus {
  std::string node;
  absl::Time time;           // when this status was gathered
  std::string config_label;  // nvidia.com/mig.config; "" when unset
  std::string state_label;   // nvidia.com/mig.config.state; "" when unset
  std::string phase;         // what the agent is doing now; "" when idle
  // What reaching config_label still takes, one line per operation
  // ("GPU 1: create GPU instance …"), and pending MIG mode changes.
  std::vector<std::string> pending;
  std::optional<ReconfigurationStatus> last;
  std::string failure;  // migctl.dev/mig.config.failure; "" when none
  // The node's nvidia.com/mig* and nvidia.com/gpu.* labels.
  std::map<std::string, std::string> labels;
  std::vector<GpuStatus> gpus;
};

// The whole page.
std::string RenderStatusPage(const NodeStatus& status);

// The `<main id="status">` element the page refreshes.
std::string RenderStatusMain(const NodeStatus& status);

// The slice map of one GPU: a CSS grid with one column per memory slice, a
// row of slice numbers, then each GPU instance as a box spanning its slices
// and each free slice as a "free" box.
std::string RenderSliceMap(const GpuStatus& gpu);

// `/status.json`.
nlohmann::json StatusJson(const NodeStatus& status);

// "<" -> "&lt;" and so on, for text and attribute values.
std::string EscapeHtml(std::string_view text);

// Serves `/` and `/status.json` on `server`, each from a fresh `collect()`.
void ServeStatusPage(httplib::Server& server,
                     const std::function<NodeStatus()>& collect);

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_STATUS_PAGE_H_
