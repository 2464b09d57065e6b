// Randomised properties of PlanCluster: busy instances survive, limits hold,
// and migctl's apply (reconcile::PlanGpu) reaches each planned layout from
// the node config's counts alone, destroying exactly what the plan reports.
#include <algorithm>
#include <random>

#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "planner/planner.h"
#include "planner/test_util.h"
#include "reconcile/plan.h"

namespace migctl::planner {
namespace {

reconcile::GpuState StateOf(const Gpu& gpu) {
  reconcile::GpuState s;
  s.index = gpu.index;
  s.model = gpu.model;
  s.mode = {gpu.mig_enabled, gpu.mig_enabled};
  int id = 1;
  for (const Instance& i : gpu.instances) {
    reconcile::InstanceState st;
    st.gi = {id++, i.gi.profile_id, i.gi.placement};
    const mig::ComputeProfile* full =
        gpu.model->FindProfileById(i.gi.profile_id)->FullComputeProfile();
    st.cis.push_back({st.gi.id, 0, full->id, {0, full->slices}});
    if (i.busy()) st.pids.push_back(1000 + st.gi.id);
    s.instances.push_back(st);
  }
  return s;
}

struct Scenario {
  Cluster cluster;
  Demand demand;
  Policy policy;
};

Scenario RandomScenario(std::mt19937& rng) {
  const char* models[] = {"H100-NVL", "A100-SXM4-40GB", "A30-24GB"};
  Scenario sc;
  const int nodes = 1 + static_cast<int>(rng() % 6);
  for (int n = 0; n < nodes; ++n) {
    Node node{absl::StrCat("node-", rng() % 100)};
    bool dup = false;
    for (const Node& o : sc.cluster.nodes) dup |= o.name == node.name;
    if (dup) continue;
    const char* model = models[rng() % 3];
    const int gpus = 1 + static_cast<int>(rng() % 4);
    for (int g = 0; g < gpus; ++g) {
      Gpu gpu = testing::MakeGpu(model, g, "");
      const std::vector<mig::Layout> all = CandidateLayouts(gpu);
      const mig::Layout& l = all[rng() % all.size()];
      for (const mig::PlacedGpuInstance& gi : l) {
        Instance i{gi};
        if (rng() % 3 == 0) i.pods.push_back("pod");
        gpu.instances.push_back(i);
      }
      std::shuffle(gpu.instances.begin(), gpu.instances.end(), rng);
      node.gpus.push_back(gpu);
    }
    sc.cluster.nodes.push_back(node);
  }
  const int items = 1 + static_cast<int>(rng() % 5);
  for (int i = 0; i < items; ++i) {
    const mig::GpuModel& m = *mig::FindModel(models[rng() % 3]);
    const mig::GpuInstanceProfile& p = m.profiles[rng() % m.profiles.size()];
    sc.demand.items.push_back({p.name, 1 + static_cast<int>(rng() % 12),
                               static_cast<int>(rng() % 3)});
  }
  if (rng() % 2 == 0) sc.policy.max_nodes_touched = static_cast<int>(rng() % 3);
  if (rng() % 3 == 0) {
    sc.policy.protected_nodes.push_back(sc.cluster.nodes[0].name);
  }
  return sc;
}

const Gpu& InputGpu(const Cluster& c, const std::string& node, int index) {
  for (const Node& n : c.nodes) {
    if (n.name != node) continue;
    for (const Gpu& g : n.gpus) {
      if (g.index == index) return g;
    }
  }
  ADD_FAILURE() << node << "/" << index;
  return c.nodes[0].gpus[0];
}

TEST(PlanClusterProperties, BusyKeptLimitsHeldAndApplyAgrees) {
  std::mt19937 rng(20261129);
  for (int round = 0; round < 150; ++round) {
    const Scenario sc = RandomScenario(rng);
    absl::StatusOr<Plan> plan = PlanCluster(sc.cluster, sc.demand, sc.policy);
    ASSERT_TRUE(plan.ok()) << plan.status();
    const Report& r = plan->report;
    if (sc.policy.max_nodes_touched >= 0) {
      EXPECT_LE(r.nodes_touched, sc.policy.max_nodes_touched);
    }
    EXPECT_LE(r.served, r.requested);
    int destroyed = 0;
    for (const NodePlan& n : plan->nodes) {
      const bool protected_node =
          std::find(sc.policy.protected_nodes.begin(),
                    sc.policy.protected_nodes.end(),
                    n.name) != sc.policy.protected_nodes.end();
      EXPECT_TRUE(!protected_node || !n.touched) << n.name;
      EXPECT_EQ(n.touched, n.config.has_value());
      for (const GpuPlan& g : n.gpus) {
        const Gpu& in = InputGpu(sc.cluster, n.name, g.index);
        ASSERT_TRUE(mig::ValidateLayout(*g.model, g.after).ok());
        for (const Instance& i : in.instances) {
          if (!i.busy()) continue;
          EXPECT_TRUE(std::find(g.after.begin(), g.after.end(), i.gi) !=
                      g.after.end())
              << "round " << round << " " << n.name << "/" << g.index;
        }
        destroyed += static_cast<int>(g.destroyed.size());
        if (!n.touched) continue;
        // Apply from the node config's counts: the same layout, the same
        // instances destroyed.
        absl::StatusOr<config::GpuTarget> target = config::SelectForGpu(
            *n.config, sc.policy.config_name, g.index, *g.model, 0);
        ASSERT_TRUE(target.ok()) << target.status();
        absl::StatusOr<reconcile::GpuPlan> applied =
            reconcile::PlanGpu(StateOf(in), *target);
        ASSERT_TRUE(applied.ok()) << applied.status();
        EXPECT_EQ(applied->target_layout, g.after)
            << "round " << round << " " << n.name << "/" << g.index;
        EXPECT_EQ(applied->destroyed_gpu_instances(),
                  static_cast<int>(g.destroyed.size()));
        EXPECT_EQ(applied->created_gpu_instances(),
                  static_cast<int>(g.created.size()));
        absl::StatusOr<reconcile::GpuPlan> exact =
            reconcile::PlanGpu(StateOf(in), g.Target());
        ASSERT_TRUE(exact.ok()) << exact.status();
        EXPECT_EQ(exact->destroyed_gpu_instances(),
                  static_cast<int>(g.destroyed.size()));
        if (!g.changed()) {
          EXPECT_TRUE(applied->already_applied());
        }
      }
    }
    EXPECT_EQ(destroyed, r.instances_destroyed);
    // EvaluateTargets scores the same layouts the same way.
    std::vector<std::vector<mig::Layout>> targets;
    for (const Node& n : sc.cluster.nodes) {
      targets.emplace_back();
      for (const Gpu& g : n.gpus) {
        for (const NodePlan& pn : plan->nodes) {
          if (pn.name != n.name) continue;
          for (const GpuPlan& pg : pn.gpus) {
            if (pg.index == g.index) targets.back().push_back(pg.after);
          }
        }
      }
    }
    absl::StatusOr<Plan> scored =
        EvaluateTargets(sc.cluster, sc.demand, sc.policy, targets);
    ASSERT_TRUE(scored.ok()) << scored.status();
    EXPECT_EQ(testing::Figures(scored->report), testing::Figures(r));
  }
}

}  // namespace
}  // namespace migctl::planner
