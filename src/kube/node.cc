#include "kube/node.h"

#include "absl/strings/str_cat.h"
#include "util/status_macros.h"

namespace migctl::kube {
namespace {

using nlohmann::json;

// Reads metadata.`key` when it is a string; "" when absent or null.
absl::Status ReadString(const json& meta, const char* key,
                        absl::string_view who, std::string& out) {
  auto it = meta.find(key);
  if (it == meta.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_string()) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, ": metadata.", key, " is not a string"));
  }
  out = it->get<std::string>();
  return absl::OkStatus();
}

// Reads metadata.`key`, a map of strings; empty when absent or null.
absl::Status ReadStringMap(const json& meta, const char* key,
                           absl::string_view who,
                           std::map<std::string, std::string>& out) {
  auto it = meta.find(key);
  if (it == meta.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, ": metadata.", key, " is not an object"));
  }
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          who, ": metadata.", key, "[\"", k, "\"] is not a string"));
    }
    out[k] = v.get<std::string>();
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NodeMetadata> ReadNodeMetadata(const json& node) {
  if (!node.is_object()) {
    return absl::InvalidArgumentError("Node object: not a JSON object");
  }
  NodeMetadata out;
  auto meta = node.find("metadata");
  if (meta == node.end() || meta->is_null()) return out;
  if (!meta->is_object()) {
    return absl::InvalidArgumentError("Node object: metadata is not an object");
  }
  RETURN_IF_ERROR(ReadString(*meta, "name", "Node object", out.name));
  const std::string who = out.name.empty()
                              ? std::string("Node object")
                              : absl::StrCat("Node \"", out.name, "\"");
  RETURN_IF_ERROR(ReadString(*meta, "uid", who, out.uid));
  RETURN_IF_ERROR(
      ReadString(*meta, "resourceVersion", who, out.resource_version));
  RETURN_IF_ERROR(ReadStringMap(*meta, "labels", who, out.labels));
  RETURN_IF_ERROR(ReadStringMap(*meta, "annotations", who, out.annotations));
  return out;
}

json KeyChangesPatch(absl::string_view field, const KeyChanges& changes) {
  json values = json::object();
  for (const auto& [key, value] : changes) {
    values[key] = value ? json(*value) : json(nullptr);
  }
  return {{"metadata", {{std::string(field), values}}}};
}

}  // namespace migctl::kube
