// Real kubectl (/usr/bin/kubectl) against the API stand-in, over loopback.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "kube/client.h"
#include "support/api_server.h"
#include "support/shell.h"

namespace migctl::kube {
namespace {

constexpr char kKubectl[] = "/usr/bin/kubectl";

class KubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kKubectl)) GTEST_SKIP() << "no kubectl";
    dir_ = std::filesystem::temp_directory_path() /
           ("kubectl_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(server_.AddNode("gpu-node-1").ok());
    ASSERT_TRUE(server_.Start().ok());
    ASSERT_TRUE(server_.WriteKubeconfig((dir_ / "kubeconfig").string()).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs kubectl with `args`; returns stdout+stderr, sets *rc.
  std::string Kubectl(const std::string& args, int* rc = nullptr) {
    migctl::testing::ShellResult r = migctl::testing::RunShell(
        "timeout 60 " + std::string(kKubectl) + " --kubeconfig " +
        (dir_ / "kubeconfig").string() + " --cache-dir " +
        (dir_ / "cache").string() + " " + args + " 2>&1");
    if (rc != nullptr) *rc = r.exit_code;
    return r.output;
  }

  std::filesystem::path dir_;
  migctl::testing::ApiServer server_;
};

TEST_F(KubectlTest, LabelOverwriteAndGetJson) {
  int rc = -1;
  EXPECT_EQ(
      Kubectl("label nodes gpu-node-1 nvidia.com/mig.config=all-disabled", &rc),
      "node/gpu-node-1 labeled\n");
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(Kubectl("label nodes gpu-node-1 "
                    "nvidia.com/mig.config=custom-mig --overwrite",
                    &rc),
            "node/gpu-node-1 labeled\n");
  EXPECT_EQ(rc, 0);
  auto node = nlohmann::json::parse(Kubectl("get node gpu-node-1 -o json"));
  EXPECT_EQ(node["metadata"]["labels"]["nvidia.com/mig.config"], "custom-mig");
  EXPECT_EQ(server_.requests().back().method, "GET");
  int patches = 0;
  for (const auto& r : server_.requests()) {
    if (r.method == "PATCH") {
      ++patches;
      EXPECT_EQ(r.content_type, "application/merge-patch+json");
    }
  }
  EXPECT_EQ(patches, 2);
}

TEST_F(KubectlTest, LabelWithoutOverwriteIsRefused) {
  Kubectl("label nodes gpu-node-1 nvidia.com/mig.config=a");
  int rc = 0;
  std::string out =
      Kubectl("label nodes gpu-node-1 nvidia.com/mig.config=b", &rc);
  EXPECT_NE(rc, 0);
  EXPECT_NE(out.find("already has a value (a)"), std::string::npos) << out;
}

TEST_F(KubectlTest, GetNodesShowLabels) {
  Kubectl("label nodes gpu-node-1 nvidia.com/mig.config.state=success");
  std::string out = Kubectl("get nodes --show-labels");
  EXPECT_EQ(out.substr(0, out.find('\n')),
            "NAME         STATUS   ROLES    AGE   VERSION   LABELS");
  EXPECT_NE(out.find("gpu-node-1   Ready    <none>"), std::string::npos) << out;
  EXPECT_NE(out.find("nvidia.com/mig.config.state=success"), std::string::npos)
      << out;
}

TEST_F(KubectlTest, ApplyConfigMapCreatesThenPatches) {
  auto write = [&](const std::string& version) {
    std::ofstream(dir_ / "cm.yaml") << "apiVersion: v1\nkind: ConfigMap\n"
                                       "metadata:\n  name: mig-parted-config\n"
                                       "  namespace: default\n"
                                       "data:\n  config.yaml: |\n    version: "
                                    << version << "\n";
  };
  write("v1");
  int rc = -1;
  std::string apply = "apply -f " + (dir_ / "cm.yaml").string();
  EXPECT_EQ(Kubectl(apply, &rc), "configmap/mig-parted-config created\n");
  EXPECT_EQ(rc, 0);
  write("v2");
  EXPECT_EQ(Kubectl(apply, &rc), "configmap/mig-parted-config configured\n");
  EXPECT_EQ(Kubectl(apply, &rc), "configmap/mig-parted-config unchanged\n");
  auto cm = server_.GetObject("configmaps", "default", "mig-parted-config");
  ASSERT_TRUE(cm.has_value());
  EXPECT_EQ((*cm)["data"]["config.yaml"], "version: v2\n");
  EXPECT_TRUE((*cm)["metadata"]["annotations"].contains(
      "kubectl.kubernetes.io/last-applied-configuration"));
}

TEST_F(KubectlTest, DescribeNodeShowsClientEvents) {
  ClusterConfig config;
  config.server = server_.url();
  auto client = Client::Create(config);
  ASSERT_TRUE(client.ok());
  auto node = (*client)->GetNode("gpu-node-1");
  ASSERT_TRUE(node.ok());
  ASSERT_TRUE((*client)
                  ->CreateEvent(NodeReference(*node), "MigConfigApplied",
                                "applied custom-mig to 2 GPUs")
                  .ok());
  std::string out = Kubectl("describe node gpu-node-1");
  EXPECT_NE(out.find("Name:               gpu-node-1"), std::string::npos)
      << out;
  EXPECT_NE(out.find("Normal  MigConfigApplied"), std::string::npos) << out;
  EXPECT_NE(out.find("applied custom-mig to 2 GPUs"), std::string::npos) << out;
}

}  // namespace
}  // namespace migctl::kube
