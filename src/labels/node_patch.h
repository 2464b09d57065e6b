// The Node update that publishes GFD's labels: a JSON merge patch (RFC 7386,
// `kubectl patch --type merge`) that sets the labels ComputeLabels gives and
// removes the stale ones GFD owns, leaving every other label alone —
// nvidia.com/mig.config and mig.config.state (the node agent's), the GPU
// Operator's nvidia.com/gpu.deploy.* and nvidia.com/gpu.present, and
// everything outside nvidia.com/.
#ifndef MIGCTL_LABELS_NODE_PATCH_H_
#define MIGCTL_LABELS_NODE_PATCH_H_

#include "absl/strings/string_view.h"
#include "labels/labels.h"
#include "nlohmann/json.hpp"

namespace migctl::labels {

// Whether GFD writes label `key` (so a node's value for it is GFD's to
// replace or remove): nvidia.com/cuda.*, nvidia.com/vgpu.*,
// nvidia.com/gfd.timestamp, nvidia.com/mig.capable, nvidia.com/mig.strategy,
// nvidia.com/mps.capable, nvidia.com/gpu.{machine,mode,clique} and the
// resource labels nvidia.com/gpu.<attr> and nvidia.com/mig-<profile>.<attr>.
bool IsGfdLabel(absl::string_view key);

// {"metadata":{"labels":{...}}} with each label of `desired` whose value
// differs from `current`, and null for each GFD label of `current` that
// `desired` lacks. An empty object when the node already carries `desired`.
nlohmann::json LabelMergePatch(const Labels& current, const Labels& desired);

}  // namespace migctl::labels

#endif  // MIGCTL_LABELS_NODE_PATCH_H_
