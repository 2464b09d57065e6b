// migctl's device plugin driven through the kubelet stand-in over unix
// sockets, on a simulated story node (2× H100 NVL: GPU 0 2×1g.12gb, GPU 1
// 1g.24gb + 5×1g.12gb).
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "deviceplugin/allocate.h"
#include "deviceplugin/config.h"
#include "deviceplugin/health.h"
#include "deviceplugin/plugin.h"
#include "deviceplugin/resources.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "nvml/library.h"
#include "sim/gpu_rules.h"
#include "sim/sim_nvml.h"
#include "sim/state_file.h"
#include "support/kubelet_stand_in.h"

namespace migctl::deviceplugin {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::KubeletStandIn;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

constexpr absl::Duration kWait = absl::Seconds(10);
const std::string k12 = "nvidia.com/mig-1g.12gb";
const std::string k24 = "nvidia.com/mig-1g.24gb";

void WriteFile(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

int CreateInstance(nvml::Nvml& nvml, int gpu, const std::string& profile) {
  const mig::GpuModel* model = mig::FindModel("H100-NVL");
  const mig::GpuInstanceProfile* p = model->FindProfileByName(profile);
  absl::StatusOr<nvml::GpuInstance> gi =
      nvml.CreateGpuInstance(gpu, p->id, std::nullopt);
  EXPECT_TRUE(gi.ok()) << gi.status();
  absl::StatusOr<nvml::ComputeInstance> ci =
      nvml.CreateComputeInstance(gpu, gi->id, p->FullComputeProfile()->id);
  EXPECT_TRUE(ci.ok()) << ci.status();
  return gi->id;
}

std::vector<nvml::MigDevice> Migs(nvml::Nvml& nvml, int gpu) {
  absl::StatusOr<std::vector<nvml::MigDevice>> d = nvml.ListMigDevices(gpu);
  EXPECT_TRUE(d.ok()) << d.status();
  return d.ok() ? *d : std::vector<nvml::MigDevice>{};
}

std::vector<std::string> Ids(const KubeletStandIn::Devices& devices) {
  std::vector<std::string> out;
  for (const auto& d : devices) out.push_back(d.id());
  return out;
}

// How the plugin opens its Nvml: the simulator directly, or the real binding
// loading the simulator's libnvidia-ml.so.1.
enum class Binding { kSimNvml, kLibraryOverShim };

std::string BindingName(const ::testing::TestParamInfo<Binding>& info) {
  return info.param == Binding::kSimNvml ? "SimNvml" : "LibraryOverShim";
}

class DevicePluginTest : public ::testing::TestWithParam<Binding> {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/migctl-dp-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    state_path_ = (root_ / "node.json").string();
    absl::StatusOr<sim::SimState> state =
        sim::NewNode("story", {"H100-NVL", "H100-NVL"});
    ASSERT_TRUE(state.ok());
    sim::StateFile file(state_path_);
    {
      auto lock = file.Acquire();
      ASSERT_TRUE(lock.ok());
      ASSERT_TRUE(file.Save(*state).ok());
    }
    node_ = sim::SimNvml::FromFile(state_path_);
    for (int gpu : {0, 1}) ASSERT_TRUE(node_->SetMigMode(gpu, true).ok());
    for (int i = 0; i < 2; ++i) CreateInstance(*node_, 0, "1g.12gb");
    CreateInstance(*node_, 1, "1g.24gb");
    for (int i = 0; i < 5; ++i) CreateInstance(*node_, 1, "1g.12gb");
    // NUMA node of each GPU's PCI device; mig-minors as the driver lists
    // them; only two of the optional control device nodes exist.
    for (int gpu : {0, 1}) {
      auto info = node_->GetDevice(gpu);
      std::string bus = absl::AsciiStrToLower(info->pci_bus_id.substr(4));
      WriteFile(root_ / "sys/bus/pci/devices" / bus / "numa_node",
                absl::StrCat(gpu, "\n"));
    }
    std::string minors = "config 1\nmonitor 2\n";
    for (int gpu : {0, 1}) {
      for (const nvml::MigDevice& d : Migs(*node_, gpu)) {
        int base = 100 * (gpu + 1) + 10 * d.gi_id;
        absl::StrAppend(&minors, "gpu", gpu, "/gi", d.gi_id, "/access ", base,
                        "\ngpu", gpu, "/gi", d.gi_id, "/ci", d.ci_id,
                        "/access ", base + 1, "\n");
      }
    }
    WriteFile(root_ / "proc/driver/nvidia-caps/mig-minors", minors);
    WriteFile(root_ / "dev/nvidiactl", "");
    WriteFile(root_ / "dev/nvidia-uvm", "");

    config_.mig_strategy = MigStrategy::kMixed;
    config_.socket_dir = (root_ / "dp").string();
    config_.sysfs_root = (root_ / "sys").string();
    config_.proc_root = (root_ / "proc").string();
    config_.dev_root = root_.string();
    config_.nvidia_driver_root = "/run/nvidia/driver";
    config_.poll_interval = absl::Milliseconds(20);
    config_.health_recovery = absl::Hours(1);
    auto kubelet = KubeletStandIn::Start(config_.socket_dir);
    ASSERT_TRUE(kubelet.ok()) << kubelet.status();
    kubelet_ = *std::move(kubelet);
  }

  void TearDown() override {
    StopPlugin();
    plugin_nvml_.reset();
    ::unsetenv("MIGCTL_SIM_STATE");
    kubelet_.reset();
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }

  void StartPlugin() {
    PluginOptions options;
    options.config = config_;
    options.response_id = [] { return std::string("resp-1"); };
    if (GetParam() == Binding::kSimNvml) {
      plugin_nvml_ = sim::SimNvml::FromFile(state_path_);
    } else {
      ::setenv("MIGCTL_SIM_STATE", state_path_.c_str(), 1);
      absl::StatusOr<std::unique_ptr<nvml::Library>> lib =
          nvml::Library::OpenForTest(MIGCTL_NVML_SHIM);
      ASSERT_TRUE(lib.ok()) << lib.status();
      plugin_nvml_ = *std::move(lib);
    }
    plugin_ = std::make_unique<Plugin>(*plugin_nvml_, std::move(options));
    thread_ = std::thread([this] { run_status_ = plugin_->Run(); });
  }
  void StopPlugin() {
    if (plugin_ == nullptr) return;
    plugin_->Stop();
    thread_.join();
    plugin_.reset();
  }

  std::vector<std::string> MigUuids(int gpu, std::optional<int> gi_profile) {
    std::vector<std::string> out;
    for (const nvml::MigDevice& d : Migs(*node_, gpu)) {
      if (!gi_profile || d.gi_profile_id == *gi_profile) out.push_back(d.uuid);
    }
    return out;
  }

  std::filesystem::path root_;
  std::string state_path_;
  std::unique_ptr<sim::SimNvml> node_;
  Config config_;
  std::unique_ptr<KubeletStandIn> kubelet_;
  std::unique_ptr<nvml::Nvml> plugin_nvml_;
  std::unique_ptr<Plugin> plugin_;
  std::thread thread_;
  absl::Status run_status_;
};

constexpr int k1g12 = 19;
constexpr int k1g24 = 15;

TEST_P(DevicePluginTest, MixedRegistersOneResourcePerProfile) {
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  auto reg = kubelet_->LastRegistration(k12);
  ASSERT_TRUE(reg.ok());
  EXPECT_EQ(reg->version(), "v1beta1");
  EXPECT_EQ(reg->endpoint(), "nvidia-mig-1g.12gb.sock");
  EXPECT_EQ(reg->resource_name(), k12);
  EXPECT_TRUE(reg->options().get_preferred_allocation_available());
  EXPECT_FALSE(reg->options().pre_start_required());
  EXPECT_EQ(kubelet_->LastRegistration(k24)->endpoint(),
            "nvidia-mig-1g.24gb.sock");

  auto devices = kubelet_->WaitForDevices(
      k12, [](const auto& d) { return d.size() == 7; }, kWait);
  ASSERT_TRUE(devices.ok()) << devices.status();
  std::vector<std::string> want = MigUuids(0, k1g12);
  for (const std::string& id : MigUuids(1, k1g12)) want.push_back(id);
  EXPECT_EQ(Ids(*devices), want);
  for (int i = 0; i < 7; ++i) {
    const v1beta1::Device& d = (*devices)[i];
    EXPECT_EQ(d.health(), "Healthy");
    ASSERT_EQ(d.topology().nodes_size(), 1);
    EXPECT_EQ(d.topology().nodes(0).id(), i < 2 ? 0 : 1) << i;
  }
  auto big = kubelet_->WaitForDevices(
      k24, [](const auto& d) { return d.size() == 1; }, kWait);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(Ids(*big), MigUuids(1, k1g24));
}

TEST_P(DevicePluginTest, NoneAdvertisesWholeGpus) {
  config_.mig_strategy = MigStrategy::kNone;
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({"nvidia.com/gpu"}, kWait).ok());
  EXPECT_EQ(kubelet_->LastRegistration("nvidia.com/gpu")->endpoint(),
            "nvidia-gpu.sock");
  auto devices = kubelet_->WaitForDevices(
      "nvidia.com/gpu", [](const auto& d) { return d.size() == 2; }, kWait);
  ASSERT_TRUE(devices.ok());
  EXPECT_EQ(Ids(*devices),
            (std::vector<std::string>{node_->GetDevice(0)->uuid,
                                      node_->GetDevice(1)->uuid}));
}

TEST_P(DevicePluginTest, SingleRefusesMixedProfiles) {
  config_.mig_strategy = MigStrategy::kSingle;
  StartPlugin();
  thread_.join();
  plugin_.reset();
  EXPECT_EQ(run_status_.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(run_status_.message(),
            "mig-strategy=single needs every MIG device to have the same "
            "profile, but the node has 1g.12gb, 1g.24gb; use one profile on "
            "every GPU or mig-strategy=mixed");
}

TEST_P(DevicePluginTest, SingleAdvertisesUniformMigDevicesAsGpu) {
  // GPU 1: replace its 1g.24gb by a 1g.12gb.
  for (const nvml::MigDevice& d : Migs(*node_, 1)) {
    if (d.gi_profile_id != k1g24) continue;
    ASSERT_TRUE(node_->DestroyComputeInstance(1, d.gi_id, d.ci_id).ok());
    ASSERT_TRUE(node_->DestroyGpuInstance(1, d.gi_id).ok());
  }
  CreateInstance(*node_, 1, "1g.12gb");
  config_.mig_strategy = MigStrategy::kSingle;
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({"nvidia.com/gpu"}, kWait).ok());
  auto devices = kubelet_->WaitForDevices(
      "nvidia.com/gpu", [](const auto& d) { return d.size() == 8; }, kWait);
  ASSERT_TRUE(devices.ok()) << devices.status();
  EXPECT_EQ((*devices)[0].id(), MigUuids(0, std::nullopt)[0]);
}

TEST_P(DevicePluginTest, SingleRefusesGpuWithoutMig) {
  absl::StatusOr<sim::SimState> state =
      sim::NewNode("n", {"H100-NVL", "H100-NVL"});
  auto nvml = sim::SimNvml::InMemory(*state);
  ASSERT_TRUE(nvml->SetMigMode(0, true).ok());
  CreateInstance(*nvml, 0, "1g.12gb");
  config_.mig_strategy = MigStrategy::kSingle;
  absl::StatusOr<ResourceMap> r = DiscoverResources(*nvml, config_);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.status().message(),
            "mig-strategy=single needs MIG enabled on every GPU, but GPU 1 "
            "has it disabled; enable MIG there or use mig-strategy=mixed");
}

TEST_P(DevicePluginTest, AllocateEnvvarWithDeviceSpecs) {
  config_.pass_device_specs = true;
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  std::string id = MigUuids(1, k1g12)[0];
  nvml::MigDevice mig;
  for (const auto& d : Migs(*node_, 1)) {
    if (d.uuid == id) mig = d;
  }
  auto r = kubelet_->Allocate(k12, {{id}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->container_responses_size(), 1);
  const auto& c = r->container_responses(0);
  EXPECT_THAT(c.envs(),
              UnorderedElementsAre(Pair("NVIDIA_VISIBLE_DEVICES", id)));
  EXPECT_TRUE(c.annotations().empty());
  EXPECT_EQ(c.mounts_size(), 0);
  EXPECT_EQ(c.cdi_devices_size(), 0);
  std::vector<std::string> specs;
  for (const auto& s : c.devices()) {
    specs.push_back(absl::StrCat(s.container_path(), " ", s.host_path(), " ",
                                 s.permissions()));
  }
  int base = 200 + 10 * mig.gi_id;
  EXPECT_THAT(
      specs,
      ElementsAre("/dev/nvidiactl /run/nvidia/driver/dev/nvidiactl rw",
                  "/dev/nvidia-uvm /run/nvidia/driver/dev/nvidia-uvm rw",
                  "/dev/nvidia1 /run/nvidia/driver/dev/nvidia1 rw",
                  absl::StrCat("/dev/nvidia-caps/nvidia-cap", base,
                               " /run/nvidia/driver/dev/nvidia-caps/nvidia-cap",
                               base, " rw"),
                  absl::StrCat("/dev/nvidia-caps/nvidia-cap", base + 1,
                               " /run/nvidia/driver/dev/nvidia-caps/nvidia-cap",
                               base + 1, " rw")));
}

// /dev/nvidiaN and mig-minors' "gpuN/..." use the GPU's minor number, which
// need not be its NVML index.
TEST_P(DevicePluginTest, DeviceSpecsUseTheMinorNumber) {
  ASSERT_TRUE(node_
                  ->Update([](sim::SimState& s) {
                    s.gpus[1].minor_number = 4;
                    return absl::OkStatus();
                  })
                  .ok());
  const std::filesystem::path minors_file =
      root_ / "proc/driver/nvidia-caps/mig-minors";
  std::stringstream text;
  text << std::ifstream(minors_file).rdbuf();
  std::string minors = absl::StrReplaceAll(text.str(), {{"gpu1/", "gpu4/"}});
  WriteFile(minors_file, minors);
  config_.pass_device_specs = true;
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  std::string id = MigUuids(1, k1g24)[0];
  nvml::MigDevice mig;
  for (const auto& d : Migs(*node_, 1)) {
    if (d.uuid == id) mig = d;
  }
  auto r = kubelet_->Allocate(k24, {{id}});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->container_responses_size(), 1);
  std::vector<std::string> specs;
  for (const auto& s : r->container_responses(0).devices()) {
    specs.push_back(s.host_path());
  }
  int base = 200 + 10 * mig.gi_id;
  EXPECT_THAT(specs,
              ElementsAre("/run/nvidia/driver/dev/nvidiactl",
                          "/run/nvidia/driver/dev/nvidia-uvm",
                          "/run/nvidia/driver/dev/nvidia4",
                          absl::StrCat("/run/nvidia/driver/dev/nvidia-caps/"
                                       "nvidia-cap",
                                       base),
                          absl::StrCat("/run/nvidia/driver/dev/nvidia-caps/"
                                       "nvidia-cap",
                                       base + 1)));
}

TEST_P(DevicePluginTest, AllocateOtherDeviceListStrategies) {
  config_.device_list_strategies = {"volume-mounts", "cdi-annotations",
                                    "cdi-cri"};
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  std::vector<std::string> ids = MigUuids(0, k1g12);
  auto r = kubelet_->Allocate(k12, {ids});
  ASSERT_TRUE(r.ok()) << r.status();
  const auto& c = r->container_responses(0);
  EXPECT_THAT(c.envs(),
              UnorderedElementsAre(Pair("NVIDIA_VISIBLE_DEVICES",
                                        "/var/run/nvidia-container-devices")));
  ASSERT_EQ(c.mounts_size(), 2);
  EXPECT_EQ(c.mounts(0).container_path(),
            "/var/run/nvidia-container-devices/" + ids[0]);
  EXPECT_EQ(c.mounts(0).host_path(), "/dev/null");
  EXPECT_EQ(c.mounts(1).container_path(),
            "/var/run/nvidia-container-devices/" + ids[1]);
  EXPECT_THAT(c.annotations(), UnorderedElementsAre(Pair(
                                   "cdi.k8s.io/nvidia-device-plugin_resp-1",
                                   absl::StrCat("nvidia.com/gpu=", ids[0],
                                                ",nvidia.com/gpu=", ids[1]))));
  ASSERT_EQ(c.cdi_devices_size(), 2);
  EXPECT_EQ(c.cdi_devices(1).name(), "nvidia.com/gpu=" + ids[1]);
  EXPECT_EQ(c.devices_size(), 0);
}

TEST_P(DevicePluginTest, AllocateIndexStrategyAndUnknownIds) {
  config_.device_id_strategy = DeviceIdStrategy::kIndex;
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  auto r = kubelet_->Allocate(k24, {MigUuids(1, k1g24)});
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->container_responses(0).envs(),
              UnorderedElementsAre(Pair("NVIDIA_VISIBLE_DEVICES", "1:0")));

  auto bad = kubelet_->Allocate(
      k12, {{MigUuids(0, k1g12)[0], "MIG-nope", MigUuids(1, k1g24)[0]}});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      bad.status().message(),
      absl::StrCat("invalid allocation request for "
                   "'nvidia.com/mig-1g.12gb': unknown devices: MIG-nope, ",
                   MigUuids(1, k1g24)[0]));
}

TEST_P(DevicePluginTest, PreferredAllocationPacksByParentGpu) {
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  std::vector<std::string> gpu0 = MigUuids(0, k1g12);
  std::vector<std::string> gpu1 = MigUuids(1, k1g12);
  std::vector<std::string> all = gpu0;
  all.insert(all.end(), gpu1.begin(), gpu1.end());
  // A device of GPU 0 must be in: its sibling comes next, then GPU 1.
  auto r = kubelet_->GetPreferredAllocation(k12, all, {gpu0[1]}, 3);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->container_responses_size(), 1);
  EXPECT_THAT(r->container_responses(0).deviceids(),
              ElementsAre(gpu0[1], gpu0[0], gpu1[0]));
  // Nothing required: all on the GPU with the most free devices.
  r = kubelet_->GetPreferredAllocation(k12, all, {}, 3);
  ASSERT_TRUE(r.ok());
  EXPECT_THAT(r->container_responses(0).deviceids(),
              ElementsAre(gpu1[0], gpu1[1], gpu1[2]));
}

TEST_P(DevicePluginTest, XidMarksEveryDeviceOfTheGpuUnhealthyThenRecovers) {
  config_.health_recovery = absl::Milliseconds(600);
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  auto healthy = [](const KubeletStandIn::Devices& ds) {
    for (const auto& d : ds)
      if (d.health() != "Healthy") return false;
    return ds.size() == 7;
  };
  ASSERT_TRUE(kubelet_->WaitForDevices(k12, healthy, kWait).ok());
  // An application error (XID 13) is ignored; XID 79 (fallen off the bus)
  // takes down both MIG devices of GPU 0.
  ASSERT_TRUE(node_
                  ->Update([](sim::SimState& s) {
                    return sim::rules::InjectXid(s, 0, 13, {}, {});
                  })
                  .ok());
  ASSERT_TRUE(node_
                  ->Update([](sim::SimState& s) {
                    return sim::rules::InjectXid(s, 0, 79, {}, {});
                  })
                  .ok());
  auto sick = kubelet_->WaitForDevices(
      k12,
      [](const auto& ds) {
        return ds.size() == 7 && ds[0].health() == "Unhealthy";
      },
      kWait);
  ASSERT_TRUE(sick.ok()) << sick.status();
  std::vector<std::string> health;
  for (const auto& d : *sick) health.push_back(d.health());
  EXPECT_THAT(health, ElementsAre("Unhealthy", "Unhealthy", "Healthy",
                                  "Healthy", "Healthy", "Healthy", "Healthy"));
  auto big = kubelet_->WaitForDevices(
      k24, [](const auto& ds) { return ds.size() == 1; }, kWait);
  ASSERT_TRUE(big.ok());
  EXPECT_EQ((*big)[0].health(), "Healthy");
  // After the quiet period they are Healthy again.
  EXPECT_TRUE(kubelet_->WaitForDevices(k12, healthy, kWait).ok());
}

TEST_P(DevicePluginTest, XidOnOneMigDeviceMarksOnlyIt) {
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  nvml::MigDevice target = (Migs(*node_, 1))[0];  // the 1g.24gb
  ASSERT_TRUE(node_
                  ->Update([&](sim::SimState& s) {
                    return sim::rules::InjectXid(s, 1, 48, target.gi_id,
                                                 target.ci_id);
                  })
                  .ok());
  auto sick = kubelet_->WaitForDevices(
      k24, [](const auto& ds) { return ds[0].health() == "Unhealthy"; }, kWait);
  ASSERT_TRUE(sick.ok()) << sick.status();
  auto others = kubelet_->WaitForDevices(
      k12, [](const auto& ds) { return ds.size() == 7; }, kWait);
  for (const auto& d : *others) EXPECT_EQ(d.health(), "Healthy") << d.id();
}

TEST_P(DevicePluginTest, KubeletRestartLeadsToRegistrationAgain) {
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  ASSERT_EQ(kubelet_->Registrations(k12), 1);
  ASSERT_TRUE(kubelet_->Restart().ok());
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  EXPECT_EQ(kubelet_->Registrations(k12), 2);
  EXPECT_EQ(kubelet_->Registrations(k24), 2);
  auto devices = kubelet_->WaitForDevices(
      k12, [](const auto& d) { return d.size() == 7; }, kWait);
  EXPECT_TRUE(devices.ok());
  EXPECT_TRUE(kubelet_->Allocate(k12, {{Ids(*devices)[0]}}).ok());
}

TEST_P(DevicePluginTest, LayoutChangeUpdatesResourcesWithoutRestart) {
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  // GPU 1: the 1g.24gb and one 1g.12gb make way for a 2g.24gb.
  std::vector<nvml::MigDevice> gpu1 = Migs(*node_, 1);
  for (const nvml::MigDevice& d : gpu1) {
    if (d.gi_profile_id == k1g24 || d.uuid == MigUuids(1, k1g12).back()) {
      ASSERT_TRUE(node_->DestroyComputeInstance(1, d.gi_id, d.ci_id).ok());
      ASSERT_TRUE(node_->DestroyGpuInstance(1, d.gi_id).ok());
    }
  }
  CreateInstance(*node_, 1, "2g.24gb");
  const std::string k2g = "nvidia.com/mig-2g.24gb";
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k2g}, kWait).ok());
  EXPECT_FALSE(std::filesystem::exists(
      std::filesystem::path(config_.socket_dir) / "nvidia-mig-1g.24gb.sock"));
  auto small = kubelet_->WaitForDevices(
      k12, [](const auto& d) { return d.size() == 6; }, kWait);
  ASSERT_TRUE(small.ok()) << small.status();
  std::vector<std::string> want = MigUuids(0, k1g12);
  for (const std::string& id : MigUuids(1, k1g12)) want.push_back(id);
  EXPECT_EQ(Ids(*small), want);
  EXPECT_EQ(kubelet_->Registrations(k12), 1);
  auto two = kubelet_->WaitForDevices(
      k2g, [](const auto& d) { return d.size() == 1; }, kWait);
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(Ids(*two), MigUuids(1, 14));
}

TEST_P(DevicePluginTest, PausedGpusLeaveTheKubeletUntilResumed) {
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  // GPU 1 is being changed: its devices go, GPU 0's stay.
  plugin_->SetPausedGpus({1});
  EXPECT_EQ(plugin_->Resources(), std::vector<std::string>{k12});
  ASSERT_TRUE(kubelet_->WaitForResources({k12}, kWait).ok());
  auto during = kubelet_->WaitForDevices(
      k12, [](const auto& d) { return d.size() == 2; }, kWait);
  ASSERT_TRUE(during.ok()) << during.status();
  EXPECT_EQ(Ids(*during), MigUuids(0, k1g12));
  // Resumed: everything the node has now, without registering k12 again.
  plugin_->SetPausedGpus({});
  EXPECT_EQ(plugin_->Resources(), (std::vector<std::string>{k12, k24}));
  auto after = kubelet_->WaitForDevices(
      k12, [](const auto& d) { return d.size() == 7; }, kWait);
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(kubelet_->Registrations(k12), 1);
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
}

TEST_P(DevicePluginTest, PausingAStoppedPluginReturns) {
  StartPlugin();
  ASSERT_TRUE(kubelet_->WaitForResources({k12, k24}, kWait).ok());
  plugin_->Stop();
  thread_.join();
  plugin_->SetPausedGpus({0});  // returns: nothing runs to wait for
  EXPECT_TRUE(plugin_->Resources().empty());
  plugin_.reset();
}

INSTANTIATE_TEST_SUITE_P(Bindings, DevicePluginTest,
                         ::testing::Values(Binding::kSimNvml,
                                           Binding::kLibraryOverShim),
                         BindingName);

TEST(DevicePluginConfigTest, ReadsNvidiaConfigFileThenEnvironment) {
  Config c;
  ASSERT_TRUE(ApplyConfigFile(R"(version: v1
flags:
  migStrategy: mixed
  failOnInitError: false
  plugin:
    passDeviceSpecs: true
    deviceListStrategy: [envvar, cdi-cri]
    deviceIDStrategy: index
)",
                              "config.yaml", c)
                  .ok());
  EXPECT_EQ(c.mig_strategy, MigStrategy::kMixed);
  EXPECT_FALSE(c.fail_on_init_error);
  EXPECT_TRUE(c.pass_device_specs);
  EXPECT_THAT(c.device_list_strategies, ElementsAre("envvar", "cdi-cri"));
  EXPECT_EQ(c.device_id_strategy, DeviceIdStrategy::kIndex);
  std::map<std::string, std::string> env = {
      {"MIG_STRATEGY", "single"}, {"DEVICE_LIST_STRATEGY", "volume-mounts"}};
  ASSERT_TRUE(ApplyEnvironment(
                  [&](const char* n) -> std::optional<std::string> {
                    auto it = env.find(n);
                    if (it == env.end()) return std::nullopt;
                    return it->second;
                  },
                  c)
                  .ok());
  EXPECT_EQ(c.mig_strategy, MigStrategy::kSingle);
  EXPECT_THAT(c.device_list_strategies, ElementsAre("volume-mounts"));
  EXPECT_TRUE(c.pass_device_specs);

  Config bad;
  absl::Status s = ApplyConfigFile(
      "version: v1\nflags:\n  migStrategy: double\n", "c.yaml", bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "c.yaml:3:16: flags.migStrategy: unknown MIG strategy "
            "\"double\"; use none, single or mixed");
}

TEST(DevicePluginHealthTest, XidFilterFollowsNvidiaEnvironmentSemantics) {
  XidFilter defaults = XidFilter::FromEnvironment(std::nullopt, std::nullopt);
  for (uint64_t x : {13, 31, 43, 45, 68, 109})
    EXPECT_TRUE(defaults.IsDisabled(x));
  EXPECT_FALSE(defaults.IsDisabled(79));
  EXPECT_FALSE(defaults.AllDisabled());
  XidFilter more = XidFilter::FromEnvironment("48, 79", std::nullopt);
  EXPECT_TRUE(more.IsDisabled(79));
  EXPECT_FALSE(more.IsDisabled(94));
  XidFilter all = XidFilter::FromEnvironment("all", std::nullopt);
  EXPECT_TRUE(all.AllDisabled());
  EXPECT_TRUE(all.IsDisabled(79));
  XidFilter all_but = XidFilter::FromEnvironment("xids", "79,13");
  EXPECT_FALSE(all_but.AllDisabled());
  EXPECT_FALSE(all_but.IsDisabled(79));
  EXPECT_FALSE(all_but.IsDisabled(13));
  EXPECT_TRUE(all_but.IsDisabled(48));
  XidFilter everything = XidFilter::FromEnvironment(std::nullopt, "all");
  EXPECT_FALSE(everything.IsDisabled(13));
}

TEST(DevicePluginResourcesTest, NamesAsNvidiaDoes) {
  EXPECT_EQ(MigResourceName("1g.12gb"), "nvidia.com/mig-1g.12gb");
  EXPECT_EQ(MigResourceName("1g.12gb+me"), "nvidia.com/mig-1g.12gb.me");
  EXPECT_EQ(MigResourceName("1c.2g.24gb"), "nvidia.com/mig-1c.2g.24gb");
  EXPECT_EQ(SocketName("nvidia.com/mig-1g.12gb.me"),
            "nvidia-mig-1g.12gb.me.sock");
  EXPECT_EQ(SocketName("nvidia.com/gpu"), "nvidia-gpu.sock");
}

}  // namespace
}  // namespace migctl::deviceplugin
