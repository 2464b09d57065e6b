// What migctl reads from a Kubernetes Node object (the answer to a GET, or
// the object of a watch event) and the merge patches it writes to one: its
// name, uid, resourceVersion, labels and annotations.
#ifndef MIGCTL_KUBE_NODE_H_
#define MIGCTL_KUBE_NODE_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kube/client.h"
#include "nlohmann/json.hpp"

namespace migctl::kube {

// A Node's metadata as migctl uses it.
struct NodeMetadata {
  std::string name;
  std::string uid;
  std::string resource_version;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;

  friend bool operator==(const NodeMetadata&, const NodeMetadata&) = default;
};

// Reads `node`'s metadata. A missing or null metadata, labels or
// annotations reads as empty. INVALID_ARGUMENT "Node object: <field> ..."
// (or "Node "<name>": ...") when the node or its metadata is not a JSON
// object, name/uid/resourceVersion is not a string, or labels/annotations is
// not an object of strings.
absl::StatusOr<NodeMetadata> ReadNodeMetadata(const nlohmann::json& node);

// The JSON merge patch (RFC 7386) making `changes` to metadata.`field`
// ("labels" or "annotations") of an object.
nlohmann::json KeyChangesPatch(absl::string_view field,
                               const KeyChanges& changes);

}  // namespace migctl::kube

#endif  // MIGCTL_KUBE_NODE_H_
