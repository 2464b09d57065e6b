// StatusBoard: what the agent has seen and done that NVML cannot tell — the
// node's MIG and GPU labels (nvidia.com/mig*, nvidia.com/gpu.*) and failure
// annotation (from the watch), the phase of the
// reconfiguration in progress and the last one's result — kept for the status
// page. CollectNodeStatus adds what NVML tells now and the operations still
// pending.
//
// Thread-safe: the agent's loop and watch write, the HTTP server reads.
#ifndef MIGCTL_AGENT_STATUS_BOARD_H_
#define MIGCTL_AGENT_STATUS_BOARD_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/status_page.h"
#include "nlohmann/json.hpp"
#include "nvml/nvml.h"

namespace migctl::agent {

class StatusBoard {
 public:
  // Keeps the node's nvidia.com/mig* and nvidia.com/gpu.* labels and its
  // failure annotation. A Node kube::ReadNodeMetadata refuses is ignored.
  void ObserveNode(const nlohmann::json& node);
  // The step now under way ("applying GPU 1 of 2"); "" when idle.
  void SetPhase(std::string phase);
  void RecordReconfiguration(ReconfigurationStatus result);

  // The recorded part of a NodeStatus (no GPUs, no pending operations).
  NodeStatus Snapshot() const;

 private:
  mutable absl::Mutex mu_;
  std::map<std::string, std::string> labels_ ABSL_GUARDED_BY(mu_);
  std::string failure_ ABSL_GUARDED_BY(mu_);
  std::string phase_ ABSL_GUARDED_BY(mu_);
  std::optional<ReconfigurationStatus> last_ ABSL_GUARDED_BY(mu_);
};

// The board's snapshot plus every GPU as NVML reports it now and, when the
// node's config label names a config of `config_paths` (read as one,
// agent/config_files.h), the operations that reaching it still takes.
NodeStatus CollectNodeStatus(nvml::Nvml& nvml, const StatusBoard& board,
                             const std::string& node_name,
                             const std::vector<std::string>& config_paths,
                             absl::Time now);

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_STATUS_BOARD_H_
