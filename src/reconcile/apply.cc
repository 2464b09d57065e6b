#include "reconcile/apply.h"

#include <algorithm>
#include <functional>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "reconcile/journal.h"
#include "spdlog/spdlog.h"
#include "util/absl_fmt.h"
#include "util/status_macros.h"

namespace migctl::reconcile {
namespace {

// Go's fmt of a []int, as mig-parted logs it: "[0 1]".
std::string GoList(const std::vector<int>& v) {
  return absl::StrCat("[", absl::StrJoin(v, " "), "]");
}

// Go's fmt of a map[string]int (keys sorted): "map[1g.12gb:5 1g.24gb:1]".
std::string GoMap(const mig::GpuModel& model,
                  const mig::ProfileCounts& counts) {
  std::map<std::string, int> by_name;
  for (const auto& [id, n] : counts) {
    if (n > 0) by_name[model.FindProfileById(id)->name] = n;
  }
  std::vector<std::string> parts;
  parts.reserve(by_name.size());
  for (const auto& [name, n] : by_name)
    parts.push_back(absl::StrCat(name, ":", n));
  return absl::StrCat("map[", absl::StrJoin(parts, " "), "]");
}

std::string DevicesOf(const config::MigConfigEntry& e) {
  return e.all_devices ? "all" : GoList(e.devices);
}

// Every GPU's state, with the pods of its instances when `options` can
// tell them.
absl::StatusOr<std::vector<GpuState>> ReadNode(nvml::Nvml& nvml,
                                               const PlanOptions& options) {
  ASSIGN_OR_RETURN(int count, nvml.DeviceCount());
  std::map<int, GpuPods> pods;
  if (options.pods) pods = options.pods();
  std::vector<GpuState> states;
  for (int gpu = 0; gpu < count; ++gpu) {
    ASSIGN_OR_RETURN(GpuState s, ReadGpuState(nvml, gpu));
    if (auto on = pods.find(gpu); on != pods.end()) {
      s.pods = on->second.whole_gpu;
      for (InstanceState& i : s.instances) {
        if (auto it = on->second.instances.find(i.gi.id);
            it != on->second.instances.end()) {
          i.pods = it->second;
        }
      }
    }
    states.push_back(std::move(s));
  }
  return states;
}

// Runs one planned operation; `created` maps placements of GPU instances
// created earlier in this apply to their ids.
absl::Status Run(nvml::Nvml& nvml, int gpu, const Operation& op,
                 std::map<int, int>& created) {
  switch (op.kind) {
    case OpKind::kSetMigMode:
      return absl::InternalError("mode changes run in their own phase");
    case OpKind::kDestroyComputeInstance:
      return nvml.DestroyComputeInstance(gpu, op.gi_id, op.ci_id);
    case OpKind::kDestroyGpuInstance:
      return nvml.DestroyGpuInstance(gpu, op.gi_id);
    case OpKind::kCreateGpuInstance: {
      ASSIGN_OR_RETURN(
          nvml::GpuInstance gi,
          nvml.CreateGpuInstance(gpu, op.gi_profile_id, op.placement));
      created[op.placement.start] = gi.id;
      return absl::OkStatus();
    }
    case OpKind::kCreateComputeInstance: {
      int gi_id = op.gi_id >= 0 ? op.gi_id : created.at(op.placement.start);
      return nvml.CreateComputeInstance(gpu, gi_id, op.ci_profile_id).status();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<NodePlan> PlanStates(const std::vector<GpuState>& states,
                                    const GpuTargets& targets,
                                    absl::string_view label,
                                    const PlanOptions& options) {
  NodePlan plan;
  plan.config_name = std::string(label);
  for (const GpuState& s : states) {
    auto target = targets.find(s.index);
    if (target == targets.end()) {
      plan.unmatched.push_back(s.index);
      continue;
    }
    ASSIGN_OR_RETURN(GpuPlan gpu_plan, PlanGpu(s, target->second, options));
    plan.gpus.push_back(std::move(gpu_plan));
  }
  return plan;
}

}  // namespace

bool NodePlan::already_applied() const {
  return std::all_of(gpus.begin(), gpus.end(),
                     [](const GpuPlan& g) { return g.already_applied(); });
}

bool ApplyResult::pending() const {
  return std::any_of(gpus.begin(), gpus.end(),
                     [](const GpuOutcome& g) { return g.pending; });
}

absl::StatusOr<NodePlan> PlanNode(nvml::Nvml& nvml,
                                  const config::MigConfigFile& file,
                                  absl::string_view name,
                                  const PlanOptions& options) {
  if (file.Find(name) == nullptr) {
    std::vector<std::string> names;
    for (const auto& [n, entries] : file.configs) names.push_back(n);
    return absl::NotFoundError(
        absl::StrCat("no MIG config named \"", name,
                     "\"; the file has: ", absl::StrJoin(names, ", ")));
  }
  ASSIGN_OR_RETURN(std::vector<GpuState> states, ReadNode(nvml, options));
  GpuTargets targets;
  for (const GpuState& s : states) {
    absl::StatusOr<config::GpuTarget> target = config::SelectForGpu(
        file, name, s.index, *s.model, s.device.pci_subsystem_id);
    if (absl::IsNotFound(target.status())) continue;
    if (!target.ok()) return target.status();
    for (const config::MigConfigEntry* e : target->entries) {
      if (options.log_entries) {
        spdlog::info("Walking MigConfig for (devices={})", DevicesOf(*e));
      }
    }
    targets[s.index] = *std::move(target);
  }
  return PlanStates(states, targets, name, options);
}

absl::StatusOr<NodePlan> PlanTargets(nvml::Nvml& nvml,
                                     const GpuTargets& targets,
                                     absl::string_view label,
                                     const PlanOptions& options) {
  ASSIGN_OR_RETURN(std::vector<GpuState> states, ReadNode(nvml, options));
  return PlanStates(states, targets, label, options);
}

namespace {

// Index of the plan's MIG mode operation, or -1: operations up to and
// including it form the mode phase, the rest the config phase.
int ModeOpIndex(const GpuPlan& p) {
  for (size_t k = 0; k < p.operations.size(); ++k) {
    if (p.operations[k].kind == OpKind::kSetMigMode) return static_cast<int>(k);
  }
  return -1;
}

class Executor {
 public:
  Executor(nvml::Nvml& nvml, const NodePlan& plan, const ApplyOptions& options)
      : nvml_(nvml), plan_(plan), options_(options) {}

  absl::StatusOr<ApplyResult> Run() {
    ApplyResult result;
    result.plan = plan_;
    RETURN_IF_ERROR(BeginJournal());
    bool any_mode = false;
    for (const GpuPlan& p : plan_.gpus) {
      GpuOutcome o{p.gpu, !p.already_applied(), false, nvml::Return::kSuccess,
                   p.gpu_holders};
      if (p.already_applied()) {
        spdlog::info("GPU {}: Skipping -- already set to desired value", p.gpu);
      }
      result.gpus.push_back(o);
      any_mode = any_mode || ModeOpIndex(p) >= 0;
    }
    if (any_mode) {
      RETURN_IF_ERROR(options_.hooks.Run(config::kPreApplyMode));
      for (size_t g = 0; g < plan_.gpus.size(); ++g) {
        const GpuPlan& p = plan_.gpus[g];
        const int mode_op = ModeOpIndex(p);
        for (int k = 0; k <= mode_op; ++k) {
          RETURN_IF_ERROR(Step(g, k, result.gpus[g]));
        }
      }
    }
    bool any_config = false;
    for (size_t g = 0; g < plan_.gpus.size(); ++g) {
      const GpuPlan& p = plan_.gpus[g];
      if (!result.gpus[g].pending &&
          ModeOpIndex(p) + 1 < static_cast<int>(p.operations.size())) {
        any_config = true;
      }
    }
    if (any_config) {
      RETURN_IF_ERROR(options_.hooks.Run(config::kPreApplyConfig));
      for (size_t g = 0; g < plan_.gpus.size(); ++g) {
        const GpuPlan& p = plan_.gpus[g];
        if (result.gpus[g].pending) continue;
        const int first = ModeOpIndex(p) + 1;
        if (first < static_cast<int>(p.operations.size())) {
          spdlog::info("GPU {}: Updating MIG config: {}", p.gpu,
                       GoMap(*p.model, mig::CountProfiles(p.target_layout)));
        }
        for (int k = first; k < static_cast<int>(p.operations.size()); ++k) {
          RETURN_IF_ERROR(Step(g, k, result.gpus[g]));
        }
      }
    }
    if (journal_) RETURN_IF_ERROR(journal_->Finish());
    return result;
  }

  absl::Status BeginJournal() {
    if (options_.journal_path.empty()) return absl::OkStatus();
    journal_.emplace(options_.journal_path);
    ASSIGN_OR_RETURN(std::optional<JournalRecord> left, journal_->Read());
    if (left) {
      spdlog::warn(
          "Resuming after an interrupted apply of \"{}\" ({} of {} operations "
          "had completed); planning again from the GPUs' current state",
          left->config, left->done(), left->entries.size());
    }
    JournalRecord record{plan_.config_name, {}};
    entry_of_.resize(plan_.gpus.size());
    for (size_t g = 0; g < plan_.gpus.size(); ++g) {
      for (const Operation& op : plan_.gpus[g].operations) {
        entry_of_[g].push_back(static_cast<int>(record.entries.size()));
        record.entries.push_back(
            {plan_.gpus[g].gpu, Describe(*plan_.gpus[g].model, op), false});
      }
    }
    if (record.entries.empty()) {
      // Nothing to do: the interrupted apply's record, if any, is done with.
      absl::Status removed = left ? journal_->Finish() : absl::OkStatus();
      journal_.reset();
      return removed;
    }
    return journal_->Begin(record);
  }

  // Runs operation `k` of GPU plan `g`, recorded in the journal around it.
  absl::Status Step(size_t g, int k, GpuOutcome& outcome) {
    const GpuPlan& p = plan_.gpus[g];
    const Operation& op = p.operations[k];
    if (options_.progress) options_.progress(Progress(g, k));
    if (journal_) RETURN_IF_ERROR(journal_->Intend(entry_of_[g][k]));
    absl::Status s;
    if (op.kind == OpKind::kSetMigMode) {
      s = SetMode(p, op, outcome);
    } else {
      spdlog::debug("GPU {}: {} ({})", p.gpu, Describe(*p.model, op), op.why);
      s = reconcile::Run(nvml_, p.gpu, op, created_[p.gpu]);
    }
    if (!s.ok()) {
      return absl::Status(
          s.code(), absl::StrCat("GPU ", p.gpu, ": ", Describe(*p.model, op),
                                 " failed: ", s.message()));
    }
    if (journal_) RETURN_IF_ERROR(journal_->Done(entry_of_[g][k]));
    return absl::OkStatus();
  }

  ApplyProgress Progress(size_t g, int k) const {
    ApplyProgress out;
    const GpuPlan& p = plan_.gpus[g];
    out.gpu = p.gpu;
    for (size_t i = 0; i < plan_.gpus.size(); ++i) {
      if (plan_.gpus[i].operations.empty()) continue;
      ++out.gpu_count;
      if (i <= g) ++out.gpu_number;
    }
    out.op_number = k + 1;
    out.op_count = static_cast<int>(p.operations.size());
    out.step = Describe(*p.model, p.operations[k]);
    return out;
  }

  absl::Status SetMode(const GpuPlan& p, const Operation& op,
                       GpuOutcome& outcome) {
    spdlog::info("GPU {}: {} MIG mode", p.gpu,
                 op.enable ? "Enabling" : "Disabling");
    ASSIGN_OR_RETURN(outcome.activation, nvml_.SetMigMode(p.gpu, op.enable));
    if (outcome.activation != nvml::Return::kSuccess && !options_.skip_reset) {
      absl::Status reset = nvml_.ResetGpu(p.gpu);
      if (reset.ok()) {
        outcome.activation = nvml::Return::kSuccess;
      } else {
        spdlog::warn("GPU {}: reset to activate the MIG mode failed: {}", p.gpu,
                     reset.message());
      }
    }
    if (outcome.activation != nvml::Return::kSuccess) {
      outcome.pending = true;
      spdlog::warn(
          "GPU {}: MIG mode change is pending a GPU reset or a reboot ({}{})",
          p.gpu, nvml::ErrorString(outcome.activation),
          p.gpu_holders.empty()
              ? ""
              : absl::StrCat("; held by PIDs ",
                             absl::StrJoin(p.gpu_holders, ", ")));
    }
    return absl::OkStatus();
  }

  nvml::Nvml& nvml_;
  const NodePlan& plan_;
  const ApplyOptions& options_;
  std::optional<Journal> journal_;
  std::vector<std::vector<int>> entry_of_;
  std::map<int, std::map<int, int>>
      created_;  // GPU -> placement start -> GI id
};

}  // namespace

namespace {

// Runs apply-start, plans with `plan` and executes, then apply-exit.
absl::StatusOr<ApplyResult> WithHooks(
    nvml::Nvml& nvml, const ApplyOptions& options,
    const std::function<absl::StatusOr<NodePlan>()>& plan_node) {
  RETURN_IF_ERROR(options.hooks.Run(config::kApplyStart));
  absl::StatusOr<ApplyResult> result = [&]() -> absl::StatusOr<ApplyResult> {
    ASSIGN_OR_RETURN(NodePlan plan, plan_node());
    return Executor(nvml, plan, options).Run();
  }();
  absl::Status exit = options.hooks.Run(config::kApplyExit);
  if (!result.ok()) {
    if (!exit.ok()) spdlog::error("{}", exit.message());
    return result;
  }
  RETURN_IF_ERROR(exit);
  return result;
}

}  // namespace

std::string DescribeProgress(const ApplyProgress& p) {
  return absl::StrCat("[GPU ", p.gpu_number, " of ", p.gpu_count, "] GPU ",
                      p.gpu, ", step ", p.op_number, " of ", p.op_count, ": ",
                      p.step);
}

absl::StatusOr<ApplyResult> Apply(nvml::Nvml& nvml,
                                  const config::MigConfigFile& file,
                                  absl::string_view name,
                                  const ApplyOptions& options) {
  return WithHooks(nvml, options,
                   [&] { return PlanNode(nvml, file, name, options.plan); });
}

absl::StatusOr<ApplyResult> ApplyTargets(nvml::Nvml& nvml,
                                         const GpuTargets& targets,
                                         absl::string_view label,
                                         const ApplyOptions& options) {
  return WithHooks(nvml, options, [&] {
    return PlanTargets(nvml, targets, label, options.plan);
  });
}

absl::Status AssertApplied(nvml::Nvml& nvml, const config::MigConfigFile& file,
                           absl::string_view name, bool mode_only) {
  PlanOptions options;
  options.mode_only = mode_only;
  ASSIGN_OR_RETURN(NodePlan plan, PlanNode(nvml, file, name, options));
  std::vector<std::string> problems;
  for (int gpu : plan.unmatched) {
    problems.push_back(
        absl::StrCat("GPU ", gpu, " is not matched by any entry"));
  }
  for (const GpuPlan& p : plan.gpus) {
    if (p.already_applied()) continue;
    std::vector<std::string> ops;
    for (const Operation& op : p.operations)
      ops.push_back(Describe(*p.model, op));
    problems.push_back(
        absl::StrCat("GPU ", p.gpu, " needs: ", absl::StrJoin(ops, "; ")));
  }
  if (!problems.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("MIG config \"", name,
                     "\" is not applied: ", absl::StrJoin(problems, "; ")));
  }
  return absl::OkStatus();
}

absl::StatusOr<config::MigConfigFile> ExportConfig(nvml::Nvml& nvml,
                                                   const std::string& name) {
  ASSIGN_OR_RETURN(std::vector<GpuState> states, ReadNode(nvml, PlanOptions()));
  std::vector<config::MigConfigEntry> entries;
  for (const GpuState& s : states) {
    config::MigConfigEntry e;
    e.mig_enabled = s.mode.current;
    std::map<std::string, int> counts;
    for (const auto& [id, n] : mig::CountProfiles(s.layout())) {
      counts[s.model->FindProfileById(id)->name] += n;
    }
    e.mig_devices.assign(counts.begin(), counts.end());
    auto same =
        std::find_if(entries.begin(), entries.end(), [&](const auto& x) {
          return x.mig_enabled == e.mig_enabled &&
                 x.mig_devices == e.mig_devices;
        });
    if (same != entries.end()) {
      same->devices.push_back(s.index);
    } else {
      e.devices.push_back(s.index);
      entries.push_back(std::move(e));
    }
  }
  if (entries.size() == 1 && entries[0].devices.size() == states.size()) {
    entries[0].devices.clear();
    entries[0].all_devices = true;
  }
  config::MigConfigFile file;
  file.configs.emplace_back(name, std::move(entries));
  return file;
}

}  // namespace migctl::reconcile
