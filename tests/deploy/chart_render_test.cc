// deploy/helm/migctl rendered by tests/support/helmrender (as `helm template`
// would), with the chart's default values and with the story's GPU Operator
// values (examples/gpu-operator-values.yaml): the objects, the agent's
// image, arguments, environment, mounts and probes, the RBAC rules and the
// configs, exactly.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "deploy/chart.h"

namespace migctl::testing {
namespace {

using nlohmann::json;

TEST(ChartRenderTest, DefaultValuesRenderTheseObjects) {
  absl::StatusOr<std::vector<json>> objects = RenderChart({});
  ASSERT_TRUE(objects.ok()) << objects.status();
  std::vector<std::string> names;
  for (const json& o : *objects) {
    names.push_back(o["kind"].get<std::string>() + "/" +
                    o["metadata"]["name"].get<std::string>());
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "ServiceAccount/migctl",
                       "ConfigMap/default-mig-parted-config",
                       "ConfigMap/default-gpu-clients",
                       "ClusterRole/migctl",
                       "ClusterRoleBinding/migctl",
                       "Service/migctl-metrics",
                       "DaemonSet/migctl",
                   }));
  for (const json& o : *objects) {
    if (o["kind"] == "ClusterRole" || o["kind"] == "ClusterRoleBinding") {
      EXPECT_FALSE(o["metadata"].contains("namespace")) << o["kind"];
    } else {
      EXPECT_EQ(o["metadata"]["namespace"], "gpu-operator") << o["kind"];
    }
    EXPECT_EQ(o["metadata"]["labels"],
              json::parse(R"({"app.kubernetes.io/name": "migctl",
                              "app.kubernetes.io/instance": "migctl",
                              "app.kubernetes.io/version": "0.1.0",
                              "app.kubernetes.io/managed-by": "Helm",
                              "helm.sh/chart": "migctl-0.1.0"})"));
  }
}

TEST(ChartRenderTest, DefaultAgentDaemonSet) {
  absl::StatusOr<std::vector<json>> objects = RenderChart({});
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* ds = FindObject(*objects, "DaemonSet", "migctl");
  ASSERT_NE(ds, nullptr);
  const json& pod = (*ds)["spec"]["template"]["spec"];
  EXPECT_EQ((*ds)["spec"]["selector"]["matchLabels"],
            json::parse(R"({"app.kubernetes.io/name": "migctl",
                            "app.kubernetes.io/instance": "migctl"})"));
  EXPECT_EQ(pod["serviceAccountName"], "migctl");
  EXPECT_EQ(pod["priorityClassName"], "system-node-critical");
  EXPECT_EQ(pod["nodeSelector"],
            json::parse(R"({"nvidia.com/gpu.present": "true"})"));
  EXPECT_EQ(pod["tolerations"],
            json::parse(R"([{"key": "nvidia.com/gpu", "operator": "Exists",
                             "effect": "NoSchedule"}])"));
  ASSERT_EQ(pod["containers"].size(), 1u);
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "ghcr.io/migctl/migctl:0.1.0");
  EXPECT_EQ(c["args"], json::parse(R"([
      "agent", "--health-port=8080",
      "--reboot-command=dbus-send --system --print-reply --dest=org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager.Reboot boolean:false",
      "--device-plugin", "--socket-dir=/var/lib/kubelet/device-plugins",
      "--device-plugin-poll=1000"])"));
  EXPECT_EQ(c["env"], json::parse(R"([
      {"name": "NODE_NAME",
       "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
      {"name": "CONFIG_FILE", "value": "/etc/migctl/config/config.yaml"},
      {"name": "GPU_CLIENTS_FILE",
       "value": "/etc/migctl/gpu-clients/clients.yaml"},
      {"name": "MIG_STRATEGY", "value": "single"},
      {"name": "WITH_REBOOT", "value": "false"},
      {"name": "WITH_SHUTDOWN_HOST_GPU_CLIENTS", "value": "false"}])"));
  EXPECT_EQ(c["securityContext"], json::parse(R"({"privileged": true})"));
  EXPECT_EQ(c["ports"], json::parse(R"([{"name": "metrics",
      "containerPort": 8080, "protocol": "TCP"}])"));
  EXPECT_EQ(c["livenessProbe"], json::parse(R"({"httpGet": {"path": "/healthz",
      "port": "metrics"}, "periodSeconds": 10, "failureThreshold": 3})"));
  EXPECT_EQ(c["readinessProbe"], json::parse(R"({"httpGet": {"path": "/readyz",
      "port": "metrics"}, "periodSeconds": 5})"));
  EXPECT_EQ(c["resources"], json::parse(R"({"requests": {"cpu": "10m",
      "memory": "32Mi"}, "limits": {"memory": "128Mi"}})"));
  EXPECT_EQ(c["volumeMounts"], json::parse(R"([
      {"name": "config", "mountPath": "/etc/migctl/config", "readOnly": true},
      {"name": "gpu-clients", "mountPath": "/etc/migctl/gpu-clients",
       "readOnly": true},
      {"name": "device-plugins", "mountPath": "/var/lib/kubelet/device-plugins"},
      {"name": "driver-libs", "mountPath": "/usr/local/nvidia/lib64",
       "readOnly": true},
      {"name": "run-nvidia", "mountPath": "/run/nvidia",
       "mountPropagation": "HostToContainer"},
      {"name": "dbus", "mountPath": "/run/dbus/system_bus_socket"},
      {"name": "state", "mountPath": "/run/migctl"},
      {"name": "pod-resources", "mountPath": "/var/lib/kubelet/pod-resources",
       "readOnly": true}])"));
  EXPECT_EQ(pod["volumes"], json::parse(R"([
      {"name": "config", "configMap": {"name": "default-mig-parted-config"}},
      {"name": "gpu-clients", "configMap": {"name": "default-gpu-clients"}},
      {"name": "device-plugins", "hostPath": {
        "path": "/var/lib/kubelet/device-plugins", "type": "Directory"}},
      {"name": "driver-libs", "hostPath": {
        "path": "/usr/lib/x86_64-linux-gnu", "type": "Directory"}},
      {"name": "run-nvidia", "hostPath": {
        "path": "/run/nvidia", "type": "DirectoryOrCreate"}},
      {"name": "dbus", "hostPath": {
        "path": "/run/dbus/system_bus_socket", "type": "Socket"}},
      {"name": "state", "hostPath": {
        "path": "/run/migctl", "type": "DirectoryOrCreate"}},
      {"name": "pod-resources", "hostPath": {
        "path": "/var/lib/kubelet/pod-resources", "type": "DirectoryOrCreate"}}])"));
}

TEST(ChartRenderTest, LeastPrivilegeRbac) {
  absl::StatusOr<std::vector<json>> objects = RenderChart({});
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* role = FindObject(*objects, "ClusterRole", "migctl");
  ASSERT_NE(role, nullptr);
  EXPECT_EQ((*role)["rules"], json::parse(R"([
      {"apiGroups": [""], "resources": ["nodes"],
       "verbs": ["get", "list", "watch", "patch"]},
      {"apiGroups": [""], "resources": ["events"], "verbs": ["create"]},
      {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}])"));
  const json* binding = FindObject(*objects, "ClusterRoleBinding", "migctl");
  ASSERT_NE(binding, nullptr);
  EXPECT_EQ((*binding)["roleRef"],
            json::parse(R"({"apiGroup": "rbac.authorization.k8s.io",
                            "kind": "ClusterRole", "name": "migctl"})"));
  EXPECT_EQ((*binding)["subjects"],
            json::parse(R"([{"kind": "ServiceAccount", "name": "migctl",
                             "namespace": "gpu-operator"}])"));
}

TEST(ChartRenderTest, DefaultConfigIsTheShippedConfigs) {
  absl::StatusOr<std::vector<json>> objects = RenderChart({});
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* cm =
      FindObject(*objects, "ConfigMap", "default-mig-parted-config");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ((*cm)["data"].size(), 1u);
  EXPECT_EQ((*cm)["data"]["config.yaml"],
            ReadSourceFile("tests/config/testdata/config-default.yaml"));
  const json* clients =
      FindObject(*objects, "ConfigMap", "default-gpu-clients");
  ASSERT_NE(clients, nullptr);
  EXPECT_EQ((*clients)["data"]["clients.yaml"],
            "version: v1\n"
            "systemd-services:\n"
            "  - nvsm.service\n"
            "  - nvsm-mqtt.service\n"
            "  - nvsm-core.service\n"
            "  - nvsm-api-gateway.service\n"
            "  - nvsm-notifier.service\n"
            "  - nv_peer_mem.service\n"
            "  - nvidia-dcgm.service\n"
            "  - dcgm.service\n"
            "  - dcgm-exporter.service\n");
}

TEST(ChartRenderTest, StoryValues) {
  absl::StatusOr<std::vector<json>> objects =
      RenderChart({SourcePath("examples/gpu-operator-values.yaml")});
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* cm = FindObject(*objects, "ConfigMap", "custom-mig-config");
  ASSERT_NE(cm, nullptr);
  EXPECT_EQ(FindObject(*objects, "ConfigMap", "default-mig-parted-config"),
            nullptr);
  // MISSION.md, step 3, as the values file's `|-` block holds it.
  EXPECT_EQ((*cm)["data"], json({{"config.yaml", R"(version: v1
mig-configs:
  custom-mig:
    - devices: [0]
      mig-enabled: true
      mig-devices:
        "1g.12gb": 2
    - devices: [1]
      mig-enabled: true
      mig-devices:
        "1g.24gb": 1
        "1g.12gb": 5)"}}));
  const json* ds = FindObject(*objects, "DaemonSet", "migctl");
  ASSERT_NE(ds, nullptr);
  const json& pod = (*ds)["spec"]["template"]["spec"];
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["env"], json::parse(R"([
      {"name": "NODE_NAME",
       "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
      {"name": "CONFIG_FILE", "value": "/etc/migctl/config/config.yaml"},
      {"name": "GPU_CLIENTS_FILE",
       "value": "/etc/migctl/gpu-clients/clients.yaml"},
      {"name": "MIG_STRATEGY", "value": "mixed"},
      {"name": "WITH_REBOOT", "value": "true"}])"));
  EXPECT_EQ(pod["volumes"][0], json::parse(R"({"name": "config",
                            "configMap": {"name": "custom-mig-config"}})"));
  EXPECT_EQ(c["image"], "ghcr.io/migctl/migctl:0.1.0");
}

TEST(ChartRenderTest, NotesNameTheLabelCommand) {
  absl::StatusOr<std::string> notes =
      RenderChartText({SourcePath("examples/gpu-operator-values.yaml")},
                      /*notes=*/true);
  ASSERT_TRUE(notes.ok()) << notes.status();
  EXPECT_EQ(*notes,
            "migctl 0.1.0 is installed in namespace gpu-operator.\n"
            "\n"
            "The agent runs on the nodes labelled nvidia.com/gpu.present=true "
            "(DaemonSet migctl):\n"
            "\n"
            "  kubectl -n gpu-operator rollout status daemonset/migctl\n"
            "\n"
            "Next, pick a MIG config from ConfigMap custom-mig-config for a "
            "node:\n"
            "\n"
            "  kubectl label nodes <node> nvidia.com/mig.config=<config> "
            "--overwrite\n"
            "\n"
            "and follow it (pending -> success, or failed; rebooting when a "
            "reboot is needed):\n"
            "\n"
            "  kubectl get node <node> -L "
            "nvidia.com/mig.config,nvidia.com/mig.config.state\n");
}

TEST(ChartRenderTest, OwnSectionsSwitchParts) {
  absl::StatusOr<std::vector<json>> objects =
      RenderChart({SourcePath("examples/gpu-operator-values.yaml"),
                   WriteValues("switches.yaml", R"(
devicePlugin: {enabled: false}
labels: {enabled: false}
hostPaths: {driverRoot: /run/nvidia/driver}
metrics: {serviceMonitor: {enabled: true, labels: {release: prom}}}
agent:
  logLevel: debug
  observeOnly: true
  image: {repository: registry.example/migctl, tag: "1.2.3"}
  tolerations: null
  nodeSelector: {nvidia.com/gpu.present: null, nvidia.com/mig.capable: "true"}
migManager: {gpuClients: {create: false, name: my-clients}}
)")});
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* ds = FindObject(*objects, "DaemonSet", "migctl");
  ASSERT_NE(ds, nullptr);
  const json& pod = (*ds)["spec"]["template"]["spec"];
  const json& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "registry.example/migctl:1.2.3");
  EXPECT_EQ(c["args"], json::parse(R"([
      "--verbose", "agent", "--health-port=8080",
      "--reboot-command=dbus-send --system --print-reply --dest=org.freedesktop.login1 /org/freedesktop/login1 org.freedesktop.login1.Manager.Reboot boolean:false",
      "--no-device-plugin", "--no-labels", "--observe-only"])"));
  EXPECT_FALSE(pod.contains("tolerations"));
  EXPECT_EQ(pod["nodeSelector"],
            json::parse(R"({"nvidia.com/mig.capable": "true"})"));
  EXPECT_EQ(pod["volumes"][1], json::parse(R"({"name": "gpu-clients",
                            "configMap": {"name": "my-clients"}})"));
  EXPECT_EQ(pod["volumes"][3]["hostPath"]["path"],
            "/run/nvidia/driver/usr/lib/x86_64-linux-gnu");
  EXPECT_EQ(FindObject(*objects, "ConfigMap", "default-gpu-clients"), nullptr);
  const json* monitor = FindObject(*objects, "ServiceMonitor", "migctl");
  ASSERT_NE(monitor, nullptr);
  EXPECT_EQ((*monitor)["metadata"]["labels"]["release"], "prom");
  EXPECT_EQ((*monitor)["spec"]["endpoints"],
            json::parse(R"([{"port": "metrics", "path": "/metrics",
                             "interval": "30s"}])"));
}

TEST(ChartRenderTest, MigManagerDisabledRendersNoAgent) {
  absl::StatusOr<std::vector<json>> objects = RenderChart(
      {WriteValues("disabled.yaml", "migManager: {enabled: false}\n")});
  ASSERT_TRUE(objects.ok()) << objects.status();
  EXPECT_EQ(FindObject(*objects, "DaemonSet", "migctl"), nullptr);
  EXPECT_EQ(FindObject(*objects, "Service", "migctl-metrics"), nullptr);
  EXPECT_NE(FindObject(*objects, "ClusterRole", "migctl"), nullptr);
}

TEST(ChartRenderTest, RequiredValuesFailTheRender) {
  absl::StatusOr<std::vector<json>> objects = RenderChart(
      {WriteValues("no-sa.yaml", "serviceAccount: {create: false}\n")});
  ASSERT_FALSE(objects.ok());
  EXPECT_NE(objects.status().message().find(
                "serviceAccount.name is required when serviceAccount.create "
                "is false"),
            std::string::npos)
      << objects.status();
}

}  // namespace
}  // namespace migctl::testing
