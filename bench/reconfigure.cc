// bench/reconfigure: random transitions between valid layouts on simulated
// GPUs. For each, the instances migctl's minimal plan destroys and creates
// versus mig-parted's destroy-all-and-recreate, and the plan time per GPU.
// Prints a markdown table.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "bench_record.h"
#include "mig/catalogue.h"
#include "mig/layout.h"
#include "reconcile/plan.h"

namespace {

using migctl::mig::CountProfiles;
using migctl::mig::GpuModel;
using migctl::mig::Layout;
using migctl::reconcile::GpuState;
using migctl::reconcile::InstanceState;

GpuState StateWith(const GpuModel& model, const Layout& layout) {
  GpuState s;
  s.model = &model;
  s.mode = {true, true};
  int id = 1;
  for (const auto& gi : layout) {
    InstanceState i;
    i.gi = {id++, gi.profile_id, gi.placement};
    const auto* full =
        model.FindProfileById(gi.profile_id)->FullComputeProfile();
    i.cis.push_back({i.gi.id, 0, full->id, {0, full->slices}});
    s.instances.push_back(i);
  }
  return s;
}

struct Totals {
  long destroyed = 0, created = 0, baseline_destroyed = 0, baseline_created = 0;
  double plan_us = 0;
  double worst_us = 0;
  int transitions = 0;
};

Totals Run(const GpuModel& model, int transitions, unsigned seed) {
  const std::vector<Layout> all = migctl::mig::EnumerateLayouts(model);
  std::mt19937 rng(seed);
  std::uniform_int_distribution<size_t> pick(0, all.size() - 1);
  Totals t;
  for (int i = 0; i < transitions; ++i) {
    const Layout& from = all[pick(rng)];
    const Layout& to = all[pick(rng)];
    migctl::config::GpuTarget target;
    target.mig_enabled = true;
    target.profiles = CountProfiles(to);
    const GpuState state = StateWith(model, from);
    const auto start = std::chrono::steady_clock::now();
    auto plan = migctl::reconcile::PlanGpu(state, target);
    const double us = std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    if (!plan.ok()) {
      std::fprintf(stderr, "plan failed: %s\n",
                   std::string(plan.status().message()).c_str());
      std::exit(1);
    }
    t.destroyed += plan->destroyed_gpu_instances();
    t.created += plan->created_gpu_instances();
    // mig-parted skips a GPU whose profile counts already match, and
    // otherwise destroys every instance and creates the target from scratch.
    if (CountProfiles(from) != CountProfiles(to)) {
      t.baseline_destroyed += static_cast<long>(from.size());
      t.baseline_created += static_cast<long>(to.size());
    }
    t.plan_us += us;
    t.worst_us = std::max(t.worst_us, us);
    ++t.transitions;
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  const int transitions = argc > 1 ? std::atoi(argv[1]) : 1000;
  std::printf(
      "| model | transitions | migctl destroyed | migctl created | "
      "destroy-all destroyed | destroy-all created | instances spared | "
      "plan µs/GPU (mean) | plan µs (worst) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (const char* key :
       {"H100-NVL", "H100-SXM5-80GB", "A100-SXM4-40GB", "A30-24GB"}) {
    const GpuModel& model = *migctl::mig::FindModel(key);
    Totals t = Run(model, transitions, 2026);
    const long spared = t.baseline_destroyed - t.destroyed;
    std::printf("| %s | %d | %ld | %ld | %ld | %ld | %.1f%% | %.1f | %.1f |\n",
                key, t.transitions, t.destroyed, t.created,
                t.baseline_destroyed, t.baseline_created,
                100.0 * spared / std::max(1L, t.baseline_destroyed),
                t.plan_us / t.transitions, t.worst_us);
    using migctl::bench::EmitRecord;
    const std::string baseline = "destroy-all (mig-parted)";
    EmitRecord({"reconfigure", key, "GPU instances destroyed", "instances",
                static_cast<double>(t.destroyed), true, baseline,
                static_cast<double>(t.baseline_destroyed)});
    EmitRecord({"reconfigure", key, "GPU instances created", "instances",
                static_cast<double>(t.created), true, baseline,
                static_cast<double>(t.baseline_created)});
    EmitRecord({"reconfigure", key, "plan time per GPU (mean)", "µs",
                t.plan_us / t.transitions});
  }
  return 0;
}
