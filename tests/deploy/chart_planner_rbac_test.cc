// The planner's RBAC checked against what the planner really calls: the
// chart's rendered planner command (args and POD_NAMESPACE, as the pod would
// get them) runs against the API stand-in until it has planned two nodes,
// and every request it made is allowed by the rendered ClusterRole and Role
// (Kubernetes' RBAC rule semantics), and every rule except `get` on pods and
// nodes (which adds nothing to `list`) is used.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "deploy/chart.h"
#include "support/api_server.h"
#include "support/unschedulable_pod.h"

extern char** environ;

namespace migctl::testing {
namespace {

using nlohmann::json;

// Two empty H100 NVL GPUs with MIG enabled, as the agent publishes them in
// migctl.dev/mig.layout.
constexpr char kEmptyLayout[] =
    R"({"gpus":[{"gpu_instances":[],"index":0,"mig_enabled":true,)"
    R"("model":"H100-NVL","uuid":"GPU-0"},{"gpu_instances":[],"index":1,)"
    R"("mig_enabled":true,"model":"H100-NVL","uuid":"GPU-1"}]})";

json PendingPod(const std::string& name, const std::string& resource) {
  return testing::UnschedulablePod("ml", name, resource);
}

// One API request as RBAC sees it.
struct Access {
  std::string verb;
  std::string resource;
  std::string ns;    // "" for a cluster-wide request
  std::string name;  // "" for a collection
};

// The RBAC attributes of a request to a core/v1 path; nullopt for other
// paths (discovery).
std::optional<Access> AccessOf(const ApiServer::RequestRecord& r) {
  std::string path = r.path.substr(0, r.path.find('?'));
  std::string query = r.path.find('?') == std::string::npos
                          ? ""
                          : r.path.substr(r.path.find('?'));
  if (!absl::StartsWith(path, "/api/v1/")) return std::nullopt;
  std::vector<std::string> parts =
      absl::StrSplit(path.substr(strlen("/api/v1/")), '/', absl::SkipEmpty());
  Access a;
  if (parts.size() > 2 && parts[0] == "namespaces") {
    a.ns = parts[1];
    parts.erase(parts.begin(), parts.begin() + 2);
  }
  if (parts.empty()) return std::nullopt;
  a.resource = parts[0];
  if (parts.size() > 1) a.name = parts[1];
  const bool watch = absl::StrContains(query, "watch=1") ||
                     absl::StrContains(query, "watch=true");
  if (r.method == "GET") {
    a.verb = watch ? "watch" : a.name.empty() ? "list" : "get";
  } else if (r.method == "POST") {
    a.verb = "create";
  } else if (r.method == "PUT") {
    a.verb = "update";
  } else if (r.method == "PATCH") {
    a.verb = "patch";
  } else if (r.method == "DELETE") {
    a.verb = a.name.empty() ? "deletecollection" : "delete";
  }
  return a;
}

bool Has(const json& list, const std::string& value) {
  for (const json& v : list) {
    if (v == "*" || v == value) return true;
  }
  return false;
}

// Whether one of `rules` allows `a` (core group). Names restrict only
// requests that carry a name (create never does), as in Kubernetes.
bool Allows(const json& rules, const Access& a) {
  for (const json& rule : rules) {
    if (!Has(rule["apiGroups"], "") || !Has(rule["resources"], a.resource) ||
        !Has(rule["verbs"], a.verb)) {
      continue;
    }
    if (rule.contains("resourceNames") &&
        (a.name.empty() || !Has(rule["resourceNames"], a.name))) {
      continue;
    }
    return true;
  }
  return false;
}

// `migctl` started in the background with this process's environment plus
// `env` ("NAME=value", replacing NAME), stdout and stderr to `log`.
class Child {
 public:
  Child(const std::vector<std::string>& args,
        const std::vector<std::string>& extra_env, const std::string& log) {
    std::vector<std::string> env = extra_env;
    for (char** e = environ; *e != nullptr; ++e) {
      std::string var = *e;
      bool replaced = false;
      for (const std::string& x : extra_env) {
        replaced |= var.substr(0, var.find('=')) == x.substr(0, x.find('='));
      }
      if (!replaced) env.push_back(var);
    }
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    envp.reserve(env.size() + 1);
    for (const std::string& e : env)
      envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(),
                    envp.data()) != 0) {
      pid_ = -1;
    }
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Child() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
    }
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  bool started() const { return pid_ > 0; }
  bool running() {
    int st = 0;
    if (!status_ && ::waitpid(pid_, &st, WNOHANG) == pid_) status_ = st;
    return !status_;
  }
  // SIGTERM, then its wait status once it exited (within 30 s).
  std::optional<int> Terminate() {
    if (running()) ::kill(pid_, SIGTERM);
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (running() && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    return status_;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

std::string ReadLog(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ChartPlannerRbacTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("chart_planner_rbac_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(server_.Start().ok());
    ASSERT_TRUE(server_.WriteKubeconfig((dir_ / "kubeconfig").string()).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void AddGpuNode(const std::string& name) {
    ASSERT_TRUE(server_.AddNode(name).ok());
    json node = *server_.GetObject("nodes", "", name);
    node["metadata"]["annotations"]["migctl.dev/mig.layout"] = kEmptyLayout;
    ASSERT_TRUE(server_.UpdateObject("nodes", "", node).ok());
  }
  void AddPods(const std::string& prefix, int count,
               const std::string& resource) {
    for (int i = 0; i < count; ++i) {
      ASSERT_TRUE(
          server_
              .CreateObject("pods", "ml",
                            PendingPod(absl::StrCat(prefix, i), resource))
              .ok());
    }
  }
  std::string ConfigLabel(const std::string& node) const {
    std::optional<json> n = server_.GetObject("nodes", "", node);
    if (!n) return "";
    return (*n)["metadata"]["labels"].value("nvidia.com/mig.config", "");
  }
  // Waits (up to 60 s) until `node` carries a planner config label.
  bool WaitForLabel(const std::string& node, Child& planner) {
    const absl::Time deadline = absl::Now() + absl::Seconds(60);
    while (absl::Now() < deadline && planner.running()) {
      if (absl::StartsWith(ConfigLabel(node), "migctl-planner-")) return true;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return false;
  }

  std::filesystem::path dir_;
  ApiServer server_;
};

TEST_F(ChartPlannerRbacTest, EveryCallIsAllowedAndEveryRuleUsed) {
  absl::StatusOr<std::vector<json>> objects = RenderChart({WriteValues(
      "planner-rbac.yaml", "planner: {enabled: true, batchWindow: 0.2}\n")});
  ASSERT_TRUE(objects.ok()) << objects.status();
  const json* deploy = FindObject(*objects, "Deployment", "migctl-planner");
  const json* cluster_role =
      FindObject(*objects, "ClusterRole", "migctl-planner");
  const json* role = FindObject(*objects, "Role", "migctl-planner");
  ASSERT_NE(deploy, nullptr);
  ASSERT_NE(cluster_role, nullptr);
  ASSERT_NE(role, nullptr);
  const std::string release_ns = (*deploy)["metadata"]["namespace"];
  const json& container =
      (*deploy)["spec"]["template"]["spec"]["containers"][0];
  ASSERT_EQ(container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"],
            "metadata.namespace");

  // The pod's command line; no metrics server (any port may be taken) and
  // the stand-in instead of the in-cluster API.
  std::vector<std::string> args = {MIGCTL_BINARY};
  for (const json& a : container["args"]) {
    std::string arg = a.get<std::string>();
    args.push_back(
        absl::StartsWith(arg, "--metrics-port=") ? "--metrics-port=-1" : arg);
  }
  args.push_back("--kubeconfig=" + (dir_ / "kubeconfig").string());
  std::string log = (dir_ / "planner.log").string();

  // Round 1 creates the ConfigMap; round 2 (a second node, other demand)
  // updates it.
  AddGpuNode("gpu-node-1");
  AddPods("small-", 7, "nvidia.com/mig-1g.12gb");
  AddPods("medium-", 1, "nvidia.com/mig-1g.24gb");
  Child planner(args, {"POD_NAMESPACE=" + release_ns}, log);
  ASSERT_TRUE(planner.started());
  ASSERT_TRUE(WaitForLabel("gpu-node-1", planner)) << ReadLog(log);
  AddGpuNode("gpu-node-2");
  AddPods("large-", 2, "nvidia.com/mig-3g.47gb");
  ASSERT_TRUE(WaitForLabel("gpu-node-2", planner)) << ReadLog(log);
  std::optional<int> status = planner.Terminate();
  ASSERT_TRUE(status.has_value()) << ReadLog(log);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << *status << "\n"
      << ReadLog(log);

  std::optional<json> cm =
      server_.GetObject("configmaps", release_ns, "migctl-planner-config");
  ASSERT_TRUE(cm.has_value());
  EXPECT_NE(ConfigLabel("gpu-node-1"), ConfigLabel("gpu-node-2"));

  std::set<std::string> used;  // "resource verb"
  for (const ApiServer::RequestRecord& r : server_.requests()) {
    std::optional<Access> a = AccessOf(r);
    if (!a) continue;
    const bool allowed = Allows((*cluster_role)["rules"], *a) ||
                         (a->ns == release_ns && Allows((*role)["rules"], *a));
    EXPECT_TRUE(allowed) << r.method << " " << r.path;
    used.insert(a->resource + " " + a->verb);
  }
  EXPECT_EQ(used, (std::set<std::string>{
                      "configmaps create", "configmaps get",
                      "configmaps update", "events create", "nodes list",
                      "nodes patch", "nodes watch", "pods list", "pods watch"}))
      << ReadLog(log);
}

}  // namespace
}  // namespace migctl::testing
