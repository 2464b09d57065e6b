#include "planner/controller.h"

#include <algorithm>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "config/mig_config.h"
#include "kube/node.h"
#include "kube/object_fields.h"
#include "planner/layout_annotation.h"
#include "planner/model_layouts.h"
#include "spdlog/spdlog.h"
#include "util/absl_fmt.h"
#include "util/status_macros.h"

namespace migctl::planner {
namespace {

using nlohmann::json;

// The name inside node configs while planning; replaced by the
// content-addressed name.
constexpr absl::string_view kPlanningName = "migctl-planner";
// How often Run re-checks in-flight nodes without any change.
constexpr absl::Duration kInFlightPoll = absl::Seconds(5);
// Pause before a watch is set up again after it failed.
constexpr absl::Duration kRewatchDelay = absl::Seconds(5);
// Pause before a failed round is run again.
constexpr absl::Duration kRetryDelay = absl::Seconds(30);

uint64_t Fnv1a64(absl::string_view s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// metadata.<section>.<key> of `object` when it is a string, else "".
std::string Meta(const json& object, const char* section,
                 absl::string_view key) {
  return kube::StringField(kube::Field(kube::MetadataOf(object), section),
                           std::string(key).c_str());
}

// The value of `key` in labels or annotations, or "".
std::string Get(const std::map<std::string, std::string>& m,
                absl::string_view key) {
  const auto it = m.find(std::string(key));
  return it == m.end() ? "" : it->second;
}

// `node`'s metadata, or nullopt (with a warning) when it is malformed: the
// planner ignores such a node.
std::optional<kube::NodeMetadata> ReadNode(const json& node) {
  absl::StatusOr<kube::NodeMetadata> meta = kube::ReadNodeMetadata(node);
  if (!meta.ok()) {
    spdlog::warn("Ignoring a malformed Node: {}", meta.status().message());
    return std::nullopt;
  }
  return *std::move(meta);
}

// The items of a list answer (empty when it has none or they are not a
// list).
const json& Items(const json& list) {
  static const json* const kEmpty = new json(json::array());
  const json& items = kube::Field(list, "items");
  return items.is_array() ? items : *kEmpty;
}

// A Node object with its metadata, read once.
struct NodeView {
  const json* object;
  kube::NodeMetadata meta;
};

// "1g.24gb@0 1g.12gb@2", or "nothing".
std::string Instances(const mig::GpuModel& model, const mig::Layout& l) {
  return l.empty() ? "nothing" : mig::DescribeLayout(model, l);
}

// What the relabel changes, GPU by GPU.
std::string DescribeChange(const NodePlan& node, const std::string& config) {
  std::vector<std::string> gpus;
  for (const GpuPlan& g : node.gpus) {
    if (!g.changed()) continue;
    std::string s = absl::StrCat("GPU ", g.index, ": destroy ",
                                 Instances(*g.model, g.destroyed), ", create ",
                                 Instances(*g.model, g.created));
    if (g.mig_enabled_before != g.mig_enabled_after) {
      absl::StrAppend(
          &s, g.mig_enabled_after ? " (MIG enabled)" : " (MIG disabled)");
    }
    gpus.push_back(std::move(s));
  }
  return absl::StrCat("Set ", kMigConfigLabel, "=", config, ": ",
                      absl::StrJoin(gpus, "; "));
}

// True when the layout annotation `annotation` shows every GPU of `target`
// in its target: the same MIG mode and the same instances of each profile.
// Placements are not compared: the config names profile counts, and the
// agent places them itself.
bool Reached(const std::string& annotation, const std::vector<Gpu>& target) {
  absl::StatusOr<std::vector<Gpu>> now =
      ParseLayoutAnnotation(annotation, "the layout annotation");
  if (!now.ok()) return false;
  auto counts = [](const Gpu& g) {
    return mig::CountProfiles(CurrentLayout(g));
  };
  return std::all_of(target.begin(), target.end(), [&](const Gpu& want) {
    const auto have = std::find_if(now->begin(), now->end(), [&](const Gpu& g) {
      return g.index == want.index;
    });
    return have != now->end() && have->mig_enabled == want.mig_enabled &&
           counts(*have) == counts(want);
  });
}

// The planner's configs in ConfigMap `cm`; nullopt when it is not the
// planner's or holds no readable config.yaml.
std::optional<config::MigConfigFile> PlannerConfigs(const json& cm) {
  if (Meta(cm, "labels", kManagedByLabel) != kManagedByValue ||
      !cm.contains("data") || !cm["data"].is_object()) {
    return std::nullopt;
  }
  const json& data = cm["data"];
  const std::string key(kConfigMapKey);
  if (!data.contains(key) || !data[key].is_string()) return std::nullopt;
  absl::StatusOr<config::MigConfigFile> file =
      config::ParseMigConfig(data[key].get<std::string>(), key);
  if (!file.ok()) return std::nullopt;
  return *std::move(file);
}

// `current` once it holds `after` with MIG mode `mig_enabled`: instances
// kept in place keep their pods.
Gpu WithLayout(const Gpu& current, bool mig_enabled, const mig::Layout& after) {
  Gpu gpu = current;
  gpu.mig_enabled = mig_enabled;
  gpu.instances.clear();
  for (const mig::PlacedGpuInstance& gi : after) {
    Instance i{gi, {}};
    for (const Instance& c : current.instances) {
      if (c.gi == gi) i.pods = c.pods;
    }
    gpu.instances.push_back(std::move(i));
  }
  return gpu;
}

// The GPUs `current` will have once config `config` of `file` is applied:
// per GPU the layout the agent builds for the config's MIG mode and profile
// counts (ApplyCounts); GPUs the config has no entry for stay as they are.
// nullopt when the config names none of them or cannot be applied.
std::optional<std::vector<Gpu>> ConfigTarget(const config::MigConfigFile& file,
                                             const std::string& config,
                                             const std::vector<Gpu>& current) {
  std::vector<Gpu> out;
  bool named = false;
  for (const Gpu& gpu : current) {
    absl::StatusOr<config::GpuTarget> t =
        config::SelectForGpu(file, config, gpu.index, *gpu.model, 0);
    if (!t.ok()) {
      out.push_back(gpu);
      continue;
    }
    named = true;
    absl::StatusOr<mig::Layout> after =
        ApplyCounts(*gpu.model, gpu.instances, t->profiles);
    if (!after.ok()) return std::nullopt;
    out.push_back(WithLayout(gpu, t->mig_enabled, *after));
  }
  if (!named) return std::nullopt;
  return out;
}

// The GPUs a node will have once its plan is applied (for the supply while
// it is in flight): the targets, busy instances keeping their pods.
std::vector<Gpu> TargetGpus(const Node& node, const NodePlan& plan) {
  std::vector<Gpu> out;
  for (const GpuPlan& g : plan.gpus) {
    const auto current =
        std::find_if(node.gpus.begin(), node.gpus.end(),
                     [&](const Gpu& c) { return c.index == g.index; });
    Gpu gpu;
    if (current != node.gpus.end()) gpu = *current;
    gpu.index = g.index;
    gpu.model = g.model;
    out.push_back(WithLayout(gpu, g.mig_enabled_after, g.after));
  }
  return out;
}

}  // namespace

Controller::Controller(kube::Client& client, ControllerOptions options)
    : client_(client), options_(std::move(options)) {}

void Controller::CountError() {
  absl::MutexLock lock(&mu_);
  ++metrics_.errors;
}

absl::Status Controller::ListAll() {
  ASSIGN_OR_RETURN(json nodes,
                   client_.List("/api/v1/nodes", options_.node_selector));
  ASSIGN_OR_RETURN(json pods, client_.List("/api/v1/pods"));
  absl::MutexLock lock(&mu_);
  nodes_.clear();
  for (const json& n : Items(nodes)) {
    if (std::optional<kube::NodeMetadata> meta = ReadNode(n)) {
      nodes_[meta->name] = n;
    }
  }
  pods_.clear();
  for (const json& p : Items(pods)) {
    if (RequestsMig(p)) pods_[PodName(p)] = p;
  }
  return absl::OkStatus();
}

absl::StatusOr<RoundResult> Controller::RunOnce() {
  absl::Status listed = ListAll();
  if (!listed.ok()) {
    CountError();
    return listed;
  }
  std::vector<json> nodes;
  std::vector<json> pods;
  {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, n] : nodes_) nodes.push_back(n);
    for (const auto& [name, p] : pods_) pods.push_back(p);
    dirty_ = false;
  }
  absl::StatusOr<RoundResult> r = Round(nodes, pods);
  if (!r.ok()) CountError();
  return r;
}

absl::StatusOr<RoundResult> Controller::Round(const std::vector<json>& nodes,
                                              const std::vector<json>& pods) {
  const absl::Time now = options_.now();
  RoundResult result;
  std::map<std::string, NodeView> by_name;
  for (const json& n : nodes) {
    if (std::optional<kube::NodeMetadata> meta = ReadNode(n)) {
      std::string name = meta->name;
      by_name.insert_or_assign(std::move(name), NodeView{&n, *std::move(meta)});
    }
  }

  // 0. The first round after a start: a node an earlier run relabelled
  // whose apply is not confirmed is in flight again, with the target its
  // config in the ConfigMap gives, so a restart does not replan it
  // mid-change.
  if (!recovered_) {
    std::vector<const kube::NodeMetadata*> metas;
    metas.reserve(by_name.size());
    for (const auto& [name, node] : by_name) metas.push_back(&node.meta);
    RecoverInFlight(metas, now);
  }

  // 1. Settle in-flight nodes.
  int64_t failures = 0;
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    const auto node = by_name.find(it->first);
    if (node == by_name.end() ||
        Get(node->second.meta.labels, kMigConfigLabel) != it->second.config) {
      it = in_flight_.erase(it);  // gone, or relabelled by someone else
      continue;
    }
    const std::string state = Get(node->second.meta.labels, kMigStateLabel);
    if (state == "success" &&
        Reached(Get(node->second.meta.annotations, kLayoutAnnotation),
                it->second.target)) {
      spdlog::info("Node {} reached config {}", it->first, it->second.config);
      it = in_flight_.erase(it);
      continue;
    }
    const bool failed = state == "failed";
    if (failed || now - it->second.since >= options_.apply_timeout) {
      const std::string why =
          failed ? absl::StrCat("applying ", it->second.config, " failed")
                 : absl::StrCat(it->second.config, " not applied within ",
                                absl::FormatDuration(options_.apply_timeout));
      const std::string message =
          absl::StrCat(why, "; the planner leaves the node alone for ",
                       absl::FormatDuration(options_.failure_backoff));
      spdlog::warn("Node {}: {}", it->first, message);
      ++failures;
      backoff_until_[it->first] = now + options_.failure_backoff;
      absl::Status s =
          client_
              .CreateEvent(kube::NodeReference(*node->second.object),
                           std::string(kApplyFailedReason), message,
                           kube::EventType::kWarning, "migctl-planner")
              .status();
      if (!s.ok()) spdlog::warn("Event on node {}: {}", it->first, s.message());
      it = in_flight_.erase(it);
      continue;
    }
    ++it;
  }
  std::erase_if(backoff_until_,
                [now](const auto& kv) { return kv.second <= now; });

  // 2. The cluster, with what must not change.
  Cluster cluster;
  Policy policy = options_.policy;
  policy.config_name = std::string(kPlanningName);
  std::set<std::string> protect(policy.protected_nodes.begin(),
                                policy.protected_nodes.end());
  int64_t bad_annotations = 0;
  for (const auto& [name, node] : by_name) {
    const std::string value = Get(node.meta.annotations, kLayoutAnnotation);
    if (value.empty()) continue;  // no agent: not planned
    Node n;
    n.name = name;
    const auto flight = in_flight_.find(name);
    if (flight != in_flight_.end()) {
      n.gpus = flight->second.target;
      protect.insert(name);
    } else {
      absl::StatusOr<std::vector<Gpu>> gpus =
          ParseLayoutAnnotation(value, absl::StrCat("node ", name));
      if (!gpus.ok()) {
        spdlog::warn("{}", gpus.status().message());
        ++bad_annotations;
        continue;
      }
      n.gpus = *std::move(gpus);
      const std::string state = Get(node.meta.labels, kMigStateLabel);
      if (state == "pending" || state == "rebooting" ||
          backoff_until_.contains(name)) {
        protect.insert(name);
      }
    }
    cluster.nodes.push_back(std::move(n));
  }
  policy.protected_nodes.assign(protect.begin(), protect.end());
  for (const Node& n : cluster.nodes) {
    if (protect.contains(n.name)) result.protected_nodes.push_back(n.name);
  }

  // 3. Demand and the plan.
  result.demand = DemandFromPods(pods);
  for (const SkippedPod& p : result.demand.skipped) {
    spdlog::warn("Pod {} skipped: {}", p.name, p.reason);
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<Plan> plan =
      PlanCluster(cluster, result.demand.demand, policy);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  {
    absl::MutexLock lock(&mu_);
    ++metrics_.rounds;
    metrics_.apply_failures += failures;
    metrics_.errors += bad_annotations;
    metrics_.last_plan_seconds = seconds;
    metrics_.plan_seconds_sum += seconds;
    metrics_.skipped_pods = static_cast<int64_t>(result.demand.skipped.size());
    metrics_.nodes_in_flight = static_cast<int64_t>(in_flight_.size());
    metrics_.requested.clear();
    metrics_.unmet.clear();
    if (plan.ok()) {
      for (const DemandReport& d : plan->report.demand) {
        metrics_.requested[d.profile] += d.requested;
        metrics_.unmet[d.profile] += d.requested - d.served;
      }
    }
  }
  if (!plan.ok()) return plan.status();
  result.plan = *std::move(plan);

  // 4. Configs of the touched nodes, content-addressed.
  struct Change {
    const NodePlan* plan;
    std::string config;
  };
  std::vector<Change> changes;
  std::map<std::string, std::vector<config::MigConfigEntry>> new_configs;
  for (const NodePlan& np : result.plan.nodes) {
    if (!np.touched || !np.config || np.config->configs.empty()) continue;
    const std::string yaml = config::WriteMigConfig(*np.config);
    const std::string name =
        absl::StrCat(kConfigNamePrefix,
                     absl::StrFormat("%016x", Fnv1a64(yaml)).substr(0, 10));
    if (Get(by_name.at(np.name).meta.labels, kMigConfigLabel) == name) {
      continue;  // already asked for; the agent retries by itself
    }
    new_configs[name] = np.config->configs.front().second;
    changes.push_back({&np, name});
    result.relabelled[np.name] = name;
  }
  // Rounds that change nothing (e.g. the in-flight checks) log at debug.
  spdlog::log(
      changes.empty() ? spdlog::level::debug : spdlog::level::info,
      "Round: {} of {} requested instances served, {} node(s) to relabel{}",
      result.plan.report.served, result.plan.report.requested, changes.size(),
      options_.dry_run ? " (dry run)" : "");
  for (const Change& c : changes) {
    spdlog::info("Node {}: {}", c.plan->name,
                 DescribeChange(*c.plan, c.config));
  }
  if (changes.empty()) return result;

  // 5. The ConfigMap first: every config a node still references, plus
  // the new ones.
  std::set<std::string> referenced;
  for (const auto& [name, node] : by_name) {
    const auto relabel = result.relabelled.find(name);
    referenced.insert(relabel != result.relabelled.end()
                          ? relabel->second
                          : Get(node.meta.labels, kMigConfigLabel));
  }
  const std::string where =
      absl::StrCat("ConfigMap ", options_.namespace_, "/", options_.configmap);
  auto merge = [&](json& cm) -> absl::Status {
    if (!cm.is_object()) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, " is not a JSON object"));
    }
    if (cm.contains("metadata") &&
        Meta(cm, "labels", kManagedByLabel) != kManagedByValue) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, " exists and is not the planner's (no label ",
                       kManagedByLabel, "=", kManagedByValue,
                       "); refusing to overwrite it: delete it or pass another "
                       "--configmap"));
    }
    config::MigConfigFile file;
    // metadata and its labels are objects (checked above); data may not be.
    if (cm.contains("data") && !cm["data"].is_object()) {
      spdlog::warn("{}: data is not an object; rewriting it", where);
      cm.erase("data");
    }
    const std::string key(kConfigMapKey);
    std::string old;
    if (cm.contains("data") && cm["data"].contains(key)) {
      if (cm["data"][key].is_string()) {
        old = cm["data"][key].get<std::string>();
      } else {
        spdlog::warn("{}: {} is not a string; rewriting it", where, key);
      }
    }
    std::map<std::string, std::vector<config::MigConfigEntry>> configs;
    if (!old.empty()) {
      absl::StatusOr<config::MigConfigFile> parsed =
          config::ParseMigConfig(old, absl::StrCat(where, " ", kConfigMapKey));
      if (parsed.ok()) {
        for (auto& [name, entries] : parsed->configs) {
          if (referenced.contains(name)) configs[name] = std::move(entries);
        }
      } else {
        spdlog::warn("{}; rewriting it", parsed.status().message());
      }
    }
    for (const auto& [name, entries] : new_configs) configs[name] = entries;
    for (auto& [name, entries] : configs) {
      file.configs.emplace_back(name, std::move(entries));
    }
    result.config_yaml = config::WriteMigConfig(file);
    cm["apiVersion"] = "v1";
    cm["kind"] = "ConfigMap";
    cm["metadata"]["name"] = options_.configmap;
    cm["metadata"]["namespace"] = options_.namespace_;
    cm["metadata"]["labels"][std::string(kManagedByLabel)] = kManagedByValue;
    cm["data"][std::string(kConfigMapKey)] = result.config_yaml;
    return absl::OkStatus();
  };
  const std::string path =
      absl::StrCat("/api/v1/namespaces/", options_.namespace_, "/configmaps/",
                   options_.configmap);
  absl::StatusOr<json> existing =
      client_.GetConfigMap(options_.namespace_, options_.configmap);
  if (!existing.ok() && !absl::IsNotFound(existing.status())) {
    return existing.status();
  }
  if (options_.dry_run) {
    json cm = existing.ok() ? *existing : json::object();
    RETURN_IF_ERROR(merge(cm));
    return result;
  }
  if (existing.ok()) {
    RETURN_IF_ERROR(client_.Update(path, merge).status());
  } else {
    json cm = json::object();
    RETURN_IF_ERROR(merge(cm));
    RETURN_IF_ERROR(
        client_
            .Create(absl::StrCat("/api/v1/namespaces/", options_.namespace_,
                                 "/configmaps"),
                    cm)
            .status());
  }

  // 6. Then the labels, then the Events.
  absl::Status first_error;
  for (const Change& c : changes) {
    const NodeView& node = by_name.at(c.plan->name);
    absl::Status s =
        client_
            .PatchNodeLabels(c.plan->name,
                             {{std::string(kMigConfigLabel), c.config}})
            .status();
    if (!s.ok()) {
      spdlog::warn("Relabelling node {}: {}", c.plan->name, s.message());
      result.relabelled.erase(c.plan->name);
      if (first_error.ok()) first_error = s;
      continue;
    }
    const auto cnode =
        std::find_if(cluster.nodes.begin(), cluster.nodes.end(),
                     [&](const Node& n) { return n.name == c.plan->name; });
    in_flight_[c.plan->name] = {c.config, now, TargetGpus(*cnode, *c.plan)};
    int gpus = 0;
    for (const GpuPlan& g : c.plan->gpus) gpus += g.changed() ? 1 : 0;
    {
      absl::MutexLock lock(&mu_);
      ++metrics_.nodes_relabelled;
      metrics_.gpus_reconfigured += gpus;
    }
    s = client_
            .CreateEvent(kube::NodeReference(*node.object),
                         std::string(kRelabelReason),
                         DescribeChange(*c.plan, c.config),
                         kube::EventType::kNormal, "migctl-planner")
            .status();
    if (!s.ok())
      spdlog::warn("Event on node {}: {}", c.plan->name, s.message());
  }
  {
    absl::MutexLock lock(&mu_);
    metrics_.nodes_in_flight = static_cast<int64_t>(in_flight_.size());
  }
  if (!first_error.ok()) return first_error;
  return result;
}

void Controller::RecoverInFlight(
    const std::vector<const kube::NodeMetadata*>& nodes, absl::Time now) {
  absl::StatusOr<json> cm =
      client_.GetConfigMap(options_.namespace_, options_.configmap);
  if (!cm.ok() && !absl::IsNotFound(cm.status())) {
    spdlog::warn("Reading ConfigMap {}/{} for relabels not yet applied: {}",
                 options_.namespace_, options_.configmap,
                 cm.status().message());
    return;  // tried again next round
  }
  recovered_ = true;
  std::optional<config::MigConfigFile> file =
      cm.ok() ? PlannerConfigs(*cm) : std::nullopt;
  if (!file) return;
  for (const kube::NodeMetadata* node : nodes) {
    const std::string config = Get(node->labels, kMigConfigLabel);
    const std::string state = Get(node->labels, kMigStateLabel);
    if (!absl::StartsWith(config, kConfigNamePrefix) || state == "failed" ||
        file->Find(config) == nullptr || in_flight_.contains(node->name)) {
      continue;
    }
    const std::string annotation = Get(node->annotations, kLayoutAnnotation);
    absl::StatusOr<std::vector<Gpu>> current =
        ParseLayoutAnnotation(annotation, absl::StrCat("node ", node->name));
    if (!current.ok()) continue;
    std::optional<std::vector<Gpu>> target =
        ConfigTarget(*file, config, *current);
    if (!target || (state == "success" && Reached(annotation, *target))) {
      continue;
    }
    spdlog::info(
        "Node {}: {} (set before this start) is not applied yet; waiting for "
        "it",
        node->name, config);
    in_flight_[node->name] = {config, now, *std::move(target)};
  }
}

absl::Status Controller::Run(std::stop_token stop) {
  // The first listing: retried until it works or the controller stops.
  while (!stop.stop_requested()) {
    absl::Status s = ListAll();
    if (s.ok()) break;
    CountError();
    spdlog::warn("Listing nodes and pods: {}", s.message());
    auto stopped = [&stop] { return stop.stop_requested(); };
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&stopped), kRewatchDelay);
  }
  {
    absl::MutexLock lock(&mu_);
    dirty_ = true;  // a first round on what was listed
  }
  // Wakes the waits below: their conditions are checked again on unlock.
  std::stop_callback wake(stop, [this] { absl::MutexLock lock(&mu_); });

  // One watcher per collection: relists, then watches from the list's
  // resourceVersion, keeping the cache; marks the controller dirty on a
  // change that matters to the plan.
  auto watch = [this](std::stop_token st, bool pods) {
    const std::string collection = pods ? "/api/v1/pods" : "/api/v1/nodes";
    const std::string selector = pods ? "" : options_.node_selector;
    while (!st.stop_requested()) {
      absl::StatusOr<json> list = client_.List(collection, selector);
      absl::Status s = list.status();
      if (s.ok()) {
        {
          absl::MutexLock lock(&mu_);
          auto& cache = pods ? pods_ : nodes_;
          cache.clear();
          for (const json& o : Items(*list)) {
            if (pods) {
              if (RequestsMig(o)) cache[PodName(o)] = o;
            } else if (std::optional<kube::NodeMetadata> meta = ReadNode(o)) {
              cache[meta->name] = o;
            }
          }
          dirty_ = true;
        }
        kube::WatchOptions wo;
        wo.label_selector = selector;
        wo.resource_version = kube::ResourceVersionOf(*list);
        s = client_.Watch(
            collection, wo,
            [&](const kube::WatchEvent& e) {
              if (e.type == kube::WatchEventType::kBookmark) return true;
              const json& o = e.object;
              std::string key;
              if (pods) {
                if (!RequestsMig(o)) return true;
                key = PodName(o);
              } else {
                std::optional<kube::NodeMetadata> meta = ReadNode(o);
                if (!meta) return true;
                key = meta->name;
              }
              absl::MutexLock lock(&mu_);
              auto& cache = pods ? pods_ : nodes_;
              const auto old = cache.find(key);
              bool matters = pods || old == cache.end() ||
                             e.type == kube::WatchEventType::kDeleted;
              if (!matters) {
                for (absl::string_view k : {kMigConfigLabel, kMigStateLabel}) {
                  matters |=
                      Meta(old->second, "labels", k) != Meta(o, "labels", k);
                }
                matters |=
                    Meta(old->second, "annotations", kLayoutAnnotation) !=
                    Meta(o, "annotations", kLayoutAnnotation);
              }
              if (e.type == kube::WatchEventType::kDeleted) {
                cache.erase(key);
              } else {
                cache[key] = o;
              }
              dirty_ |= matters;
              return true;
            },
            st);
      }
      if (st.stop_requested()) break;
      if (!s.ok()) {
        CountError();
        spdlog::warn("Watching {}: {}", collection, s.message());
      }
      auto stopped = [&st] { return st.stop_requested(); };
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopped), kRewatchDelay);
    }
  };
  std::jthread node_watcher(watch, false);
  std::jthread pod_watcher(watch, true);
  std::stop_callback stop_watchers(stop, [&] {
    node_watcher.request_stop();
    pod_watcher.request_stop();
  });

  while (!stop.stop_requested()) {
    std::vector<json> nodes;
    std::vector<json> pods;
    {
      auto woken = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stop.stop_requested() || dirty_;
      };
      absl::MutexLock lock(&mu_);
      const bool changed =
          mu_.AwaitWithTimeout(absl::Condition(&woken), kInFlightPoll);
      if (stop.stop_requested()) break;
      // Without a change, only in-flight nodes need a look.
      if (!changed && in_flight_.empty()) continue;
      if (changed) {
        // The batch window: more changes join this round.
        auto stopped = [&stop] { return stop.stop_requested(); };
        mu_.AwaitWithTimeout(absl::Condition(&stopped), options_.batch_window);
        if (stop.stop_requested()) break;
      }
      dirty_ = false;
      for (const auto& [name, n] : nodes_) nodes.push_back(n);
      for (const auto& [name, p] : pods_) pods.push_back(p);
    }
    absl::StatusOr<RoundResult> r = Round(nodes, pods);
    if (!r.ok()) {
      CountError();
      spdlog::error("Planner round failed: {}; retrying in {}",
                    r.status().message(), absl::FormatDuration(kRetryDelay));
      // Retried after a pause even without a change (the API may be back).
      auto stopped = [&stop] { return stop.stop_requested(); };
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopped), kRetryDelay);
      dirty_ = true;
    }
  }
  return absl::OkStatus();
}

std::string Controller::MetricsText() const {
  absl::MutexLock lock(&mu_);
  const Metrics& m = metrics_;
  std::string out;
  auto family = [&out](absl::string_view name, absl::string_view type,
                       absl::string_view help) {
    absl::StrAppend(&out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ",
                    type, "\n");
  };
  auto by_profile = [&out](absl::string_view name,
                           const std::map<std::string, int64_t>& values) {
    for (const auto& [profile, n] : values) {
      absl::StrAppend(&out, name, "{profile=\"", profile, "\"} ", n, "\n");
    }
  };
  family("migctl_planner_demand_requested", "gauge",
         "MIG instances requested by pending unschedulable pods, by profile "
         "(last round).");
  by_profile("migctl_planner_demand_requested", m.requested);
  family("migctl_planner_demand_unmet", "gauge",
         "Of those, instances the last plan could not provide, by profile.");
  by_profile("migctl_planner_demand_unmet", m.unmet);
  family("migctl_planner_last_plan_seconds", "gauge",
         "Time the last round's planning took.");
  absl::StrAppend(&out, "migctl_planner_last_plan_seconds ",
                  m.last_plan_seconds, "\n");
  family("migctl_planner_plan_seconds", "summary", "Time planning took.");
  absl::StrAppend(&out, "migctl_planner_plan_seconds_sum ", m.plan_seconds_sum,
                  "\nmigctl_planner_plan_seconds_count ", m.rounds, "\n");
  auto counter = [&](absl::string_view name, absl::string_view type,
                     absl::string_view help, int64_t value) {
    family(name, type, help);
    absl::StrAppend(&out, name, " ", value, "\n");
  };
  counter("migctl_planner_rounds_total", "counter", "Planning rounds run.",
          m.rounds);
  counter("migctl_planner_gpus_reconfigured_total", "counter",
          "GPUs whose layout a relabel changed.", m.gpus_reconfigured);
  counter("migctl_planner_nodes_relabelled_total", "counter",
          "Nodes given a new nvidia.com/mig.config label.", m.nodes_relabelled);
  counter("migctl_planner_apply_failures_total", "counter",
          "Relabels whose apply failed or timed out.", m.apply_failures);
  counter("migctl_planner_errors_total", "counter",
          "Failed API calls, failed rounds and unreadable layout annotations.",
          m.errors);
  counter("migctl_planner_skipped_pods", "gauge",
          "Pods whose MIG request could not be read (last round).",
          m.skipped_pods);
  counter("migctl_planner_nodes_in_flight", "gauge",
          "Relabelled nodes whose apply is not confirmed yet.",
          m.nodes_in_flight);
  return out;
}

}  // namespace migctl::planner
