// The demand-driven planner end to end with the API stand-in: pending,
// unschedulable pods ask for the story's demand (nvidia.com/mig-1g.12gb ×7,
// nvidia.com/mig-1g.24gb ×1); the planner's Controller writes its ConfigMap
// and relabels gpu-node-1 (two H100 NVL GPUs, simulated); a stand-in for
// the kubelet's ConfigMap volume copies the ConfigMap into the agent's second
// --config-file; the agent reconfigures the GPUs and its device plugin
// advertises the new MIG devices to the kubelet stand-in. Every wait is
// bounded polling of a condition.
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "agent/agent.h"
#include "agent/device_plugin_runner.h"
#include "config/mig_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "planner/controller.h"
#include "reconcile/gpu_state.h"
#include "sim/gpu_rules.h"
#include "simulated_cluster.h"
#include "support/kubelet_stand_in.h"
#include "support/shell.h"
#include "support/unschedulable_pod.h"

namespace migctl::agent {
namespace {

using ::testing::ElementsAre;

constexpr char kNamespace[] = "migctl";

// Stands in for the kubelet's sync of a ConfigMap volume: a thread that, every
// `period`, copies `key` of ConfigMap `ns`/`name` to `path` when it differs
// from what it last wrote — to a temporary file, then renamed, as the kubelet
// swaps the volume's files. The real kubelet syncs about once a minute (plus
// its cache TTL), which is why the agent waits for a config name it does not
// find yet (--config-wait). `after` (optional) holds back the first copy
// until it returns true: the kubelet's worst case, the label first.
class ConfigMapVolumeStandIn {
 public:
  ConfigMapVolumeStandIn(migctl::testing::ApiServer& api, std::string ns,
                         std::string name, std::string key, std::string path,
                         absl::Duration period, std::function<bool()> after)
      : thread_([&api, ns = std::move(ns), name = std::move(name),
                 key = std::move(key), path = std::move(path), period,
                 after = std::move(after)](std::stop_token stop) {
          std::string written;
          bool released = !after;
          while (!stop.stop_requested()) {
            released = released || after();
            const auto cm = api.GetObject("configmaps", ns, name);
            if (released && cm && (*cm).contains("data") &&
                (*cm)["data"].contains(key)) {
              const std::string data = (*cm)["data"][key].get<std::string>();
              if (data != written) {
                std::ofstream(path + ".tmp") << data;
                std::filesystem::rename(path + ".tmp", path);
                written = data;
              }
            }
            absl::SleepFor(period);
          }
        }) {}

 private:
  std::jthread thread_;
};

// FNV-1a 64: the planner names a node config `migctl-planner-` + the first
// 10 hex digits of the hash of its YAML (the config named "migctl-planner").
uint64_t Fnv1a64(const std::string& s) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

// The config name the planner gives a node config (`yaml` names it
// "migctl-planner"), derived independently of the controller.
std::string ContentName(const std::string& yaml) {
  auto file = config::ParseMigConfig(yaml, "expected");
  EXPECT_TRUE(file.ok()) << file.status();
  return "migctl-planner-" +
         absl::StrFormat("%016x", Fnv1a64(config::WriteMigConfig(*file)))
             .substr(0, 10);
}

class PlannerE2eTest : public SimulatedClusterTest {
 protected:
  void SetUp() override {
    SimulatedClusterTest::SetUp();
    user_ = std::string(MIGCTL_SOURCE_DIR) + "/examples/custom-mig.yaml";
    std::filesystem::create_directories(dir_ / "planner");
    planner_file_ = (dir_ / "planner" / "config.yaml").string();
    options_.reconfigure.config_paths = {user_, planner_file_};
    ASSERT_TRUE(api_.CreateObject("namespaces", "",
                                  {{"metadata", {{"name", kNamespace}}}})
                    .ok());
    controller_options_.namespace_ = kNamespace;
    controller_options_.batch_window = absl::Milliseconds(100);
  }

  // Brings the simulated node to config `name` of `yaml` with `migctl
  // apply`, as its owner would have before.
  void Prepare(const std::string& yaml, const std::string& name) {
    const std::string file = (dir_ / "setup.yaml").string();
    std::ofstream(file) << yaml;
    migctl::testing::ShellResult r = migctl::testing::RunShell(
        absl::StrCat(MIGCTL_BINARY, " --sim ", state_, " apply -f ", file,
                     " -c ", name, " 2>&1"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  // A pending pod the scheduler could not place, asking for one
  // nvidia.com/mig-<profile>.
  void AddPendingPod(const std::string& name, const std::string& profile) {
    ASSERT_TRUE(
        api_.CreateObject("pods", "default",
                          testing::UnschedulablePod(
                              "default", name, "nvidia.com/mig-" + profile))
            .ok());
  }
  void AddStoryDemand() {
    for (int i = 0; i < 7; ++i) {
      AddPendingPod(absl::StrCat("small-", i), "1g.12gb");
    }
    AddPendingPod("large-0", "1g.24gb");
  }

  // Waits (bounded) until `done` holds; returns whether it did.
  static bool Await(const std::function<bool()>& done,
                    absl::Duration timeout = absl::Seconds(30)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!done()) {
      if (absl::Now() >= deadline) return false;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return true;
  }

  // GPU `gpu`'s GPU instances by start slice, as the planner words them:
  // "1g.12gb@0 1g.24gb@6".
  std::string Instances(int gpu) {
    auto s = reconcile::ReadGpuState(*nvml_, gpu);
    if (!s.ok()) return std::string(s.status().message());
    std::vector<std::pair<int, std::string>> out;
    for (const reconcile::InstanceState& i : s->instances) {
      const int start = i.gi.placement.start;
      out.emplace_back(
          start, absl::StrCat(s->model->FindProfileById(i.gi.profile_id)->name,
                              "@", start));
    }
    std::sort(out.begin(), out.end());
    std::vector<std::string> names;
    for (auto& [start, name] : out) names.push_back(std::move(name));
    return absl::StrJoin(names, " ");
  }

  std::string ConfigMapYaml() {
    auto cm = api_.GetObject("configmaps", kNamespace, "migctl-planner-config");
    if (!cm || !(*cm).contains("data")) return "";
    return (*cm)["data"].value("config.yaml", "");
  }
  std::string FileText(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }
  std::vector<std::string> EventsOf(const std::string& reason) {
    std::vector<std::string> out;
    for (const nlohmann::json& e : api_.ListObjects("events", "")) {
      if (e.value("reason", "") == reason) {
        out.push_back(e.value("message", ""));
      }
    }
    return out;
  }

  // Waits (bounded) until the kubelet has exactly `counts` devices of each
  // resource, all healthy, and no other resource.
  void ExpectKubeletDevices(testing::KubeletStandIn& kubelet,
                            const std::map<std::string, size_t>& counts) {
    std::set<std::string> resources;
    for (const auto& [resource, n] : counts) resources.insert(resource);
    absl::Status s = kubelet.WaitForResources(resources, absl::Seconds(20));
    EXPECT_TRUE(s.ok()) << s;
    for (const auto& [resource, n] : counts) {
      auto devices = kubelet.WaitForDevices(
          resource,
          [n = n](const testing::KubeletStandIn::Devices& d) {
            return d.size() == n;
          },
          absl::Seconds(20));
      ASSERT_TRUE(devices.ok()) << resource << ": " << devices.status();
      for (const auto& d : *devices) EXPECT_EQ(d.health(), "Healthy");
    }
    EXPECT_EQ(kubelet.Resources(), resources);
  }

  // Runs the kubelet stand-in, the agent with its device plugin, the
  // ConfigMap volume stand-in and the planner's Controller until
  // destroyed (members destroyed in reverse: the controller stops first).
  struct Cluster {
    std::unique_ptr<testing::KubeletStandIn> kubelet;
    std::unique_ptr<DevicePluginRunner> plugin;
    std::unique_ptr<Agent> agent;
    std::jthread agent_thread;
    std::unique_ptr<ConfigMapVolumeStandIn> volume;
    std::unique_ptr<kube::Client> controller_client;
    std::unique_ptr<planner::Controller> controller;
    std::jthread controller_thread;
    ~Cluster() {
      controller_thread = std::jthread();
      agent_thread = std::jthread();
      if (plugin) plugin->Stop();
    }
  };
  void Start(Cluster& c, std::function<bool()> sync_after) {
    const std::string socket_dir = (dir_ / "dp").string();
    auto kubelet = testing::KubeletStandIn::Start(socket_dir);
    ASSERT_TRUE(kubelet.ok()) << kubelet.status();
    c.kubelet = *std::move(kubelet);
    deviceplugin::PluginOptions dp;
    dp.config.mig_strategy = deviceplugin::MigStrategy::kMixed;
    dp.config.socket_dir = socket_dir;
    dp.config.poll_interval = absl::Milliseconds(50);
    c.plugin = std::make_unique<DevicePluginRunner>(
        [state = state_]() -> absl::StatusOr<std::unique_ptr<nvml::Nvml>> {
          return sim::SimNvml::FromFile(state);
        },
        std::move(dp));
    options_.reconfigure.pause_device_plugin =
        [p = c.plugin.get()](bool paused, const std::vector<int>& gpus) {
          p->SetPaused(paused, gpus);
        };
    c.plugin->Start();
    c.agent = std::make_unique<Agent>(*nvml_, *client_, options_);
    c.agent_thread = std::jthread([a = c.agent.get()](std::stop_token stop) {
      EXPECT_TRUE(a->Run(stop).ok());
    });
    // The planner plans only nodes whose agent published their layout.
    ASSERT_TRUE(Await(
        [&] { return !Annotation(std::string(kLayoutAnnotation)).empty(); }));
    c.volume = std::make_unique<ConfigMapVolumeStandIn>(
        api_, kNamespace, "migctl-planner-config", "config.yaml", planner_file_,
        absl::Milliseconds(50), std::move(sync_after));
    c.controller_client = *kube::Client::FromKubeconfig(kubeconfig_);
    c.controller = std::make_unique<planner::Controller>(*c.controller_client,
                                                         controller_options_);
    c.controller_thread =
        std::jthread([ctl = c.controller.get()](std::stop_token stop) {
          EXPECT_TRUE(ctl->Run(stop).ok());
        });
  }

  // Waits until the node carries a planner config name, the agent applied
  // it and published the new layout; returns the name.
  std::string AwaitApplied() {
    std::string name;
    EXPECT_TRUE(Await([&] {
      name = Label("nvidia.com/mig.config");
      return name.rfind("migctl-planner-", 0) == 0 && State() == "success";
    })) << "config label \""
        << Label("nvidia.com/mig.config") << "\", state \"" << State() << "\"";
    return name;
  }

  std::string user_;
  std::string planner_file_;
  planner::ControllerOptions controller_options_;
};

TEST_F(PlannerE2eTest, PendingPodsGetTheirMigDevicesAdvertised) {
  ASSERT_NO_FATAL_FAILURE(
      Prepare("version: v1\nmig-configs:\n  all-enabled:\n    - devices: all\n"
              "      mig-enabled: true\n      mig-devices: {}\n",
              "all-enabled"));
  ASSERT_EQ(Instances(0), "");
  ASSERT_EQ(Instances(1), "");
  // The pods first, so that the planner's first round sees all of them.
  AddStoryDemand();
  Cluster cluster;
  // The kubelet's sync lags: the ConfigMap reaches the agent's file only
  // once the agent waits for the config (state pending).
  ASSERT_NO_FATAL_FAILURE(
      Start(cluster, [this] { return State() == "pending"; }));

  const std::string name = AwaitApplied();
  // Worked out by hand from the H100 NVL tables (src/mig/models/
  // h100_nvl.cc: 7 compute and 8 memory slices; 1g.12gb starts 0..6, 1g.24gb
  // starts 0, 2, 4, 6 over two memory slices): GPU 0 takes six 1g.12gb and
  // the 1g.24gb on its last two slices (7 of 7 compute slices); GPU 1 one
  // 1g.12gb, leaving 6 compute and 7 memory slices free in one block — 7
  // usable slices, one more than the story's own layout leaves.
  const std::string expected_config =
      "version: v1\nmig-configs:\n  migctl-planner:\n"
      "    - devices: [0]\n      mig-enabled: true\n"
      "      mig-devices: {\"1g.12gb\": 6, \"1g.24gb\": 1}\n"
      "    - devices: [1]\n      mig-enabled: true\n"
      "      mig-devices: {\"1g.12gb\": 1}\n";
  EXPECT_TRUE(std::regex_match(name, std::regex("migctl-planner-[0-9a-f]{10}")))
      << name;
  EXPECT_EQ(name, ContentName(expected_config));
  EXPECT_EQ(Instances(0),
            "1g.12gb@0 1g.12gb@1 1g.12gb@2 1g.12gb@3 1g.12gb@4 1g.12gb@5 "
            "1g.24gb@6");
  EXPECT_EQ(Instances(1), "1g.12gb@0");
  ExpectKubeletDevices(*cluster.kubelet, {{"nvidia.com/mig-1g.12gb", 7},
                                          {"nvidia.com/mig-1g.24gb", 1}});

  // The ConfigMap holds exactly that config under its name, and the agent's
  // second file is the ConfigMap's config.yaml.
  const std::string yaml = ConfigMapYaml();
  auto file = config::ParseMigConfig(yaml, "configmap");
  ASSERT_TRUE(file.ok()) << file.status();
  auto expected = config::ParseMigConfig(expected_config, "expected");
  ASSERT_TRUE(expected.ok()) << expected.status();
  ASSERT_EQ(file->configs.size(), 1u);
  EXPECT_EQ(file->configs[0].first, name);
  EXPECT_EQ(file->configs[0].second, expected->configs[0].second);
  EXPECT_EQ(FileText(planner_file_), yaml);
  // The agent waited for the file, then applied it; the planner said what
  // it changes.
  EXPECT_THAT(EventsOf("MigConfigWaiting"),
              ElementsAre("Waiting up to 3m for MIG config \"" + name +
                          "\" to appear in " + user_ + ", " + planner_file_ +
                          " (cannot read " + planner_file_ +
                          ": No such file or directory)"));
  EXPECT_THAT(EventsOf("MigConfigApplied"),
              ElementsAre("MIG config \"" + name + "\" applied"));
  EXPECT_THAT(
      EventsOf("MigPlannerRelabel"),
      ElementsAre("Set nvidia.com/mig.config=" + name +
                  ": GPU 0: destroy nothing, create 1g.12gb@0 1g.12gb@1 "
                  "1g.12gb@2 1g.12gb@3 1g.12gb@4 1g.12gb@5 1g.24gb@6; "
                  "GPU 1: destroy nothing, create 1g.12gb@0"));

  // Converged: the pods are still pending (no scheduler here), but the idle
  // instances now serve them, so a further round changes nothing.
  cluster.controller_thread = std::jthread();
  auto round = cluster.controller->RunOnce();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->demand.counted.size(), 8u);
  EXPECT_EQ(round->plan.report.requested, 8);
  EXPECT_EQ(round->plan.report.served, 8);
  EXPECT_EQ(round->plan.report.instances_created, 0);
  EXPECT_EQ(round->plan.report.instances_destroyed, 0);
  EXPECT_EQ(round->plan.report.nodes_touched, 0);
  EXPECT_THAT(round->relabelled, ::testing::IsEmpty());
  EXPECT_EQ(round->config_yaml, "");
  EXPECT_EQ(Label("nvidia.com/mig.config"), name);
  EXPECT_EQ(ConfigMapYaml(), yaml);
}

TEST_F(PlannerE2eTest, BusyInstanceIsNeverDestroyed) {
  // GPU 1 has a 1g.24gb on its first two slices, with a process on it.
  ASSERT_NO_FATAL_FAILURE(
      Prepare("version: v1\nmig-configs:\n  busy:\n    - devices: [0]\n"
              "      mig-enabled: true\n      mig-devices: {}\n"
              "    - devices: [1]\n      mig-enabled: true\n"
              "      mig-devices: {\"1g.24gb\": 1}\n",
              "busy"));
  ASSERT_EQ(Instances(1), "1g.24gb@0");
  const nvml::GpuInstance busy = nvml_->ListGpuInstances(1)->front();
  ASSERT_TRUE(nvml_
                  ->Update([&](sim::SimState& s) {
                    return sim::rules::AttachProcess(
                        s, 1, {4242, "inference", 0, busy.id, 0});
                  })
                  .ok());
  const std::string busy_uuid = nvml_->ListMigDevices(1)->front().uuid;
  AddStoryDemand();
  Cluster cluster;
  ASSERT_NO_FATAL_FAILURE(Start(cluster, nullptr));

  const std::string name = AwaitApplied();
  // The busy 1g.24gb serves no new request: another one is needed. GPU 0
  // as in the first case; GPU 1 keeps the busy instance where it is and adds
  // one 1g.12gb beside it (start 2).
  EXPECT_EQ(name, ContentName(
                      "version: v1\nmig-configs:\n  migctl-planner:\n"
                      "    - devices: [0]\n      mig-enabled: true\n"
                      "      mig-devices: {\"1g.12gb\": 6, \"1g.24gb\": 1}\n"
                      "    - devices: [1]\n      mig-enabled: true\n"
                      "      mig-devices: {\"1g.12gb\": 1, \"1g.24gb\": 1}\n"));
  EXPECT_EQ(Instances(0),
            "1g.12gb@0 1g.12gb@1 1g.12gb@2 1g.12gb@3 1g.12gb@4 1g.12gb@5 "
            "1g.24gb@6");
  EXPECT_EQ(Instances(1), "1g.24gb@0 1g.12gb@2");
  // The same instance, still running its process.
  auto instances = nvml_->ListGpuInstances(1);
  ASSERT_TRUE(instances.ok()) << instances.status();
  EXPECT_THAT(*instances, ::testing::Contains(busy));
  auto processes = nvml_->ListProcesses(1);
  ASSERT_TRUE(processes.ok()) << processes.status();
  ASSERT_EQ(processes->size(), 1u);
  EXPECT_EQ(processes->front().pid, 4242u);
  auto devices = nvml_->ListMigDevices(1);
  ASSERT_TRUE(devices.ok()) << devices.status();
  std::vector<std::string> uuids;
  for (const nvml::MigDevice& m : *devices) uuids.push_back(m.uuid);
  EXPECT_THAT(uuids, ::testing::Contains(busy_uuid));
  // Both 1g.24gb are advertised (the busy one is some pod's already).
  ExpectKubeletDevices(*cluster.kubelet, {{"nvidia.com/mig-1g.12gb", 7},
                                          {"nvidia.com/mig-1g.24gb", 2}});
  EXPECT_THAT(EventsOf("MigPlannerRelabel"),
              ElementsAre("Set nvidia.com/mig.config=" + name +
                          ": GPU 0: destroy nothing, create 1g.12gb@0 "
                          "1g.12gb@1 1g.12gb@2 1g.12gb@3 1g.12gb@4 1g.12gb@5 "
                          "1g.24gb@6; GPU 1: destroy nothing, create "
                          "1g.12gb@2"));

  cluster.controller_thread = std::jthread();
  auto round = cluster.controller->RunOnce();
  ASSERT_TRUE(round.ok()) << round.status();
  EXPECT_EQ(round->plan.report.served, 8);
  EXPECT_EQ(round->plan.report.instances_created, 0);
  EXPECT_EQ(round->plan.report.instances_destroyed, 0);
  EXPECT_THAT(round->relabelled, ::testing::IsEmpty());
  EXPECT_EQ(Label("nvidia.com/mig.config"), name);
}

}  // namespace
}  // namespace migctl::agent
