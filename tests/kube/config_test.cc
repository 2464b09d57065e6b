#include "kube/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace migctl::kube {
namespace {

constexpr char kTwoContexts[] = R"(apiVersion: v1
kind: Config
clusters:
- name: prod
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: Q0EtUEVN
- name: lab
  cluster:
    server: https://lab.example:6443
    certificate-authority: certs/ca.crt
    insecure-skip-tls-verify: true
contexts:
- name: prod-admin
  context: {cluster: prod, user: admin, namespace: gpu-operator}
- name: lab-token
  context: {cluster: lab, user: bot}
current-context: prod-admin
users:
- name: admin
  user:
    client-certificate-data: Q0VSVA==
    client-key-data: S0VZ
- name: bot
  user:
    token: s3cret
)";

TEST(KubeconfigTest, CurrentContextWithEmbeddedCertificates) {
  auto config = ParseKubeconfig(kTwoContexts, "/home/u/.kube");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->context, "prod-admin");
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");
  EXPECT_EQ(config->ca_pem, "CA-PEM");
  EXPECT_EQ(config->client_cert_pem, "CERT");
  EXPECT_EQ(config->client_key_pem, "KEY");
  EXPECT_EQ(config->token, "");
  EXPECT_FALSE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->default_namespace, "gpu-operator");
}

TEST(KubeconfigTest, NamedContextWithTokenAndRelativeCaFile) {
  auto config = ParseKubeconfig(kTwoContexts, "/home/u/.kube", "lab-token");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://lab.example:6443");
  EXPECT_EQ(config->ca_file, "/home/u/.kube/certs/ca.crt");
  EXPECT_TRUE(config->insecure_skip_tls_verify);
  EXPECT_EQ(config->token, "s3cret");
  EXPECT_EQ(config->default_namespace, "default");
}

TEST(KubeconfigTest, ClientCertificateFiles) {
  auto config = ParseKubeconfig(R"(
clusters: [{name: c, cluster: {server: "https://h:6443"}}]
users: [{name: u, user: {client-certificate: u.crt, client-key: /abs/u.key}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)",
                                "/etc/kube");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->client_cert_file, "/etc/kube/u.crt");
  EXPECT_EQ(config->client_key_file, "/abs/u.key");
}

TEST(KubeconfigTest, MissingContextIsNamed) {
  auto config = ParseKubeconfig(kTwoContexts, "", "staging");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(),
            "kubeconfig: context \"staging\" not found");
}

TEST(KubeconfigTest, CertificateWithoutKeyIsRejected) {
  auto config = ParseKubeconfig(R"(
clusters: [{name: c, cluster: {server: "https://h"}}]
users: [{name: u, user: {client-certificate: u.crt}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)",
                                "");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            "kubeconfig: user \"u\" needs both a client certificate and a key");
}

TEST(KubeconfigTest, ExecPluginIsUnimplemented) {
  auto config = ParseKubeconfig(R"(
clusters: [{name: c, cluster: {server: "https://h"}}]
users: [{name: u, user: {exec: {command: gke-gcloud-auth-plugin}}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
)",
                                "");
  EXPECT_EQ(config.status().code(), absl::StatusCode::kUnimplemented);
}

TEST(KubeconfigTest, BadBase64IsReported) {
  auto config = ParseKubeconfig(R"(
clusters: [{name: c, cluster: {server: "https://h", certificate-authority-data: "!!!"}}]
contexts: [{name: x, context: {cluster: c}}]
current-context: x
)",
                                "");
  EXPECT_EQ(config.status().message(),
            "kubeconfig: cluster certificate-authority-data is not valid "
            "base64");
}

class EnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("kube_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    unsetenv("KUBECONFIG");
    unsetenv("KUBERNETES_SERVICE_HOST");
    unsetenv("KUBERNETES_SERVICE_PORT");
    std::filesystem::remove_all(dir_);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  std::filesystem::path dir_;
};

TEST_F(EnvTest, KubeconfigEnvFirstEntry) {
  Write("kc", kTwoContexts);
  std::string value = (dir_ / "kc").string() + ":/nonexistent";
  setenv("KUBECONFIG", value.c_str(), 1);
  auto config = LoadKubeconfig();
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.0.0.1:6443");
}

TEST_F(EnvTest, MissingKubeconfigSaysWhatToDo) {
  auto config = LoadKubeconfig((dir_ / "absent").string());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(config.status().message(),
            "kubeconfig " + (dir_ / "absent").string() +
                " cannot be read; set KUBECONFIG or pass --kubeconfig");
}

TEST_F(EnvTest, InCluster) {
  Write("token", "tok\n");
  Write("ca.crt", "PEM");
  Write("namespace", "gpu-operator");
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto config = LoadInCluster(dir_.string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_EQ(config->token_file, (dir_ / "token").string());
  EXPECT_EQ(config->ca_file, (dir_ / "ca.crt").string());
  EXPECT_EQ(config->default_namespace, "gpu-operator");
}

TEST_F(EnvTest, InClusterIpv6Host) {
  Write("token", "tok");
  Write("ca.crt", "PEM");
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto config = LoadInCluster(dir_.string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->server, "https://[fd00::1]:443");
}

TEST_F(EnvTest, NotInCluster) {
  auto config = LoadInCluster(dir_.string());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace migctl::kube
