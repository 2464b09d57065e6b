#include "cli/cluster_snapshot.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mig/catalogue.h"
#include "nlohmann/json.hpp"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

using nlohmann::json;

constexpr absl::string_view kLayoutAnnotation = "migctl.dev/mig.layout";
constexpr absl::string_view kResourcePrefix = "nvidia.com/mig-";

// Errors carry the file and the place in it.
class Reader {
 public:
  explicit Reader(absl::string_view filename) : file_(filename) {}

  absl::Status Error(const std::string& where, absl::string_view what) const {
    return absl::InvalidArgumentError(
        where.empty() ? absl::StrCat(file_, ": ", what)
                      : absl::StrCat(file_, ": ", where, ": ", what));
  }

  // Fails on keys outside `known`: a typo must not be silently ignored.
  absl::Status Keys(const json& obj, const std::string& where,
                    std::initializer_list<absl::string_view> known) const {
    for (const auto& [key, value] : obj.items()) {
      bool ok = false;
      for (absl::string_view k : known) ok |= key == k;
      if (!ok) {
        return Error(where, absl::StrCat("unknown field \"", key, "\"; known: ",
                                         absl::StrJoin(known, ", ")));
      }
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::string> String(const json& obj, const std::string& where,
                                     const char* key, bool required) const {
    if (!obj.contains(key)) {
      if (required) return Error(where, absl::StrCat("\"", key, "\" missing"));
      return std::string();
    }
    if (!obj[key].is_string()) {
      return Error(where, absl::StrCat("\"", key, "\" must be a string"));
    }
    return obj[key].get<std::string>();
  }

  absl::StatusOr<int64_t> Int(const json& obj, const std::string& where,
                              const char* key, int64_t fallback) const {
    if (!obj.contains(key)) return fallback;
    if (!obj[key].is_number_integer()) {
      return Error(where, absl::StrCat("\"", key, "\" must be an integer"));
    }
    return obj[key].get<int64_t>();
  }

  absl::StatusOr<bool> Bool(const json& obj, const std::string& where,
                            const char* key, bool fallback) const {
    if (!obj.contains(key)) return fallback;
    if (!obj[key].is_boolean()) {
      return Error(where, absl::StrCat("\"", key, "\" must be true or false"));
    }
    return obj[key].get<bool>();
  }

  absl::StatusOr<std::vector<std::string>> Strings(const json& obj,
                                                   const std::string& where,
                                                   const char* key) const {
    std::vector<std::string> out;
    if (!obj.contains(key)) return out;
    if (!obj[key].is_array()) {
      return Error(where, absl::StrCat("\"", key, "\" must be a list"));
    }
    for (const json& v : obj[key]) {
      if (!v.is_string()) {
        return Error(where,
                     absl::StrCat("\"", key, "\" must list strings only"));
      }
      out.push_back(v.get<std::string>());
    }
    return out;
  }

  absl::StatusOr<planner::Instance> ParseInstance(
      const json& doc, const std::string& where,
      const mig::GpuModel& model) const {
    if (!doc.is_object()) return Error(where, "must be an object");
    RETURN_IF_ERROR(
        Keys(doc, where, {"profile", "start", "size", "busy", "pods"}));
    ASSIGN_OR_RETURN(std::string name, String(doc, where, "profile", true));
    const mig::GpuInstanceProfile* p = model.FindProfileByName(name);
    if (p == nullptr) {
      std::vector<std::string> names;
      for (const mig::GpuInstanceProfile& q : model.profiles) {
        names.push_back(q.name);
      }
      return Error(
          where,
          absl::StrCat("profile \"", name, "\" does not exist on ", model.key,
                       "; it has ", absl::StrJoin(names, ", ")));
    }
    if (!doc.contains("start")) return Error(where, "\"start\" missing");
    ASSIGN_OR_RETURN(int64_t start, Int(doc, where, "start", 0));
    ASSIGN_OR_RETURN(int64_t size, Int(doc, where, "size", p->memory_slices()));
    if (size != p->memory_slices()) {
      return Error(
          where, absl::StrCat("size ", size, " is not the ", p->memory_slices(),
                              " slices of ", name));
    }
    planner::Instance i;
    i.gi = {p->id, {static_cast<int>(start), static_cast<int>(size)}};
    ASSIGN_OR_RETURN(i.pods, Strings(doc, where, "pods"));
    ASSIGN_OR_RETURN(bool busy, Bool(doc, where, "busy", false));
    if (busy && i.pods.empty()) i.pods.push_back("(busy)");
    return i;
  }

  absl::StatusOr<planner::Gpu> ParseGpu(const json& doc,
                                        const std::string& where) const {
    if (!doc.is_object()) return Error(where, "must be an object");
    RETURN_IF_ERROR(Keys(
        doc, where,
        {"index", "uuid", "model", "mig_enabled", "pods", "gpu_instances"}));
    planner::Gpu gpu;
    if (!doc.contains("index")) return Error(where, "\"index\" missing");
    ASSIGN_OR_RETURN(int64_t index, Int(doc, where, "index", 0));
    gpu.index = static_cast<int>(index);
    ASSIGN_OR_RETURN(gpu.uuid, String(doc, where, "uuid", false));
    ASSIGN_OR_RETURN(std::string key, String(doc, where, "model", true));
    gpu.model = mig::FindModel(key);
    if (gpu.model == nullptr) {
      std::vector<std::string> keys;
      for (const mig::GpuModel& m : mig::Catalogue()) keys.push_back(m.key);
      return Error(where, absl::StrCat("unknown model \"", key, "\"; known: ",
                                       absl::StrJoin(keys, ", ")));
    }
    ASSIGN_OR_RETURN(gpu.mig_enabled, Bool(doc, where, "mig_enabled", true));
    ASSIGN_OR_RETURN(gpu.pods, Strings(doc, where, "pods"));
    if (doc.contains("gpu_instances")) {
      if (!doc["gpu_instances"].is_array()) {
        return Error(where, "\"gpu_instances\" must be a list");
      }
      int k = 0;
      for (const json& i : doc["gpu_instances"]) {
        ASSIGN_OR_RETURN(
            planner::Instance instance,
            ParseInstance(i, absl::StrCat(where, " gpu_instances[", k++, "]"),
                          *gpu.model));
        gpu.instances.push_back(std::move(instance));
      }
    }
    return gpu;
  }

  absl::StatusOr<planner::Node> ParseNode(const json& doc, int n) const {
    std::string where = absl::StrCat("nodes[", n, "]");
    if (!doc.is_object()) return Error(where, "must be an object");
    RETURN_IF_ERROR(Keys(doc, where, {"name", "gpus", "annotations"}));
    planner::Node node;
    ASSIGN_OR_RETURN(node.name, String(doc, where, "name", true));
    absl::StrAppend(&where, " (", node.name, ")");
    json gpus;
    if (doc.contains("gpus")) {
      gpus = doc["gpus"];
    } else if (doc.contains("annotations")) {
      // As `kubectl get node -o json` has them under metadata.annotations.
      const json& a = doc["annotations"];
      if (!a.is_object() || !a.contains(std::string(kLayoutAnnotation)) ||
          !a[std::string(kLayoutAnnotation)].is_string()) {
        return Error(where, absl::StrCat("\"annotations\" has no string \"",
                                         kLayoutAnnotation, "\""));
      }
      json layout = json::parse(
          a[std::string(kLayoutAnnotation)].get<std::string>(), nullptr, false);
      if (layout.is_discarded() || !layout.is_object() ||
          !layout.contains("gpus")) {
        return Error(where, absl::StrCat(kLayoutAnnotation,
                                         " is not JSON with \"gpus\""));
      }
      gpus = layout["gpus"];
      absl::StrAppend(&where, " ", kLayoutAnnotation);
    } else {
      return Error(where, "neither \"gpus\" nor \"annotations\" given");
    }
    if (!gpus.is_array()) return Error(where, "\"gpus\" must be a list");
    int g = 0;
    for (const json& gpu : gpus) {
      ASSIGN_OR_RETURN(planner::Gpu parsed,
                       ParseGpu(gpu, absl::StrCat(where, " gpus[", g++, "]")));
      node.gpus.push_back(std::move(parsed));
    }
    return node;
  }

  absl::StatusOr<planner::DemandItem> ParseDemand(const json& doc,
                                                  int k) const {
    const std::string where = absl::StrCat("demand[", k, "]");
    if (!doc.is_object()) return Error(where, "must be an object");
    RETURN_IF_ERROR(
        Keys(doc, where, {"profile", "resource", "count", "priority"}));
    planner::DemandItem item;
    ASSIGN_OR_RETURN(item.profile, String(doc, where, "profile", false));
    ASSIGN_OR_RETURN(std::string resource,
                     String(doc, where, "resource", false));
    if (item.profile.empty() == resource.empty()) {
      return Error(where,
                   "give exactly one of \"profile\" (1g.12gb) and "
                   "\"resource\" (nvidia.com/mig-1g.12gb)");
    }
    if (!resource.empty()) {
      if (!absl::StartsWith(resource, kResourcePrefix)) {
        return Error(where, absl::StrCat("resource \"", resource,
                                         "\" is not nvidia.com/mig-<profile>"));
      }
      item.profile = resource.substr(kResourcePrefix.size());
    }
    if (!doc.contains("count")) return Error(where, "\"count\" missing");
    ASSIGN_OR_RETURN(int64_t count, Int(doc, where, "count", 0));
    ASSIGN_OR_RETURN(int64_t priority, Int(doc, where, "priority", 0));
    item.count = static_cast<int>(count);
    item.priority = static_cast<int>(priority);
    return item;
  }

  absl::StatusOr<planner::Policy> ParsePolicy(const json& doc) const {
    const std::string where = "policy";
    planner::Policy p;
    if (!doc.is_object()) return Error(where, "must be an object");
    RETURN_IF_ERROR(Keys(doc, where,
                         {"destroy_weight", "node_weight", "max_nodes_touched",
                          "protected_nodes", "config_name"}));
    ASSIGN_OR_RETURN(p.destroy_weight,
                     Int(doc, where, "destroy_weight", p.destroy_weight));
    ASSIGN_OR_RETURN(p.node_weight,
                     Int(doc, where, "node_weight", p.node_weight));
    ASSIGN_OR_RETURN(int64_t max, Int(doc, where, "max_nodes_touched", -1));
    p.max_nodes_touched = static_cast<int>(max);
    ASSIGN_OR_RETURN(p.protected_nodes, Strings(doc, where, "protected_nodes"));
    ASSIGN_OR_RETURN(std::string name,
                     String(doc, where, "config_name", false));
    if (!name.empty()) p.config_name = name;
    return p;
  }

 private:
  std::string file_;
};

}  // namespace

absl::StatusOr<ClusterSnapshot> ParseClusterSnapshot(
    absl::string_view text, absl::string_view filename) {
  Reader r(filename);
  json doc = json::parse(text.begin(), text.end(), nullptr, false);
  if (doc.is_discarded()) return r.Error("", "not valid JSON");
  if (!doc.is_object()) return r.Error("", "must be a JSON object");
  RETURN_IF_ERROR(r.Keys(doc, "", {"nodes", "demand", "policy"}));
  ClusterSnapshot s;
  if (!doc.contains("nodes") || !doc["nodes"].is_array()) {
    return r.Error("", "\"nodes\" must be a list");
  }
  int n = 0;
  for (const json& node : doc["nodes"]) {
    ASSIGN_OR_RETURN(planner::Node parsed, r.ParseNode(node, n++));
    s.cluster.nodes.push_back(std::move(parsed));
  }
  if (doc.contains("demand")) {
    if (!doc["demand"].is_array()) {
      return r.Error("", "\"demand\" must be a list");
    }
    int k = 0;
    for (const json& item : doc["demand"]) {
      ASSIGN_OR_RETURN(planner::DemandItem parsed, r.ParseDemand(item, k++));
      s.demand.items.push_back(std::move(parsed));
    }
  }
  if (doc.contains("policy")) {
    ASSIGN_OR_RETURN(s.policy, r.ParsePolicy(doc["policy"]));
  }
  return s;
}

absl::StatusOr<ClusterSnapshot> LoadClusterSnapshot(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(
        absl::StrCat("cannot read cluster snapshot ", path));
  }
  std::stringstream text;
  text << in.rdbuf();
  return ParseClusterSnapshot(text.str(), path);
}

}  // namespace migctl::cli
