#include "agent/status_board.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/config_files.h"
#include "agent/labels.h"
#include "kube/node.h"
#include "reconcile/apply.h"
#include "reconcile/gpu_state.h"

namespace migctl::agent {
namespace {

GpuStatus ReadGpu(nvml::Nvml& nvml, int gpu) {
  GpuStatus out;
  out.index = gpu;
  absl::StatusOr<nvml::DeviceInfo> device = nvml.GetDevice(gpu);
  if (!device.ok()) {
    out.health = std::string(device.status().message());
    return out;
  }
  out.name = device->name;
  out.uuid = device->uuid;
  absl::StatusOr<reconcile::GpuState> s = reconcile::ReadGpuState(nvml, gpu);
  if (!s.ok()) {
    if (s.status().code() != absl::StatusCode::kNotFound) {
      out.health = std::string(s.status().message());
    }
    return out;  // NOT_FOUND: a model migctl does not know
  }
  out.model = s->model->key;
  out.memory_slices = s->model->memory_slices;
  out.compute_slices = s->model->compute_slices;
  out.mode = s->mode;
  for (const reconcile::InstanceState& i : s->instances) {
    const mig::GpuInstanceProfile* p =
        s->model->FindProfileById(i.gi.profile_id);
    if (p != nullptr) out.compute_slices_used += p->slices;
    out.instances.push_back(
        {p != nullptr ? p->name : absl::StrCat("profile ", i.gi.profile_id),
         i.gi.id, i.gi.placement.start, i.gi.placement.size, i.busy()});
  }
  std::sort(out.instances.begin(), out.instances.end(),
            [](const InstanceStatus& a, const InstanceStatus& b) {
              return a.start < b.start;
            });
  return out;
}

// What reaching `config` from the GPUs' current state takes.
std::vector<std::string> PendingOperations(
    nvml::Nvml& nvml, const std::vector<std::string>& config_paths,
    const std::string& config) {
  absl::StatusOr<MergedConfigs> configs = LoadMigConfigs(config_paths);
  if (!configs.ok()) return {std::string(configs.status().message())};
  if (configs->file.Find(config) == nullptr) {
    if (configs->missing.size() == config_paths.size() &&
        !configs->missing.empty()) {
      return {std::string(configs->missing.front().message())};
    }
    std::string why = absl::StrCat("no MIG config named \"", config, "\" in ",
                                   JoinPaths(config_paths));
    for (const absl::Status& missing : configs->missing) {
      absl::StrAppend(&why, "; ", missing.message());
    }
    return {why};
  }
  reconcile::PlanOptions quiet;
  quiet.log_entries = false;
  absl::StatusOr<reconcile::NodePlan> plan =
      reconcile::PlanNode(nvml, configs->file, config, quiet);
  if (!plan.ok()) {
    return {absl::StrCat("cannot reach \"", config,
                         "\": ", plan.status().message())};
  }
  std::vector<std::string> out;
  for (const reconcile::GpuPlan& gpu : plan->gpus) {
    for (const reconcile::Operation& op : gpu.operations) {
      out.push_back(absl::StrCat("GPU ", gpu.gpu, ": ",
                                 reconcile::Describe(*gpu.model, op)));
    }
  }
  return out;
}

}  // namespace

void StatusBoard::ObserveNode(const nlohmann::json& node) {
  absl::StatusOr<kube::NodeMetadata> meta = kube::ReadNodeMetadata(node);
  if (!meta.ok()) return;  // keeps what the last well-formed Node said
  std::map<std::string, std::string> labels;
  for (const auto& [key, value] : meta->labels) {
    if (absl::StartsWith(key, "nvidia.com/mig") ||
        absl::StartsWith(key, "nvidia.com/gpu.")) {
      labels[key] = value;
    }
  }
  std::string failure;
  auto annotation = meta->annotations.find(std::string(kFailureAnnotation));
  if (annotation != meta->annotations.end()) failure = annotation->second;
  absl::MutexLock lock(&mu_);
  labels_ = std::move(labels);
  failure_ = std::move(failure);
}

void StatusBoard::SetPhase(std::string phase) {
  absl::MutexLock lock(&mu_);
  phase_ = std::move(phase);
}

void StatusBoard::RecordReconfiguration(ReconfigurationStatus result) {
  absl::MutexLock lock(&mu_);
  last_ = std::move(result);
}

NodeStatus StatusBoard::Snapshot() const {
  NodeStatus out;
  absl::MutexLock lock(&mu_);
  out.labels = labels_;
  out.failure = failure_;
  out.phase = phase_;
  out.last = last_;
  if (auto it = labels_.find(std::string(kConfigLabel)); it != labels_.end()) {
    out.config_label = it->second;
  }
  if (auto it = labels_.find(std::string(kStateLabel)); it != labels_.end()) {
    out.state_label = it->second;
  }
  return out;
}

NodeStatus CollectNodeStatus(nvml::Nvml& nvml, const StatusBoard& board,
                             const std::string& node_name,
                             const std::vector<std::string>& config_paths,
                             absl::Time now) {
  NodeStatus out = board.Snapshot();
  out.node = node_name;
  out.time = now;
  absl::StatusOr<int> count = nvml.DeviceCount();
  if (!count.ok()) {
    out.pending.push_back(std::string(count.status().message()));
    return out;
  }
  for (int gpu = 0; gpu < *count; ++gpu) {
    out.gpus.push_back(ReadGpu(nvml, gpu));
    const GpuStatus& g = out.gpus.back();
    if (g.memory_slices > 0 && g.mode.pending != g.mode.current) {
      out.pending.push_back(
          absl::StrCat("GPU ", gpu, ": MIG mode change to ",
                       g.mode.pending ? "enabled" : "disabled",
                       " waits for a GPU reset or a reboot"));
    }
  }
  if (!out.config_label.empty()) {
    for (std::string& op :
         PendingOperations(nvml, config_paths, out.config_label)) {
      out.pending.push_back(std::move(op));
    }
  }
  return out;
}

}  // namespace migctl::agent
