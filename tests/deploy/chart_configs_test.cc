// The configs the chart's ConfigMaps hold are ones migctl reads: config.yaml
// (default and the story's) with the mig-parted parser, clients.yaml with
// the gpu-clients parser.
#include <gtest/gtest.h>

#include "config/gpu_clients.h"
#include "config/mig_config.h"
#include "deploy/chart.h"

namespace migctl::testing {
namespace {

using nlohmann::json;

TEST(ChartConfigsTest, MigctlReadsTheConfigMaps) {
  for (const auto& [values, configmap, configs] :
       std::vector<std::tuple<std::vector<std::string>, std::string, size_t>>{
           {{}, "default-mig-parted-config", 38},
           {{SourcePath("examples/gpu-operator-values.yaml")},
            "custom-mig-config",
            1}}) {
    absl::StatusOr<std::vector<json>> objects = RenderChart(values);
    ASSERT_TRUE(objects.ok()) << objects.status();
    const json* cm = FindObject(*objects, "ConfigMap", configmap);
    ASSERT_NE(cm, nullptr) << configmap;
    absl::StatusOr<config::MigConfigFile> file = config::ParseMigConfig(
        (*cm)["data"]["config.yaml"].get<std::string>(), "config.yaml");
    ASSERT_TRUE(file.ok()) << file.status();
    EXPECT_EQ(file->configs.size(), configs) << configmap;
  }
  absl::StatusOr<std::vector<json>> objects = RenderChart({});
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* clients =
      FindObject(*objects, "ConfigMap", "default-gpu-clients");
  ASSERT_NE(clients, nullptr);
  absl::StatusOr<config::GpuClients> parsed = config::ParseGpuClients(
      (*clients)["data"]["clients.yaml"].get<std::string>(), "clients.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->systemd_services,
            (std::vector<std::string>{
                "nvsm.service", "nvsm-mqtt.service", "nvsm-core.service",
                "nvsm-api-gateway.service", "nvsm-notifier.service",
                "nv_peer_mem.service", "nvidia-dcgm.service", "dcgm.service",
                "dcgm-exporter.service"}));
}

}  // namespace
}  // namespace migctl::testing
