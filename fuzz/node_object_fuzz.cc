// Kubernetes Node objects: nlohmann::json::parse (no exceptions), then
// kube::ReadNodeMetadata, as the agent reads its Node (GET and watch).
// Invariants: errors are INVALID_ARGUMENT starting "Node "; the labels and
// annotations read are exactly those of the document; a Node rebuilt from
// what was read with KeyChangesPatch (the agent's label and annotation merge
// patches) reads back the same, and patching every label away leaves none.
#include <cstddef>
#include <cstdint>

#include "absl/strings/match.h"
#include "fuzz_check.h"
#include "kube/node.h"
#include "nlohmann/json.hpp"

namespace {

namespace kube = migctl::kube;
using nlohmann::json;

// `values` as label or annotation changes: set each, or (remove) drop each.
kube::KeyChanges Changes(const std::map<std::string, std::string>& values,
                         bool remove) {
  kube::KeyChanges changes;
  for (const auto& [key, value] : values) {
    changes[key] = remove ? std::nullopt : std::optional<std::string>(value);
  }
  return changes;
}

// The number of entries of metadata.`key` in `doc`.
size_t Entries(const json& doc, const char* key) {
  const json& meta = doc.at("metadata");
  if (!meta.contains(key) || meta.at(key).is_null()) return 0;
  return meta.at(key).size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const json doc = json::parse(data, data + size, nullptr, false);
  if (doc.is_discarded()) return 0;
  absl::StatusOr<kube::NodeMetadata> meta = kube::ReadNodeMetadata(doc);
  if (!meta.ok()) {
    FUZZ_CHECK(meta.status().code() == absl::StatusCode::kInvalidArgument);
    FUZZ_CHECK(absl::StartsWith(meta.status().message(), "Node "));
    return 0;
  }
  if (doc.contains("metadata") && !doc.at("metadata").is_null()) {
    FUZZ_CHECK(meta->labels.size() == Entries(doc, "labels"));
    FUZZ_CHECK(meta->annotations.size() == Entries(doc, "annotations"));
    for (const auto& [key, value] : meta->labels) {
      FUZZ_CHECK(doc.at("metadata").at("labels").at(key) == value);
    }
  } else {
    FUZZ_CHECK(*meta == kube::NodeMetadata());
  }
  json rebuilt = {{"kind", "Node"},
                  {"metadata",
                   {{"name", meta->name},
                    {"uid", meta->uid},
                    {"resourceVersion", meta->resource_version}}}};
  rebuilt.merge_patch(
      kube::KeyChangesPatch("labels", Changes(meta->labels, false)));
  rebuilt.merge_patch(
      kube::KeyChangesPatch("annotations", Changes(meta->annotations, false)));
  absl::StatusOr<kube::NodeMetadata> again = kube::ReadNodeMetadata(rebuilt);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(*again == *meta);
  rebuilt.merge_patch(
      kube::KeyChangesPatch("labels", Changes(meta->labels, true)));
  absl::StatusOr<kube::NodeMetadata> unlabelled =
      kube::ReadNodeMetadata(rebuilt);
  FUZZ_CHECK(unlabelled.ok());
  FUZZ_CHECK(unlabelled->labels.empty());
  FUZZ_CHECK(unlabelled->annotations == meta->annotations);
  return 0;
}
