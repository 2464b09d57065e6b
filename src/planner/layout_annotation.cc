#include "planner/layout_annotation.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mig/catalogue.h"
#include "mig/layout.h"
#include "planner/json_fields.h"
#include "util/status_macros.h"

namespace migctl::planner {
namespace {

using nlohmann::json;
namespace jf = json_fields;

// "<where> <more>", or just "<more>" at the top of a document.
std::string Place(const std::string& where, absl::string_view more) {
  return where.empty() ? std::string(more) : absl::StrCat(where, " ", more);
}

absl::StatusOr<Instance> ParseInstance(const json& doc,
                                       const std::string& where,
                                       const mig::GpuModel& model) {
  if (!doc.is_object()) return jf::Error(where, "must be an object");
  RETURN_IF_ERROR(
      jf::Keys(doc, where, {"profile", "start", "size", "busy", "pods"}));
  ASSIGN_OR_RETURN(std::string name, jf::String(doc, where, "profile", true));
  const mig::GpuInstanceProfile* p = model.FindProfileByName(name);
  if (p == nullptr) {
    std::vector<std::string> names;
    for (const mig::GpuInstanceProfile& q : model.profiles) {
      names.push_back(q.name);
    }
    return jf::Error(
        where,
        absl::StrCat("profile \"", name, "\" does not exist on ", model.key,
                     "; it has ", absl::StrJoin(names, ", ")));
  }
  if (!doc.contains("start")) return jf::Error(where, "\"start\" missing");
  ASSIGN_OR_RETURN(int start, jf::IntIn(doc, where, "start", 0));
  ASSIGN_OR_RETURN(int size, jf::IntIn(doc, where, "size", p->memory_slices()));
  if (size != p->memory_slices()) {
    return jf::Error(
        where, absl::StrCat("size ", size, " is not the ", p->memory_slices(),
                            " slices of ", name));
  }
  Instance i;
  i.gi = {p->id, {start, size}};
  ASSIGN_OR_RETURN(i.pods, jf::Strings(doc, where, "pods"));
  ASSIGN_OR_RETURN(bool busy, jf::Bool(doc, where, "busy", false));
  if (busy && i.pods.empty()) i.pods.push_back("(busy)");
  return i;
}

absl::StatusOr<Gpu> ParseGpu(const json& doc, const std::string& where) {
  if (!doc.is_object()) return jf::Error(where, "must be an object");
  RETURN_IF_ERROR(jf::Keys(
      doc, where,
      {"index", "uuid", "model", "mig_enabled", "pods", "gpu_instances"}));
  Gpu gpu;
  if (!doc.contains("index")) return jf::Error(where, "\"index\" missing");
  ASSIGN_OR_RETURN(gpu.index, jf::IntIn(doc, where, "index", 0));
  ASSIGN_OR_RETURN(gpu.uuid, jf::String(doc, where, "uuid", false));
  ASSIGN_OR_RETURN(std::string key, jf::String(doc, where, "model", true));
  gpu.model = mig::FindModel(key);
  if (gpu.model == nullptr) {
    std::vector<std::string> keys;
    for (const mig::GpuModel& m : mig::Catalogue()) keys.push_back(m.key);
    return jf::Error(where, absl::StrCat("unknown model \"", key, "\"; known: ",
                                         absl::StrJoin(keys, ", ")));
  }
  ASSIGN_OR_RETURN(gpu.mig_enabled, jf::Bool(doc, where, "mig_enabled", true));
  ASSIGN_OR_RETURN(gpu.pods, jf::Strings(doc, where, "pods"));
  if (doc.contains("gpu_instances")) {
    if (!doc["gpu_instances"].is_array()) {
      return jf::Error(where, "\"gpu_instances\" must be a list");
    }
    int k = 0;
    for (const json& i : doc["gpu_instances"]) {
      ASSIGN_OR_RETURN(
          Instance instance,
          ParseInstance(i, absl::StrCat(where, " gpu_instances[", k++, "]"),
                        *gpu.model));
      gpu.instances.push_back(std::move(instance));
    }
  }
  if (absl::Status s = ValidateGpu(gpu); !s.ok()) {
    return jf::Error(where, s.message());
  }
  return gpu;
}

}  // namespace

absl::StatusOr<std::vector<Gpu>> ParseLayoutGpus(const json& gpus,
                                                 const std::string& where) {
  if (!gpus.is_array()) return jf::Error(where, "\"gpus\" must be a list");
  std::vector<Gpu> out;
  int g = 0;
  for (const json& gpu : gpus) {
    ASSIGN_OR_RETURN(
        Gpu parsed,
        ParseGpu(gpu, Place(where, absl::StrCat("gpus[", g++, "]"))));
    out.push_back(std::move(parsed));
  }
  return out;
}

absl::StatusOr<std::vector<Gpu>> ParseLayoutAnnotation(
    absl::string_view value, const std::string& where) {
  json layout = json::parse(value.begin(), value.end(), nullptr, false);
  if (layout.is_discarded() || !layout.is_object() ||
      !layout.contains("gpus")) {
    return jf::Error(
        where, absl::StrCat(kLayoutAnnotation, " is not JSON with \"gpus\""));
  }
  return ParseLayoutGpus(layout["gpus"], Place(where, kLayoutAnnotation));
}

}  // namespace migctl::planner
