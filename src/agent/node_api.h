// NodeApi: what the node agent needs from Kubernetes about its own Node.
// The real one wraps kube::Client; tests use an in-memory one.
#ifndef MIGCTL_AGENT_NODE_API_H_
#define MIGCTL_AGENT_NODE_API_H_

#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace migctl::agent {

// Label (or annotation) key -> new value; nullopt removes the key.
using Changes = std::map<std::string, std::optional<std::string>>;

class NodeApi {
 public:
  virtual ~NodeApi() = default;
  virtual absl::StatusOr<std::map<std::string, std::string>> GetLabels() = 0;
  virtual absl::Status PatchLabels(const Changes& changes) = 0;
  virtual absl::Status PatchAnnotations(const Changes& changes) = 0;
  // A Node Event: type "Normal" or "Warning".
  virtual absl::Status RecordEvent(absl::string_view type,
                                   absl::string_view reason,
                                   absl::string_view message) = 0;
  // Pods on this node matching `label_selector` (e.g. "app=nvidia-dcgm").
  virtual absl::StatusOr<int> CountPods(absl::string_view label_selector) = 0;
};

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_NODE_API_H_
