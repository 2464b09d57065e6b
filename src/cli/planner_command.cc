// `migctl planner`: the demand-driven planner as a Kubernetes controller
// (planner/controller.h), with /metrics and /healthz.
#include <cstdlib>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/app.h"
#include "cli/stop_on_signals.h"
#include "httplib.h"
#include "kube/client.h"
#include "planner/controller.h"
#include "spdlog/spdlog.h"
#include "util/status_macros.h"

namespace migctl::cli {
namespace {

struct PlannerFlags {
  std::string kubeconfig;
  std::string namespace_;
  std::string configmap = std::string(planner::kDefaultConfigMap);
  double batch_window_s = 10;
  bool dry_run = false;
  bool once = false;
  int metrics_port = 8080;
  std::string node_selector;
  int max_nodes = -1;
  std::vector<std::string> protected_nodes;
  int64_t destroy_weight = 1;
  int64_t node_weight = 1;
  double apply_timeout_s = 600;
};

// The round's outcome for --once and --dry-run.
void PrintRound(Context& ctx, const planner::RoundResult& r, bool dry_run) {
  std::ostream& out = *ctx.out;
  out << "served " << r.plan.report.served << " of " << r.plan.report.requested
      << " requested instance(s) from " << r.demand.counted.size() << " pod(s)";
  if (!r.demand.skipped.empty()) {
    out << "; " << r.demand.skipped.size() << " pod(s) skipped";
  }
  out << "\n";
  for (const planner::SkippedPod& p : r.demand.skipped) {
    out << "skipped " << p.name << ": " << p.reason << "\n";
  }
  if (!r.protected_nodes.empty()) {
    out << "left alone: " << absl::StrJoin(r.protected_nodes, ", ") << "\n";
  }
  for (const auto& [node, config] : r.relabelled) {
    out << (dry_run ? "would set " : "set ") << node << " "
        << planner::kMigConfigLabel << "=" << config << "\n";
  }
  if (dry_run && !r.config_yaml.empty()) {
    out << "ConfigMap " << planner::kConfigMapKey << ":\n" << r.config_yaml;
  }
}

absl::Status RunPlanner(Context& ctx, const PlannerFlags& f) {
  if (f.batch_window_s < 0 || f.apply_timeout_s <= 0) {
    return absl::InvalidArgumentError(
        "--batch-window must be >= 0 and --apply-timeout > 0 (seconds)");
  }
  planner::ControllerOptions o;
  o.namespace_ = f.namespace_;
  if (o.namespace_.empty()) {
    const char* env = std::getenv("POD_NAMESPACE");
    o.namespace_ = env != nullptr && *env != '\0' ? env : "migctl";
  }
  o.configmap = f.configmap;
  o.batch_window = absl::Seconds(f.batch_window_s);
  o.dry_run = f.dry_run;
  o.node_selector = f.node_selector;
  o.policy.max_nodes_touched = f.max_nodes;
  o.policy.protected_nodes = f.protected_nodes;
  o.policy.destroy_weight = f.destroy_weight;
  o.policy.node_weight = f.node_weight;
  o.apply_timeout = absl::Seconds(f.apply_timeout_s);

  // Before any thread starts, so that every thread has the signals blocked.
  std::stop_source stop;
  StopOnSignals signals(stop);
  ASSIGN_OR_RETURN(std::unique_ptr<kube::Client> client,
                   kube::Client::ForCommand(f.kubeconfig));
  planner::Controller controller(*client, o);
  if (f.once) {
    ASSIGN_OR_RETURN(planner::RoundResult r, controller.RunOnce());
    PrintRound(ctx, r, f.dry_run);
    return absl::OkStatus();
  }

  std::unique_ptr<httplib::Server> http;
  std::jthread http_thread;
  if (f.metrics_port >= 0) {
    http = std::make_unique<httplib::Server>();
    http->Get("/healthz", [](const httplib::Request&, httplib::Response& r) {
      r.set_content("ok\n", "text/plain");
    });
    http->Get("/metrics", [&controller](const httplib::Request&,
                                        httplib::Response& r) {
      r.set_content(controller.MetricsText(), "text/plain; version=0.0.4");
    });
    const int port =
        f.metrics_port == 0
            ? http->bind_to_any_port("0.0.0.0")
            : (http->bind_to_port("0.0.0.0", f.metrics_port) ? f.metrics_port
                                                             : -1);
    if (port < 0) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve /metrics on port ", f.metrics_port));
    }
    spdlog::info("Serving /metrics and /healthz on port {}", port);
    http_thread = std::jthread([&http] { http->listen_after_bind(); });
  }
  spdlog::info("migctl planner: ConfigMap {}/{}, batch window {}s, nodes {}{}",
               o.namespace_, o.configmap, f.batch_window_s,
               o.node_selector.empty() ? std::string("all") : o.node_selector,
               o.dry_run ? " (dry run: writes nothing)" : "");
  absl::Status s = controller.Run(stop.get_token());
  if (http) http->stop();
  return s;
}

}  // namespace

void AddPlannerCommands(CLI::App& app, Context& ctx) {
  auto f = std::make_shared<PlannerFlags>();
  CLI::App* cmd = app.add_subcommand(
      "planner",
      "Run the demand-driven MIG planner as a controller: watch pending "
      "pods that request nvidia.com/mig-<profile> and cannot be scheduled, "
      "and the nodes' migctl.dev/mig.layout annotations (published by "
      "`migctl agent`); after a batch window, plan the cluster, write each "
      "changed node's mig-parted config into the planner's ConfigMap, then "
      "set the node's nvidia.com/mig.config label to it (the agent or "
      "NVIDIA's mig-manager applies it). docs/planner.md has the details");
  cmd->add_option(
         "--kubeconfig", f->kubeconfig,
         "kubeconfig (default: in-cluster, else $KUBECONFIG or ~/.kube/config)")
      ->envname("KUBECONFIG");
  cmd->add_option("--namespace", f->namespace_,
                  "Namespace of the ConfigMap (default: $POD_NAMESPACE, else "
                  "migctl)");
  cmd->add_option("--configmap", f->configmap,
                  "The planner's ConfigMap (key config.yaml, label "
                  "app.kubernetes.io/managed-by=migctl-planner); an existing "
                  "one without that label is never overwritten")
      ->capture_default_str();
  cmd->add_option("--batch-window", f->batch_window_s,
                  "Seconds to wait after a change so that more changes join "
                  "the same round")
      ->capture_default_str();
  cmd->add_flag("--dry-run", f->dry_run,
                "Plan and log the plan, write nothing (with --once, print "
                "the ConfigMap it would write)");
  cmd->add_flag("--once", f->once,
                "Run one round now, print what it did and exit");
  cmd->add_option("--metrics-port", f->metrics_port,
                  "Port of /metrics and /healthz (-1: none; 0: any)")
      ->capture_default_str();
  cmd->add_option("--node-selector", f->node_selector,
                  "Label selector of the nodes to plan (default: every node "
                  "with the layout annotation)");
  cmd->add_option("--max-nodes-per-round", f->max_nodes,
                  "Most nodes relabelled per round (-1: no limit)")
      ->capture_default_str();
  cmd->add_option("--protected-node", f->protected_nodes,
                  "A node never to change (repeatable)");
  cmd->add_option("--destroy-weight", f->destroy_weight,
                  "Cost of destroying one idle instance")
      ->capture_default_str();
  cmd->add_option("--node-weight", f->node_weight,
                  "Cost of reconfiguring one node")
      ->capture_default_str();
  cmd->add_option("--apply-timeout", f->apply_timeout_s,
                  "Seconds a relabelled node has to report "
                  "nvidia.com/mig.config.state=success before a Warning "
                  "Event and a back-off")
      ->capture_default_str();
  cmd->callback(
      [&ctx, f] { ctx.action = [&ctx, f] { return RunPlanner(ctx, *f); }; });
}

}  // namespace migctl::cli
