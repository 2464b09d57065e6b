#include "support/api_server.h"

#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace migctl::testing {
namespace {

using nlohmann::json;

struct ResourceInfo {
  const char* name;
  const char* kind;
  bool namespaced;
  const char* short_name;
  const char* group_version = "v1";  // "v1" is core (/api/v1)
};

constexpr ResourceInfo kResources[] = {
    {"nodes", "Node", false, "no"},
    {"namespaces", "Namespace", false, "ns"},
    {"pods", "Pod", true, "po"},
    {"configmaps", "ConfigMap", true, "cm"},
    {"events", "Event", true, "ev"},
    // --- kinds of the Helm chart (issue 7) ---
    // Stored and served as they are sent (no defaulting, no controllers), so
    // that `kubectl apply -f` of the rendered chart and `kubectl get` work.
    {"serviceaccounts", "ServiceAccount", true, "sa"},
    {"services", "Service", true, "svc"},
    {"daemonsets", "DaemonSet", true, "ds", "apps/v1"},
    {"clusterroles", "ClusterRole", false, "", "rbac.authorization.k8s.io/v1"},
    {"clusterrolebindings", "ClusterRoleBinding", false, "",
     "rbac.authorization.k8s.io/v1"},
    {"servicemonitors", "ServiceMonitor", true, "smon",
     "monitoring.coreos.com/v1"},
    // The planner's Deployment and its namespaced RBAC (issue 8).
    {"deployments", "Deployment", true, "deploy", "apps/v1"},
    {"roles", "Role", true, "", "rbac.authorization.k8s.io/v1"},
    {"rolebindings", "RoleBinding", true, "", "rbac.authorization.k8s.io/v1"},
    // --- end kinds of the Helm chart ---
};

// The API groups of kResources other than core, "group/version" in order.
std::vector<std::string> ApiGroupVersions() {
  std::vector<std::string> out;
  for (const auto& r : kResources) {
    if (std::string(r.group_version) != "v1" &&
        std::find(out.begin(), out.end(), r.group_version) == out.end()) {
      out.push_back(r.group_version);
    }
  }
  return out;
}

// The segments after "/api/v1/" or "/apis/<group>/<version>/", with that
// group/version ("v1" for core) in *group_version; empty for other paths.
std::vector<std::string> SplitResourcePath(const std::string& path,
                                           std::string* group_version) {
  std::string rest;
  if (absl::StartsWith(path, "/api/v1/")) {
    *group_version = "v1";
    rest = path.substr(strlen("/api/v1/"));
  } else if (absl::StartsWith(path, "/apis/")) {
    std::vector<std::string> head =
        absl::StrSplit(path.substr(strlen("/apis/")), absl::MaxSplits('/', 2));
    if (head.size() < 3) return {};
    *group_version = absl::StrCat(head[0], "/", head[1]);
    rest = head[2];
  } else {
    return {};
  }
  return absl::StrSplit(rest, '/', absl::SkipEmpty());
}

// Discovery and OpenAPI v3 documents of the non-core groups: /apis,
// /apis/<group>/<version>, the /openapi/v3 entries and
// /openapi/v3/apis/<group>/<version> (just the fieldValidation parameter,
// as for core). *found false for other paths.
nlohmann::json GroupDiscovery(const std::string& path, bool* found) {
  *found = true;
  if (path == "/apis") {
    nlohmann::json groups = nlohmann::json::array();
    for (const std::string& gv : ApiGroupVersions()) {
      std::string group = gv.substr(0, gv.find('/'));
      std::string version = gv.substr(gv.find('/') + 1);
      nlohmann::json v = {{"groupVersion", gv}, {"version", version}};
      groups.push_back({{"name", group},
                        {"versions", nlohmann::json::array({v})},
                        {"preferredVersion", v}});
    }
    return {{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", groups}};
  }
  for (const std::string& gv : ApiGroupVersions()) {
    std::string group = gv.substr(0, gv.find('/'));
    std::string version = gv.substr(gv.find('/') + 1);
    if (path == "/apis/" + gv) {
      nlohmann::json resources = nlohmann::json::array();
      for (const auto& r : kResources) {
        if (r.group_version != gv) continue;
        nlohmann::json short_names = nlohmann::json::array();
        if (*r.short_name != '\0') short_names.push_back(r.short_name);
        resources.push_back(
            {{"name", r.name},
             {"singularName", absl::AsciiStrToLower(r.kind)},
             {"namespaced", r.namespaced},
             {"kind", r.kind},
             {"verbs",
              {"create", "delete", "get", "list", "patch", "update", "watch"}},
             {"shortNames", short_names}});
      }
      return {{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", gv},
              {"resources", resources}};
    }
    if (path == "/openapi/v3/apis/" + gv) {
      nlohmann::json paths = nlohmann::json::object();
      for (const auto& r : kResources) {
        if (r.group_version != gv) continue;
        std::string item =
            r.namespaced
                ? absl::StrCat("/apis/", gv, "/namespaces/{namespace}/", r.name,
                               "/{name}")
                : absl::StrCat("/apis/", gv, "/", r.name, "/{name}");
        nlohmann::json op = {
            {"x-kubernetes-group-version-kind",
             {{"group", group}, {"version", version}, {"kind", r.kind}}},
            {"parameters",
             nlohmann::json::array({{{"name", "fieldValidation"},
                                     {"in", "query"},
                                     {"schema", {{"type", "string"}}}}})},
            {"responses", {{"200", {{"description", "OK"}}}}}};
        paths[item] = {{"patch", op}};
      }
      return {{"openapi", "3.0.0"},
              {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
              {"paths", paths},
              {"components", {{"schemas", nlohmann::json::object()}}}};
    }
  }
  *found = false;
  return nullptr;
}

const ResourceInfo* FindResource(const std::string& name) {
  for (const auto& r : kResources) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

std::string Key(const std::string& ns, const std::string& name) {
  return absl::StrCat(ns, "/", name);
}

std::string Now() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(),
                          absl::UTCTimeZone());
}

json StatusBody(int code, const std::string& reason,
                const std::string& message) {
  return {
      {"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
      {"status", "Failure"}, {"message", message}, {"reason", reason},
      {"code", code}};
}

int HttpFor(const absl::Status& s, std::string* reason) {
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      *reason = "NotFound";
      return 404;
    case absl::StatusCode::kAlreadyExists:
      *reason = "AlreadyExists";
      return 409;
    case absl::StatusCode::kAborted:
      *reason = "Conflict";
      return 409;
    case absl::StatusCode::kOutOfRange:
      *reason = "Expired";
      return 410;
    case absl::StatusCode::kFailedPrecondition:
      *reason = "Invalid";
      return 422;
    case absl::StatusCode::kInvalidArgument:
      *reason = "BadRequest";
      return 400;
    case absl::StatusCode::kUnimplemented:
      *reason = "MethodNotAllowed";
      return 405;
    default:
      *reason = "InternalError";
      return 500;
  }
}

std::string ReasonFor(int http) {
  switch (http) {
    case 404:
      return "NotFound";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return http >= 500 ? "InternalError" : "BadRequest";
  }
}

std::string Meta(const json& object, const char* field) {
  if (!object.is_object() || !object.contains("metadata")) return "";
  const json& meta = object["metadata"];
  if (!meta.is_object() || !meta.contains(field) || !meta[field].is_string()) {
    return "";
  }
  return meta[field].get<std::string>();
}

// Strategic merge for maps: like RFC 7386, plus the $patch, $retainKeys and
// $setElementOrder directives kubectl sends; lists are replaced whole.
json StrategicMerge(json target, const json& patch, bool* deleted);

// Strategic merge of a list that has a patch merge key (added for the Helm
// chart's DaemonSet, issue 7): kubectl sends "$setElementOrder/<field>", the
// final order with each item reduced to its merge key (or the values of a
// primitive list), the changed items in <field>, removals as
// `$patch: delete` items or in "$deleteFromPrimitiveList/<field>". Items
// merge by key; items only on the server stay, after the ordered ones.
json MergeKeyedList(const json& target, const json& patch_items,
                    const json& order, const json& deleted_primitives) {
  std::string merge_key;
  if (!order.empty() && order[0].is_object() && order[0].size() == 1) {
    merge_key = order[0].begin().key();
  }
  auto id = [&](const json& item) {
    return merge_key.empty() ? item.dump()
                             : item.value(merge_key, json()).dump();
  };
  auto find = [&](const json& list, const std::string& wanted) -> const json* {
    if (!list.is_array()) return nullptr;
    for (const json& item : list) {
      if (id(item) == wanted) return &item;
    }
    return nullptr;
  };
  std::set<std::string> removed;
  for (const json& p : patch_items) {
    if (p.is_object() && p.value("$patch", "") == "delete") {
      removed.insert(id(p));
    }
  }
  if (deleted_primitives.is_array()) {
    for (const json& v : deleted_primitives) removed.insert(v.dump());
  }
  json out = json::array();
  std::set<std::string> placed;
  for (const json& o : order) {
    std::string key = id(o);
    if (removed.contains(key) || !placed.insert(key).second) continue;
    if (merge_key.empty()) {
      out.push_back(o);
      continue;
    }
    const json* base = find(target, key);
    const json* change = find(patch_items, key);
    bool gone = false;
    json merged = StrategicMerge(base ? *base : json::object(),
                                 change ? *change : json::object(), &gone);
    if (!gone) out.push_back(std::move(merged));
  }
  if (target.is_array()) {
    for (const json& item : target) {
      std::string key = id(item);
      if (!placed.contains(key) && !removed.contains(key)) out.push_back(item);
    }
  }
  return out;
}

json StrategicMerge(json target, const json& patch, bool* deleted) {
  *deleted = false;
  if (!patch.is_object()) return patch;
  if (!target.is_object()) target = json::object();
  if (patch.contains("$patch")) {
    std::string directive = patch["$patch"].get<std::string>();
    if (directive == "delete") {
      *deleted = true;
      return json();
    }
    if (directive == "replace") {
      json replaced = json::object();
      for (auto it = patch.begin(); it != patch.end(); ++it) {
        if (!absl::StartsWith(it.key(), "$")) replaced[it.key()] = it.value();
      }
      return replaced;
    }
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (absl::StartsWith(it.key(), "$")) continue;
    if (patch.contains("$setElementOrder/" + it.key())) continue;  // below
    if (it.value().is_null()) {
      target.erase(it.key());
    } else if (it.value().is_object()) {
      bool child_deleted = false;
      json merged =
          StrategicMerge(target.contains(it.key()) ? target[it.key()] : json(),
                         it.value(), &child_deleted);
      if (child_deleted) {
        target.erase(it.key());
      } else {
        target[it.key()] = std::move(merged);
      }
    } else {
      target[it.key()] = it.value();
    }
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (!absl::StartsWith(it.key(), "$setElementOrder/")) continue;
    std::string field = it.key().substr(strlen("$setElementOrder/"));
    target[field] = MergeKeyedList(
        target.value(field, json()), patch.value(field, json::array()),
        it.value(),
        patch.value("$deleteFromPrimitiveList/" + field, json::array()));
  }
  if (patch.contains("$retainKeys") && patch["$retainKeys"].is_array()) {
    std::set<std::string> keep;
    for (const auto& k : patch["$retainKeys"])
      keep.insert(k.get<std::string>());
    for (auto it = target.begin(); it != target.end();) {
      if (!keep.contains(it.key())) {
        it = target.erase(it);
      } else {
        ++it;
      }
    }
  }
  return target;
}

std::string FieldValue(const json& object, const std::string& path) {
  const json* node = &object;
  for (absl::string_view part : absl::StrSplit(path, '.')) {
    std::string key(part);
    if (!node->is_object() || !node->contains(key)) return "";
    node = &(*node)[key];
  }
  if (node->is_string()) return node->get<std::string>();
  if (node->is_null()) return "";
  return node->dump();
}

absl::StatusOr<bool> MatchesFieldSelector(const std::string& selector,
                                          const json& object) {
  if (selector.empty()) return true;
  for (absl::string_view raw : absl::StrSplit(selector, ',')) {
    std::string term(absl::StripAsciiWhitespace(raw));
    if (term.empty()) continue;
    bool negate = false;
    size_t pos = term.find("!=");
    size_t value_at;
    if (pos != std::string::npos) {
      negate = true;
      value_at = pos + 2;
    } else if ((pos = term.find("==")) != std::string::npos) {
      value_at = pos + 2;
    } else if ((pos = term.find('=')) != std::string::npos) {
      value_at = pos + 1;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid field selector \"", selector, "\""));
    }
    std::string field = term.substr(0, pos);
    std::string value = term.substr(value_at);
    if ((FieldValue(object, field) == value) == negate) return false;
  }
  return true;
}

std::string Age(const json& object) {
  absl::Time created;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, Meta(object, "creationTimestamp"),
                       &created, &err)) {
    return "<unknown>";
  }
  int64_t s = absl::ToInt64Seconds(absl::Now() - created);
  if (s < 120) return absl::StrCat(std::max<int64_t>(s, 0), "s");
  if (s < 3 * 3600) return absl::StrCat(s / 60, "m");
  if (s < 2 * 86400) return absl::StrCat(s / 3600, "h");
  return absl::StrCat(s / 86400, "d");
}

json Column(const std::string& name, const std::string& type = "string",
            const std::string& format = "") {
  return {{"name", name},
          {"type", type},
          {"format", format},
          {"description", ""},
          {"priority", 0}};
}

json TableRow(const std::string& resource, const json& object) {
  json cells = json::array({Meta(object, "name")});
  if (resource == "nodes") {
    std::string status = "Unknown";
    for (const auto& c :
         object.value("/status/conditions"_json_pointer, json::array())) {
      if (c.value("type", "") == "Ready") {
        status = c.value("status", "") == "True" ? "Ready" : "NotReady";
      }
    }
    std::vector<std::string> roles;
    const json labels =
        object.value("/metadata/labels"_json_pointer, json::object());
    for (const auto& [k, v] : labels.items()) {
      if (absl::StartsWith(k, "node-role.kubernetes.io/")) {
        roles.push_back(k.substr(strlen("node-role.kubernetes.io/")));
      }
    }
    cells.push_back(status);
    cells.push_back(roles.empty() ? "<none>" : absl::StrJoin(roles, ","));
    cells.push_back(Age(object));
    cells.push_back(
        object.value("/status/nodeInfo/kubeletVersion"_json_pointer, ""));
  } else if (resource == "configmaps") {
    cells.push_back(object.value("data", json::object()).size());
    cells.push_back(Age(object));
  } else if (resource == "pods") {
    cells.push_back(object.value("/status/phase"_json_pointer, "Pending"));
    cells.push_back(object.value("/spec/nodeName"_json_pointer, ""));
    cells.push_back(Age(object));
  } else {
    cells.push_back(Age(object));
  }
  json partial = {{"kind", "PartialObjectMetadata"},
                  {"apiVersion", "meta.k8s.io/v1"},
                  {"metadata", object.value("metadata", json::object())}};
  return {{"cells", cells}, {"object", partial}};
}

json TableColumns(const std::string& resource) {
  json columns = json::array({Column("Name", "string", "name")});
  if (resource == "nodes") {
    columns.push_back(Column("Status"));
    columns.push_back(Column("Roles"));
    columns.push_back(Column("Age"));
    columns.push_back(Column("Version"));
  } else if (resource == "configmaps") {
    columns.push_back(Column("Data", "integer"));
    columns.push_back(Column("Age"));
  } else if (resource == "pods") {
    columns.push_back(Column("Status"));
    columns.push_back(Column("Node"));
    columns.push_back(Column("Age"));
  } else {
    columns.push_back(Column("Age"));
  }
  return columns;
}

}  // namespace

absl::StatusOr<bool> MatchesLabelSelector(const std::string& selector,
                                          const json& labels) {
  static const std::regex kSet(
      R"(^\s*([A-Za-z0-9._/-]+)\s+(in|notin)\s*\(([^)]*)\)\s*$)");
  auto label = [&](const std::string& key) -> std::optional<std::string> {
    if (!labels.is_object() || !labels.contains(key)) return std::nullopt;
    return labels[key].get<std::string>();
  };
  std::vector<std::string> terms;
  int depth = 0;
  std::string current;
  for (char c : selector) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      terms.push_back(current);
      current.clear();
    } else {
      current += c;
    }
  }
  terms.push_back(current);
  auto invalid = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("unable to parse requirement: invalid label selector \"",
                     selector, "\""));
  };
  for (std::string term : terms) {
    absl::StripAsciiWhitespace(&term);
    if (term.empty()) {
      if (terms.size() == 1) continue;
      return invalid();
    }
    std::smatch m;
    if (std::regex_match(term, m, kSet)) {
      std::set<std::string> values;
      for (absl::string_view v : absl::StrSplit(m[3].str(), ',')) {
        values.insert(std::string(absl::StripAsciiWhitespace(v)));
      }
      auto value = label(m[1].str());
      bool in = value && values.contains(*value);
      if (m[2].str() == "in" ? !in : in) return false;
      continue;
    }
    size_t pos;
    if ((pos = term.find("!=")) != std::string::npos) {
      std::string key(absl::StripAsciiWhitespace(term.substr(0, pos)));
      std::string want(absl::StripAsciiWhitespace(term.substr(pos + 2)));
      if (key.empty()) return invalid();
      auto value = label(key);
      if (value && *value == want) return false;
    } else if ((pos = term.find('=')) != std::string::npos) {
      size_t skip = term.compare(pos, 2, "==") == 0 ? 2 : 1;
      std::string key(absl::StripAsciiWhitespace(term.substr(0, pos)));
      std::string want(absl::StripAsciiWhitespace(term.substr(pos + skip)));
      if (key.empty()) return invalid();
      auto value = label(key);
      if (!value || *value != want) return false;
    } else if (term[0] == '!') {
      std::string key(absl::StripAsciiWhitespace(term.substr(1)));
      if (key.empty()) return invalid();
      if (label(key)) return false;
    } else {
      if (term.find_first_of(" ()") != std::string::npos) return invalid();
      if (!label(term)) return false;
    }
  }
  return true;
}

struct ApiServer::Watcher {
  std::string resource;
  std::string kind;
  std::string ns;
  std::string label_selector;
  std::string field_selector;
  int64_t last_rv = 0;
  absl::Time deadline;
  bool bookmarks = false;
  absl::Time next_bookmark;
  int generation = 0;
  std::string initial;
  bool abort = false;
  bool gone = false;
};

ApiServer::ApiServer(Options options) : options_(std::move(options)) {
  port_ = options_.port;
  json ns = {{"metadata", {{"name", "default"}}},
             {"status", {{"phase", "Active"}}}};
  (void)CreateObject("namespaces", "", ns);
  ns["metadata"]["name"] = "kube-system";
  (void)CreateObject("namespaces", "", ns);
}

ApiServer::~ApiServer() { Stop(); }

std::string ApiServer::url() const {
  return absl::StrCat("http://127.0.0.1:", port_);
}

absl::Status ApiServer::Start() {
  if (server_) return absl::FailedPreconditionError("already started");
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  server_ = std::make_unique<httplib::Server>();
  server_->new_task_queue = [] { return new httplib::ThreadPool(64); };
  server_->set_keep_alive_timeout(1);
  server_->set_read_timeout(5, 0);
  server_->set_write_timeout(5, 0);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    Handle(req, res);
  };
  server_->Get(".*", handler);
  server_->Post(".*", handler);
  server_->Put(".*", handler);
  server_->Patch(".*", handler);
  server_->Delete(".*", handler);
  if (port_ == 0) {
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) {
      server_.reset();
      return absl::UnavailableError("cannot bind 127.0.0.1");
    }
  } else if (!server_->bind_to_port("127.0.0.1", port_)) {
    server_.reset();
    return absl::UnavailableError(
        absl::StrCat("cannot bind 127.0.0.1:", port_));
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // httplib's stop() is a no-op until the accept loop runs.
  while (!server_->is_running()) absl::SleepFor(absl::Milliseconds(1));
  return absl::OkStatus();
}

void ApiServer::Stop() {
  if (!server_) return;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

std::string ApiServer::Kubeconfig() const {
  return absl::StrFormat(R"(apiVersion: v1
kind: Config
clusters:
- name: standin
  cluster:
    server: %s
contexts:
- name: standin
  context:
    cluster: standin
    user: standin
    namespace: default
current-context: standin
users:
- name: standin
  user: {}
)",
                         url());
}

absl::Status ApiServer::WriteKubeconfig(const std::string& path) const {
  std::ofstream out(path);
  out << Kubeconfig();
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

int64_t ApiServer::resource_version() const {
  std::lock_guard lock(mu_);
  return rv_;
}

void ApiServer::Record(int64_t, const std::string& type,
                       const std::string& resource, const std::string& ns,
                       const json& object, const json& previous) {
  history_.push_back({rv_, type, resource, ns, object, previous});
  while (history_.size() > options_.history_limit) {
    compacted_rv_ = history_.front().rv;
    history_.pop_front();
  }
  changed_.notify_all();
}

absl::StatusOr<json> ApiServer::CreateLocked(const std::string& resource,
                                             const std::string& ns,
                                             json object) {
  const ResourceInfo* info = FindResource(resource);
  if (info == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("the server could not find the requested resource"));
  }
  if (!object.is_object()) {
    return absl::InvalidArgumentError("the body is not a JSON object");
  }
  json& meta = object["metadata"];
  if (!meta.is_object()) meta = json::object();
  std::string name = meta.value("name", "");
  if (name.empty()) {
    std::string prefix = meta.value("generateName", "");
    if (prefix.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat(info->kind,
                       " \"\" is invalid: metadata.name: Required value: name "
                       "or generateName is required"));
    }
    name = absl::StrCat(prefix, absl::StrFormat("%05x", ++uid_counter_));
    meta["name"] = name;
  }
  if (info->namespaced) {
    std::string body_ns = meta.value("namespace", "");
    if (!body_ns.empty() && body_ns != ns) {
      return absl::InvalidArgumentError(
          "the namespace of the provided object does not match the "
          "namespace sent on the request");
    }
    meta["namespace"] = ns;
  } else {
    meta.erase("namespace");
  }
  auto& objects = store_[resource];
  std::string key = Key(info->namespaced ? ns : "", name);
  if (objects.contains(key)) {
    return absl::AlreadyExistsError(
        absl::StrCat(resource, " \"", name, "\" already exists"));
  }
  object["apiVersion"] = info->group_version;
  object["kind"] = info->kind;
  meta["uid"] =
      absl::StrFormat("6d1f0000-0000-4000-8000-%012x", ++uid_counter_);
  meta["creationTimestamp"] = Now();
  meta["resourceVersion"] = absl::StrCat(++rv_);
  objects[key] = object;
  Record(0, "ADDED", resource, info->namespaced ? ns : "", object, json());
  return object;
}

absl::StatusOr<json> ApiServer::ReplaceLocked(const std::string& resource,
                                              const std::string& ns,
                                              const std::string& name,
                                              json object) {
  const ResourceInfo* info = FindResource(resource);
  auto& objects = store_[resource];
  auto it = objects.find(Key(ns, name));
  if (it == objects.end()) {
    return absl::NotFoundError(
        absl::StrCat(resource, " \"", name, "\" not found"));
  }
  if (!object.is_object()) {
    return absl::InvalidArgumentError("the body is not a JSON object");
  }
  std::string want_rv = Meta(object, "resourceVersion");
  std::string have_rv = Meta(it->second, "resourceVersion");
  if (!want_rv.empty() && want_rv != have_rv) {
    return absl::AbortedError(absl::StrCat(
        "Operation cannot be fulfilled on ", resource, " \"", name,
        "\": the object has been modified; please apply your changes to the "
        "latest version and try again"));
  }
  std::string body_name = Meta(object, "name");
  if (!body_name.empty() && body_name != name) {
    return absl::InvalidArgumentError(
        absl::StrCat("the name of the object (", body_name,
                     ") does not match the name on the URL (", name, ")"));
  }
  json previous = it->second;
  json& meta = object["metadata"];
  if (!meta.is_object()) meta = json::object();
  meta["name"] = name;
  if (info->namespaced) meta["namespace"] = ns;
  meta["uid"] = previous["metadata"]["uid"];
  meta["creationTimestamp"] = previous["metadata"]["creationTimestamp"];
  object["apiVersion"] = info->group_version;
  object["kind"] = info->kind;
  if (object == previous) return object;  // a no-op write keeps its rv
  meta["resourceVersion"] = absl::StrCat(++rv_);
  it->second = object;
  Record(0, "MODIFIED", resource, ns, object, previous);
  return object;
}

absl::StatusOr<json> ApiServer::CreateObject(const std::string& resource,
                                             const std::string& ns,
                                             json object) {
  std::lock_guard lock(mu_);
  return CreateLocked(resource, ns, std::move(object));
}

std::optional<json> ApiServer::GetObject(const std::string& resource,
                                         const std::string& ns,
                                         const std::string& name) const {
  std::lock_guard lock(mu_);
  auto r = store_.find(resource);
  if (r == store_.end()) return std::nullopt;
  auto it = r->second.find(Key(ns, name));
  if (it == r->second.end()) return std::nullopt;
  return it->second;
}

absl::StatusOr<json> ApiServer::UpdateObject(const std::string& resource,
                                             const std::string& ns,
                                             json object) {
  std::string name = Meta(object, "name");
  std::lock_guard lock(mu_);
  return ReplaceLocked(resource, ns, name, std::move(object));
}

absl::Status ApiServer::DeleteObject(const std::string& resource,
                                     const std::string& ns,
                                     const std::string& name) {
  std::lock_guard lock(mu_);
  auto& objects = store_[resource];
  auto it = objects.find(Key(ns, name));
  if (it == objects.end()) {
    return absl::NotFoundError(
        absl::StrCat(resource, " \"", name, "\" not found"));
  }
  json object = it->second;
  objects.erase(it);
  ++rv_;
  object["metadata"]["resourceVersion"] = absl::StrCat(rv_);
  Record(0, "DELETED", resource, ns, object, object);
  return absl::OkStatus();
}

std::vector<json> ApiServer::ListObjects(const std::string& resource,
                                         const std::string& ns) const {
  std::lock_guard lock(mu_);
  std::vector<json> out;
  auto r = store_.find(resource);
  if (r == store_.end()) return out;
  for (const auto& [key, object] : r->second) {
    if (ns.empty() || Meta(object, "namespace") == ns) out.push_back(object);
  }
  return out;
}

absl::StatusOr<json> ApiServer::AddNode(
    const std::string& name, const std::map<std::string, std::string>& labels) {
  json node_labels = {{"kubernetes.io/hostname", name},
                      {"kubernetes.io/os", "linux"},
                      {"kubernetes.io/arch", "amd64"},
                      {"beta.kubernetes.io/os", "linux"},
                      {"beta.kubernetes.io/arch", "amd64"}};
  for (const auto& [k, v] : labels) node_labels[k] = v;
  std::string now = Now();
  json node = {
      {"metadata", {{"name", name}, {"labels", node_labels}}},
      {"spec", json::object()},
      {"status",
       {{"conditions",
         json::array({{{"type", "Ready"},
                       {"status", "True"},
                       {"reason", "KubeletReady"},
                       {"message", "kubelet is posting ready status"},
                       {"lastHeartbeatTime", now},
                       {"lastTransitionTime", now}}})},
        {"addresses",
         json::array({{{"type", "InternalIP"}, {"address", "127.0.0.1"}},
                      {{"type", "Hostname"}, {"address", name}}})},
        {"capacity",
         {{"cpu", "64"}, {"memory", "527958016Ki"}, {"pods", "110"}}},
        {"allocatable",
         {{"cpu", "64"}, {"memory", "527855616Ki"}, {"pods", "110"}}},
        {"nodeInfo",
         {{"kubeletVersion", "v1.32.0"},
          {"kubeProxyVersion", "v1.32.0"},
          {"containerRuntimeVersion", "containerd://1.7.24"},
          {"kernelVersion", "6.1.0-28-amd64"},
          {"osImage", "Debian GNU/Linux 12 (bookworm)"},
          {"operatingSystem", "linux"},
          {"architecture", "amd64"},
          {"machineID", "standin"},
          {"systemUUID", "standin"},
          {"bootID", "standin"}}}}}};
  return CreateObject("nodes", "", std::move(node));
}

void ApiServer::FailNextRequestsForTest(int count, int http_status,
                                        const std::string& method) {
  std::lock_guard lock(mu_);
  fail_count_ = count;
  fail_status_ = http_status;
  fail_method_ = method;
}

void ApiServer::GoneOnNextWatchForTest() {
  std::lock_guard lock(mu_);
  gone_next_watch_ = true;
}

void ApiServer::CompactForTest() {
  std::lock_guard lock(mu_);
  history_.clear();
  compacted_rv_ = rv_;
}

void ApiServer::DropWatchesForTest() {
  {
    std::lock_guard lock(mu_);
    ++drop_generation_;
  }
  changed_.notify_all();
}

void ApiServer::SetLatencyForTest(absl::Duration latency) {
  std::lock_guard lock(mu_);
  latency_ = latency;
}

std::vector<ApiServer::RequestRecord> ApiServer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

int ApiServer::open_watches() const {
  std::lock_guard lock(mu_);
  return open_watches_;
}

json ApiServer::Discovery(const std::string& path, bool* found) const {
  *found = true;
  if (path == "/api") {
    return {{"kind", "APIVersions"},
            {"versions", json::array({"v1"})},
            {"serverAddressByClientCIDRs",
             json::array(
                 {{{"clientCIDR", "0.0.0.0/0"},
                   {"serverAddress", absl::StrCat("127.0.0.1:", port_)}}})}};
  }
  if (json groups = GroupDiscovery(path, found); *found) return groups;
  *found = true;
  if (path == "/api/v1") {
    json resources = json::array();
    for (const auto& r : kResources) {
      if (std::string(r.group_version) != "v1") continue;
      json verbs = {"create", "delete", "get",  "list",
                    "patch",  "update", "watch"};
      resources.push_back({{"name", r.name},
                           {"singularName", absl::AsciiStrToLower(r.kind)},
                           {"namespaced", r.namespaced},
                           {"kind", r.kind},
                           {"verbs", verbs},
                           {"shortNames", json::array({r.short_name})}});
    }
    return {{"kind", "APIResourceList"},
            {"groupVersion", "v1"},
            {"resources", resources}};
  }
  if (path == "/openapi/v3") {
    json paths = {
        {"api/v1", {{"serverRelativeURL", "/openapi/v3/api/v1?hash=STANDIN"}}}};
    for (const std::string& gv : ApiGroupVersions()) {
      paths["apis/" + gv] = {
          {"serverRelativeURL",
           absl::StrCat("/openapi/v3/apis/", gv, "?hash=STANDIN")}};
    }
    return {{"paths", paths}};
  }
  if (path == "/openapi/v3/api/v1") {
    // Just enough for kubectl to see that PATCH takes fieldValidation (so
    // it leaves validation to the server); no schemas, so kubectl builds
    // strategic merge patches from its compiled-in types.
    json paths = json::object();
    for (const auto& r : kResources) {
      if (std::string(r.group_version) != "v1") continue;
      std::string item = r.namespaced
                             ? absl::StrCat("/api/v1/namespaces/{namespace}/",
                                            r.name, "/{name}")
                             : absl::StrCat("/api/v1/", r.name, "/{name}");
      json op = {
          {"x-kubernetes-group-version-kind",
           {{"group", ""}, {"version", "v1"}, {"kind", r.kind}}},
          {"parameters", json::array({{{"name", "fieldValidation"},
                                       {"in", "query"},
                                       {"schema", {{"type", "string"}}}},
                                      {{"name", "fieldManager"},
                                       {"in", "query"},
                                       {"schema", {{"type", "string"}}}}})},
          {"responses", {{"200", {{"description", "OK"}}}}}};
      paths[item] = {{"patch", op}};
    }
    return {{"openapi", "3.0.0"},
            {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
            {"paths", paths},
            {"components", {{"schemas", json::object()}}}};
  }
  if (path == "/version") {
    return {{"major", "1"},
            {"minor", "32"},
            {"gitVersion", "v1.32.0"},
            {"gitCommit", "migctl-api-standin"},
            {"gitTreeState", "clean"},
            {"buildDate", "2025-01-01T00:00:00Z"},
            {"goVersion", "go1.23.4"},
            {"compiler", "gc"},
            {"platform", "linux/amd64"}};
  }
  *found = false;
  return json();
}

void ApiServer::Handle(const httplib::Request& req, httplib::Response& res) {
  std::string query;
  for (const auto& [k, v] : req.params) {
    absl::StrAppend(&query, query.empty() ? "?" : "&", k, "=", v);
  }
  RequestRecord record{req.method, req.path + query,
                       req.get_header_value("Content-Type"),
                       req.get_header_value("Authorization"), 0};
  absl::Duration latency;
  bool inject = false;
  int inject_status = 0;
  {
    std::lock_guard lock(mu_);
    latency = latency_;
    if (fail_count_ > 0 &&
        (fail_method_.empty() || fail_method_ == req.method)) {
      --fail_count_;
      inject = true;
      inject_status = fail_status_;
    }
  }
  if (latency > absl::ZeroDuration()) absl::SleepFor(latency);
  auto reply = [&](int status, const json& body) {
    res.status = status;
    res.set_content(body.dump(), "application/json");
    record.status = status;
  };
  auto fail = [&](const absl::Status& s) {
    std::string reason;
    int http = HttpFor(s, &reason);
    reply(http, StatusBody(http, reason, std::string(s.message())));
  };
  auto finish = [&] {
    std::lock_guard lock(mu_);
    requests_.push_back(record);
  };

  if (inject) {
    reply(inject_status, StatusBody(inject_status, ReasonFor(inject_status),
                                    "injected failure"));
    if (inject_status == 429) res.set_header("Retry-After", "0");
    return finish();
  }

  bool found = false;
  json discovery = Discovery(req.path, &found);
  if (found && req.method == "GET") {
    reply(200, discovery);
    return finish();
  }

  std::string group_version;
  std::vector<std::string> parts = SplitResourcePath(req.path, &group_version);
  std::string resource, ns, name;
  if (parts.size() >= 3 && parts[0] == "namespaces") {
    ns = parts[1];
    resource = parts[2];
    if (parts.size() >= 4) name = parts[3];
    if (parts.size() > 5) parts.clear();
  } else if (!parts.empty() && parts.size() <= 3) {
    resource = parts[0];
    if (parts.size() >= 2) name = parts[1];
  }
  const ResourceInfo* info = parts.empty() ? nullptr : FindResource(resource);
  if (info != nullptr && group_version != info->group_version) info = nullptr;
  if (info == nullptr || (!info->namespaced && !ns.empty())) {
    reply(404, StatusBody(404, "NotFound",
                          "the server could not find the requested resource"));
    return finish();
  }

  const bool watch = req.get_param_value("watch") == "1" ||
                     req.get_param_value("watch") == "true";
  if (req.method == "GET" && name.empty() && watch) {
    finish();
    return HandleWatch(resource, ns, req, res);
  }
  const bool table =
      absl::StrContains(req.get_header_value("Accept"), "as=Table");

  std::unique_lock lock(mu_);
  auto& objects = store_[resource];
  if (req.method == "GET" && name.empty()) {
    std::string label_selector = req.get_param_value("labelSelector");
    std::string field_selector = req.get_param_value("fieldSelector");
    json items = json::array();
    for (const auto& [key, object] : objects) {
      if (!ns.empty() && Meta(object, "namespace") != ns) continue;
      auto labels_ok = MatchesLabelSelector(
          label_selector,
          object.value("/metadata/labels"_json_pointer, json::object()));
      auto fields_ok = MatchesFieldSelector(field_selector, object);
      if (!labels_ok.ok())
        return lock.unlock(), fail(labels_ok.status()), finish();
      if (!fields_ok.ok())
        return lock.unlock(), fail(fields_ok.status()), finish();
      if (*labels_ok && *fields_ok) items.push_back(object);
    }
    json meta = {{"resourceVersion", absl::StrCat(rv_)}};
    lock.unlock();
    if (table) {
      json rows = json::array();
      for (const auto& item : items) rows.push_back(TableRow(resource, item));
      reply(200, {{"kind", "Table"},
                  {"apiVersion", "meta.k8s.io/v1"},
                  {"metadata", meta},
                  {"columnDefinitions", TableColumns(resource)},
                  {"rows", rows}});
    } else {
      reply(200, {{"kind", absl::StrCat(info->kind, "List")},
                  {"apiVersion", info->group_version},
                  {"metadata", meta},
                  {"items", items}});
    }
    return finish();
  }

  if (req.method == "POST") {
    if (!name.empty()) {
      lock.unlock();
      fail(absl::UnimplementedError("POST to a named object"));
      return finish();
    }
    json body = json::parse(req.body, nullptr, false);
    if (body.is_discarded()) {
      lock.unlock();
      fail(absl::InvalidArgumentError("the request body is not JSON"));
      return finish();
    }
    auto created = CreateLocked(resource, ns, std::move(body));
    lock.unlock();
    if (!created.ok()) {
      fail(created.status());
    } else {
      reply(201, *created);
    }
    return finish();
  }

  if (name.empty()) {
    lock.unlock();
    fail(absl::UnimplementedError(
        absl::StrCat(req.method, " on a collection is not supported")));
    return finish();
  }
  std::string key = Key(info->namespaced ? ns : "", name);
  auto it = objects.find(key);
  if (it == objects.end()) {
    lock.unlock();
    fail(absl::NotFoundError(
        absl::StrCat(resource, " \"", name, "\" not found")));
    return finish();
  }

  if (req.method == "GET") {
    json object = it->second;
    lock.unlock();
    if (table) {
      reply(200, {{"kind", "Table"},
                  {"apiVersion", "meta.k8s.io/v1"},
                  {"metadata",
                   {{"resourceVersion", Meta(object, "resourceVersion")}}},
                  {"columnDefinitions", TableColumns(resource)},
                  {"rows", json::array({TableRow(resource, object)})}});
    } else {
      reply(200, object);
    }
    return finish();
  }

  if (req.method == "DELETE") {
    lock.unlock();
    absl::Status s = DeleteObject(resource, info->namespaced ? ns : "", name);
    if (!s.ok()) {
      fail(s);
    } else {
      reply(200, {{"kind", "Status"},
                  {"apiVersion", "v1"},
                  {"status", "Success"},
                  {"details", {{"name", name}, {"kind", resource}}}});
    }
    return finish();
  }

  json body = json::parse(req.body, nullptr, false);
  if (body.is_discarded()) {
    lock.unlock();
    fail(absl::InvalidArgumentError("the request body is not JSON"));
    return finish();
  }
  absl::StatusOr<json> result;
  if (req.method == "PUT") {
    result = ReplaceLocked(resource, info->namespaced ? ns : "", name,
                           std::move(body));
  } else {  // PATCH
    std::string type = req.get_header_value("Content-Type");
    json patched = it->second;
    std::string current_rv = Meta(patched, "resourceVersion");
    absl::Status patch_status;
    if (absl::StartsWith(type, "application/merge-patch+json")) {
      patched.merge_patch(body);
    } else if (absl::StartsWith(type,
                                "application/strategic-merge-patch+json")) {
      bool deleted = false;
      patched = StrategicMerge(patched, body, &deleted);
    } else if (absl::StartsWith(type, "application/json-patch+json")) {
      try {
        patched = patched.patch(body);
      } catch (const json::exception& e) {
        patch_status = absl::FailedPreconditionError(
            absl::StrCat("the JSON patch cannot be applied: ", e.what()));
      }
    } else {
      lock.unlock();
      res.status = 415;
      reply(415, StatusBody(415, "UnsupportedMediaType",
                            absl::StrCat("the body of the request was in an "
                                         "unknown format - accepted media "
                                         "types include: "
                                         "application/json-patch+json, "
                                         "application/merge-patch+json, "
                                         "application/"
                                         "strategic-merge-patch+json")));
      return finish();
    }
    if (patch_status.ok()) {
      // A patch that names a resourceVersion is a precondition; otherwise
      // it applies to the current object.
      if (Meta(patched, "resourceVersion").empty()) {
        patched["metadata"]["resourceVersion"] = current_rv;
      }
      result = ReplaceLocked(resource, info->namespaced ? ns : "", name,
                             std::move(patched));
    } else {
      result = patch_status;
    }
  }
  lock.unlock();
  if (!result.ok()) {
    fail(result.status());
  } else {
    reply(200, *result);
  }
  finish();
}

void ApiServer::HandleWatch(const std::string& resource, const std::string& ns,
                            const httplib::Request& req,
                            httplib::Response& res) {
  auto watcher = std::make_shared<Watcher>();
  watcher->resource = resource;
  watcher->kind = FindResource(resource)->kind;
  watcher->ns = ns;
  watcher->label_selector = req.get_param_value("labelSelector");
  watcher->field_selector = req.get_param_value("fieldSelector");
  watcher->bookmarks = req.get_param_value("allowWatchBookmarks") == "true";
  int64_t timeout_s = 1800;
  if (req.has_param("timeoutSeconds")) {
    (void)absl::SimpleAtoi(req.get_param_value("timeoutSeconds"), &timeout_s);
  }
  absl::Time now = absl::Now();
  watcher->deadline = now + absl::Seconds(timeout_s);
  watcher->next_bookmark = now + options_.bookmark_interval;
  std::string rv = req.get_param_value("resourceVersion");
  {
    std::lock_guard lock(mu_);
    watcher->generation = drop_generation_;
    ++open_watches_;
    if (gone_next_watch_) {
      gone_next_watch_ = false;
      watcher->gone = true;
    } else if (rv.empty() || rv == "0") {
      for (const auto& [key, object] : store_[resource]) {
        if (!ns.empty() && Meta(object, "namespace") != ns) continue;
        auto l = MatchesLabelSelector(
            watcher->label_selector,
            object.value("/metadata/labels"_json_pointer, json::object()));
        auto f = MatchesFieldSelector(watcher->field_selector, object);
        if (l.value_or(false) && f.value_or(false)) {
          absl::StrAppend(&watcher->initial,
                          json{{"type", "ADDED"}, {"object", object}}.dump(),
                          "\n");
        }
      }
      watcher->last_rv = rv_;
    } else if (!absl::SimpleAtoi(rv, &watcher->last_rv)) {
      --open_watches_;
      res.status = 400;
      res.set_content(
          StatusBody(400, "BadRequest",
                     absl::StrCat("invalid resourceVersion \"", rv, "\""))
              .dump(),
          "application/json");
      return;
    }
  }
  res.status = 200;
  // As kube-apiserver; also keeps httplib from compressing (and so
  // buffering) the stream.
  res.set_chunked_content_provider(
      "application/json;stream=watch",
      [this, watcher](size_t, httplib::DataSink& sink) {
        std::string out;
        bool more = StreamWatch(*watcher, out);
        if (!out.empty() && !sink.write(out.data(), out.size())) return false;
        if (!more) {
          if (watcher->abort) return false;
          sink.done();
        }
        return true;
      },
      [this](bool) {
        std::lock_guard lock(mu_);
        --open_watches_;
      });
}

bool ApiServer::StreamWatch(Watcher& w, std::string& out) {
  std::unique_lock lock(mu_);
  while (true) {
    if (stopping_ || w.generation != drop_generation_) {
      w.abort = true;
      return false;
    }
    if (!w.initial.empty()) {
      out = std::move(w.initial);
      w.initial.clear();
      return true;
    }
    if (w.gone || w.last_rv < compacted_rv_) {
      out =
          json{{"type", "ERROR"},
               {"object",
                StatusBody(410, "Expired",
                           absl::StrCat("too old resource version: ", w.last_rv,
                                        " (", compacted_rv_, ")"))}}
              .dump() +
          "\n";
      return false;
    }
    for (const auto& entry : history_) {
      if (entry.rv <= w.last_rv) continue;
      w.last_rv = entry.rv;
      if (entry.resource != w.resource) continue;
      if (!w.ns.empty() && entry.ns != w.ns) continue;
      auto matches = [&](const json& object) {
        if (object.is_null()) return false;
        return MatchesLabelSelector(
                   w.label_selector,
                   object.value("/metadata/labels"_json_pointer,
                                json::object()))
                   .value_or(false) &&
               MatchesFieldSelector(w.field_selector, object).value_or(false);
      };
      bool now = entry.type != "DELETED" && matches(entry.object);
      bool before = entry.type != "ADDED" && matches(entry.previous);
      std::string type;
      if (now && before) type = "MODIFIED";
      if (now && !before) type = "ADDED";
      if (!now && before) type = "DELETED";
      if (type.empty()) continue;
      absl::StrAppend(
          &out, json{{"type", type}, {"object", entry.object}}.dump(), "\n");
    }
    if (w.last_rv < rv_) w.last_rv = rv_;
    if (!out.empty()) return true;
    absl::Time now = absl::Now();
    if (now >= w.deadline) return false;
    if (w.bookmarks && now >= w.next_bookmark) {
      w.next_bookmark = now + options_.bookmark_interval;
      out =
          json{{"type", "BOOKMARK"},
               {"object",
                {{"kind", w.kind},
                 {"apiVersion", "v1"},
                 {"metadata", {{"resourceVersion", absl::StrCat(w.last_rv)}}}}}}
              .dump() +
          "\n";
      return true;
    }
    absl::Time wake = w.deadline;
    if (w.bookmarks) wake = std::min(wake, w.next_bookmark);
    wake = std::min(wake, now + absl::Milliseconds(500));
    changed_.wait_for(lock, absl::ToChronoNanoseconds(wake - now));
  }
}

}  // namespace migctl::testing
