// bench/planner: the demand-driven planner on seeded synthetic fleets
// (tests/support/synthetic_fleet.h) of 100 to 10 000 GPUs with 5 requests per
// GPU. For each: plan time, requests served and instances destroyed, against
// the exact ILP optimum (GLPK, fleets of at most 1000 GPUs), a static
// all-balanced cluster and a nos-style greedy partitioner. Prints one
// markdown table, then the gap to the ILP optimum over seeds 1-10 at the
// sizes up to 200 GPUs, and emits bench records (bench_record.h).
//
// Usage: migctl_planner_bench [GPUS...]   (default: 100 200 1000 10000)
#include "planner/planner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "bench_record.h"
#include "mig/catalogue.h"
#include "mig/layout.h"
#include "mig/profile_name.h"
#include "support/planner_ilp.h"
#include "support/synthetic_fleet.h"

namespace {

using migctl::mig::GpuInstanceProfile;
using migctl::mig::GpuModel;
using migctl::mig::Layout;
using migctl::mig::ProfileCounts;
using migctl::planner::Cluster;
using migctl::planner::Demand;
using migctl::planner::Gpu;

constexpr int kIlpMaxGpus = 1000;  // 10 000 does not solve in minutes
constexpr int kGapMaxGpus = 200;   // the seed sweep
constexpr double kIlpTimeLimitS = 60;
constexpr uint32_t kSeed = 2026;
constexpr uint32_t kGapSeeds = 10;

[[noreturn]] void Die(const std::string& what, const absl::Status& status) {
  std::fprintf(stderr, "planner bench: %s: %s\n", what.c_str(),
               std::string(status.message()).c_str());
  std::exit(1);
}

std::string Canonical(const std::string& profile) {
  auto name = migctl::mig::ParseProfileName(profile);
  if (!name.ok()) Die(profile, name.status());
  return migctl::mig::FormatProfileName(*name);
}

// Requests per canonical profile name, all priorities together.
std::map<std::string, int> RequestsByProfile(const Demand& demand) {
  std::map<std::string, int> out;
  for (const auto& item : demand.items)
    out[Canonical(item.profile)] += item.count;
  return out;
}

// The 1g (smallest memory), 2g and 3g profiles: NVIDIA's all-balanced
// (2 × 1g + 2g + 3g) for every model in the fleet.
std::vector<const GpuInstanceProfile*> AllBalanced(const GpuModel& model) {
  std::vector<const GpuInstanceProfile*> out;
  for (int slices : {1, 1, 2, 3}) {
    const GpuInstanceProfile* best = nullptr;
    for (const GpuInstanceProfile& p : model.profiles) {
      if (p.slices != slices || p.name.find_first_of("+-") != std::string::npos)
        continue;
      if (best == nullptr || p.memory_slices() < best->memory_slices())
        best = &p;
    }
    out.push_back(best);
  }
  return out;
}

// Requests served per priority, highest first.
using Levels = std::map<int, int, std::greater<>>;

Levels LevelsOf(const migctl::planner::Report& report) {
  Levels out;
  for (const auto& d : report.demand) out[d.priority] += d.served;
  return out;
}

// A static all-balanced cluster, never reconfigured: each GPU's busy pods
// hold instances of their profile where all-balanced has one, the rest serve
// the pending requests, higher priorities first.
Levels StaticAllBalancedServed(const Cluster& cluster, const Demand& demand) {
  std::map<std::string, int> free;
  for (const auto& node : cluster.nodes) {
    for (const Gpu& gpu : node.gpus) {
      std::map<std::string, int> here;
      for (const GpuInstanceProfile* p : AllBalanced(*gpu.model))
        ++here[p->name];
      for (const auto& i : gpu.instances) {
        if (!i.busy()) continue;
        const std::string& name =
            gpu.model->FindProfileById(i.gi.profile_id)->name;
        if (here[name] > 0) --here[name];
      }
      for (const auto& [name, n] : here) free[name] += n;
    }
  }
  std::map<int, std::map<std::string, int>, std::greater<>> by_priority;
  for (const auto& item : demand.items) {
    by_priority[item.priority][Canonical(item.profile)] += item.count;
  }
  Levels served;
  for (const auto& [priority, requests] : by_priority) {
    for (const auto& [name, n] : requests) {
      const int take = std::min(n, free[name]);
      free[name] -= take;
      served[priority] += take;
    }
  }
  return served;
}

// Profile counts of the maximal layouts of a model: the geometries a
// count-based partitioner (nos) chooses from.
std::vector<ProfileCounts> Geometries(const GpuModel& model) {
  std::vector<ProfileCounts> all;
  for (const Layout& l : migctl::mig::EnumerateLayouts(model)) {
    if (migctl::mig::IsMaximal(model, l))
      all.push_back(migctl::mig::CountProfiles(l));
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return all;
}

struct NosResult {
  std::vector<std::vector<Layout>> targets;
  int failed_gpus = 0;  // geometry chosen by counts that no placement realises
};

// nos-style greedy (nebuly-ai/nos's MIG partitioner): lacking = requests per
// profile minus free instances; one pass over nodes sorted by name; each GPU
// takes the geometry (profile counts) that holds its used instances' counts
// and provides the most lacking instances, ignoring placements; lacking drops
// by what it provides. Then, honestly, each chosen geometry is placed with
// the catalogue's rules keeping the busy instances (and idle ones it still
// counts) where they are; a GPU whose geometry cannot be placed keeps its
// layout (the reconfiguration fails).
NosResult NosGreedy(const Cluster& cluster, const Demand& demand) {
  std::map<std::string, int> lacking = RequestsByProfile(demand);
  for (const auto& node : cluster.nodes) {
    for (const Gpu& gpu : node.gpus) {
      for (const auto& i : gpu.instances) {
        if (i.busy()) continue;
        const std::string& name =
            gpu.model->FindProfileById(i.gi.profile_id)->name;
        if (auto it = lacking.find(name); it != lacking.end() && it->second > 0)
          --it->second;
      }
    }
  }
  std::map<const GpuModel*, std::vector<ProfileCounts>> geometries;
  NosResult out;
  out.targets.resize(cluster.nodes.size());
  std::vector<size_t> order(cluster.nodes.size());
  for (size_t n = 0; n < order.size(); ++n) order[n] = n;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return cluster.nodes[a].name < cluster.nodes[b].name;
  });
  for (size_t n = 0; n < cluster.nodes.size(); ++n) {
    for (const Gpu& gpu : cluster.nodes[n].gpus) {
      Layout current;
      for (const auto& i : gpu.instances) current.push_back(i.gi);
      migctl::mig::Canonicalize(current);
      out.targets[n].push_back(current);
    }
  }
  for (size_t n : order) {
    const auto& node = cluster.nodes[n];
    for (size_t g = 0; g < node.gpus.size(); ++g) {
      const Gpu& gpu = node.gpus[g];
      const GpuModel& model = *gpu.model;
      if (!gpu.mig_enabled && !gpu.pods.empty()) continue;
      ProfileCounts used, idle;
      Layout busy;
      for (const auto& i : gpu.instances) {
        if (i.busy()) {
          ++used[i.gi.profile_id];
          busy.push_back(i.gi);
        } else {
          ++idle[i.gi.profile_id];
        }
      }
      const ProfileCounts* best = nullptr;
      int best_score = 0;
      auto [known, inserted] = geometries.try_emplace(&model);
      if (inserted) known->second = Geometries(model);
      for (const ProfileCounts& geometry : known->second) {
        bool holds_used = true;
        int score = 0;
        for (const auto& [id, n_used] : used) {
          auto it = geometry.find(id);
          holds_used &= it != geometry.end() && it->second >= n_used;
        }
        if (!holds_used) continue;
        for (const auto& [id, count] : geometry) {
          const int new_free = count - (used.contains(id) ? used.at(id) : 0) -
                               (idle.contains(id) ? idle.at(id) : 0);
          auto it = lacking.find(model.FindProfileById(id)->name);
          if (new_free > 0 && it != lacking.end())
            score += std::min(new_free, it->second);
        }
        if (score > best_score) {
          best = &geometry;
          best_score = score;
        }
      }
      if (best == nullptr) continue;
      for (const auto& [id, count] : *best) {
        const int new_free = count - (used.contains(id) ? used.at(id) : 0) -
                             (idle.contains(id) ? idle.at(id) : 0);
        auto it = lacking.find(model.FindProfileById(id)->name);
        if (new_free > 0 && it != lacking.end())
          it->second -= std::min(new_free, it->second);
      }
      // Realise: keep busy instances, and idle ones the geometry still counts.
      Layout keep = busy;
      ProfileCounts room = *best;
      for (const auto& [id, n_used] : used) room[id] -= n_used;
      for (const auto& i : gpu.instances) {
        if (!i.busy() && room[i.gi.profile_id] > 0) {
          --room[i.gi.profile_id];
          keep.push_back(i.gi);
        }
      }
      migctl::mig::Canonicalize(keep);
      migctl::mig::Canonicalize(busy);
      auto placed = migctl::mig::FitProfiles(model, room, keep);
      if (!placed.ok()) {
        ProfileCounts from_busy = *best;
        for (const auto& [id, n_used] : used) from_busy[id] -= n_used;
        placed = migctl::mig::FitProfiles(model, from_busy, busy);
      }
      if (placed.ok()) {
        out.targets[n][g] = *placed;
      } else {
        ++out.failed_gpus;
      }
    }
  }
  return out;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since)
      .count();
}

int Total(const Levels& levels) {
  int total = 0;
  for (const auto& [priority, served] : levels) total += served;
  return total;
}

// "352 (138+193+21)": total, then per priority from the highest.
std::string Served(const Levels& levels, const std::vector<int>& priorities) {
  std::string parts;
  for (int p : priorities) {
    auto it = levels.find(p);
    absl::StrAppend(&parts, parts.empty() ? "" : "+",
                    it == levels.end() ? 0 : it->second);
  }
  return absl::StrFormat("%d (%s)", Total(levels), parts);
}

// The lexicographic comparison with the optimum: p is the highest priority
// where `got` and `best` differ; `got` and `best` count the requests of
// priority >= p each serves (all requests when they never differ). The gap is
// got / best - 1: of the requests at or above the level where the planner
// first falls short, the share it does not serve.
struct FirstDifference {
  int priority = 0;
  bool differ = false;
  int got = 0;
  int best = 0;
  bool Within2Percent() const { return (best - got) * 100 <= best * 2; }
  std::string Describe() const {
    if (!differ) return "equal";
    return absl::StrFormat("%+.1f %% of priority >= %d (%d vs %d)",
                           best == 0 ? 0.0 : 100.0 * (got - best) / best,
                           priority, got, best);
  }
};

FirstDifference Compare(const Levels& got, const Levels& best) {
  FirstDifference d;
  for (const auto& [priority, served] : best) {
    auto it = got.find(priority);
    const int mine = it == got.end() ? 0 : it->second;
    d.priority = priority;
    d.got += mine;
    d.best += served;
    if (mine != served) {
      d.differ = true;
      break;
    }
  }
  return d;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {100, 200, 1000, 10000};
  if (argc > 1) {
    sizes.clear();
    for (int i = 1; i < argc; ++i) sizes.push_back(std::atoi(argv[i]));
  }
  using migctl::bench::EmitRecord;
  const migctl::planner::Policy policy;
  std::printf(
      "| GPUs | requests | plan time | served: planner | ILP optimum | "
      "planner vs ILP | static all-balanced | nos greedy | "
      "destroyed: planner / ILP / nos | nodes touched: planner / ILP / nos "
      "|\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (int gpus : sizes) {
    const migctl::planner_ilp::Fleet fleet = migctl::planner_ilp::MakeFleet(
        {.gpus = gpus, .requests_per_gpu = 5, .seed = kSeed});
    const std::string name = absl::StrFormat("%d GPUs", gpus);
    std::vector<int> priorities;
    for (const auto& item : fleet.demand.items)
      priorities.push_back(item.priority);
    std::sort(priorities.begin(), priorities.end(), std::greater<>());
    priorities.erase(std::unique(priorities.begin(), priorities.end()),
                     priorities.end());

    // Plan time: the best of 3 runs (the plan is deterministic).
    double plan_s = 1e9;
    migctl::planner::Report report;
    for (int run = 0; run < 3; ++run) {
      const auto start = std::chrono::steady_clock::now();
      auto plan =
          migctl::planner::PlanCluster(fleet.cluster, fleet.demand, policy);
      plan_s = std::min(plan_s, Seconds(start));
      if (!plan.ok()) Die("PlanCluster", plan.status());
      report = plan->report;
    }
    const Levels planned = LevelsOf(report);

    std::string ilp_served = "—", gap = "—", ilp_destroyed = "—",
                ilp_touched = "—";
    if (gpus <= kIlpMaxGpus) {
      auto ilp = migctl::planner_ilp::SolvePlannerIlp(
          fleet.cluster, fleet.demand, policy,
          {.time_limit_s = kIlpTimeLimitS});
      if (!ilp.ok()) Die("ILP", ilp.status());
      const auto& s = ilp->solution;
      const Levels optimum(s.served_by_priority.begin(),
                           s.served_by_priority.end());
      ilp_served = absl::StrFormat("%s%s, %.1f s", Served(optimum, priorities),
                                   s.optimal ? "" : " not proved", s.seconds);
      const FirstDifference d = Compare(planned, optimum);
      gap = d.Describe();
      ilp_destroyed = absl::StrFormat("%d", s.destroyed);
      ilp_touched = absl::StrFormat("%d", s.nodes_touched);
      EmitRecord({"planner", name,
                  absl::StrFormat("requests served of priority >= %d (the "
                                  "highest where planner and ILP differ)",
                                  d.priority),
                  "requests", static_cast<double>(d.got), false,
                  s.optimal ? "ILP optimum (GLPK)"
                            : "ILP best found (GLPK, not proved)",
                  static_cast<double>(d.best),
                  "within 2 % of the ILP optimum"});
    }
    const Levels balanced =
        StaticAllBalancedServed(fleet.cluster, fleet.demand);
    const NosResult nos = NosGreedy(fleet.cluster, fleet.demand);
    auto nos_plan = migctl::planner::EvaluateTargets(
        fleet.cluster, fleet.demand, policy, nos.targets);
    if (!nos_plan.ok()) Die("EvaluateTargets(nos)", nos_plan.status());
    const auto& nos_report = nos_plan->report;

    std::printf(
        "| %d | %d | %.1f ms | %s | %s | %s | %s | %s, %d GPUs failed | "
        "%d / %s / %d | %d / %s / %d |\n",
        fleet.gpus, fleet.requests, plan_s * 1e3,
        Served(planned, priorities).c_str(), ilp_served.c_str(), gap.c_str(),
        Served(balanced, priorities).c_str(),
        Served(LevelsOf(nos_report), priorities).c_str(), nos.failed_gpus,
        report.instances_destroyed, ilp_destroyed.c_str(),
        nos_report.instances_destroyed, report.nodes_touched,
        ilp_touched.c_str(), nos_report.nodes_touched);
    std::fflush(stdout);

    EmitRecord({"planner",
                name,
                "plan time",
                "ms",
                plan_s * 1e3,
                true,
                "",
                {},
                gpus == 10000 ? "under 1 s for 10k GPUs, 50k requests" : ""});
    EmitRecord({"planner", name, "requests served", "requests",
                static_cast<double>(report.served), false,
                "static all-balanced", static_cast<double>(Total(balanced))});
    EmitRecord({"planner", name, "requests served", "requests",
                static_cast<double>(report.served), false, "nos-style greedy",
                static_cast<double>(nos_report.served)});
    EmitRecord({"planner", name, "instances destroyed", "instances",
                static_cast<double>(report.instances_destroyed), true,
                "nos-style greedy",
                static_cast<double>(nos_report.instances_destroyed)});
  }
  // The gap over more seeds, at the sizes the ILP solves.
  for (int gpus : sizes) {
    if (gpus > kGapMaxGpus) continue;
    std::vector<std::string> gaps;
    int within = 0;
    for (uint32_t seed = 1; seed <= kGapSeeds; ++seed) {
      const migctl::planner_ilp::Fleet fleet = migctl::planner_ilp::MakeFleet(
          {.gpus = gpus, .requests_per_gpu = 5, .seed = seed});
      auto plan =
          migctl::planner::PlanCluster(fleet.cluster, fleet.demand, policy);
      if (!plan.ok()) Die("PlanCluster", plan.status());
      auto ilp = migctl::planner_ilp::SolvePlannerIlp(
          fleet.cluster, fleet.demand, policy,
          {.time_limit_s = kIlpTimeLimitS});
      if (!ilp.ok()) Die("ILP", ilp.status());
      const FirstDifference d =
          Compare(LevelsOf(plan->report),
                  Levels(ilp->solution.served_by_priority.begin(),
                         ilp->solution.served_by_priority.end()));
      if (d.Within2Percent()) ++within;
      gaps.push_back(absl::StrCat(
          d.Describe(), ilp->solution.optimal ? "" : " (not proved)"));
    }
    std::printf(
        "\n%d GPUs, seeds 1–%d: planner within 2 %% of the ILP optimum "
        "on %d; per seed: %s\n",
        gpus, kGapSeeds, within, absl::StrJoin(gaps, "; ").c_str());
  }
  return 0;
}
