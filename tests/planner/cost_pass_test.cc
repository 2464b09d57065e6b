// The cost pass (src/planner/cost_pass.h) on hand-made assignments: what it
// takes back, where it moves changes to, and that it never serves fewer
// requests.
#include "planner/cost_pass.h"

#include <algorithm>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "planner/candidates.h"
#include "planner/planner.h"
#include "planner/problem.h"
#include "planner/test_util.h"
#include "support/synthetic_fleet.h"

namespace migctl::planner {
namespace {

using testing::Figures;
using testing::Layouts;
using testing::MakeGpu;

// A problem with its classes; Problem points into the cluster, demand and
// policy, so they live here together.
struct Setup {
  Cluster cluster;
  Demand demand;
  Policy policy;
  Problem pb;
  Classes classes;
};

std::unique_ptr<Setup> MakeSetup(Cluster cluster, Demand demand,
                                 Policy policy = {}) {
  auto s = std::make_unique<Setup>();
  s->cluster = std::move(cluster);
  s->demand = std::move(demand);
  s->policy = std::move(policy);
  absl::StatusOr<Problem> pb = MakeProblem(s->cluster, s->demand, s->policy);
  EXPECT_TRUE(pb.ok()) << pb.status();
  if (pb.ok()) s->pb = *std::move(pb);
  s->classes = MakeClasses(s->pb);
  return s;
}

// The candidate of GPU `g` (Problem::gpus order) that supplies `supply` of
// the demanded profiles (Problem::profiles order) and destroys `destroyed`.
int CandidateWith(const Setup& s, int g, const std::vector<int>& supply,
                  int destroyed) {
  const std::vector<Candidate>& cands =
      s.classes.classes[s.classes.class_of[g]].cands;
  for (size_t c = 0; c < cands.size(); ++c) {
    if (cands[c].supply == supply && cands[c].destroyed == destroyed) {
      return static_cast<int>(c);
    }
  }
  ADD_FAILURE() << "GPU " << g << " has no candidate supplying "
                << absl::StrJoin(supply, ",") << " destroying " << destroyed;
  return 0;
}

// Each changed GPU: "node/index: supply of each demanded profile, -destroyed".
std::string Describe(const Setup& s, const std::vector<int>& choice) {
  std::vector<std::string> out;
  for (size_t g = 0; g < choice.size(); ++g) {
    if (choice[g] == 0) continue;
    const GpuRef& ref = s.pb.gpus[g];
    const Candidate& c =
        s.classes.classes[s.classes.class_of[g]].cands[choice[g]];
    std::vector<std::string> supply;
    for (size_t p = 0; p < c.supply.size(); ++p) {
      supply.push_back(absl::StrCat(s.pb.profiles[p], "=", c.supply[p]));
    }
    out.push_back(absl::StrCat(s.pb.nodes[ref.node]->name, "/", ref.gpu->index,
                               ": ", absl::StrJoin(supply, " "), " -",
                               c.destroyed));
  }
  return absl::StrJoin(out, "; ");
}

Node OneGpu(const std::string& name, const std::string& layout) {
  return {name, {MakeGpu("H100-NVL", 0, layout)}};
}

TEST(ImproveCost, MovesAChangeOntoANodeAlreadyTouched) {
  // Two requests for 1g.12gb served by one new instance on each of two
  // empty GPUs (two nodes, cost 2): both fit on one of them (cost 1).
  auto s =
      MakeSetup({{OneGpu("a", ""), OneGpu("b", "")}}, {{{"1g.12gb", 2, 0}}});
  std::vector<int> choice = {CandidateWith(*s, 0, {1}, 0),
                             CandidateWith(*s, 1, {1}, 0)};
  ImproveCost(s->pb, s->classes, &choice);
  // Node a goes back first (ties keep node order); b takes both.
  EXPECT_EQ(Describe(*s, choice), "b/0: 1g.12gb=2 -0");
}

TEST(ImproveCost, RevertsAGpuWhoseDemandAnIdleInstanceServes) {
  // Node a holds an idle 1g.12gb already; the new one on node b is not
  // needed for the one request.
  auto s = MakeSetup({{OneGpu("a", "1g.12gb@0"), OneGpu("b", "")}},
                     {{{"1g.12gb", 1, 0}}});
  std::vector<int> choice = {0, CandidateWith(*s, 1, {1}, 0)};
  ImproveCost(s->pb, s->classes, &choice);
  EXPECT_EQ(Describe(*s, choice), "");
}

TEST(ImproveCost, TakesTheCheaperCandidateWithEnoughSupply) {
  // Three 1g.12gb requests; the GPU holds an idle 1g.12gb@0 and an idle
  // 3g.47gb@4. Seven 1g.12gb destroy the 3g.47gb; three fit beside it
  // (slices 1-3), and making two of them creates the fewest.
  auto s =
      MakeSetup({{OneGpu("a", "1g.12gb@0 3g.47gb@4")}}, {{{"1g.12gb", 3, 0}}});
  std::vector<int> choice = {CandidateWith(*s, 0, {7}, 1)};
  ImproveCost(s->pb, s->classes, &choice);
  EXPECT_EQ(Describe(*s, choice), "a/0: 1g.12gb=3 -0");
}

TEST(ImproveCost, UsesAnEmptyGpuRatherThanDestroying) {
  // One 7g.94gb request served by destroying node a's idle 3g.47gb pair
  // (cost 2 destroyed + 1 node); the empty GPU on node b costs 1 node.
  auto s = MakeSetup({{OneGpu("a", "3g.47gb@0 3g.47gb@4"), OneGpu("b", "")}},
                     {{{"7g.94gb", 1, 0}}});
  std::vector<int> choice = {CandidateWith(*s, 0, {1}, 2), 0};
  ImproveCost(s->pb, s->classes, &choice);
  EXPECT_EQ(Describe(*s, choice), "b/0: 7g.94gb=1 -0");
}

TEST(ImproveCost, KeepsWhatEveryProfileServes) {
  // Both GPUs are needed: 14 requests, 7 per GPU. Nothing can go back.
  auto s =
      MakeSetup({{OneGpu("a", ""), OneGpu("b", "")}}, {{{"1g.12gb", 14, 0}}});
  std::vector<int> choice = {CandidateWith(*s, 0, {7}, 0),
                             CandidateWith(*s, 1, {7}, 0)};
  ImproveCost(s->pb, s->classes, &choice);
  EXPECT_EQ(Describe(*s, choice), "a/0: 1g.12gb=7 -0; b/0: 1g.12gb=7 -0");
}

TEST(ImproveCost, NeverTouchesMoreNodesThanThePolicyAllows) {
  // As UsesAnEmptyGpuRatherThanDestroying, but node a's empty GPU 1 serves
  // a 1g.12gb too (cost 2 destroyed + 1 node). Without a limit the 7g.94gb
  // moves to node b's empty GPU (2 nodes, cost 2). With a limit of one node
  // the two GPUs of node a swap instead: GPU 1 takes the 7g.94gb and GPU 0
  // destroys one 3g.47gb only, for the 1g.12gb (cost 1 + 1 node).
  Node a{"a",
         {MakeGpu("H100-NVL", 0, "3g.47gb@0 3g.47gb@4"),
          MakeGpu("H100-NVL", 1, "")}};
  Policy one_node;
  one_node.max_nodes_touched = 1;
  auto limited = MakeSetup({{a, OneGpu("b", "")}},
                           {{{"1g.12gb", 1, 0}, {"7g.94gb", 1, 0}}}, one_node);
  const std::vector<int> start = {CandidateWith(*limited, 0, {0, 1}, 2),
                                  CandidateWith(*limited, 1, {1, 0}, 0), 0};
  std::vector<int> choice = start;
  ImproveCost(limited->pb, limited->classes, &choice);
  EXPECT_EQ(Describe(*limited, choice),
            "a/0: 1g.12gb=1 7g.94gb=0 -1; a/1: 1g.12gb=0 7g.94gb=1 -0");

  auto free = MakeSetup(limited->cluster, limited->demand);
  choice = start;
  ImproveCost(free->pb, free->classes, &choice);
  EXPECT_EQ(Describe(*free, choice),
            "a/1: 1g.12gb=1 7g.94gb=0 -0; b/0: 1g.12gb=0 7g.94gb=1 -0");
}

// The pass keeps PlanCluster independent of input order on a fleet where it
// changes a lot.
TEST(ImproveCost, SameFleetInAnyOrderGivesTheSamePlan) {
  const planner_ilp::Fleet fleet =
      planner_ilp::MakeFleet({.gpus = 200, .requests_per_gpu = 5, .seed = 4});
  absl::StatusOr<Plan> want = PlanCluster(fleet.cluster, fleet.demand, {});
  ASSERT_TRUE(want.ok()) << want.status();
  std::mt19937 rng(11);
  for (int round = 0; round < 2; ++round) {
    Cluster c = fleet.cluster;
    std::shuffle(c.nodes.begin(), c.nodes.end(), rng);
    for (Node& n : c.nodes) std::shuffle(n.gpus.begin(), n.gpus.end(), rng);
    Demand d = fleet.demand;
    std::shuffle(d.items.begin(), d.items.end(), rng);
    absl::StatusOr<Plan> got = PlanCluster(c, d, {});
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(Layouts(*got), Layouts(*want));
    EXPECT_EQ(Figures(got->report), Figures(want->report));
  }
}

}  // namespace
}  // namespace migctl::planner
