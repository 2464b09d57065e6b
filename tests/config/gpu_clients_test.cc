// Tests of mig-manager's gpu-clients file (GPU_CLIENTS_FILE).
#include "config/gpu_clients.h"

#include <string>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace migctl::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<GpuClients> file = ParseGpuClients(yaml, "c.yaml");
  if (file.ok()) return "ok";
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(file.status().message());
}

TEST(GpuClientsTest, ParsesMigManagerFormat) {
  absl::StatusOr<GpuClients> file = ParseGpuClients(
      "version: v1\n"
      "systemd-services:\n"
      "  - nvsm.service\n"
      "  - nvidia-dcgm\n"
      "  - dcgm-exporter.service\n",
      "c.yaml");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_THAT(file->systemd_services,
              ElementsAre("nvsm.service", "nvidia-dcgm.service",
                          "dcgm-exporter.service"));
}

TEST(GpuClientsTest, NoServicesIsEmpty) {
  EXPECT_THAT(ParseGpuClients("version: v1\n", "c.yaml")->systemd_services,
              IsEmpty());
  EXPECT_THAT(ParseGpuClients("version: v1\nsystemd-services:\n", "c.yaml")
                  ->systemd_services,
              IsEmpty());
}

TEST(GpuClientsTest, ErrorsNameThePlace) {
  EXPECT_EQ(ErrorOf("systemd-services: [a]\n"),
            "c.yaml:1:1: missing key \"version\"; expected version: v1");
  EXPECT_EQ(ErrorOf("version: v2\n"),
            "c.yaml:1:10: unknown version \"v2\"; expected version: v1");
  EXPECT_EQ(ErrorOf("version: v1\nservices: [a]\n"),
            "c.yaml:2:1: unknown key \"services\"; valid keys are version, "
            "systemd-services");
  EXPECT_EQ(ErrorOf("version: v1\nsystemd-services: a.service\n"),
            "c.yaml:2:19: systemd-services is \"a.service\"; expected a list "
            "of unit names");
  EXPECT_EQ(ErrorOf("version: v1\nsystemd-services: [a, a.service]\n"),
            "c.yaml:2:23: duplicate unit \"a.service\"; expected each unit "
            "once");
}

TEST(GpuClientsTest, MissingFileNamesThePath) {
  absl::StatusOr<GpuClients> file = LoadGpuClients("/nonexistent/c.yaml");
  ASSERT_FALSE(file.ok());
  EXPECT_THAT(std::string(file.status().message()),
              ::testing::HasSubstr("/nonexistent/c.yaml"));
}

}  // namespace
}  // namespace migctl::config
