#include "kube/object_fields.h"

namespace migctl::kube {

const nlohmann::json& Field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json* const kNull = new nlohmann::json();
  if (!object.is_object()) return *kNull;
  auto it = object.find(key);
  return it == object.end() ? *kNull : *it;
}

std::string StringField(const nlohmann::json& object, const char* key) {
  const nlohmann::json& value = Field(object, key);
  return value.is_string() ? value.get<std::string>() : "";
}

const nlohmann::json& MetadataOf(const nlohmann::json& object) {
  return Field(object, "metadata");
}

std::string ResourceVersionOf(const nlohmann::json& object) {
  return StringField(MetadataOf(object), "resourceVersion");
}

}  // namespace migctl::kube
