#include "agent/kube_node_api.h"

#include "absl/strings/str_cat.h"
#include "kube/node.h"
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
  // object.section.key when it is a string, else "".
  auto field = [](const nlohmann::json& object, const char* section,
                  const char* key) -> std::string {
    if (!object.is_object() || !object.contains(section)) return "";
    const nlohmann::json& s = object[section];
    if (!s.is_object() || !s.contains(key) || !s[key].is_string()) return "";
    return s[key].get<std::string>();
  };
  std::set<std::string> out;
  if (!pods.contains("items") || !pods["items"].is_array()) return out;
  for (const nlohmann::json& pod : pods["items"]) {
    const std::string phase = field(pod, "status", "phase");
    const std::string ns = field(pod, "metadata", "namespace");
    const std::string name = field(pod, "metadata", "name");
    if ((phase == "Succeeded" || phase == "Failed") && !ns.empty() &&
        !name.empty()) {
      out.insert(absl::StrCat(ns, "/", name));
    }
  }
  return out;
}

}  // namespace migctl::agent
