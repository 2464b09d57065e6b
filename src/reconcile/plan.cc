#include "reconcile/plan.h"

#include <algorithm>
#include <bit>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace migctl::reconcile {
namespace {

std::string ProfileName(const mig::GpuModel& model, int profile_id) {
  const mig::GpuInstanceProfile* p = model.FindProfileById(profile_id);
  return p ? p->name : absl::StrCat("profile ", profile_id);
}

std::string At(const mig::Placement& p) {
  return absl::StrCat("{", p.start, "}:", p.size);
}

// True when the instance already has exactly the CI the target wants: one
// compute instance spanning the whole GPU instance.
bool HasFullComputeInstance(const mig::GpuModel& model,
                            const InstanceState& instance) {
  const mig::GpuInstanceProfile* p =
      model.FindProfileById(instance.gi.profile_id);
  const mig::ComputeProfile* full = p ? p->FullComputeProfile() : nullptr;
  return full != nullptr && instance.cis.size() == 1 &&
         instance.cis[0].profile_id == full->id;
}

std::string BusyReason(const GpuState& s, const InstanceState& i,
                       absl::string_view what) {
  std::vector<std::string> holds;
  std::vector<std::string> remedies;
  if (!i.pids.empty()) {
    holds.push_back(
        absl::StrCat("runs processes ", absl::StrJoin(i.pids, ", ")));
    remedies.push_back("stop those processes");
  }
  if (!i.pods.empty()) {
    holds.push_back(absl::StrCat("is assigned to pod",
                                 i.pods.size() == 1 ? " " : "s ",
                                 absl::StrJoin(i.pods, ", ")));
    remedies.push_back(i.pods.size() == 1 ? "delete that pod"
                                          : "delete those pods");
  }
  std::string remedy = absl::StrJoin(remedies, " and ");
  remedy[0] = absl::ascii_toupper(remedy[0]);
  return absl::StrCat("GPU ", s.index, ": GPU instance ", i.gi.id, " (",
                      ProfileName(*s.model, i.gi.profile_id), " at ",
                      At(i.gi.placement), ") ", absl::StrJoin(holds, " and "),
                      "; the target ", what, ". ", remedy,
                      ", or choose a config that keeps it");
}

void DestroyInstance(const GpuState& s, const InstanceState& i,
                     const std::string& why, std::vector<Operation>& ops) {
  for (const nvml::ComputeInstance& ci : i.cis) {
    Operation op;
    op.kind = OpKind::kDestroyComputeInstance;
    op.gi_id = i.gi.id;
    op.gi_profile_id = i.gi.profile_id;
    op.placement = i.gi.placement;
    op.ci_id = ci.id;
    op.ci_profile_id = ci.profile_id;
    op.why = why;
    ops.push_back(op);
  }
  Operation op;
  op.kind = OpKind::kDestroyGpuInstance;
  op.gi_id = i.gi.id;
  op.gi_profile_id = i.gi.profile_id;
  op.placement = i.gi.placement;
  op.why = why;
  ops.push_back(op);
  (void)s;
}

Operation CreateComputeInstance(const mig::GpuModel& model, int gi_id,
                                const mig::PlacedGpuInstance& gi,
                                const std::string& why) {
  Operation op;
  op.kind = OpKind::kCreateComputeInstance;
  op.gi_id = gi_id;
  op.gi_profile_id = gi.profile_id;
  op.placement = gi.placement;
  op.ci_profile_id =
      model.FindProfileById(gi.profile_id)->FullComputeProfile()->id;
  op.why = why;
  return op;
}

// The instances to keep: the largest subset of `instances` (always holding
// the busy ones) such that the rest of `want` still fits around it, preferring
// instances whose compute instances need no change. Returns the subset as a
// bitmask over `instances` and the full target layout, or nullopt.
struct KeepChoice {
  uint32_t mask = 0;
  mig::Layout layout;
};

std::optional<KeepChoice> ChooseKept(const GpuState& s,
                                     const mig::ProfileCounts& want) {
  const mig::GpuModel& model = *s.model;
  const int n = static_cast<int>(s.instances.size());
  uint32_t busy = 0;
  for (int i = 0; i < n; ++i) {
    if (s.instances[i].busy()) busy |= 1u << i;
  }
  std::optional<KeepChoice> best;
  int best_size = -1;
  int best_ci_changes = 0;
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if ((mask & busy) != busy) continue;
    const int size = std::popcount(mask);
    mig::Layout keep;
    mig::ProfileCounts rest = want;
    int ci_changes = 0;
    bool wanted = true;
    for (int i = 0; i < n && wanted; ++i) {
      if ((mask & (1u << i)) == 0) continue;
      const InstanceState& inst = s.instances[i];
      auto it = rest.find(inst.gi.profile_id);
      if (it == rest.end() || it->second == 0)
        wanted = false;
      else
        --it->second;
      keep.push_back({inst.gi.profile_id, inst.gi.placement});
      if (!HasFullComputeInstance(model, inst)) ++ci_changes;
    }
    if (!wanted) continue;
    if (size < best_size ||
        (size == best_size && ci_changes >= best_ci_changes)) {
      continue;
    }
    absl::StatusOr<mig::Layout> fitted = mig::FitProfiles(model, rest, keep);
    if (!fitted.ok()) continue;
    best = KeepChoice{mask, *std::move(fitted)};
    best_size = size;
    best_ci_changes = ci_changes;
  }
  return best;
}

// For an exact target layout: keep the instances it holds at their
// placements, if the layout is valid and holds every busy instance.
std::optional<KeepChoice> KeepExact(const GpuState& s,
                                    const mig::Layout& target) {
  if (!mig::ValidateLayout(*s.model, target).ok()) return std::nullopt;
  KeepChoice choice;
  for (size_t i = 0; i < s.instances.size(); ++i) {
    const InstanceState& inst = s.instances[i];
    const mig::PlacedGpuInstance here{inst.gi.profile_id, inst.gi.placement};
    if (std::find(target.begin(), target.end(), here) != target.end()) {
      choice.mask |= 1u << i;
    } else if (inst.busy()) {
      return std::nullopt;
    }
  }
  choice.layout = target;
  mig::Canonicalize(choice.layout);
  return choice;
}

}  // namespace

int GpuPlan::destroyed_gpu_instances() const {
  return static_cast<int>(std::count_if(
      operations.begin(), operations.end(), [](const Operation& o) {
        return o.kind == OpKind::kDestroyGpuInstance;
      }));
}

int GpuPlan::created_gpu_instances() const {
  return static_cast<int>(std::count_if(
      operations.begin(), operations.end(),
      [](const Operation& o) { return o.kind == OpKind::kCreateGpuInstance; }));
}

std::string Describe(const mig::GpuModel& model, const Operation& op) {
  const std::string gi =
      op.gi_id >= 0
          ? absl::StrCat("GPU instance ", op.gi_id, " (",
                         ProfileName(model, op.gi_profile_id), " at ",
                         At(op.placement), ")")
          : absl::StrCat("the new ", ProfileName(model, op.gi_profile_id),
                         " at ", At(op.placement));
  switch (op.kind) {
    case OpKind::kSetMigMode:
      return op.enable ? "enable MIG mode" : "disable MIG mode";
    case OpKind::kDestroyComputeInstance:
      return absl::StrCat("destroy compute instance ", op.ci_id, " of ", gi);
    case OpKind::kDestroyGpuInstance:
      return absl::StrCat("destroy ", gi);
    case OpKind::kCreateGpuInstance:
      return absl::StrCat("create ", ProfileName(model, op.gi_profile_id),
                          " at ", At(op.placement));
    case OpKind::kCreateComputeInstance:
      return absl::StrCat("create its compute instance in ", gi);
  }
  return "";
}

absl::StatusOr<GpuPlan> PlanGpu(const GpuState& s,
                                const config::GpuTarget& target,
                                const PlanOptions& options) {
  const mig::GpuModel& model = *s.model;
  GpuPlan plan;
  plan.gpu = s.index;
  plan.model = s.model;
  plan.mig_enabled = target.mig_enabled;
  for (const nvml::Process& p : s.processes) {
    if (!p.gi_id) plan.gpu_holders.push_back(p.pid);
  }
  std::vector<Operation>& ops = plan.operations;
  const bool mode_change = s.mode.current != target.mig_enabled ||
                           s.mode.pending != target.mig_enabled;
  if (mode_change && !s.pods.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "GPU ", s.index, " is assigned whole (nvidia.com/gpu) to pod",
        s.pods.size() == 1 ? " " : "s ", absl::StrJoin(s.pods, ", "),
        "; the target ", target.mig_enabled ? "enables" : "disables",
        " MIG mode, which takes the GPU away from ",
        s.pods.size() == 1 ? "it" : "them", ". Delete ",
        s.pods.size() == 1 ? "that pod" : "those pods",
        ", or choose a config that leaves MIG mode as it is"));
  }

  if (!target.mig_enabled) {
    for (const InstanceState& i : s.instances) {
      if (i.busy()) {
        return absl::FailedPreconditionError(
            BusyReason(s, i, "disables MIG mode, which needs it destroyed"));
      }
      DestroyInstance(s, i, "MIG mode is to be disabled", ops);
    }
    if (mode_change) {
      Operation op;
      op.kind = OpKind::kSetMigMode;
      op.enable = false;
      op.why = "the config wants MIG mode disabled";
      ops.push_back(op);
    }
    return plan;
  }

  if (mode_change) {
    Operation op;
    op.kind = OpKind::kSetMigMode;
    op.enable = true;
    op.why = s.mode.current ? "a pending disable is to be cancelled"
                            : "the config wants MIG mode enabled";
    ops.push_back(op);
  }
  if (options.mode_only) return plan;

  std::optional<KeepChoice> choice = target.layout
                                         ? KeepExact(s, *target.layout)
                                         : ChooseKept(s, target.profiles);
  if (!choice) {
    for (const InstanceState& i : s.instances) {
      if (!i.busy()) continue;
      mig::ProfileCounts want = target.profiles;
      if (!want.contains(i.gi.profile_id) || want[i.gi.profile_id] == 0) {
        return absl::FailedPreconditionError(BusyReason(
            s, i,
            absl::StrCat("has no ", ProfileName(model, i.gi.profile_id))));
      }
    }
    for (const InstanceState& i : s.instances) {
      if (i.busy()) {
        return absl::FailedPreconditionError(
            BusyReason(s, i,
                       target.layout ? "layout does not hold it where it is"
                                     : "layout cannot be placed around it"));
      }
    }
    absl::StatusOr<mig::Layout> fit = mig::FitProfiles(model, target.profiles);
    return absl::InvalidArgumentError(
        absl::StrCat("GPU ", s.index, ": the target does not fit on ",
                     model.product_name, ": ", fit.status().message()));
  }

  mig::Layout kept_layout;
  for (size_t i = 0; i < s.instances.size(); ++i) {
    const InstanceState& inst = s.instances[i];
    if ((choice->mask & (1u << i)) == 0) {
      DestroyInstance(s, inst, "not part of the target layout", ops);
      continue;
    }
    plan.kept.push_back(inst.gi);
    kept_layout.push_back({inst.gi.profile_id, inst.gi.placement});
    if (!HasFullComputeInstance(model, inst)) {
      if (inst.busy()) {
        return absl::FailedPreconditionError(BusyReason(
            s, inst, "needs its compute instances replaced by one full one"));
      }
      for (const nvml::ComputeInstance& ci : inst.cis) {
        Operation op;
        op.kind = OpKind::kDestroyComputeInstance;
        op.gi_id = inst.gi.id;
        op.gi_profile_id = inst.gi.profile_id;
        op.placement = inst.gi.placement;
        op.ci_id = ci.id;
        op.ci_profile_id = ci.profile_id;
        op.why = "the target wants one compute instance spanning it";
        ops.push_back(op);
      }
    }
  }
  for (const mig::PlacedGpuInstance& gi : choice->layout) {
    if (std::find(kept_layout.begin(), kept_layout.end(), gi) !=
        kept_layout.end()) {
      continue;
    }
    Operation op;
    op.kind = OpKind::kCreateGpuInstance;
    op.gi_profile_id = gi.profile_id;
    op.placement = gi.placement;
    op.why = "the target needs it";
    ops.push_back(op);
    ops.push_back(CreateComputeInstance(model, -1, gi, "the target needs it"));
  }
  for (size_t i = 0; i < s.instances.size(); ++i) {
    const InstanceState& inst = s.instances[i];
    if ((choice->mask & (1u << i)) == 0 ||
        HasFullComputeInstance(model, inst)) {
      continue;
    }
    ops.push_back(CreateComputeInstance(
        model, inst.gi.id, {inst.gi.profile_id, inst.gi.placement},
        "kept GPU instance without its full compute instance"));
  }
  plan.target_layout = choice->layout;
  return plan;
}

}  // namespace migctl::reconcile
