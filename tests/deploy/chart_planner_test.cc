// The planner part of deploy/helm/migctl (`planner.*` values, issue 8): off
// by default; when on, the planner's Deployment, ServiceAccount, RBAC,
// metrics Service and ServiceMonitor, and the agent reading the planner's
// ConfigMap as a second config file — exact values.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "deploy/chart.h"

namespace migctl::testing {
namespace {

using nlohmann::json;

constexpr char kPlannerLabels[] = R"({
    "app.kubernetes.io/name": "migctl-planner",
    "app.kubernetes.io/instance": "migctl",
    "app.kubernetes.io/component": "planner",
    "app.kubernetes.io/version": "0.1.0",
    "app.kubernetes.io/managed-by": "Helm",
    "helm.sh/chart": "migctl-0.1.0"})";

constexpr char kPlannerSelector[] = R"({
    "app.kubernetes.io/name": "migctl-planner",
    "app.kubernetes.io/instance": "migctl",
    "app.kubernetes.io/component": "planner"})";

std::vector<std::string> Names(const std::vector<json>& objects) {
  std::vector<std::string> names;
  names.reserve(objects.size());
  for (const json& o : objects) {
    names.push_back(o["kind"].get<std::string>() + "/" +
                    o["metadata"]["name"].get<std::string>());
  }
  return names;
}

absl::StatusOr<std::vector<json>> RenderWithPlanner(
    const std::string& extra = "") {
  return RenderChart(
      {WriteValues("planner.yaml", "planner:\n  enabled: true\n" + extra)});
}

TEST(ChartPlannerTest, OffByDefault) {
  for (const std::vector<std::string>& values :
       {std::vector<std::string>{},
        std::vector<std::string>{
            SourcePath("examples/gpu-operator-values.yaml")}}) {
    absl::StatusOr<std::vector<json>> objects = RenderChart(values);
    ASSERT_TRUE(objects.ok()) << objects.status();
    for (const std::string& name : Names(*objects)) {
      EXPECT_EQ(name.find("planner"), std::string::npos) << name;
    }
    const json* ds = FindObject(*objects, "DaemonSet", "migctl");
    ASSERT_NE(ds, nullptr);
    EXPECT_EQ((*ds).dump().find("planner"), std::string::npos);
  }
}

TEST(ChartPlannerTest, EnabledRendersTheseObjects) {
  absl::StatusOr<std::vector<json>> objects = RenderWithPlanner();
  ASSERT_TRUE(objects.ok()) << objects.status();
  EXPECT_EQ(Names(*objects), (std::vector<std::string>{
                                 "ServiceAccount/migctl-planner",
                                 "ServiceAccount/migctl",
                                 "ConfigMap/default-mig-parted-config",
                                 "ConfigMap/default-gpu-clients",
                                 "ClusterRole/migctl",
                                 "ClusterRole/migctl-planner",
                                 "ClusterRoleBinding/migctl",
                                 "ClusterRoleBinding/migctl-planner",
                                 "Role/migctl-planner",
                                 "RoleBinding/migctl-planner",
                                 "Service/migctl-planner-metrics",
                                 "Service/migctl-metrics",
                                 "DaemonSet/migctl",
                                 "Deployment/migctl-planner",
                             }));
  for (const json& o : *objects) {
    if (o["metadata"]["name"].get<std::string>().find("planner") ==
        std::string::npos) {
      continue;
    }
    EXPECT_EQ(o["metadata"]["labels"], json::parse(kPlannerLabels))
        << o["kind"];
    if (o["kind"] == "ClusterRole" || o["kind"] == "ClusterRoleBinding") {
      EXPECT_FALSE(o["metadata"].contains("namespace")) << o["kind"];
    } else {
      EXPECT_EQ(o["metadata"]["namespace"], "gpu-operator") << o["kind"];
    }
  }
  // The planner owns its ConfigMap: the chart does not render it.
  EXPECT_EQ(FindObject(*objects, "ConfigMap", "migctl-planner-config"),
            nullptr);
}

TEST(ChartPlannerTest, Deployment) {
  absl::StatusOr<std::vector<json>> objects = RenderWithPlanner();
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* deploy = FindObject(*objects, "Deployment", "migctl-planner");
  ASSERT_NE(deploy, nullptr);
  EXPECT_EQ((*deploy)["apiVersion"], "apps/v1");
  const json& spec = (*deploy)["spec"];
  EXPECT_EQ(spec["replicas"], 1);
  EXPECT_EQ(spec["strategy"], json::parse(R"({"type": "Recreate"})"));
  EXPECT_EQ(spec["selector"]["matchLabels"], json::parse(kPlannerSelector));
  EXPECT_EQ(spec["template"]["metadata"],
            json({{"labels", json::parse(kPlannerSelector)}}));
  const json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod, json::parse(R"({
      "serviceAccountName": "migctl-planner",
      "securityContext": {"runAsNonRoot": true, "runAsUser": 65534,
                          "runAsGroup": 65534,
                          "seccompProfile": {"type": "RuntimeDefault"}},
      "containers": [{
        "name": "migctl-planner",
        "image": "ghcr.io/migctl/migctl:0.1.0",
        "imagePullPolicy": "IfNotPresent",
        "args": ["planner", "--configmap=migctl-planner-config",
                 "--metrics-port=8080", "--batch-window=10",
                 "--apply-timeout=600", "--destroy-weight=1",
                 "--node-weight=1"],
        "env": [{"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {
                   "fieldPath": "metadata.namespace"}}}],
        "securityContext": {"allowPrivilegeEscalation": false,
                            "readOnlyRootFilesystem": true,
                            "capabilities": {"drop": ["ALL"]}},
        "ports": [{"name": "metrics", "containerPort": 8080,
                   "protocol": "TCP"}],
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "metrics"},
                          "periodSeconds": 10, "failureThreshold": 3},
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "metrics"},
                           "periodSeconds": 5},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                      "limits": {"memory": "512Mi"}}}]})"));
}

TEST(ChartPlannerTest, RbacIsExactlyWhatThePlannerCalls) {
  absl::StatusOr<std::vector<json>> objects = RenderWithPlanner();
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* cluster_role =
      FindObject(*objects, "ClusterRole", "migctl-planner");
  ASSERT_NE(cluster_role, nullptr);
  EXPECT_EQ((*cluster_role)["rules"], json::parse(R"([
      {"apiGroups": [""], "resources": ["pods"],
       "verbs": ["get", "list", "watch"]},
      {"apiGroups": [""], "resources": ["nodes"],
       "verbs": ["get", "list", "watch", "patch"]},
      {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]}])"));
  const json* role = FindObject(*objects, "Role", "migctl-planner");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ((*role)["rules"], json::parse(R"([
      {"apiGroups": [""], "resources": ["configmaps"],
       "resourceNames": ["migctl-planner-config"],
       "verbs": ["get", "update"]},
      {"apiGroups": [""], "resources": ["configmaps"],
       "verbs": ["create"]}])"));
  const json subjects = json::parse(R"([{"kind": "ServiceAccount",
      "name": "migctl-planner", "namespace": "gpu-operator"}])");
  const json* cluster_binding =
      FindObject(*objects, "ClusterRoleBinding", "migctl-planner");
  ASSERT_NE(cluster_binding, nullptr);
  EXPECT_EQ((*cluster_binding)["roleRef"],
            json::parse(R"({"apiGroup": "rbac.authorization.k8s.io",
                            "kind": "ClusterRole", "name": "migctl-planner"})"));
  EXPECT_EQ((*cluster_binding)["subjects"], subjects);
  const json* binding = FindObject(*objects, "RoleBinding", "migctl-planner");
  ASSERT_NE(binding, nullptr);
  EXPECT_EQ((*binding)["roleRef"],
            json::parse(R"({"apiGroup": "rbac.authorization.k8s.io",
                            "kind": "Role", "name": "migctl-planner"})"));
  EXPECT_EQ((*binding)["subjects"], subjects);
  // The agent's own ClusterRole is unchanged: it reads both configs as
  // mounted files.
  const json* agent_role = FindObject(*objects, "ClusterRole", "migctl");
  ASSERT_NE(agent_role, nullptr);
  EXPECT_EQ((*agent_role)["rules"].size(), 3u);
}

TEST(ChartPlannerTest, AgentReadsThePlannerConfigMap) {
  absl::StatusOr<std::vector<json>> objects = RenderWithPlanner();
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* ds = FindObject(*objects, "DaemonSet", "migctl");
  ASSERT_NE(ds, nullptr);
  const json& pod = (*ds)["spec"]["template"]["spec"];
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["args"], json::parse(R"([
      "agent", "--health-port=8080",
      "--reboot-command=dbus-send --system --print-reply --dest=org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager.Reboot boolean:false",
      "--device-plugin", "--socket-dir=/var/lib/kubelet/device-plugins",
      "--device-plugin-poll=1000",
      "--config-file=/etc/migctl/config/config.yaml",
      "--config-file=/etc/migctl/planner/config.yaml",
      "--config-wait=3m"])"));
  // The files are on the command line, so CONFIG_FILE is not set.
  EXPECT_EQ(c["env"], json::parse(R"([
      {"name": "NODE_NAME",
       "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
      {"name": "GPU_CLIENTS_FILE",
       "value": "/etc/migctl/gpu-clients/clients.yaml"},
      {"name": "MIG_STRATEGY", "value": "single"},
      {"name": "WITH_REBOOT", "value": "false"},
      {"name": "WITH_SHUTDOWN_HOST_GPU_CLIENTS", "value": "false"}])"));
  ASSERT_EQ(c["volumeMounts"].size(), 9u);
  EXPECT_EQ(c["volumeMounts"][2], json::parse(R"({"name": "planner-config",
                            "mountPath": "/etc/migctl/planner",
                            "readOnly": true})"));
  ASSERT_EQ(pod["volumes"].size(), 9u);
  EXPECT_EQ(pod["volumes"][2],
            json::parse(R"({"name": "planner-config", "configMap": {
                              "name": "migctl-planner-config",
                              "optional": true}})"));
}

TEST(ChartPlannerTest, ValuesBecomeFlags) {
  absl::StatusOr<std::vector<json>> objects = RenderWithPlanner(R"(
  dryRun: true
  logLevel: debug
  batchWindow: 2.5
  applyTimeout: 900
  destroyWeight: 10
  nodeWeight: 3
  maxNodesPerRound: 4
  managedNodeSelector: "pool in (inference,batch),!no-mig"
  protectedNodes: [gpu-node-1, gpu-node-7]
  configMap: my-planner-configs
  agentConfigWait: 90s
  metricsPort: 9090
  serviceAccount: {name: planner-sa}
  nodeSelector: {node-role.kubernetes.io/control-plane: ""}
  tolerations: [{key: node-role.kubernetes.io/control-plane,
                 operator: Exists, effect: NoSchedule}]
  priorityClassName: system-cluster-critical
)");
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* deploy = FindObject(*objects, "Deployment", "migctl-planner");
  ASSERT_NE(deploy, nullptr);
  const json& pod = (*deploy)["spec"]["template"]["spec"];
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["args"], json::parse(R"([
      "--verbose", "planner", "--configmap=my-planner-configs",
      "--metrics-port=9090", "--batch-window=2.5", "--apply-timeout=900",
      "--destroy-weight=10", "--node-weight=3", "--max-nodes-per-round=4",
      "--node-selector=pool in (inference,batch),!no-mig",
      "--protected-node=gpu-node-1", "--protected-node=gpu-node-7",
      "--dry-run"])"));
  EXPECT_EQ(c["ports"][0]["containerPort"], 9090);
  EXPECT_EQ(pod["serviceAccountName"], "planner-sa");
  EXPECT_EQ(pod["priorityClassName"], "system-cluster-critical");
  EXPECT_EQ(pod["nodeSelector"],
            json::parse(R"({"node-role.kubernetes.io/control-plane": ""})"));
  EXPECT_EQ(pod["tolerations"],
            json::parse(R"([{"key": "node-role.kubernetes.io/control-plane",
                             "operator": "Exists",
                             "effect": "NoSchedule"}])"));
  EXPECT_NE(FindObject(*objects, "ServiceAccount", "planner-sa"), nullptr);
  EXPECT_EQ(FindObject(*objects, "ServiceAccount", "migctl-planner"), nullptr);
  const json* role = FindObject(*objects, "Role", "migctl-planner");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ((*role)["rules"][0]["resourceNames"],
            json::parse(R"(["my-planner-configs"])"));
  const json* binding = FindObject(*objects, "RoleBinding", "migctl-planner");
  ASSERT_NE(binding, nullptr);
  EXPECT_EQ((*binding)["subjects"][0]["name"], "planner-sa");
  const json* service =
      FindObject(*objects, "Service", "migctl-planner-metrics");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ((*service)["spec"]["ports"][0]["port"], 9090);
  const json* ds = FindObject(*objects, "DaemonSet", "migctl");
  ASSERT_NE(ds, nullptr);
  const json& agent = (*ds)["spec"]["template"]["spec"];
  EXPECT_EQ(agent["volumes"][2]["configMap"]["name"], "my-planner-configs");
  EXPECT_EQ(agent["containers"][0]["args"].back(), "--config-wait=90s");
}

TEST(ChartPlannerTest, MetricsServiceAndMonitorSelectOnlyThePlanner) {
  absl::StatusOr<std::vector<json>> objects = RenderChart(
      {WriteValues("planner-monitor.yaml",
                   "planner: {enabled: true}\n"
                   "metrics: {serviceMonitor: {enabled: true}}\n")});
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* service =
      FindObject(*objects, "Service", "migctl-planner-metrics");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ((*service)["spec"], json::parse(std::string(R"({
      "type": "ClusterIP", "clusterIP": "None",
      "selector": )") + kPlannerSelector + R"(,
      "ports": [{"name": "metrics", "port": 8080, "targetPort": "metrics",
                 "protocol": "TCP"}]})"));
  const json* monitor =
      FindObject(*objects, "ServiceMonitor", "migctl-planner");
  ASSERT_NE(monitor, nullptr);
  EXPECT_EQ((*monitor)["spec"], json::parse(std::string(R"({
      "selector": {"matchLabels": )") + kPlannerSelector +
                                            R"(},
      "namespaceSelector": {"matchNames": ["gpu-operator"]},
      "endpoints": [{"port": "metrics", "path": "/metrics",
                     "interval": "30s"}]})"));

  // The agent's Service and ServiceMonitor select labels the planner's pod
  // and Service do not all carry (and the other way round).
  auto selects = [](const json& selector, const json& labels) {
    for (auto it = selector.begin(); it != selector.end(); ++it) {
      if (!labels.contains(it.key()) || labels[it.key()] != it.value()) {
        return false;
      }
    }
    return true;
  };
  const json* deploy = FindObject(*objects, "Deployment", "migctl-planner");
  const json* ds = FindObject(*objects, "DaemonSet", "migctl");
  const json* agent_service = FindObject(*objects, "Service", "migctl-metrics");
  const json* agent_monitor = FindObject(*objects, "ServiceMonitor", "migctl");
  ASSERT_NE(deploy, nullptr);
  ASSERT_NE(ds, nullptr);
  ASSERT_NE(agent_service, nullptr);
  ASSERT_NE(agent_monitor, nullptr);
  const json& planner_pod = (*deploy)["spec"]["template"]["metadata"]["labels"];
  const json& agent_pod = (*ds)["spec"]["template"]["metadata"]["labels"];
  EXPECT_FALSE(selects((*agent_service)["spec"]["selector"], planner_pod));
  EXPECT_TRUE(selects((*agent_service)["spec"]["selector"], agent_pod));
  EXPECT_FALSE(selects((*service)["spec"]["selector"], agent_pod));
  EXPECT_TRUE(selects((*service)["spec"]["selector"], planner_pod));
  EXPECT_FALSE(selects((*agent_monitor)["spec"]["selector"]["matchLabels"],
                       (*service)["metadata"]["labels"]));
  EXPECT_FALSE(selects((*monitor)["spec"]["selector"]["matchLabels"],
                       (*agent_service)["metadata"]["labels"]));
  EXPECT_FALSE(selects((*ds)["spec"]["selector"]["matchLabels"], planner_pod));
}

// With NVIDIA's mig-manager applying the labels instead of the agent.
TEST(ChartPlannerTest, RunsWithoutTheAgent) {
  absl::StatusOr<std::vector<json>> objects = RenderChart({WriteValues(
      "planner-only.yaml",
      "planner: {enabled: true}\nmigManager: {enabled: false}\n")});
  ASSERT_TRUE(objects.ok()) << objects.status();
  EXPECT_EQ(FindObject(*objects, "DaemonSet", "migctl"), nullptr);
  EXPECT_NE(FindObject(*objects, "Deployment", "migctl-planner"), nullptr);
  EXPECT_NE(FindObject(*objects, "Role", "migctl-planner"), nullptr);
  EXPECT_NE(FindObject(*objects, "Service", "migctl-planner-metrics"), nullptr);
}

TEST(ChartPlannerTest, NotesNameThePlanner) {
  absl::StatusOr<std::string> notes =
      RenderChartText({WriteValues("planner-notes.yaml",
                                   "planner: {enabled: true, dryRun: true}\n")},
                      /*notes=*/true);
  ASSERT_TRUE(notes.ok()) << notes.status();
  constexpr char kPlannerNotes[] =
      "\n"
      "The planner (Deployment migctl-planner) partitions the GPUs for "
      "pending pods that\n"
      "request nvidia.com/mig-<profile>: it writes their configs into "
      "ConfigMap\n"
      "migctl-planner-config and sets nvidia.com/mig.config on the nodes it "
      "changes.\n"
      "planner.dryRun is true: it only logs its plans.\n"
      "Its decisions:\n"
      "\n"
      "  kubectl -n gpu-operator logs deployment/migctl-planner\n"
      "  kubectl get events -A --field-selector reason=MigPlannerRelabel\n";
  ASSERT_GE(notes->size(), sizeof(kPlannerNotes) - 1);
  EXPECT_EQ(notes->substr(notes->size() - (sizeof(kPlannerNotes) - 1)),
            kPlannerNotes);
}

TEST(ChartPlannerTest, ServiceAccountNameRequiredWithoutCreate) {
  absl::StatusOr<std::vector<json>> objects =
      RenderWithPlanner("  serviceAccount: {create: false}\n");
  ASSERT_FALSE(objects.ok());
  EXPECT_NE(objects.status().message().find(
                "planner.serviceAccount.name is required when "
                "planner.serviceAccount.create is false"),
            std::string::npos)
      << objects.status();
}

}  // namespace
}  // namespace migctl::testing
