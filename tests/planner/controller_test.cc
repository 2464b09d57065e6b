#include "planner/controller.h"

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "support/api_server.h"
#include "support/shell.h"
#include "support/unschedulable_pod.h"

namespace migctl::planner {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_support = migctl::testing::ApiServer;

// As the agent publishes it (nlohmann's dump: keys sorted): two empty H100
// NVL GPUs with MIG enabled.
constexpr char kEmptyStoryLayout[] =
    R"({"gpus":[{"gpu_instances":[],"index":0,"mig_enabled":true,)"
    R"("model":"H100-NVL","uuid":"GPU-0"},{"gpu_instances":[],"index":1,)"
    R"("mig_enabled":true,"model":"H100-NVL","uuid":"GPU-1"}]})";

// The instance list of the annotation: "profile@start[*]" words.
std::string Instances(const std::vector<std::string>& words) {
  json out = json::array();
  for (const std::string& w : words) {
    const size_t at = w.find('@');
    const bool busy = w.back() == '*';
    const std::string profile = w.substr(0, at);
    const int start = std::stoi(w.substr(at + 1));
    const int size = profile == "1g.24gb" || profile == "2g.24gb"   ? 2
                     : profile == "3g.47gb" || profile == "4g.47gb" ? 4
                     : profile == "7g.94gb"                         ? 8
                                                                    : 1;
    out.push_back({{"busy", busy},
                   {"profile", profile},
                   {"size", size},
                   {"start", start}});
  }
  return out.dump();
}

std::string Layout(const std::vector<std::string>& gpu0,
                   const std::vector<std::string>& gpu1) {
  return absl::StrCat(R"({"gpus":[{"gpu_instances":)", Instances(gpu0),
                      R"(,"index":0,"mig_enabled":true,"model":"H100-NVL",)"
                      R"("uuid":"GPU-0"},{"gpu_instances":)",
                      Instances(gpu1),
                      R"(,"index":1,"mig_enabled":true,"model":"H100-NVL",)"
                      R"("uuid":"GPU-1"}]})");
}

json Pod(const std::string& name, const std::string& resource) {
  return testing::UnschedulablePod("ml", name, resource);
}

class ControllerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.Start().ok());
    kube::ClusterConfig config;
    config.server = server_.url();
    kube::ClientOptions o;
    o.max_attempts = 1;
    auto client = kube::Client::Create(config, o);
    ASSERT_TRUE(client.ok()) << client.status();
    client_ = *std::move(client);
    options_.namespace_ = "migctl";
    options_.now = [this] { return now_; };
  }

  void AddNode(const std::string& name, const std::string& layout,
               const std::map<std::string, std::string>& labels = {}) {
    absl::StatusOr<json> node = server_.AddNode(name, labels);
    ASSERT_TRUE(node.ok()) << node.status();
    if (!layout.empty()) SetNode(name, layout, "");
  }

  // Sets the node's layout annotation and state label (unless empty), as
  // the agent does after applying.
  void SetNode(const std::string& name, const std::string& layout,
               const std::string& state) {
    json node = *server_.GetObject("nodes", "", name);
    node["metadata"]["annotations"]["migctl.dev/mig.layout"] = layout;
    if (!state.empty()) {
      node["metadata"]["labels"]["nvidia.com/mig.config.state"] = state;
    }
    ASSERT_TRUE(server_.UpdateObject("nodes", "", node).ok());
  }

  void AddStoryPods() {
    for (int i = 0; i < 7; ++i) {
      ASSERT_TRUE(server_
                      .CreateObject("pods", "ml",
                                    Pod(absl::StrCat("infer-", i),
                                        "nvidia.com/mig-1g.12gb"))
                      .ok());
    }
    ASSERT_TRUE(server_
                    .CreateObject("pods", "ml",
                                  Pod("embed-0", "nvidia.com/mig-1g.24gb"))
                    .ok());
  }

  std::string NodeLabel(const std::string& node, const std::string& key) {
    json n = *server_.GetObject("nodes", "", node);
    return n["metadata"].value("labels", json::object()).value(key, "");
  }

  std::string ConfigYaml() {
    std::optional<json> cm =
        server_.GetObject("configmaps", "migctl", "migctl-planner-config");
    if (!cm) return "(none)";
    return (*cm)["data"].value("config.yaml", "");
  }

  // "reason type: message" per Event.
  std::vector<std::string> Events() {
    std::vector<std::string> out;
    for (const json& e : server_.ListObjects("events")) {
      out.push_back(absl::StrCat(
          e.value("reason", ""), " ", e.value("type", ""), " ",
          e["involvedObject"].value("name", ""), ": ", e.value("message", "")));
    }
    return out;
  }

  int Writes() {
    int n = 0;
    for (const auto& r : server_.requests()) n += r.method != "GET";
    return n;
  }

  testing_support server_;
  std::unique_ptr<kube::Client> client_;
  ControllerOptions options_;
  absl::Time now_ = absl::FromUnixSeconds(1800000000);
};

constexpr char kStoryName[] = "migctl-planner-7707a6bce9";
constexpr char kStoryYaml[] =
    "version: v1\n"
    "mig-configs:\n"
    "  migctl-planner-7707a6bce9:\n"
    "    - devices: [0]\n"
    "      mig-enabled: true\n"
    "      mig-devices:\n"
    "        \"1g.12gb\": 6\n"
    "        \"1g.24gb\": 1\n"
    "    - devices: [1]\n"
    "      mig-enabled: true\n"
    "      mig-devices:\n"
    "        \"1g.12gb\": 1\n";
constexpr char kStoryEvent[] =
    "MigPlannerRelabel Normal gpu-node-1: Set "
    "nvidia.com/mig.config=migctl-planner-7707a6bce9: GPU 0: destroy nothing, "
    "create 1g.12gb@0 1g.12gb@1 1g.12gb@2 1g.12gb@3 1g.12gb@4 1g.12gb@5 "
    "1g.24gb@6; GPU 1: destroy nothing, create 1g.12gb@0";

// The story's layouts once the agent applied kStoryName.
std::string StoryLayoutApplied() {
  return Layout({"1g.12gb@0", "1g.12gb@1", "1g.12gb@2", "1g.12gb@3",
                 "1g.12gb@4", "1g.12gb@5", "1g.24gb@6"},
                {"1g.12gb@0"});
}

// The metrics without the timing lines.
std::string Figures(const Controller& c) {
  std::string out;
  for (absl::string_view line : absl::StrSplit(c.MetricsText(), '\n')) {
    if (absl::StartsWith(line, "#") || absl::StrContains(line, "seconds") ||
        line.empty()) {
      continue;
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

TEST_F(ControllerTest, StoryDemandWritesTheConfigMapThenRelabelsTheNode) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddStoryPods();
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->relabelled,
            (std::map<std::string, std::string>{{"gpu-node-1", kStoryName}}));
  EXPECT_EQ(r->config_yaml, kStoryYaml);
  EXPECT_EQ(NodeLabel("gpu-node-1", "nvidia.com/mig.config"), kStoryName);
  EXPECT_EQ(ConfigYaml(), kStoryYaml);
  json cm = *server_.GetObject("configmaps", "migctl", "migctl-planner-config");
  EXPECT_EQ(cm["metadata"]["labels"].dump(),
            R"({"app.kubernetes.io/managed-by":"migctl-planner"})");
  EXPECT_THAT(Events(), ElementsAre(kStoryEvent));
  // The ConfigMap is written before the label.
  std::vector<std::string> writes;
  for (const auto& q : server_.requests()) {
    if (q.method != "GET")
      writes.push_back(absl::StrCat(q.method, " ", q.path));
  }
  EXPECT_THAT(writes, ElementsAre("POST /api/v1/namespaces/migctl/configmaps",
                                  "PATCH /api/v1/nodes/gpu-node-1",
                                  "POST /api/v1/namespaces/default/events"));
  EXPECT_EQ(Figures(c),
            "migctl_planner_demand_requested{profile=\"1g.12gb\"} 7\n"
            "migctl_planner_demand_requested{profile=\"1g.24gb\"} 1\n"
            "migctl_planner_demand_unmet{profile=\"1g.12gb\"} 0\n"
            "migctl_planner_demand_unmet{profile=\"1g.24gb\"} 0\n"
            "migctl_planner_rounds_total 1\n"
            "migctl_planner_gpus_reconfigured_total 2\n"
            "migctl_planner_nodes_relabelled_total 1\n"
            "migctl_planner_apply_failures_total 0\n"
            "migctl_planner_errors_total 0\n"
            "migctl_planner_skipped_pods 0\n"
            "migctl_planner_nodes_in_flight 1\n");
  EXPECT_THAT(c.MetricsText(),
              HasSubstr("# TYPE migctl_planner_plan_seconds summary\n"
                        "migctl_planner_plan_seconds_sum "));
  EXPECT_THAT(c.MetricsText(),
              HasSubstr("migctl_planner_plan_seconds_count 1\n"));
}

TEST_F(ControllerTest, OnceTheAgentAppliedTheConfigNothingChanges) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddStoryPods();
  Controller c(*client_, options_);
  ASSERT_TRUE(c.RunOnce().ok());
  SetNode("gpu-node-1", StoryLayoutApplied(), "success");
  const int writes = Writes();
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->relabelled.empty());
  EXPECT_TRUE(r->protected_nodes.empty());
  EXPECT_EQ(r->plan.report.served, 8);
  EXPECT_EQ(r->plan.report.nodes_touched, 0);
  EXPECT_EQ(Writes(), writes);
  EXPECT_EQ(ConfigYaml(), kStoryYaml);
  EXPECT_THAT(Events(), ElementsAre(kStoryEvent));
  EXPECT_THAT(Figures(c), HasSubstr("migctl_planner_nodes_in_flight 0\n"));
}

TEST_F(ControllerTest, InFlightEndsOnlyWhenTheAnnotationShowsTheTarget) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddStoryPods();
  Controller c(*client_, options_);
  ASSERT_TRUE(c.RunOnce().ok());
  // A `success` left from before the relabel, with the annotation refreshed
  // for another reason (here GPU 1 shows a new, busy instance), is not the
  // apply: the node stays in flight.
  SetNode("gpu-node-1", Layout({}, {"3g.47gb@0*"}), "success");
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->relabelled.empty());
  EXPECT_EQ(r->protected_nodes, std::vector<std::string>{"gpu-node-1"});
  EXPECT_THAT(Figures(c), HasSubstr("migctl_planner_nodes_in_flight 1\n"));
  // The target's profile counts at other placements than planned: reached.
  SetNode("gpu-node-1",
          Layout({"1g.12gb@0", "1g.12gb@1", "1g.12gb@2", "1g.12gb@3",
                  "1g.12gb@4", "1g.12gb@5", "1g.24gb@6"},
                 {"1g.12gb@6"}),
          "success");
  r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->relabelled.empty());
  EXPECT_TRUE(r->protected_nodes.empty());
  EXPECT_THAT(Figures(c), HasSubstr("migctl_planner_nodes_in_flight 0\n"));
  EXPECT_THAT(Events(), ElementsAre(kStoryEvent));
}

TEST_F(ControllerTest, InFlightNodeCountsWithItsTargetAndIsNotReplanned) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddNode("gpu-node-2", kEmptyStoryLayout);
  AddStoryPods();
  Controller c(*client_, options_);
  ASSERT_TRUE(c.RunOnce().ok());
  EXPECT_EQ(NodeLabel("gpu-node-1", "nvidia.com/mig.config"), kStoryName);
  // The agent has not applied yet: the same pods must not make the
  // controller reconfigure the other node too.
  SetNode("gpu-node-1", kEmptyStoryLayout, "pending");
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->relabelled.empty());
  EXPECT_EQ(r->protected_nodes, std::vector<std::string>{"gpu-node-1"});
  EXPECT_EQ(r->plan.report.served, 8);
  // New demand goes to the other node; the in-flight one stays as it is.
  ASSERT_TRUE(
      server_
          .CreateObject("pods", "ml", Pod("train-0", "nvidia.com/mig-3g.47gb"))
          .ok());
  r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->relabelled.size(), 1);
  EXPECT_TRUE(r->relabelled.contains("gpu-node-2"));
  EXPECT_EQ(NodeLabel("gpu-node-1", "nvidia.com/mig.config"), kStoryName);
  EXPECT_EQ(Events().size(), 2);
}

TEST_F(ControllerTest, RestartKeepsARelabelNotAppliedYetInFlight) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddNode("gpu-node-2", kEmptyStoryLayout);
  AddStoryPods();
  {
    Controller before(*client_, options_);
    ASSERT_TRUE(before.RunOnce().ok());
  }
  ASSERT_EQ(NodeLabel("gpu-node-1", "nvidia.com/mig.config"), kStoryName);
  // The controller restarts before the agent applied: a new pod must go to
  // the other node, not make the restarted controller replan gpu-node-1.
  ASSERT_TRUE(
      server_
          .CreateObject("pods", "ml", Pod("train-0", "nvidia.com/mig-3g.47gb"))
          .ok());
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->protected_nodes, std::vector<std::string>{"gpu-node-1"});
  EXPECT_EQ(r->relabelled.size(), 1);
  EXPECT_TRUE(r->relabelled.contains("gpu-node-2"));
  EXPECT_EQ(NodeLabel("gpu-node-1", "nvidia.com/mig.config"), kStoryName);
  EXPECT_EQ(r->plan.report.served, 9);
  EXPECT_THAT(Figures(c), HasSubstr("migctl_planner_nodes_in_flight 2\n"));
  // Applied: no longer in flight.
  SetNode("gpu-node-1", StoryLayoutApplied(), "success");
  r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->protected_nodes, std::vector<std::string>{"gpu-node-2"});

  // A restart after the apply finds nothing in flight.
  SetNode("gpu-node-2", Layout({"3g.47gb@0"}, {}), "success");
  Controller after(*client_, options_);
  r = after.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->protected_nodes.empty());
  EXPECT_TRUE(r->relabelled.empty());
}

TEST_F(ControllerTest, PendingAndRebootingNodesAreProtected) {
  AddNode("gpu-node-1", kEmptyStoryLayout,
          {{"nvidia.com/mig.config.state", "pending"}});
  AddNode("gpu-node-2", kEmptyStoryLayout,
          {{"nvidia.com/mig.config.state", "rebooting"}});
  AddStoryPods();
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->relabelled.empty());
  EXPECT_EQ(r->protected_nodes,
            (std::vector<std::string>{"gpu-node-1", "gpu-node-2"}));
  EXPECT_EQ(Writes(), 0);
  EXPECT_EQ(r->plan.report.demand[0].unmet_reason,
            "not enough capacity: 7 more needed");
}

TEST_F(ControllerTest, FailedApplyWarnsAndProtectsTheNodeForTheBackoff) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddStoryPods();
  Controller c(*client_, options_);
  ASSERT_TRUE(c.RunOnce().ok());
  SetNode("gpu-node-1", kEmptyStoryLayout, "failed");
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->protected_nodes, std::vector<std::string>{"gpu-node-1"});
  EXPECT_THAT(
      Events(),
      ElementsAre(kStoryEvent,
                  "MigPlannerApplyFailed Warning gpu-node-1: applying "
                  "migctl-planner-7707a6bce9 failed; the planner leaves the "
                  "node alone for 5m"));
  EXPECT_THAT(Figures(c), HasSubstr("migctl_planner_apply_failures_total 1\n"));
  // After the back-off the node is planned again; it already has the
  // config the plan wants, so the label stays (the agent retries).
  now_ += absl::Minutes(5);
  r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->protected_nodes.empty());
  EXPECT_TRUE(r->relabelled.empty());
  EXPECT_EQ(Events().size(), 2);
}

TEST_F(ControllerTest, ApplyTimeoutWarns) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddStoryPods();
  Controller c(*client_, options_);
  ASSERT_TRUE(c.RunOnce().ok());
  now_ += absl::Minutes(9);
  ASSERT_TRUE(c.RunOnce().ok());
  EXPECT_EQ(Events().size(), 1);
  now_ += absl::Minutes(1);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(Events().back(),
            "MigPlannerApplyFailed Warning gpu-node-1: "
            "migctl-planner-7707a6bce9 not applied within 10m; the planner "
            "leaves the node alone for 5m");
}

TEST_F(ControllerTest, DryRunWritesNothing) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddStoryPods();
  options_.dry_run = true;
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->relabelled,
            (std::map<std::string, std::string>{{"gpu-node-1", kStoryName}}));
  EXPECT_EQ(r->config_yaml, kStoryYaml);
  EXPECT_EQ(Writes(), 0);
  EXPECT_EQ(ConfigYaml(), "(none)");
  EXPECT_EQ(NodeLabel("gpu-node-1", "nvidia.com/mig.config"), "");
  // Nothing is in flight: the next round plans the same again.
  r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->relabelled.size(), 1);
  EXPECT_EQ(Writes(), 0);
}

TEST_F(ControllerTest, ForeignConfigMapIsNotOverwritten) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddStoryPods();
  ASSERT_TRUE(server_
                  .CreateObject("configmaps", "migctl",
                                {{"apiVersion", "v1"},
                                 {"kind", "ConfigMap"},
                                 {"metadata",
                                  {{"name", "migctl-planner-config"},
                                   {"namespace", "migctl"}}},
                                 {"data", {{"config.yaml", "mine"}}}})
                  .ok());
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  EXPECT_EQ(r.status(),
            absl::FailedPreconditionError(
                "ConfigMap migctl/migctl-planner-config exists and is not the "
                "planner's (no label "
                "app.kubernetes.io/managed-by=migctl-planner); refusing to "
                "overwrite it: delete it or pass another --configmap"));
  EXPECT_EQ(ConfigYaml(), "mine");
  EXPECT_EQ(NodeLabel("gpu-node-1", "nvidia.com/mig.config"), "");
  EXPECT_TRUE(Events().empty());
  EXPECT_THAT(Figures(c), HasSubstr("migctl_planner_errors_total 1\n"));
}

TEST_F(ControllerTest, ConfigMapKeepsReferencedConfigsOnly) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  // Not planned (no annotation), but its label keeps its config.
  AddNode("cpu-node-1", "", {{"nvidia.com/mig.config", "all-disabled"}});
  AddStoryPods();
  ASSERT_TRUE(
      server_
          .CreateObject(
              "configmaps", "migctl",
              {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata",
                {{"name", "migctl-planner-config"},
                 {"namespace", "migctl"},
                 {"labels",
                  {{"app.kubernetes.io/managed-by", "migctl-planner"}}}}},
               {"data",
                {{"config.yaml",
                  "version: v1\n"
                  "mig-configs:\n"
                  "  migctl-planner-0000000000:\n"
                  "    - devices: all\n"
                  "      mig-enabled: true\n"
                  "      mig-devices: {}\n"
                  "  all-disabled:\n"
                  "    - devices: all\n"
                  "      mig-enabled: false\n"}}}})
          .ok());
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  // The unreferenced planner config is gone; all-disabled stays.
  EXPECT_EQ(ConfigYaml(),
            "version: v1\n"
            "mig-configs:\n"
            "  all-disabled:\n"
            "    - devices: all\n"
            "      mig-enabled: false\n"
            "  migctl-planner-7707a6bce9:\n"
            "    - devices: [0]\n"
            "      mig-enabled: true\n"
            "      mig-devices:\n"
            "        \"1g.12gb\": 6\n"
            "        \"1g.24gb\": 1\n"
            "    - devices: [1]\n"
            "      mig-enabled: true\n"
            "      mig-devices:\n"
            "        \"1g.12gb\": 1\n");
}

TEST_F(ControllerTest, PodsWithoutMigRequestsAreIgnored) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  json cpu = Pod("web-0", "cpu");
  json gpu = Pod("cuda-0", "nvidia.com/gpu");
  ASSERT_TRUE(server_.CreateObject("pods", "ml", cpu).ok());
  ASSERT_TRUE(server_.CreateObject("pods", "ml", gpu).ok());
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->relabelled.empty());
  EXPECT_EQ(r->plan.report.requested, 0);
  EXPECT_TRUE(r->demand.counted.empty());
  EXPECT_EQ(Writes(), 0);
}

TEST_F(ControllerTest, BusyInstancesAreNeverDestroyed) {
  AddNode("gpu-node-1", Layout({"4g.47gb@0*", "3g.47gb@4"}, {"7g.94gb@0*"}));
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(server_
                    .CreateObject("pods", "ml",
                                  Pod(absl::StrCat("infer-", i),
                                      "nvidia.com/mig-1g.12gb"))
                    .ok());
  }
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->plan.report.served, 3);
  // Only the idle 3g.47gb goes; both busy instances stay in the config.
  EXPECT_EQ(ConfigYaml(),
            "version: v1\n"
            "mig-configs:\n"
            "  migctl-planner-254e30cd42:\n"
            "    - devices: [0]\n"
            "      mig-enabled: true\n"
            "      mig-devices:\n"
            "        \"1g.12gb\": 3\n"
            "        \"4g.47gb\": 1\n"
            "    - devices: [1]\n"
            "      mig-enabled: true\n"
            "      mig-devices:\n"
            "        \"7g.94gb\": 1\n");
  EXPECT_THAT(Events(),
              ElementsAre("MigPlannerRelabel Normal gpu-node-1: Set "
                          "nvidia.com/mig.config=migctl-planner-254e30cd42: "
                          "GPU 0: destroy 3g.47gb@4, create 1g.12gb@4 "
                          "1g.12gb@5 1g.12gb@6"));
}

TEST_F(ControllerTest, RunRelabelsAfterTheBatchWindow) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  options_.batch_window = absl::Milliseconds(20);
  options_.now = [] { return absl::Now(); };
  Controller c(*client_, options_);
  std::jthread run([&c](std::stop_token stop) { (void)c.Run(stop); });
  AddStoryPods();
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (NodeLabel("gpu-node-1", "nvidia.com/mig.config").empty() &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(NodeLabel("gpu-node-1", "nvidia.com/mig.config"), kStoryName);
  EXPECT_EQ(ConfigYaml(), kStoryYaml);
  run.request_stop();
}

TEST_F(ControllerTest, NodeSelectorLimitsTheNodesPlanned) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddNode("gpu-node-2", kEmptyStoryLayout, {{"pool", "mig"}});
  AddStoryPods();
  options_.node_selector = "pool=mig";
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->relabelled,
            (std::map<std::string, std::string>{{"gpu-node-2", kStoryName}}));
  EXPECT_EQ(NodeLabel("gpu-node-1", "nvidia.com/mig.config"), "");
}

TEST_F(ControllerTest, MalformedPodIsSkippedAndTheRoundGoesOn) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddStoryPods();
  ASSERT_TRUE(
      server_.CreateObject("pods", "ml", Pod("typo-0", "nvidia.com/mig-1g.12"))
          .ok());
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->demand.skipped.size(), 1);
  EXPECT_EQ(r->demand.skipped[0].name, "ml/typo-0");
  EXPECT_EQ(r->relabelled.size(), 1);
  EXPECT_THAT(Figures(c), HasSubstr("migctl_planner_skipped_pods 1\n"));
}

TEST_F(ControllerTest, NodeWithAnImpossibleLayoutIsSkippedAndTheRoundGoesOn) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  // Overlapping instances: no GPU has these, so the annotation is wrong.
  AddNode("gpu-node-2", Layout({"2g.24gb@0", "1g.12gb@1"}, {}));
  AddStoryPods();
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->relabelled,
            (std::map<std::string, std::string>{{"gpu-node-1", kStoryName}}));
  EXPECT_EQ(NodeLabel("gpu-node-2", "nvidia.com/mig.config"), "");
  EXPECT_THAT(Figures(c), HasSubstr("migctl_planner_errors_total 1\n"));
}

TEST_F(ControllerTest, MalformedNodeIsIgnoredAndTheRoundGoesOn) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddNode("gpu-node-2", kEmptyStoryLayout);
  json bad = *server_.GetObject("nodes", "", "gpu-node-2");
  bad["metadata"]["labels"] = "pool=mig";  // not an object
  ASSERT_TRUE(server_.UpdateObject("nodes", "", bad).ok());
  AddStoryPods();
  Controller c(*client_, options_);
  absl::StatusOr<RoundResult> r = c.RunOnce();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->relabelled,
            (std::map<std::string, std::string>{{"gpu-node-1", kStoryName}}));
}

// `migctl planner --once` against the stand-in, as a subprocess.
TEST_F(ControllerTest, MigctlPlannerOncePrintsTheRound) {
  AddNode("gpu-node-1", kEmptyStoryLayout);
  AddStoryPods();
  const std::string kubeconfig =
      absl::StrCat(::testing::TempDir(), "/planner-once.kubeconfig");
  ASSERT_TRUE(server_.WriteKubeconfig(kubeconfig).ok());
  const std::string migctl =
      absl::StrCat(MIGCTL_BINARY, " planner --kubeconfig ", kubeconfig,
                   " --namespace migctl --once");
  migctl::testing::ShellResult dry =
      migctl::testing::RunShell(migctl + " --dry-run 2>/dev/null");
  EXPECT_EQ(dry.exit_code, 0);
  EXPECT_EQ(dry.output,
            absl::StrCat("served 8 of 8 requested instance(s) from 8 pod(s)\n"
                         "would set gpu-node-1 "
                         "nvidia.com/mig.config=migctl-planner-7707a6bce9\n"
                         "ConfigMap config.yaml:\n",
                         kStoryYaml));
  EXPECT_EQ(ConfigYaml(), "(none)");
  migctl::testing::ShellResult once =
      migctl::testing::RunShell(migctl + " 2>/dev/null");
  EXPECT_EQ(once.exit_code, 0);
  EXPECT_EQ(once.output,
            "served 8 of 8 requested instance(s) from 8 pod(s)\n"
            "set gpu-node-1 nvidia.com/mig.config=migctl-planner-7707a6bce9\n");
  EXPECT_EQ(ConfigYaml(), kStoryYaml);
  EXPECT_EQ(NodeLabel("gpu-node-1", "nvidia.com/mig.config"), kStoryName);
}

}  // namespace
}  // namespace migctl::planner
