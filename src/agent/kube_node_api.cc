#include "agent/kube_node_api.h"

#include "absl/strings/str_cat.h"
#include "kube/node.h"
#include "kube/object_fields.h"
#include "util/status_macros.h"

namespace migctl::agent {

absl::StatusOr<std::map<std::string, std::string>> KubeNodeApi::GetLabels() {
  ASSIGN_OR_RETURN(nlohmann::json node, client_.GetNode(node_));
  ASSIGN_OR_RETURN(kube::NodeMetadata meta, kube::ReadNodeMetadata(node));
  return std::move(meta.labels);
}

absl::Status KubeNodeApi::PatchLabels(const Changes& changes) {
  return client_.PatchNodeLabels(node_, changes).status();
}

absl::Status KubeNodeApi::PatchAnnotations(const Changes& changes) {
  return client_.PatchNodeAnnotations(node_, changes).status();
}

absl::Status KubeNodeApi::RecordEvent(absl::string_view type,
                                      absl::string_view reason,
                                      absl::string_view message) {
  ASSIGN_OR_RETURN(nlohmann::json node, client_.GetNode(node_));
  ASSIGN_OR_RETURN(kube::NodeMetadata meta, kube::ReadNodeMetadata(node));
  kube::ObjectReference ref;
  ref.kind = "Node";
  ref.name = node_;
  ref.uid = meta.uid;
  return client_
      .CreateEvent(ref, std::string(reason), std::string(message),
                   type == "Warning" ? kube::EventType::kWarning
                                     : kube::EventType::kNormal,
                   "migctl-agent")
      .status();
}

absl::StatusOr<int> KubeNodeApi::CountPods(absl::string_view label_selector) {
  ASSIGN_OR_RETURN(nlohmann::json pods,
                   client_.List("/api/v1/pods", std::string(label_selector),
                                absl::StrCat("spec.nodeName=", node_)));
  return pods.contains("items") ? static_cast<int>(pods["items"].size()) : 0;
}

absl::StatusOr<std::set<std::string>> KubeNodeApi::TerminatedPods() {
  ASSIGN_OR_RETURN(
      nlohmann::json pods,
      client_.List("/api/v1/pods", "", absl::StrCat("spec.nodeName=", node_)));
  std::set<std::string> out;
  const nlohmann::json& items = kube::Field(pods, "items");
  if (!items.is_array()) return out;
  for (const nlohmann::json& pod : items) {
    const std::string phase =
        kube::StringField(kube::Field(pod, "status"), "phase");
    const std::string ns =
        kube::StringField(kube::MetadataOf(pod), "namespace");
    const std::string name = kube::StringField(kube::MetadataOf(pod), "name");
    if ((phase == "Succeeded" || phase == "Failed") && !ns.empty() &&
        !name.empty()) {
      out.insert(absl::StrCat(ns, "/", name));
    }
  }
  return out;
}

}  // namespace migctl::agent
