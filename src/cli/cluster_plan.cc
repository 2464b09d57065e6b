#include "cli/cluster_plan.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/cluster_snapshot.h"
#include "cli/output.h"
#include "cli/slice_map.h"
#include "config/mig_config.h"
#include "fmt/format.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

using nlohmann::json;

std::string Plural(int n, absl::string_view one, absl::string_view many) {
  return absl::StrCat(n, " ", n == 1 ? one : many);
}

std::string Instances(const mig::GpuModel& model,
                      const std::vector<mig::PlacedGpuInstance>& list) {
  std::vector<std::string> parts;
  parts.reserve(list.size());
  for (const mig::PlacedGpuInstance& gi : list) {
    parts.push_back(absl::StrCat(model.FindProfileById(gi.profile_id)->name,
                                 "@", SliceRange(gi.placement)));
  }
  return absl::StrJoin(parts, " ");
}

json LayoutJson(const mig::GpuModel& model, const mig::Layout& layout) {
  json out = json::array();
  for (const mig::PlacedGpuInstance& gi : layout) {
    out.push_back({{"profile", model.FindProfileById(gi.profile_id)->name},
                   {"start", gi.placement.start},
                   {"size", gi.placement.size}});
  }
  return out;
}

std::string Indent(const std::string& text, absl::string_view pad) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!line.empty()) absl::StrAppend(&out, pad, line, "\n");
  }
  return out;
}

}  // namespace

std::shared_ptr<ClusterPlanFlags> AddClusterPlanFlags(CLI::App* plan) {
  auto f = std::make_shared<ClusterPlanFlags>();
  CLI::Option* cluster =
      plan->add_option("--cluster", f->snapshot,
                       "Plan a whole cluster offline instead: a JSON snapshot "
                       "of its nodes, GPUs, busy instances, pending demand "
                       "and policy (docs/planner.md); prints the report and "
                       "each GPU's layout before and after")
          ->type_name("SNAPSHOT");
  for (const char* name :
       {"--config-file", "--selected-config", "--mode-only"}) {
    if (CLI::Option* other = plan->get_option_no_throw(name)) {
      cluster->excludes(other);
    }
  }
  return f;
}

std::string ClusterPlanText(const planner::Plan& plan,
                            const std::string& snapshot) {
  const planner::Report& r = plan.report;
  int gpus = 0;
  for (const planner::NodePlan& n : plan.nodes) {
    gpus += static_cast<int>(n.gpus.size());
  }
  std::string out =
      absl::StrCat("Cluster plan for ", snapshot, ": ",
                   Plural(static_cast<int>(plan.nodes.size()), "node", "nodes"),
                   ", ", Plural(gpus, "GPU", "GPUs"), "\n\n");
  if (r.demand.empty()) {
    absl::StrAppend(&out, "No pending demand.\n");
  } else {
    absl::StrAppend(&out,
                    fmt::format("  {:<16} {:>8} {:>9} {:>6}  {}\n", "PROFILE",
                                "PRIORITY", "REQUESTED", "SERVED", "UNMET"));
    for (const planner::DemandReport& d : r.demand) {
      absl::StrAppend(
          &out, fmt::format("  {:<16} {:>8} {:>9} {:>6}  {}\n", d.profile,
                            d.priority, d.requested, d.served,
                            d.unmet_reason.empty()
                                ? std::string("-")
                                : absl::StrCat(d.requested - d.served, ": ",
                                               d.unmet_reason)));
    }
  }
  absl::StrAppend(
      &out, "\nServed ", r.served, " of ",
      Plural(r.requested, "request", "requests"), ". ",
      Plural(r.nodes_touched, "node", "nodes"), " touched, ",
      Plural(r.gpus_changed, "GPU", "GPUs"),
      " changed: ", Plural(r.instances_created, "instance", "instances"),
      " created, ", r.instances_destroyed, " destroyed (cost ", r.cost, ").\n",
      "Free memory slices: ", r.free_memory_slices,
      ", usable by requested profiles: ", r.usable_free_memory_slices,
      " (fragmentation ",
      static_cast<int>(std::lround(r.fragmentation() * 100)), "%).\n");

  for (const planner::NodePlan& n : plan.nodes) {
    if (!n.touched) {
      absl::StrAppend(&out, "\n", n.name, ": unchanged (",
                      Plural(static_cast<int>(n.gpus.size()), "GPU", "GPUs"),
                      ")\n");
      continue;
    }
    absl::StrAppend(&out, "\n", n.name, ": reconfigured\n");
    for (const planner::GpuPlan& g : n.gpus) {
      absl::StrAppend(&out, "  GPU ", g.index, " (", g.model->key, "): ");
      if (!g.changed()) {
        absl::StrAppend(&out, "unchanged\n");
      } else {
        absl::StrAppend(&out, g.created.size(), " created, ",
                        g.destroyed.size(), " destroyed",
                        g.mig_enabled_before ? "" : ", MIG enabled", "\n");
      }
      absl::StrAppend(&out, "           ", SliceAxis(*g.model), "\n");
      absl::StrAppend(&out, "    before ", LayoutRow(*g.model, g.before, false),
                      "\n");
      if (g.changed()) {
        absl::StrAppend(&out, "    after  ",
                        LayoutRow(*g.model, g.after, false), "\n");
      }
      if (!g.destroyed.empty()) {
        absl::StrAppend(&out, "    destroy: ", Instances(*g.model, g.destroyed),
                        "\n");
      }
      if (!g.created.empty()) {
        absl::StrAppend(&out, "    create:  ", Instances(*g.model, g.created),
                        "\n");
      }
    }
    absl::StrAppend(&out, "  config:\n",
                    Indent(config::WriteMigConfig(*n.config), "    "));
  }
  return out;
}

json ClusterPlanJson(const planner::Plan& plan) {
  const planner::Report& r = plan.report;
  json demand = json::array();
  for (const planner::DemandReport& d : r.demand) {
    demand.push_back({{"profile", d.profile},
                      {"priority", d.priority},
                      {"requested", d.requested},
                      {"served", d.served},
                      {"unmet_reason", d.unmet_reason}});
  }
  json nodes = json::array();
  for (const planner::NodePlan& n : plan.nodes) {
    json gpus = json::array();
    for (const planner::GpuPlan& g : n.gpus) {
      gpus.push_back({{"index", g.index},
                      {"model", g.model->key},
                      {"changed", g.changed()},
                      {"mig_enabled_before", g.mig_enabled_before},
                      {"mig_enabled_after", g.mig_enabled_after},
                      {"before", LayoutJson(*g.model, g.before)},
                      {"after", LayoutJson(*g.model, g.after)},
                      {"created", LayoutJson(*g.model, g.created)},
                      {"destroyed", LayoutJson(*g.model, g.destroyed)}});
    }
    json node = {{"name", n.name}, {"touched", n.touched}, {"gpus", gpus}};
    node["config"] =
        n.config ? json(config::WriteMigConfig(*n.config)) : json(nullptr);
    nodes.push_back(std::move(node));
  }
  return {{"report",
           {{"requested", r.requested},
            {"served", r.served},
            {"instances_created", r.instances_created},
            {"instances_destroyed", r.instances_destroyed},
            {"gpus_changed", r.gpus_changed},
            {"nodes_touched", r.nodes_touched},
            {"cost", r.cost},
            {"free_memory_slices", r.free_memory_slices},
            {"usable_free_memory_slices", r.usable_free_memory_slices},
            {"fragmentation", r.fragmentation()},
            {"demand", demand}}},
          {"nodes", nodes}};
}

absl::Status ClusterPlanCommand(Context& ctx, const ClusterPlanFlags& f) {
  ASSIGN_OR_RETURN(ClusterSnapshot s, LoadClusterSnapshot(f.snapshot));
  absl::StatusOr<planner::Plan> plan =
      planner::PlanCluster(s.cluster, s.demand, s.policy);
  if (!plan.ok()) {
    return absl::Status(
        plan.status().code(),
        absl::StrCat(f.snapshot, ": ", plan.status().message()));
  }
  if (ctx.format == Format::kJson) {
    PrintJson(*ctx.out, ClusterPlanJson(*plan));
  } else {
    *ctx.out << ClusterPlanText(*plan, f.snapshot);
  }
  return absl::OkStatus();
}

}  // namespace migctl::cli
