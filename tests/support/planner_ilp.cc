#include "support/planner_ilp.h"

#include <glpk.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iterator>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "mig/profile_name.h"

namespace migctl::planner_ilp {
namespace {

using Clock = std::chrono::steady_clock;

// One candidate layout of a GPU class, with what it offers and costs.
struct Column {
  mig::Layout layout;
  std::vector<int> free;  // free instances per demanded resource
  int destroyed = 0;
  bool changed = false;
};

// Every maximal valid layout of each model met, computed once per solve.
class MaximalLayouts {
 public:
  const std::vector<mig::Layout>& For(const mig::GpuModel& model) {
    auto [it, inserted] = cache_.try_emplace(&model);
    if (inserted) {
      for (mig::Layout& l : mig::EnumerateLayouts(model)) {
        if (mig::IsMaximal(model, l)) it->second.push_back(std::move(l));
      }
    }
    return it->second;
  }

 private:
  std::map<const mig::GpuModel*, std::vector<mig::Layout>> cache_;
};

std::vector<int> FreeByResource(const mig::GpuModel& model,
                                const mig::Layout& layout,
                                const mig::Layout& busy,
                                const std::map<std::string, int>& resources) {
  std::vector<int> free(resources.size(), 0);
  for (const mig::PlacedGpuInstance& gi : layout) {
    if (std::binary_search(busy.begin(), busy.end(), gi)) continue;
    const mig::GpuInstanceProfile* p = model.FindProfileById(gi.profile_id);
    if (auto it = resources.find(p->name); it != resources.end()) {
      ++free[it->second];
    }
  }
  return free;
}

int Destroyed(const mig::Layout& current, const mig::Layout& target) {
  mig::Layout kept;
  std::set_intersection(current.begin(), current.end(), target.begin(),
                        target.end(), std::back_inserter(kept));
  return static_cast<int>(current.size() - kept.size());
}

bool Dominates(const Column& a, const Column& b) {
  if (a.destroyed > b.destroyed || (a.changed && !b.changed)) return false;
  for (size_t r = 0; r < a.free.size(); ++r) {
    if (a.free[r] < b.free[r]) return false;
  }
  return true;
}

// The current layout first, then the maximal layouts keeping the busy
// instances; merged by what they offer, dominated ones dropped.
std::vector<Column> Columns(const IlpGpuClass& gpu, bool frozen,
                            const std::map<std::string, int>& resources,
                            MaximalLayouts& maximal) {
  std::vector<Column> all;
  all.push_back({gpu.current,
                 FreeByResource(*gpu.model, gpu.current, gpu.busy, resources),
                 0, false});
  if (!frozen) {
    std::set<std::tuple<std::vector<int>, int>> seen;
    for (const mig::Layout& l : maximal.For(*gpu.model)) {
      if (l == gpu.current) continue;
      if (!std::includes(l.begin(), l.end(), gpu.busy.begin(),
                         gpu.busy.end())) {
        continue;
      }
      Column c{l, FreeByResource(*gpu.model, l, gpu.busy, resources),
               Destroyed(gpu.current, l), true};
      if (seen.insert({c.free, c.destroyed}).second) {
        all.push_back(std::move(c));
      }
    }
  }
  std::vector<bool> dominated(all.size(), false);
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size() && !dominated[i]; ++j) {
      if (j == i || !Dominates(all[j], all[i])) continue;
      // Of two equal columns keep the first.
      dominated[i] = !Dominates(all[i], all[j]) || j < i;
    }
  }
  std::vector<Column> kept;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!dominated[i]) kept.push_back(std::move(all[i]));
  }
  return kept;
}

absl::Status Validate(const IlpProblem& problem) {
  for (size_t n = 0; n < problem.node_classes.size(); ++n) {
    const IlpNodeClass& nc = problem.node_classes[n];
    for (size_t g = 0; g < nc.gpus.size(); ++g) {
      const IlpGpuClass& gpu = nc.gpus[g];
      const std::string where =
          absl::StrCat("node class ", n, " GPU class ", g);
      if (gpu.model == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(where, " has no model"));
      }
      if (absl::Status s = mig::ValidateLayout(*gpu.model, gpu.current);
          !s.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": current layout: ", s.message()));
      }
      if (!std::is_sorted(gpu.current.begin(), gpu.current.end()) ||
          !std::is_sorted(gpu.busy.begin(), gpu.busy.end())) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": layouts must be canonical"));
      }
      if (!std::includes(gpu.current.begin(), gpu.current.end(),
                         gpu.busy.begin(), gpu.busy.end())) {
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": busy instances ",
                         mig::DescribeLayout(*gpu.model, gpu.busy),
                         " are not all in the current layout ",
                         mig::DescribeLayout(*gpu.model, gpu.current)));
      }
    }
  }
  return absl::OkStatus();
}

// Until `deadline`, as GLPK's int time limits take it.
int MillisecondsLeft(Clock::time_point deadline) {
  const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                         deadline - Clock::now())
                         .count();
  return static_cast<int>(
      std::clamp<int64_t>(ms, 0, std::numeric_limits<int>::max()));
}

// Hands GLPK a known feasible solution once per solve.
struct HeuristicStart {
  const std::vector<double>* x = nullptr;
  bool given = false;
};

void OfferStart(glp_tree* tree, void* info) {
  auto* start = static_cast<HeuristicStart*>(info);
  if (glp_ios_reason(tree) == GLP_IHEUR && !start->given) {
    glp_ios_heur_sol(tree, start->x->data());
    start->given = true;
  }
}

// One objective level: a sparse linear expression over the columns.
struct Level {
  std::vector<std::pair<int, double>> terms;
  bool maximize = false;
};

class Model {
 public:
  Model() : lp_(glp_create_prob()) {}
  ~Model() { glp_delete_prob(lp_); }
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  int AddIntColumn(int upper) {
    const int j = glp_add_cols(lp_, 1);
    glp_set_col_kind(lp_, j, GLP_IV);
    if (upper > 0) {
      glp_set_col_bnds(lp_, j, GLP_DB, 0, upper);
    } else {
      glp_set_col_bnds(lp_, j, GLP_FX, 0, 0);
    }
    return j;
  }

  // bound_type: GLP_FX, GLP_UP or GLP_LO with `bound`.
  void AddRow(const std::vector<std::pair<int, double>>& terms, int bound_type,
              double bound) {
    const int i = glp_add_rows(lp_, 1);
    glp_set_row_bnds(lp_, i, bound_type, bound, bound);
    std::vector<int> ind(1, 0);
    std::vector<double> val(1, 0);
    for (const auto& [j, a] : terms) {
      ind.push_back(j);
      val.push_back(a);
    }
    glp_set_mat_row(lp_, i, static_cast<int>(terms.size()), ind.data(),
                    val.data());
  }

  int columns() const { return glp_get_num_cols(lp_); }

  // Optimises `level` from the feasible `best` (1-based values), replaces
  // `best` with the solution found and fixes the level at its value. Returns
  // whether GLPK proved the level optimal before `deadline`.
  bool Optimise(const Level& level, Clock::time_point deadline,
                std::vector<double>& best) {
    for (int j = 1; j <= columns(); ++j) glp_set_obj_coef(lp_, j, 0);
    for (const auto& [j, a] : level.terms) glp_set_obj_coef(lp_, j, a);
    glp_set_obj_dir(lp_, level.maximize ? GLP_MAX : GLP_MIN);
    bool optimal = false;
    if (MillisecondsLeft(deadline) > 0) {
      glp_smcp lp_parm;
      glp_init_smcp(&lp_parm);
      lp_parm.msg_lev = GLP_MSG_OFF;
      lp_parm.tm_lim = MillisecondsLeft(deadline);
      if (glp_simplex(lp_, &lp_parm) == 0 && glp_get_status(lp_) == GLP_OPT) {
        HeuristicStart start{&best};
        glp_iocp parm;
        glp_init_iocp(&parm);
        parm.msg_lev = GLP_MSG_OFF;
        parm.tm_lim = std::max(1, MillisecondsLeft(deadline));
        // Without cuts and pseudo-cost branching, some 100-GPU fleets do not
        // close a lower priority level within a minute; with them, < 1 s.
        parm.mir_cuts = GLP_ON;
        parm.gmi_cuts = GLP_ON;
        parm.cov_cuts = GLP_ON;
        parm.clq_cuts = GLP_ON;
        parm.br_tech = GLP_BR_PCH;
        parm.cb_func = OfferStart;
        parm.cb_info = &start;
        const int rc = glp_intopt(lp_, &parm);
        const int status = glp_mip_status(lp_);
        if (status == GLP_OPT || status == GLP_FEAS) {
          for (int j = 1; j <= columns(); ++j) {
            best[j] = std::round(glp_mip_col_val(lp_, j));
          }
        }
        optimal = rc == 0 && status == GLP_OPT;
      }
    }
    AddRow(level.terms, level.maximize ? GLP_LO : GLP_UP, Value(level, best));
    return optimal;
  }

  static double Value(const Level& level, const std::vector<double>& x) {
    double v = 0;
    for (const auto& [j, a] : level.terms) v += a * x[j];
    return v;
  }

 private:
  glp_prob* lp_;
};

}  // namespace

absl::StatusOr<IlpSolution> SolveIlp(const IlpProblem& problem,
                                     const IlpOptions& options) {
  const Clock::time_point start = Clock::now();
  // Capped at a day, so that the deadline cannot overflow.
  const Clock::time_point deadline =
      start +
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(
          std::clamp(options.time_limit_s, 0.0, 86400.0)));
  if (absl::Status s = Validate(problem); !s.ok()) return s;

  // Demand by resource and priority.
  std::map<std::string, int> resources;
  std::map<std::pair<std::string, int>, int> demand;
  for (const IlpDemand& d : problem.demand) {
    if (d.count <= 0) continue;
    resources.try_emplace(d.resource, 0);
    demand[{d.resource, d.priority}] += d.count;
  }
  int r = 0;
  for (auto& [name, index] : resources) index = r++;

  glp_term_out(GLP_OFF);
  Model model;
  std::vector<double> best(1, 0);  // 1-based: a feasible solution
  MaximalLayouts maximal;

  struct ClassColumns {
    int node_class;
    int gpu_class;
    std::vector<Column> columns;
    std::vector<int> vars;
  };
  std::vector<ClassColumns> classes;
  std::vector<std::vector<std::pair<int, double>>> capacity(resources.size());
  Level cost_level, destroyed_level, touched_level;
  std::vector<std::pair<int, double>> all_touched;
  for (size_t n = 0; n < problem.node_classes.size(); ++n) {
    const IlpNodeClass& nc = problem.node_classes[n];
    int touched_var = 0;
    for (size_t g = 0; g < nc.gpus.size(); ++g) {
      const IlpGpuClass& gpu = nc.gpus[g];
      const int count = gpu.per_node * nc.nodes;
      ClassColumns cc{static_cast<int>(n),
                      static_cast<int>(g),
                      Columns(gpu, nc.frozen || gpu.fixed, resources, maximal),
                      {}};
      std::vector<std::pair<int, double>> one_layout, changed;
      for (const Column& c : cc.columns) {
        const int j = model.AddIntColumn(count);
        cc.vars.push_back(j);
        best.push_back(c.changed ? 0 : count);
        one_layout.push_back({j, 1});
        if (c.changed) changed.push_back({j, 1});
        if (c.destroyed > 0) {
          destroyed_level.terms.push_back({j, c.destroyed});
          if (problem.destroy_weight != 0) {
            cost_level.terms.push_back(
                {j, static_cast<double>(problem.destroy_weight * c.destroyed)});
          }
        }
        for (size_t k = 0; k < c.free.size(); ++k) {
          if (c.free[k] > 0) capacity[k].push_back({j, -c.free[k]});
        }
      }
      model.AddRow(one_layout, GLP_FX, count);
      if (!changed.empty()) {
        if (touched_var == 0) {
          touched_var = model.AddIntColumn(nc.nodes);
          best.push_back(0);
          touched_level.terms.push_back({touched_var, 1});
          if (problem.node_weight != 0) {
            cost_level.terms.push_back(
                {touched_var, static_cast<double>(problem.node_weight)});
          }
        }
        changed.push_back({touched_var, -gpu.per_node});
        model.AddRow(changed, GLP_UP, 0);
      }
      classes.push_back(std::move(cc));
    }
  }
  std::map<int, Level, std::greater<>> served_levels;
  std::map<std::pair<std::string, int>, int> served_vars;
  // Served variables by resource, higher priorities first, with their bound.
  std::vector<std::vector<std::pair<int, int>>> served_by(resources.size());
  const std::vector<std::vector<std::pair<int, double>>> supply_terms =
      capacity;
  for (auto it = demand.rbegin(); it != demand.rend(); ++it) {
    const auto& [key, count] = *it;
    const int j = model.AddIntColumn(count);
    best.push_back(0);
    served_vars[key] = j;
    served_by[resources.at(key.first)].push_back({j, count});
    capacity[resources.at(key.first)].push_back({j, 1});
    Level& level = served_levels[key.second];
    level.maximize = true;
    level.terms.push_back({j, 1});
  }
  // Serves more from free instances left over by `x`, higher priorities
  // first; never less, so every fixed level stays satisfied.
  auto serve_leftovers = [&](std::vector<double>& x) {
    for (size_t k = 0; k < resources.size(); ++k) {
      double left = 0;
      for (const auto& [j, a] : supply_terms[k]) left -= a * x[j];
      for (const auto& [j, count] : served_by[k]) left -= x[j];
      for (const auto& [j, count] : served_by[k]) {
        const double more = std::min(left, count - x[j]);
        x[j] += more;
        left -= more;
      }
    }
  };
  serve_leftovers(best);
  for (const auto& row : capacity) model.AddRow(row, GLP_UP, 0);
  if (problem.max_nodes_touched >= 0 && !touched_level.terms.empty()) {
    model.AddRow(touched_level.terms, GLP_UP, problem.max_nodes_touched);
  }

  IlpSolution solution;
  solution.optimal = true;
  solution.columns = model.columns();
  for (const auto& [priority, level] : served_levels) {
    solution.optimal &= model.Optimise(level, deadline, best);
    serve_leftovers(best);
  }
  if (!cost_level.terms.empty()) {
    solution.optimal &= model.Optimise(cost_level, deadline, best);
  }

  for (const auto& [key, j] : served_vars) {
    const int served = static_cast<int>(best[j]);
    solution.served += served;
    solution.served_by_priority[key.second] += served;
    solution.served_by_resource[key.first] += served;
  }
  solution.destroyed = static_cast<int>(Model::Value(destroyed_level, best));
  // Changed GPUs of a node class fill its nodes one after the other.
  std::vector<int> touched(problem.node_classes.size(), 0);
  for (const ClassColumns& cc : classes) {
    IlpGpuAssignment a{cc.node_class, cc.gpu_class, {}};
    int changed = 0;
    for (size_t k = 0; k < cc.columns.size(); ++k) {
      if (const int n = static_cast<int>(best[cc.vars[k]]); n > 0) {
        a.layouts.push_back({cc.columns[k].layout, n});
        if (cc.columns[k].changed) changed += n;
      }
    }
    const int per_node =
        problem.node_classes[cc.node_class].gpus[cc.gpu_class].per_node;
    touched[cc.node_class] =
        std::max(touched[cc.node_class], (changed + per_node - 1) / per_node);
    solution.assignments.push_back(std::move(a));
  }
  for (int t : touched) solution.nodes_touched += t;
  solution.cost = problem.destroy_weight * solution.destroyed +
                  problem.node_weight * solution.nodes_touched;
  solution.seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  return solution;
}

namespace {

// What makes two GPUs interchangeable for the ILP.
struct GpuKey {
  const mig::GpuModel* model;
  mig::Layout current;
  mig::Layout busy;
  bool fixed;
  friend auto operator<=>(const GpuKey&, const GpuKey&) = default;
};

// A node class: its GPU classes and, per member node, the GPU indices of each.
struct NodeGroup {
  std::vector<GpuKey> keys;
  std::vector<int> per_node;
  std::vector<int> nodes;                           // cluster node indices
  std::vector<std::vector<std::vector<int>>> gpus;  // [member][class] -> gpus
};

}  // namespace

absl::StatusOr<PlannerIlp> SolvePlannerIlp(const planner::Cluster& cluster,
                                           const planner::Demand& demand,
                                           const planner::Policy& policy,
                                           const IlpOptions& options) {
  PlannerIlp out;
  IlpProblem& problem = out.problem;
  problem.destroy_weight = policy.destroy_weight;
  problem.node_weight = policy.node_weight;
  problem.max_nodes_touched = policy.max_nodes_touched;
  for (const planner::DemandItem& item : demand.items) {
    absl::StatusOr<mig::ProfileName> name = mig::ParseProfileName(item.profile);
    if (!name.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "demand profile \"", item.profile, "\": ", name.status().message()));
    }
    if (item.count < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "demand for ", item.profile, " has negative count ", item.count));
    }
    problem.demand.push_back(
        {mig::FormatProfileName(*name), item.priority, item.count});
  }
  const std::set<std::string> protected_nodes(policy.protected_nodes.begin(),
                                              policy.protected_nodes.end());
  std::map<std::pair<bool, std::vector<std::pair<GpuKey, int>>>, int> index;
  std::vector<NodeGroup> groups;
  out.targets.resize(cluster.nodes.size());
  for (size_t n = 0; n < cluster.nodes.size(); ++n) {
    const planner::Node& node = cluster.nodes[n];
    std::map<GpuKey, std::vector<int>> by_key;
    for (size_t g = 0; g < node.gpus.size(); ++g) {
      const planner::Gpu& gpu = node.gpus[g];
      if (gpu.model == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "node ", node.name, " GPU ", gpu.index, " has no model"));
      }
      GpuKey key{gpu.model, {}, {}, !gpu.mig_enabled && !gpu.pods.empty()};
      for (const planner::Instance& i : gpu.instances) {
        key.current.push_back(i.gi);
        if (i.busy()) key.busy.push_back(i.gi);
      }
      mig::Canonicalize(key.current);
      mig::Canonicalize(key.busy);
      out.targets[n].push_back(key.current);
      by_key[std::move(key)].push_back(static_cast<int>(g));
    }
    const bool frozen = protected_nodes.contains(node.name);
    std::vector<std::pair<GpuKey, int>> shape;
    shape.reserve(by_key.size());
    for (const auto& [key, gpus] : by_key) {
      shape.push_back({key, static_cast<int>(gpus.size())});
    }
    auto [it, inserted] =
        index.try_emplace({frozen, shape}, static_cast<int>(groups.size()));
    if (inserted) {
      NodeGroup group;
      IlpNodeClass nc;
      nc.nodes = 0;
      nc.frozen = frozen;
      for (const auto& [key, count] : shape) {
        group.keys.push_back(key);
        group.per_node.push_back(count);
        nc.gpus.push_back({key.model, key.current, key.busy, count, key.fixed});
      }
      groups.push_back(std::move(group));
      problem.node_classes.push_back(std::move(nc));
    }
    NodeGroup& group = groups[it->second];
    ++problem.node_classes[it->second].nodes;
    group.nodes.push_back(static_cast<int>(n));
    std::vector<std::vector<int>> members;
    for (const GpuKey& key : group.keys) members.push_back(by_key.at(key));
    group.gpus.push_back(std::move(members));
  }

  absl::StatusOr<IlpSolution> solution = SolveIlp(problem, options);
  if (!solution.ok()) return solution.status();
  out.solution = *std::move(solution);

  for (const IlpGpuAssignment& a : out.solution.assignments) {
    const NodeGroup& group = groups[a.node_class];
    const mig::Layout& current = group.keys[a.gpu_class].current;
    std::vector<const mig::Layout*> changed;
    for (const auto& [layout, count] : a.layouts) {
      if (layout == current) continue;
      for (int k = 0; k < count; ++k) changed.push_back(&layout);
    }
    size_t next = 0;
    for (size_t m = 0; m < group.nodes.size() && next < changed.size(); ++m) {
      for (int g : group.gpus[m][a.gpu_class]) {
        if (next == changed.size()) break;
        out.targets[group.nodes[m]][g] = *changed[next++];
      }
    }
  }
  return out;
}

}  // namespace migctl::planner_ilp
