// NodeApi over the Kubernetes API: one Node, by name.
#ifndef MIGCTL_AGENT_KUBE_NODE_API_H_
#define MIGCTL_AGENT_KUBE_NODE_API_H_

#include <set>
#include <string>

#include "agent/node_api.h"
#include "kube/client.h"

namespace migctl::agent {

class KubeNodeApi : public NodeApi {
 public:
  KubeNodeApi(kube::Client& client, std::string node)
      : client_(client), node_(std::move(node)) {}

  absl::StatusOr<std::map<std::string, std::string>> GetLabels() override;
  absl::Status PatchLabels(const Changes& changes) override;
  absl::Status PatchAnnotations(const Changes& changes) override;
  absl::Status RecordEvent(absl::string_view type, absl::string_view reason,
                           absl::string_view message) override;
  absl::StatusOr<int> CountPods(absl::string_view label_selector) override;

  // The pods of this node whose phase is Succeeded or Failed,
  // "namespace/name": their containers are gone, whatever devices the
  // kubelet still lists for them.
  absl::StatusOr<std::set<std::string>> TerminatedPods();

 private:
  kube::Client& client_;
  std::string node_;
};

}  // namespace migctl::agent

#endif  // MIGCTL_AGENT_KUBE_NODE_API_H_
