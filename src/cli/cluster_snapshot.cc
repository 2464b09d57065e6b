#include "cli/cluster_snapshot.h"

#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "planner/json_fields.h"
#include "planner/layout_annotation.h"
#include "planner/pod_demand.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

using nlohmann::json;

namespace jf = planner::json_fields;

// Errors carry the file and the place in it.
class Reader {
 public:
  explicit Reader(absl::string_view filename) : file_(filename) {}

  absl::Status Error(const std::string& where, absl::string_view what) const {
    return InFile(jf::Error(where, what));
  }

  // Prefixes an error of json_fields or the layout parser with the file.
  absl::Status InFile(const absl::Status& s) const {
    if (s.ok()) return s;
    return absl::Status(s.code(), absl::StrCat(file_, ": ", s.message()));
  }

  absl::Status Keys(const json& obj, const std::string& where,
                    std::initializer_list<absl::string_view> known) const {
    return InFile(jf::Keys(obj, where, known));
  }

  absl::StatusOr<std::string> String(const json& obj, const std::string& where,
                                     const char* key, bool required) const {
    absl::StatusOr<std::string> v = jf::String(obj, where, key, required);
    if (!v.ok()) return InFile(v.status());
    return v;
  }

  absl::StatusOr<int64_t> Int(const json& obj, const std::string& where,
                              const char* key, int64_t fallback) const {
    absl::StatusOr<int64_t> v = jf::Int(obj, where, key, fallback);
    if (!v.ok()) return InFile(v.status());
    return v;
  }

  absl::StatusOr<int> IntIn(const json& obj, const std::string& where,
                            const char* key, int fallback) const {
    absl::StatusOr<int> v = jf::IntIn(obj, where, key, fallback);
    if (!v.ok()) return InFile(v.status());
    return v;
  }

  absl::StatusOr<std::vector<std::string>> Strings(const json& obj,
                                                   const std::string& where,
                                                   const char* key) const {
    absl::StatusOr<std::vector<std::string>> v = jf::Strings(obj, where, key);
    if (!v.ok()) return InFile(v.status());
    return v;
  }

  absl::StatusOr<planner::Node> ParseNode(const json& doc, int n) const {
    std::string where = absl::StrCat("nodes[", n, "]");
    if (!doc.is_object()) return Error(where, "must be an object");
    RETURN_IF_ERROR(Keys(doc, where, {"name", "gpus", "annotations"}));
    planner::Node node;
    ASSIGN_OR_RETURN(node.name, String(doc, where, "name", true));
    absl::StrAppend(&where, " (", node.name, ")");
    absl::StatusOr<std::vector<planner::Gpu>> gpus;
    if (doc.contains("gpus")) {
      gpus = planner::ParseLayoutGpus(doc["gpus"], where);
    } else if (doc.contains("annotations")) {
      // As `kubectl get node -o json` has them under metadata.annotations.
      const json& a = doc["annotations"];
      const std::string key(planner::kLayoutAnnotation);
      if (!a.is_object() || !a.contains(key) || !a[key].is_string()) {
        return Error(
            where, absl::StrCat("\"annotations\" has no string \"", key, "\""));
      }
      gpus = planner::ParseLayoutAnnotation(a[key].get<std::string>(), where);
    } else {
      return Error(where, "neither \"gpus\" nor \"annotations\" given");
    }
    if (!gpus.ok()) return InFile(gpus.status());
    node.gpus = *std::move(gpus);
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
      if (!absl::StartsWith(resource, planner::kMigResourcePrefix)) {
        return Error(where, absl::StrCat("resource \"", resource,
                                         "\" is not nvidia.com/mig-<profile>"));
      }
      item.profile = resource.substr(planner::kMigResourcePrefix.size());
    }
    if (!doc.contains("count")) return Error(where, "\"count\" missing");
    ASSIGN_OR_RETURN(item.count, IntIn(doc, where, "count", 0));
    ASSIGN_OR_RETURN(item.priority, IntIn(doc, where, "priority", 0));
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
    ASSIGN_OR_RETURN(p.max_nodes_touched,
                     IntIn(doc, where, "max_nodes_touched", -1));
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
