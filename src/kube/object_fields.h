// Lenient reads of Kubernetes API objects as JSON, for code that must not
// throw on a malformed object from the API server: a field that is absent,
// or of another type, reads as null (or "").
#ifndef MIGCTL_KUBE_OBJECT_FIELDS_H_
#define MIGCTL_KUBE_OBJECT_FIELDS_H_

#include <string>

#include "nlohmann/json.hpp"

namespace migctl::kube {

// object[key]; null when `object` is not an object or lacks `key`.
const nlohmann::json& Field(const nlohmann::json& object, const char* key);
// object[key] when it is a string, else "".
std::string StringField(const nlohmann::json& object, const char* key);
// object.metadata (null when absent).
const nlohmann::json& MetadataOf(const nlohmann::json& object);
// object.metadata.resourceVersion ("" when absent): also a List's.
std::string ResourceVersionOf(const nlohmann::json& object);

}  // namespace migctl::kube

#endif  // MIGCTL_KUBE_OBJECT_FIELDS_H_
