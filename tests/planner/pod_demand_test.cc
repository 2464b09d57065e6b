#include "planner/pod_demand.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace migctl::planner {
namespace {

using nlohmann::json;

// A pending pod the scheduler could not place, with `containers` and
// `init` (each a resources object).
json PendingPod(const std::string& name, std::vector<json> containers,
                std::vector<json> init = {}) {
  json pod = {{"metadata", {{"name", name}, {"namespace", "ml"}}},
              {"spec", {{"containers", json::array()}}},
              {"status",
               {{"phase", "Pending"},
                {"conditions",
                 {{{"type", "PodScheduled"},
                   {"status", "False"},
                   {"reason", "Unschedulable"}}}}}}};
  int i = 0;
  for (json& r : containers) {
    pod["spec"]["containers"].push_back(
        {{"name", absl::StrCat("c", i++)}, {"resources", r}});
  }
  for (json& r : init) {
    pod["spec"]["initContainers"].push_back(
        {{"name", absl::StrCat("i", i++)}, {"resources", r}});
  }
  return pod;
}

json Limits(const std::string& resource, const json& quantity) {
  return {{"limits", {{resource, quantity}}}};
}

// "profile:count@priority" per item, "ns/name: profile=n..." per pod.
std::string Describe(const PodDemand& d) {
  std::string out;
  for (const DemandItem& i : d.demand.items) {
    absl::StrAppend(&out, i.profile, ":", i.count, "@", i.priority, " ");
  }
  absl::StrAppend(&out, "|");
  for (const CountedPod& p : d.counted) {
    absl::StrAppend(&out, " ", p.name, "(", p.priority, ")");
    for (const auto& [profile, n] : p.requests) {
      absl::StrAppend(&out, " ", profile, "=", n);
    }
  }
  absl::StrAppend(&out, " |");
  for (const SkippedPod& p : d.skipped) {
    absl::StrAppend(&out, " ", p.name, ": ", p.reason, ";");
  }
  return out;
}

TEST(PodDemand, PendingUnschedulablePodsCount) {
  const PodDemand d = DemandFromPods(
      {PendingPod("a", {Limits("nvidia.com/mig-1g.12gb", "1")}),
       PendingPod("b", {Limits("nvidia.com/mig-1g.12gb", 2)}),
       PendingPod("c", {Limits("nvidia.com/mig-1g.24gb", "1")})});
  EXPECT_EQ(Describe(d),
            "1g.12gb:3@0 1g.24gb:1@0 | ml/a(0) 1g.12gb=1 ml/b(0) 1g.12gb=2 "
            "ml/c(0) 1g.24gb=1 |");
}

TEST(PodDemand, ScheduledRunningAndSchedulablePodsAreIgnored) {
  json bound = PendingPod("bound", {Limits("nvidia.com/mig-1g.12gb", "1")});
  bound["spec"]["nodeName"] = "gpu-node-1";
  json running = PendingPod("running", {Limits("nvidia.com/mig-1g.12gb", "1")});
  running["status"]["phase"] = "Running";
  json waiting = PendingPod("waiting", {Limits("nvidia.com/mig-1g.12gb", "1")});
  waiting["status"]["conditions"][0]["reason"] = "SchedulingGated";
  json fresh = PendingPod("fresh", {Limits("nvidia.com/mig-1g.12gb", "1")});
  fresh["status"].erase("conditions");
  const PodDemand d = DemandFromPods({bound, running, waiting, fresh});
  EXPECT_EQ(Describe(d), "| |");
  EXPECT_FALSE(IsUnschedulable(bound));
  EXPECT_FALSE(IsUnschedulable(running));
  EXPECT_FALSE(IsUnschedulable(waiting));
  EXPECT_FALSE(IsUnschedulable(fresh));
}

TEST(PodDemand, NonMigResourcesAreIgnored) {
  const PodDemand d =
      DemandFromPods({PendingPod("cpu", {Limits("cpu", "2")}),
                      PendingPod("gpu", {Limits("nvidia.com/gpu", "1")})});
  EXPECT_EQ(Describe(d), "| |");
  EXPECT_FALSE(RequestsMig(PendingPod("gpu", {Limits("nvidia.com/gpu", "1")})));
}

TEST(PodDemand, ContainersAreSummedAndInitContainersTakeTheMax) {
  // Containers: 1 + 2 = 3 of 1g.12gb; init containers: max(4, 1) = 4 wins.
  // 1g.24gb: containers 2, init 1 -> 2. 2g.24gb only in an init container.
  const PodDemand d = DemandFromPods({PendingPod(
      "train",
      {{{"limits",
         {{"nvidia.com/mig-1g.12gb", "1"}, {"nvidia.com/mig-1g.24gb", "2"}}}},
       Limits("nvidia.com/mig-1g.12gb", "2")},
      {Limits("nvidia.com/mig-1g.12gb", "4"),
       {{"limits",
         {{"nvidia.com/mig-1g.12gb", "1"},
          {"nvidia.com/mig-1g.24gb", "1"},
          {"nvidia.com/mig-2g.24gb", "1"}}}}})});
  EXPECT_EQ(Describe(d),
            "1g.12gb:4@0 1g.24gb:2@0 2g.24gb:1@0 | ml/train(0) 1g.12gb=4 "
            "1g.24gb=2 2g.24gb=1 |");
}

TEST(PodDemand, LimitsWinOverRequestsAndRequestsAloneCount) {
  const PodDemand d = DemandFromPods({PendingPod(
      "p",
      {{{"requests",
         {{"nvidia.com/mig-1g.12gb", "1"}, {"nvidia.com/mig-1g.24gb", "3"}}},
        {"limits", {{"nvidia.com/mig-1g.12gb", "2"}}}}})});
  EXPECT_EQ(Describe(d),
            "1g.12gb:2@0 1g.24gb:3@0 | ml/p(0) 1g.12gb=2 "
            "1g.24gb=3 |");
}

TEST(PodDemand, PriorityComesFromTheSpec) {
  json high = PendingPod("high", {Limits("nvidia.com/mig-1g.12gb", "1")});
  high["spec"]["priority"] = 1000;
  json low = PendingPod("low", {Limits("nvidia.com/mig-1g.12gb", "2")});
  json also_high =
      PendingPod("also-high", {Limits("nvidia.com/mig-1g.10gb.me", "1")});
  also_high["spec"]["priority"] = 1000;
  const PodDemand d = DemandFromPods({low, high, also_high});
  EXPECT_EQ(Describe(d),
            "1g.10gb+me:1@1000 1g.12gb:1@1000 1g.12gb:2@0 | ml/also-high(1000) "
            "1g.10gb+me=1 ml/high(1000) 1g.12gb=1 ml/low(0) 1g.12gb=2 |");
}

TEST(PodDemand, MalformedNamesAndQuantitiesAreSkippedWithTheReason) {
  const PodDemand d = DemandFromPods(
      {PendingPod("bad-name", {Limits("nvidia.com/mig-1x.12gb", "1")}),
       PendingPod("ci", {Limits("nvidia.com/mig-1c.3g.47gb", "1")}),
       PendingPod("fraction", {Limits("nvidia.com/mig-1g.12gb", "500m")}),
       PendingPod("negative", {Limits("nvidia.com/mig-1g.12gb", -1)}),
       PendingPod("good", {Limits("nvidia.com/mig-1g.12gb", "1")})});
  EXPECT_EQ(Describe(d),
            "1g.12gb:1@0 | ml/good(0) 1g.12gb=1 | "
            "ml/bad-name: resource \"nvidia.com/mig-1x.12gb\": invalid MIG "
            "profile name \"1x.12gb\": missing \"g.\"; expected "
            "[<c>c.]<g>g.<mem>gb[+me|-me|+me.all|+gfx], e.g. 1g.10gb, "
            "1c.3g.40gb, 1g.10gb+me; "
            "ml/ci: resource \"nvidia.com/mig-1c.3g.47gb\": names a compute "
            "instance, not a GPU instance; "
            "ml/fraction: resource \"nvidia.com/mig-1g.12gb\": quantity "
            "\"500m\" is not a whole number of instances; "
            "ml/negative: resource \"nvidia.com/mig-1g.12gb\": quantity -1 "
            "is not a whole number of instances;");
}

}  // namespace
}  // namespace migctl::planner
