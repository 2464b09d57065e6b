// Inputs that threw or broke an invariant of the pod_demand fuzz target
// (fuzz/regressions/pod_demand/): each is read without an exception, with
// the result the table says ("counted"/"skipped" entries, or "" when the
// pods do not count).
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "planner/pod_demand.h"
#include "support/fuzz_regressions.h"

namespace migctl::planner {
namespace {

using nlohmann::json;

// "counted ns/name(priority) profile=n ..." and "skipped ns/name: reason".
std::string Describe(const PodDemand& d) {
  std::string out;
  for (const CountedPod& p : d.counted) {
    absl::StrAppend(&out, "counted ", p.name, "(", p.priority, ")");
    for (const auto& [profile, n] : p.requests) {
      absl::StrAppend(&out, " ", profile, "=", n);
    }
  }
  for (const SkippedPod& p : d.skipped) {
    absl::StrAppend(&out, "skipped ", p.name, ": ", p.reason);
  }
  return out;
}

TEST(PodDemandFuzzRegressionsTest, ReadWithoutAnException) {
  const std::map<std::string, std::string> expected = {
      {"metadata-name-is-a-number.json",
       "skipped ml/: metadata.name is not a string"},
      {"metadata-is-a-list.json",
       "skipped <unnamed>: metadata is not an object"},
      {"phase-is-a-number.json", ""},
      {"node-name-is-a-number.json", ""},
      {"condition-reason-is-null.json", ""},
      {"items-are-not-pods.json", ""},
      {"priority-is-int-min.json", "counted ml/x(-2147483648) 1g.12gb=1"},
      {"priority-out-of-range.json",
       "skipped ml/x: spec.priority 4294967296 is out of range"},
      {"quantity-above-int64.json",
       "skipped ml/x: resource \"nvidia.com/mig-1g.12gb\": quantity "
       "18446744073709551615 is more than 1000000 instances"},
      {"quantity-above-int.json",
       "skipped ml/x: resource \"nvidia.com/mig-1g.12gb\": quantity "
       "\"4294967297\" is more than 1000000 instances"},
  };
  const std::map<std::string, std::string> inputs =
      testing::FuzzRegressions("pod_demand");
  ASSERT_EQ(inputs.size(), expected.size());
  for (const auto& [name, text] : inputs) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(expected.contains(name)) << "add the reproducer to the table";
    const json doc = json::parse(text, nullptr, false);
    ASSERT_FALSE(doc.is_discarded());
    std::vector<json> pods;
    if (doc.contains("items")) {
      pods.assign(doc["items"].begin(), doc["items"].end());
    } else {
      pods.push_back(doc);
    }
    PodDemand demand;
    EXPECT_NO_THROW(demand = DemandFromPods(pods));
    EXPECT_EQ(Describe(demand), expected.at(name));
  }
}

TEST(PodNameTest, ReadsWhatItCan) {
  EXPECT_EQ(
      PodName(json::parse(R"({"metadata":{"namespace":"ml","name":"a"}})")),
      "ml/a");
  EXPECT_EQ(PodName(json::parse(R"({"metadata":{"name":"a"}})")), "/a");
  EXPECT_EQ(PodName(json::parse(R"({"metadata":{"namespace":1,"name":"a"}})")),
            "/a");
  EXPECT_EQ(PodName(json::parse(R"({"metadata":{"name":[]}})")), "<unnamed>");
  EXPECT_EQ(PodName(json::parse(R"({"metadata":"a"})")), "<unnamed>");
  EXPECT_EQ(PodName(json::parse(R"({})")), "/");
  EXPECT_EQ(PodName(json::parse("[1]")), "<unnamed>");
}

}  // namespace
}  // namespace migctl::planner
