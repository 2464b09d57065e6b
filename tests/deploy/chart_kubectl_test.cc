// The rendered chart (story values) applied with real kubectl
// (/usr/bin/kubectl) to the API stand-in: every object is accepted, what the
// server stores is what was rendered, `kubectl get … -o json` returns it,
// and a second apply changes nothing; the same with the planner enabled.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "deploy/chart.h"
#include "support/api_server.h"
#include "support/shell.h"

namespace migctl::testing {
namespace {

using nlohmann::json;

constexpr char kKubectl[] = "/usr/bin/kubectl";

class ChartKubectlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kKubectl)) GTEST_SKIP() << "no kubectl";
    dir_ = std::filesystem::temp_directory_path() /
           ("chart_kubectl_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(server_.Start().ok());
    ASSERT_TRUE(server_.WriteKubeconfig((dir_ / "kubeconfig").string()).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Runs kubectl with `args`; returns stdout+stderr, sets *rc.
  std::string Kubectl(const std::string& args, int* rc) {
    migctl::testing::ShellResult r = migctl::testing::RunShell(
        "timeout 60 " + std::string(kKubectl) + " --kubeconfig " +
        (dir_ / "kubeconfig").string() + " --cache-dir " +
        (dir_ / "cache").string() + " " + args + " 2>&1");
    *rc = r.exit_code;
    return r.output;
  }

  std::filesystem::path dir_;
  ApiServer server_;
};

TEST_F(ChartKubectlTest, ApplyStoryValuesAndReadBack) {
  absl::StatusOr<std::string> text =
      RenderChartText({SourcePath("examples/gpu-operator-values.yaml")});
  ASSERT_TRUE(text.ok()) << text.status();
  std::string manifest = (dir_ / "rendered.yaml").string();
  std::ofstream(manifest) << *text;
  absl::StatusOr<std::vector<json>> rendered =
      RenderChart({SourcePath("examples/gpu-operator-values.yaml")});
  ASSERT_TRUE(rendered.ok()) << rendered.status();

  int rc = -1;
  EXPECT_EQ(Kubectl("apply -f " + manifest, &rc),
            "serviceaccount/migctl created\n"
            "configmap/custom-mig-config created\n"
            "configmap/default-gpu-clients created\n"
            "clusterrole.rbac.authorization.k8s.io/migctl created\n"
            "clusterrolebinding.rbac.authorization.k8s.io/migctl created\n"
            "service/migctl-metrics created\n"
            "daemonset.apps/migctl created\n");
  EXPECT_EQ(rc, 0);

  // The server holds exactly what was rendered (plus its own metadata and
  // kubectl's last-applied annotation).
  struct Stored {
    const char* resource;
    const char* kind;
    const char* ns;
    const char* name;
  };
  for (const Stored& s : std::vector<Stored>{
           {"clusterroles", "ClusterRole", "", "migctl"},
           {"clusterrolebindings", "ClusterRoleBinding", "", "migctl"},
           {"configmaps", "ConfigMap", "gpu-operator", "custom-mig-config"},
           {"configmaps", "ConfigMap", "gpu-operator", "default-gpu-clients"},
           {"daemonsets", "DaemonSet", "gpu-operator", "migctl"},
           {"services", "Service", "gpu-operator", "migctl-metrics"},
           {"serviceaccounts", "ServiceAccount", "gpu-operator", "migctl"}}) {
    std::optional<json> stored = server_.GetObject(s.resource, s.ns, s.name);
    ASSERT_TRUE(stored.has_value()) << s.resource << "/" << s.name;
    const json* want = FindObject(*rendered, s.kind, s.name);
    ASSERT_NE(want, nullptr) << s.kind;
    json got = *stored;
    got["metadata"].erase("uid");
    got["metadata"].erase("resourceVersion");
    got["metadata"].erase("creationTimestamp");
    EXPECT_TRUE(got["metadata"]["annotations"].contains(
        "kubectl.kubernetes.io/last-applied-configuration"))
        << s.kind;
    got["metadata"].erase("annotations");
    EXPECT_EQ(got, *want) << s.kind;
  }

  json ds =
      json::parse(Kubectl("get daemonset migctl -n gpu-operator -o json", &rc),
                  nullptr, false);
  EXPECT_EQ(rc, 0);
  ASSERT_TRUE(ds.is_object());
  EXPECT_EQ(ds["apiVersion"], "apps/v1");
  EXPECT_EQ(ds["spec"],
            (*FindObject(*rendered, "DaemonSet", "migctl"))["spec"]);
  EXPECT_EQ(ds["spec"]["template"]["spec"]["containers"][0]["env"][4],
            json::parse(R"({"name": "WITH_REBOOT", "value": "true"})"));

  json list = json::parse(
      Kubectl("get daemonsets -n gpu-operator -o json", &rc), nullptr, false);
  EXPECT_EQ(rc, 0);
  ASSERT_TRUE(list.is_object());
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["metadata"]["name"], "migctl");
  EXPECT_EQ(Kubectl("get daemonsets -n gpu-operator -o name", &rc),
            "daemonset.apps/migctl\n");
  EXPECT_EQ(rc, 0);

  json role = json::parse(Kubectl("get clusterrole migctl -o json", &rc),
                          nullptr, false);
  EXPECT_EQ(rc, 0);
  ASSERT_TRUE(role.is_object());
  EXPECT_EQ(role["rules"],
            (*FindObject(*rendered, "ClusterRole", "migctl"))["rules"]);

  EXPECT_EQ(Kubectl("apply -f " + manifest, &rc),
            "serviceaccount/migctl unchanged\n"
            "configmap/custom-mig-config unchanged\n"
            "configmap/default-gpu-clients unchanged\n"
            "clusterrole.rbac.authorization.k8s.io/migctl unchanged\n"
            "clusterrolebinding.rbac.authorization.k8s.io/migctl unchanged\n"
            "service/migctl-metrics unchanged\n"
            "daemonset.apps/migctl unchanged\n");
  EXPECT_EQ(rc, 0);
}

TEST_F(ChartKubectlTest, ApplyServiceMonitorAndUpgrade) {
  std::string monitoring = WriteValues(
      "monitoring.yaml", "metrics: {serviceMonitor: {enabled: true}}\n");
  absl::StatusOr<std::string> text = RenderChartText({monitoring});
  ASSERT_TRUE(text.ok()) << text.status();
  std::string manifest = (dir_ / "rendered.yaml").string();
  std::ofstream(manifest) << *text;
  int rc = -1;
  std::string out = Kubectl("apply -f " + manifest, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("servicemonitor.monitoring.coreos.com/migctl created\n"),
            std::string::npos)
      << out;

  // An upgrade: the story's values over these; kubectl patches in place.
  text = RenderChartText(
      {monitoring, SourcePath("examples/gpu-operator-values.yaml")});
  ASSERT_TRUE(text.ok()) << text.status();
  std::ofstream(manifest) << *text;
  out = Kubectl("apply -f " + manifest, &rc);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("daemonset.apps/migctl configured\n"), std::string::npos)
      << out;
  std::optional<json> ds =
      server_.GetObject("daemonsets", "gpu-operator", "migctl");
  ASSERT_TRUE(ds.has_value());
  // The stand-in's strategic merge (lists merged by key, as kubectl's
  // $setElementOrder asks) ends where a fresh apply would.
  absl::StatusOr<std::vector<json>> upgraded = RenderChart(
      {monitoring, SourcePath("examples/gpu-operator-values.yaml")});
  ASSERT_TRUE(upgraded.ok()) << upgraded.status();
  EXPECT_EQ((*ds)["spec"],
            (*FindObject(*upgraded, "DaemonSet", "migctl"))["spec"]);
  EXPECT_EQ((*ds)["spec"]["template"]["spec"]["volumes"][0],
            json::parse(R"({"name": "config",
                            "configMap": {"name": "custom-mig-config"}})"));
  EXPECT_EQ((*ds)["spec"]["template"]["spec"]["containers"][0]["env"][3],
            json::parse(R"({"name": "MIG_STRATEGY", "value": "mixed"})"));
}

// The planner-enabled render (issue 8): its Deployment, Role and
// RoleBinding too are accepted, stored as rendered, and unchanged on a
// second apply.
TEST_F(ChartKubectlTest, ApplyWithPlanner) {
  std::vector<std::string> values = {
      SourcePath("examples/gpu-operator-values.yaml"),
      WriteValues("planner.yaml", "planner: {enabled: true}\n")};
  absl::StatusOr<std::string> text = RenderChartText(values);
  ASSERT_TRUE(text.ok()) << text.status();
  std::string manifest = (dir_ / "rendered.yaml").string();
  std::ofstream(manifest) << *text;
  absl::StatusOr<std::vector<json>> rendered = RenderChart(values);
  ASSERT_TRUE(rendered.ok()) << rendered.status();

  auto lines = [](const std::string& verb) {
    std::string out;
    for (const char* object :
         {"serviceaccount/migctl-planner", "serviceaccount/migctl",
          "configmap/custom-mig-config", "configmap/default-gpu-clients",
          "clusterrole.rbac.authorization.k8s.io/migctl",
          "clusterrole.rbac.authorization.k8s.io/migctl-planner",
          "clusterrolebinding.rbac.authorization.k8s.io/migctl",
          "clusterrolebinding.rbac.authorization.k8s.io/migctl-planner",
          "role.rbac.authorization.k8s.io/migctl-planner",
          "rolebinding.rbac.authorization.k8s.io/migctl-planner",
          "service/migctl-planner-metrics", "service/migctl-metrics",
          "daemonset.apps/migctl", "deployment.apps/migctl-planner"}) {
      out += std::string(object) + " " + verb + "\n";
    }
    return out;
  };
  int rc = -1;
  EXPECT_EQ(Kubectl("apply -f " + manifest, &rc), lines("created"));
  EXPECT_EQ(rc, 0);

  struct Stored {
    const char* resource;
    const char* kind;
    const char* ns;
    const char* name;
  };
  for (const Stored& s : std::vector<Stored>{
           {"deployments", "Deployment", "gpu-operator", "migctl-planner"},
           {"roles", "Role", "gpu-operator", "migctl-planner"},
           {"rolebindings", "RoleBinding", "gpu-operator", "migctl-planner"},
           {"clusterroles", "ClusterRole", "", "migctl-planner"},
           {"serviceaccounts", "ServiceAccount", "gpu-operator",
            "migctl-planner"},
           {"services", "Service", "gpu-operator", "migctl-planner-metrics"},
           {"daemonsets", "DaemonSet", "gpu-operator", "migctl"}}) {
    std::optional<json> stored = server_.GetObject(s.resource, s.ns, s.name);
    ASSERT_TRUE(stored.has_value()) << s.resource << "/" << s.name;
    const json* want = FindObject(*rendered, s.kind, s.name);
    ASSERT_NE(want, nullptr) << s.kind;
    json got = *stored;
    got["metadata"].erase("uid");
    got["metadata"].erase("resourceVersion");
    got["metadata"].erase("creationTimestamp");
    got["metadata"].erase("annotations");
    EXPECT_EQ(got, *want) << s.kind;
  }

  json deploy = json::parse(
      Kubectl("get deployment migctl-planner -n gpu-operator -o json", &rc),
      nullptr, false);
  EXPECT_EQ(rc, 0);
  ASSERT_TRUE(deploy.is_object());
  EXPECT_EQ(deploy["spec"]["template"]["spec"]["serviceAccountName"],
            "migctl-planner");
  json role = json::parse(
      Kubectl("get role migctl-planner -n gpu-operator -o json", &rc), nullptr,
      false);
  EXPECT_EQ(rc, 0);
  ASSERT_TRUE(role.is_object());
  EXPECT_EQ(role["rules"],
            (*FindObject(*rendered, "Role", "migctl-planner"))["rules"]);

  EXPECT_EQ(Kubectl("apply -f " + manifest, &rc), lines("unchanged"));
  EXPECT_EQ(rc, 0);
}

// Turning the planner on in an installed release: kubectl patches the
// DaemonSet (the CONFIG_FILE variable leaves, the second config file's
// flags, mount and volume come) and the result is what a fresh render
// holds; turning it off again patches it back.
TEST_F(ChartKubectlTest, UpgradeTurnsThePlannerOnAndOff) {
  std::string story = SourcePath("examples/gpu-operator-values.yaml");
  std::string planner =
      WriteValues("planner-on.yaml", "planner: {enabled: true}\n");
  std::string manifest = (dir_ / "rendered.yaml").string();
  int rc = -1;
  for (const std::vector<std::string>& values :
       {std::vector<std::string>{story},
        std::vector<std::string>{story, planner},
        std::vector<std::string>{story}}) {
    absl::StatusOr<std::string> text = RenderChartText(values);
    ASSERT_TRUE(text.ok()) << text.status();
    std::ofstream(manifest) << *text;
    std::string out = Kubectl("apply -f " + manifest, &rc);
    EXPECT_EQ(rc, 0) << out;
    absl::StatusOr<std::vector<json>> rendered = RenderChart(values);
    ASSERT_TRUE(rendered.ok()) << rendered.status();
    std::optional<json> ds =
        server_.GetObject("daemonsets", "gpu-operator", "migctl");
    ASSERT_TRUE(ds.has_value());
    EXPECT_EQ((*ds)["spec"],
              (*FindObject(*rendered, "DaemonSet", "migctl"))["spec"])
        << values.size();
  }
  // kubectl apply prunes nothing without --prune: the planner's objects
  // stay until helm (which tracks them) deletes them.
  EXPECT_TRUE(server_.GetObject("deployments", "gpu-operator", "migctl-planner")
                  .has_value());
}

}  // namespace
}  // namespace migctl::testing
