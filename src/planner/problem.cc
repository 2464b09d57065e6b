#include "planner/problem.h"

#include <algorithm>
#include <set>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "mig/profile_name.h"
#include "planner/model_layouts.h"
#include "util/status_macros.h"

namespace migctl::planner {
namespace {

std::string GpuName(const Node& node, const Gpu& gpu) {
  return absl::StrCat("node ", node.name, " GPU ", gpu.index);
}

// The canonical form of a GI profile name, or INVALID_ARGUMENT.
absl::StatusOr<std::string> CanonicalProfile(absl::string_view text) {
  ASSIGN_OR_RETURN(mig::ProfileName name, mig::ParseProfileName(text));
  if (name.compute_slices != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", text,
                     "\" is a compute-instance profile; demand names GPU-"
                     "instance profiles such as 1g.12gb"));
  }
  return mig::FormatProfileName(name);
}

absl::Status CheckGpu(const Node& node, const Gpu& gpu, GpuRef& ref) {
  if (absl::Status s = ValidateGpu(gpu); !s.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(GpuName(node, gpu), ": ", s.message()));
  }
  ref.before = CurrentLayout(gpu);
  for (const Instance& i : gpu.instances) {
    if (i.busy()) ref.busy.push_back(i.gi);
  }
  mig::Canonicalize(ref.busy);
  return absl::OkStatus();
}

}  // namespace

int Problem::ProfileIndex(const mig::GpuModel& model, int profile_id) const {
  auto m = demanded_ids.find(&model);
  if (m == demanded_ids.end() || profile_id < 0 ||
      profile_id >= static_cast<int>(m->second.size())) {
    return -1;
  }
  return m->second[profile_id];
}

void Problem::AddServed(int p, int64_t supply, int sign,
                        int64_t* served) const {
  int64_t left = supply;
  for (size_t l = 0; l < priorities.size() && left > 0; ++l) {
    const int64_t take = std::min(left, demand[p][l]);
    served[l] += sign * take;
    left -= take;
  }
}

absl::StatusOr<Problem> MakeProblem(const Cluster& cluster,
                                    const Demand& demand,
                                    const Policy& policy) {
  Problem pb;
  pb.policy = &policy;
  if (policy.destroy_weight < 0 || policy.node_weight < 0) {
    return absl::InvalidArgumentError("policy: weights must be >= 0");
  }
  std::vector<int> order(cluster.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int>(i);
  std::sort(order.begin(), order.end(), [&](int a, int b) {
    return cluster.nodes[a].name < cluster.nodes[b].name;
  });
  const std::set<std::string> protected_nodes(policy.protected_nodes.begin(),
                                              policy.protected_nodes.end());
  std::set<const mig::GpuModel*> models;
  for (size_t k = 0; k < order.size(); ++k) {
    const Node& node = cluster.nodes[order[k]];
    if (node.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", order[k], " (in input order) has no name"));
    }
    if (k > 0 && cluster.nodes[order[k - 1]].name == node.name) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", node.name, " is listed twice"));
    }
    pb.nodes.push_back(&node);
    std::vector<int> gorder(node.gpus.size());
    for (size_t i = 0; i < gorder.size(); ++i) gorder[i] = static_cast<int>(i);
    std::sort(gorder.begin(), gorder.end(), [&](int a, int b) {
      return node.gpus[a].index < node.gpus[b].index;
    });
    for (size_t j = 0; j < gorder.size(); ++j) {
      const Gpu& gpu = node.gpus[gorder[j]];
      if (j > 0 && node.gpus[gorder[j - 1]].index == gpu.index) {
        return absl::InvalidArgumentError(
            absl::StrCat(GpuName(node, gpu), " is listed twice"));
      }
      GpuRef ref;
      ref.node = static_cast<int>(k);
      ref.gpu = &gpu;
      ref.input_node = order[k];
      ref.input_gpu = gorder[j];
      RETURN_IF_ERROR(CheckGpu(node, gpu, ref));
      ref.fixed = protected_nodes.contains(node.name) ||
                  (!gpu.mig_enabled && !gpu.pods.empty());
      models.insert(gpu.model);
      pb.gpus.push_back(std::move(ref));
    }
  }

  // Demand: canonical names, aggregated per (profile, priority).
  std::map<std::pair<std::string, int>, int64_t> wanted;
  std::set<int> priorities;
  for (size_t i = 0; i < demand.items.size(); ++i) {
    const DemandItem& item = demand.items[i];
    absl::StatusOr<std::string> name = CanonicalProfile(item.profile);
    if (!name.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("demand item ", i, " (profile \"", item.profile,
                       "\"): ", name.status().message()));
    }
    if (item.count < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("demand item ", i, " (profile ", *name, "): count ",
                       item.count, " is negative"));
    }
    if (item.count == 0) continue;
    wanted[{*name, item.priority}] += item.count;
    priorities.insert(item.priority);
  }
  pb.priorities.assign(priorities.rbegin(), priorities.rend());
  std::map<std::string, int> profile_index;
  for (const auto& [key, n] : wanted) profile_index.emplace(key.first, 0);
  for (auto& [name, idx] : profile_index) {
    idx = static_cast<int>(pb.profiles.size());
    pb.profiles.push_back(name);
  }
  pb.demand.assign(pb.profiles.size(),
                   std::vector<int64_t>(pb.priorities.size(), 0));
  for (const auto& [key, n] : wanted) {
    const int level = static_cast<int>(
        std::find(pb.priorities.begin(), pb.priorities.end(), key.second) -
        pb.priorities.begin());
    pb.demand[profile_index[key.first]][level] = n;
  }
  pb.offered.assign(pb.profiles.size(), false);
  for (const mig::GpuModel* model : models) {
    std::vector<int>& ids = pb.demanded_ids[model];
    for (const mig::GpuInstanceProfile& p : model->profiles) {
      absl::StatusOr<std::string> name = CanonicalProfile(p.name);
      if (!name.ok()) continue;
      auto it = profile_index.find(*name);
      if (it == profile_index.end()) continue;
      if (p.id >= static_cast<int>(ids.size())) ids.resize(p.id + 1, -1);
      ids[p.id] = it->second;
      pb.offered[it->second] = true;
    }
  }
  return pb;
}

std::vector<int> UsableExtraSlices(const Problem& problem,
                                   const mig::GpuModel& model) {
  const ModelLayouts& t = LayoutsOf(model);
  std::vector<int> extra(t.layouts.size(), 0);
  for (int i : t.by_size_descending) {
    for (const auto& [profile_id, child] : t.children[i]) {
      if (problem.ProfileIndex(model, profile_id) < 0) continue;
      const int slices =
          model.FindProfileById(profile_id)->memory_slices() + extra[child];
      extra[i] = std::max(extra[i], slices);
    }
  }
  return extra;
}

Plan BuildPlan(const Problem& pb, const std::vector<mig::Layout>& after,
               bool node_limit_reached) {
  Plan plan;
  Report& r = plan.report;
  const Policy& policy = *pb.policy;
  std::vector<int64_t> supply(pb.profiles.size(), 0);
  for (size_t g = 0; g < pb.gpus.size(); ++g) {
    const GpuRef& ref = pb.gpus[g];
    for (const mig::PlacedGpuInstance& gi : after[g]) {
      const int p = pb.ProfileIndex(*ref.gpu->model, gi.profile_id);
      if (p < 0) continue;
      if (std::binary_search(ref.busy.begin(), ref.busy.end(), gi)) continue;
      ++supply[p];
    }
  }
  // Requests go to free instances in GPU order; what is left is idle.
  std::vector<int64_t> to_serve(pb.profiles.size(), 0);
  for (size_t p = 0; p < pb.profiles.size(); ++p) {
    std::vector<int64_t> served(pb.priorities.size(), 0);
    pb.AddServed(static_cast<int>(p), supply[p], 1, served.data());
    for (size_t l = 0; l < pb.priorities.size(); ++l) {
      to_serve[p] += served[l];
      if (pb.demand[p][l] == 0) continue;
      DemandReport d;
      d.profile = pb.profiles[p];
      d.priority = pb.priorities[l];
      d.requested = static_cast<int>(pb.demand[p][l]);
      d.served = static_cast<int>(served[l]);
      r.requested += d.requested;
      r.served += d.served;
      if (d.served < d.requested) {
        if (!pb.offered[p]) {
          d.unmet_reason =
              absl::StrCat("no GPU model in the cluster offers ", d.profile);
        } else {
          d.unmet_reason = absl::StrCat(
              "not enough capacity: ", d.requested - d.served, " more needed");
          if (node_limit_reached) {
            absl::StrAppend(&d.unmet_reason, "; node limit ",
                            policy.max_nodes_touched, " reached");
          }
        }
      }
      r.demand.push_back(std::move(d));
    }
  }
  std::stable_sort(r.demand.begin(), r.demand.end(),
                   [](const DemandReport& a, const DemandReport& b) {
                     return a.priority > b.priority;
                   });

  std::map<std::string, std::vector<int>> usable_cache;
  for (size_t g = 0; g < pb.gpus.size(); ++g) {
    const GpuRef& ref = pb.gpus[g];
    const mig::GpuModel& model = *ref.gpu->model;
    if (plan.nodes.empty() ||
        plan.nodes.back().name != pb.nodes[ref.node]->name) {
      plan.nodes.push_back({});
      plan.nodes.back().name = pb.nodes[ref.node]->name;
    }
    NodePlan& node = plan.nodes.back();
    GpuPlan gp;
    gp.index = ref.gpu->index;
    gp.model = &model;
    gp.mig_enabled_before = ref.gpu->mig_enabled;
    gp.mig_enabled_after = ref.gpu->mig_enabled || !after[g].empty();
    gp.before = ref.before;
    gp.after = after[g];
    std::set_difference(gp.before.begin(), gp.before.end(), gp.after.begin(),
                        gp.after.end(), std::back_inserter(gp.destroyed));
    std::set_difference(gp.after.begin(), gp.after.end(), gp.before.begin(),
                        gp.before.end(), std::back_inserter(gp.created));
    r.instances_created += static_cast<int>(gp.created.size());
    r.instances_destroyed += static_cast<int>(gp.destroyed.size());
    if (gp.changed()) {
      ++r.gpus_changed;
      node.touched = true;
    }
    // Free and usable memory slices.
    if (!ref.gpu->mig_enabled && !ref.gpu->pods.empty()) {
      node.gpus.push_back(std::move(gp));
      continue;
    }
    int occupied = 0;
    for (const mig::PlacedGpuInstance& gi : after[g]) {
      const int slices = model.FindProfileById(gi.profile_id)->memory_slices();
      occupied += slices;
      if (std::binary_search(ref.busy.begin(), ref.busy.end(), gi)) continue;
      const int p = pb.ProfileIndex(model, gi.profile_id);
      if (p >= 0 && to_serve[p] > 0) {
        --to_serve[p];
        continue;
      }
      r.free_memory_slices += slices;
      if (p >= 0) r.usable_free_memory_slices += slices;
    }
    r.free_memory_slices += model.memory_slices - occupied;
    auto [it, inserted] = usable_cache.try_emplace(model.key);
    if (inserted) it->second = UsableExtraSlices(pb, model);
    const ModelLayouts& t = LayoutsOf(model);
    r.usable_free_memory_slices += it->second[t.index.at(after[g])];
    node.gpus.push_back(std::move(gp));
  }

  for (NodePlan& node : plan.nodes) {
    if (!node.touched) continue;
    ++r.nodes_touched;
    config::MigConfigFile file;
    std::vector<config::MigConfigEntry> entries;
    for (const GpuPlan& gp : node.gpus) {
      config::MigConfigEntry e;
      e.devices = {gp.index};
      e.mig_enabled = gp.mig_enabled_after;
      if (e.mig_enabled) {
        const mig::ProfileCounts counts = mig::CountProfiles(gp.after);
        for (const mig::GpuInstanceProfile& p : gp.model->profiles) {
          auto it = counts.find(p.id);
          if (it != counts.end()) e.mig_devices.push_back({p.name, it->second});
        }
      }
      entries.push_back(std::move(e));
    }
    file.configs.push_back({policy.config_name, std::move(entries)});
    node.config = std::move(file);
  }
  r.cost = policy.destroy_weight * r.instances_destroyed +
           policy.node_weight * r.nodes_touched;
  return plan;
}

}  // namespace migctl::planner
