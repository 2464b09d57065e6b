// PlanCluster: GPUs grouped into classes (same model, layout, busy set), a
// short list of candidate targets per class (candidates.h), then a lazy
// greedy over (class, candidate) moves, a local-search repair, and the cost
// pass (cost_pass.h). docs/planner.md explains the choices.
#include "planner/planner.h"

#include <algorithm>
#include <map>
#include <optional>
#include <queue>
#include <set>
#include <tuple>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "planner/candidates.h"
#include "planner/cost_pass.h"
#include "planner/model_layouts.h"
#include "planner/problem.h"
#include "util/status_macros.h"

namespace migctl::planner {
namespace {

// How good a move is, compared lexicographically.
struct Score {
  absl::InlinedVector<int64_t, 4> gain;  // requests served, per level
  int64_t cost = 0;
  int64_t usable = 0;
  int64_t created = 0;
};

// True when `a` is strictly better than `b`.
bool Better(const Score& a, const Score& b) {
  if (a.gain != b.gain) return a.gain > b.gain;
  if (a.cost != b.cost) return a.cost < b.cost;
  if (a.usable != b.usable) return a.usable > b.usable;
  return a.created < b.created;
}

bool Positive(const absl::InlinedVector<int64_t, 4>& gain) {
  for (int64_t v : gain) {
    if (v != 0) return v > 0;
  }
  return false;
}

// The assignment being built: a candidate per GPU and the resulting supply.
class Search {
 public:
  Search(const Problem& pb, const Classes& classes)
      : pb_(pb),
        all_classes_(classes),
        classes_(classes.classes),
        class_of_(classes.class_of),
        members_(classes_.size()),
        choice_(pb.gpus.size(), 0),
        supply_(pb.profiles.size(), 0),
        changed_on_node_(pb.nodes.size(), 0),
        levels_(static_cast<int>(pb.priorities.size())) {
    for (size_t g = 0; g < pb.gpus.size(); ++g) {
      const Candidate& c = classes_[class_of_[g]].cands[0];
      for (size_t p = 0; p < supply_.size(); ++p) supply_[p] += c.supply[p];
      if (!pb.gpus[g].fixed) {
        members_[class_of_[g]].on_untouched.insert(static_cast<int>(g));
      }
    }
  }

  // Greedy then repair. Staged: once per priority level, judging moves by
  // the levels down to that one only, so lower levels do not take capacity
  // that a later stage could give to a higher one.
  void Run(bool staged) {
    const int all = static_cast<int>(pb_.priorities.size());
    for (levels_ = staged ? 1 : all; levels_ <= all; ++levels_) {
      Greedy();
      Repair();
      PairRepair();
    }
    levels_ = all;
  }

  // The cost pass (cost_pass.h) on the finished assignment.
  void LowerCost() {
    ImproveCost(pb_, all_classes_, &choice_);
    Rebuild();
  }

  // The whole assignment scored as one move from nothing: served per level,
  // cost, usable slices, instances created.
  Score Total() const {
    Score s;
    s.gain.assign(pb_.priorities.size(), 0);
    for (size_t p = 0; p < supply_.size(); ++p) {
      pb_.AddServed(static_cast<int>(p), supply_[p], 1, s.gain.data());
    }
    for (size_t g = 0; g < choice_.size(); ++g) {
      const Candidate& c = classes_[class_of_[g]].cands[choice_[g]];
      s.cost += pb_.policy->destroy_weight * c.destroyed;
      s.usable += c.usable;
      s.created += c.created;
    }
    s.cost += pb_.policy->node_weight * nodes_touched_;
    return s;
  }

  int Choice(int g) const { return choice_[g]; }
  bool node_limit_reached() const { return node_limit_reached_; }

 private:
  // Score of moving one GPU of class `k` from candidate `from` to `to`;
  // `new_node` when that GPU's node has no other change.
  Score Evaluate(int k, int from, int to, bool new_node,
                 bool leaves_node) const {
    const Candidate& a = classes_[k].cands[from];
    const Candidate& b = classes_[k].cands[to];
    Score s;
    s.gain.assign(pb_.priorities.size(), 0);
    auto add = [&](int p, int d) {
      pb_.AddServed(p, supply_[p] + d, 1, s.gain.data());
      pb_.AddServed(p, supply_[p], -1, s.gain.data());
    };
    if (from == 0) {
      for (const auto& [p, d] : b.delta) add(p, d);
    } else {
      for (size_t p = 0; p < supply_.size(); ++p) {
        const int d = b.supply[p] - a.supply[p];
        if (d != 0) add(static_cast<int>(p), d);
      }
    }
    for (size_t l = levels_; l < s.gain.size(); ++l) s.gain[l] = 0;
    const Policy& policy = *pb_.policy;
    s.cost = policy.destroy_weight * (b.destroyed - a.destroyed);
    if (new_node) s.cost += policy.node_weight;
    if (leaves_node) s.cost -= policy.node_weight;
    s.usable = b.usable - a.usable;
    s.created = b.created - a.created;
    return s;
  }

  void Greedy() {
    struct Entry {
      Score score;
      int k;
      int cand;
    };
    auto worse = [](const Entry& a, const Entry& b) {
      if (Better(b.score, a.score)) return true;
      if (Better(a.score, b.score)) return false;
      return std::tie(a.k, a.cand) > std::tie(b.k, b.cand);
    };
    std::priority_queue<Entry, std::vector<Entry>, decltype(worse)> heap(worse);
    // The best move for one more GPU of class `k`, if any serves more.
    auto best_move = [&](int k) -> std::optional<Entry> {
      const Class& cls = classes_[k];
      const bool new_node = members_[k].on_touched.empty();
      std::optional<Entry> best;
      for (int c = 1; c < static_cast<int>(cls.cands.size()); ++c) {
        Score s = Evaluate(k, 0, c, new_node, false);
        if (!Positive(s.gain)) continue;
        if (!best || Better(s, best->score)) best = Entry{std::move(s), k, c};
      }
      return best;
    };
    auto push = [&](int k) {
      if (std::optional<Entry> e = best_move(k)) heap.push(*std::move(e));
    };
    for (int k = 0; k < static_cast<int>(classes_.size()); ++k) push(k);
    while (!heap.empty()) {
      Entry e = heap.top();
      heap.pop();
      Members& cls = members_[e.k];
      int member = -1;
      if (!cls.on_touched.empty()) {
        member = *cls.on_touched.begin();
      } else if (!cls.on_untouched.empty()) {
        if (NodeBudgetLeft()) {
          member = *cls.on_untouched.begin();
        } else {
          node_limit_reached_ = true;
        }
      }
      if (member < 0) continue;
      std::optional<Entry> fresh = best_move(e.k);
      if (!fresh) continue;
      if (!heap.empty() && Better(heap.top().score, fresh->score)) {
        heap.push(*std::move(fresh));
        continue;
      }
      Move(member, fresh->cand, push);
      if (!cls.on_touched.empty() || !cls.on_untouched.empty()) push(e.k);
    }
  }

  // Local search: give each GPU on a touched node the best candidate of its
  // class with every other GPU fixed; repeat while something improves.
  // Score of moving GPU `g` to candidate `c` in the current state.
  Score EvaluateGpu(int g, int c) const {
    const int node = pb_.gpus[g].node;
    const int from = choice_[g];
    const bool new_node = from == 0 && c != 0 && changed_on_node_[node] == 0;
    const bool leaves = from != 0 && c == 0 && changed_on_node_[node] == 1;
    return Evaluate(class_of_[g], from, c, new_node, leaves);
  }

  // Pair moves on touched nodes: a change of one GPU that alone is no better
  // because it loses requests of some profiles, together with the best
  // change of a second GPU that adds supply of one of those profiles.
  // Quadratic, so bounded: at most kMaxMoves candidate moves on touched
  // nodes, and kMaxPairs pairs evaluated per search.
  void PairRepair() {
    static constexpr int kMaxMoves = 6000;
    static constexpr int64_t kMaxPairs = 600'000;
    if (pb_.profiles.size() > 64) return;
    struct Option {
      int gpu;
      int cand;
      uint64_t adds;  // profiles whose supply it raises
    };
    std::vector<Option> moves;
    int64_t& pairs = pairs_evaluated_;
    Score zero;
    zero.gain.assign(pb_.priorities.size(), 0);
    for (int round = 0; round < 8 && pairs < kMaxPairs; ++round) {
      moves.clear();
      for (int g = 0; g < static_cast<int>(pb_.gpus.size()); ++g) {
        const GpuRef& ref = pb_.gpus[g];
        if (ref.fixed || changed_on_node_[ref.node] == 0) continue;
        const std::vector<Candidate>& cands = classes_[class_of_[g]].cands;
        const std::vector<int>& now = cands[choice_[g]].supply;
        for (int c = 0; c < static_cast<int>(cands.size()); ++c) {
          if (c == choice_[g]) continue;
          uint64_t adds = 0;
          for (size_t p = 0; p < now.size(); ++p) {
            if (cands[c].supply[p] > now[p]) adds |= uint64_t{1} << p;
          }
          moves.push_back({g, c, adds});
        }
        if (static_cast<int>(moves.size()) > kMaxMoves) return;
      }
      std::optional<std::pair<Option, Option>> best;
      Score best_score = zero;
      for (const Option& m1 : moves) {
        Score s1 = EvaluateGpu(m1.gpu, m1.cand);
        if (Better(s1, zero)) continue;  // Repair takes single moves
        // The profiles whose served requests the move loses.
        const std::vector<Candidate>& cands = classes_[class_of_[m1.gpu]].cands;
        const std::vector<int>& a = cands[choice_[m1.gpu]].supply;
        const std::vector<int>& b = cands[m1.cand].supply;
        uint64_t loses = 0;
        for (size_t p = 0; p < a.size(); ++p) {
          int64_t wanted = 0;
          for (int64_t d : pb_.demand[p]) wanted += d;
          if (b[p] < a[p] && supply_[p] + b[p] - a[p] < wanted) {
            loses |= uint64_t{1} << p;
          }
        }
        if (loses == 0) continue;
        const int back = choice_[m1.gpu];
        Move(m1.gpu, m1.cand, [](int) {});
        for (const Option& m2 : moves) {
          if (pairs >= kMaxPairs) break;
          if ((m2.adds & loses) == 0 || m2.gpu == m1.gpu) continue;
          if (changed_on_node_[pb_.gpus[m2.gpu].node] == 0) continue;
          ++pairs;
          Score s = EvaluateGpu(m2.gpu, m2.cand);
          for (size_t l = 0; l < s.gain.size(); ++l) s.gain[l] += s1.gain[l];
          s.cost += s1.cost;
          s.usable += s1.usable;
          s.created += s1.created;
          if (Better(s, best_score)) {
            best_score = std::move(s);
            best = {m1, m2};
          }
        }
        Move(m1.gpu, back, [](int) {});
      }
      if (!best) return;
      Move(best->first.gpu, best->first.cand, [](int) {});
      Move(best->second.gpu, best->second.cand, [](int) {});
      Repair();
    }
  }

  void Repair() {
    for (int round = 0; round < 4; ++round) {
      bool improved = false;
      for (int g = 0; g < static_cast<int>(pb_.gpus.size()); ++g) {
        const GpuRef& ref = pb_.gpus[g];
        if (ref.fixed || changed_on_node_[ref.node] == 0) continue;
        const int k = class_of_[g];
        const int from = choice_[g];
        const bool alone = from != 0 && changed_on_node_[ref.node] == 1;
        int best = from;
        Score best_score;
        best_score.gain.assign(pb_.priorities.size(), 0);
        for (int c = 0; c < static_cast<int>(classes_[k].cands.size()); ++c) {
          if (c == from) continue;
          const bool new_node = false;  // the node is touched already
          const bool leaves = alone && c == 0;
          Score s = Evaluate(k, from, c, new_node, leaves);
          if (Better(s, best_score)) {
            best = c;
            best_score = std::move(s);
          }
        }
        if (best != from) {
          Move(g, best, [](int) {});
          improved = true;
        }
      }
      if (!improved) break;
    }
  }

  bool NodeBudgetLeft() const {
    const int max = pb_.policy->max_nodes_touched;
    return max < 0 || nodes_touched_ < max;
  }

  // Moves GPU `g` to candidate `to`, keeping the class member sets and node
  // counts right; `on_new_touched` gets each class that gains its first
  // member on a touched node.
  template <typename F>
  void Move(int g, int to, F on_new_touched) {
    const int k = class_of_[g];
    const Class& cands = classes_[k];
    Members& cls = members_[k];
    const int from = choice_[g];
    for (size_t p = 0; p < supply_.size(); ++p) {
      supply_[p] += cands.cands[to].supply[p] - cands.cands[from].supply[p];
    }
    choice_[g] = to;
    const int node = pb_.gpus[g].node;
    if (from == 0) {
      cls.on_touched.erase(g);
      cls.on_untouched.erase(g);
      if (changed_on_node_[node]++ == 0) {
        ++nodes_touched_;
        ForNodeUnchanged(node, g, [&](int h) {
          Members& other = members_[class_of_[h]];
          const bool first = other.on_touched.empty();
          other.on_untouched.erase(h);
          other.on_touched.insert(h);
          if (first) on_new_touched(class_of_[h]);
        });
      }
    }
    if (to == 0) {
      if (--changed_on_node_[node] == 0) {
        --nodes_touched_;
        ForNodeUnchanged(node, g, [&](int h) {
          members_[class_of_[h]].on_touched.erase(h);
          members_[class_of_[h]].on_untouched.insert(h);
        });
        cls.on_untouched.insert(g);
      } else {
        cls.on_touched.insert(g);
      }
    }
  }

  template <typename F>
  void ForNodeUnchanged(int node, int except, F f) {
    // GPUs of a node are contiguous in Problem::gpus.
    int first = except;
    while (first > 0 && pb_.gpus[first - 1].node == node) --first;
    for (int h = first;
         h < static_cast<int>(pb_.gpus.size()) && pb_.gpus[h].node == node;
         ++h) {
      if (h != except && choice_[h] == 0 && !pb_.gpus[h].fixed) f(h);
    }
  }

  // A class's GPUs still at their current layout.
  struct Members {
    std::set<int> on_touched;    // on nodes already touched
    std::set<int> on_untouched;  // on untouched nodes
  };

  // Recomputes supply, node counts and class members from choice_.
  void Rebuild() {
    std::fill(supply_.begin(), supply_.end(), 0);
    std::fill(changed_on_node_.begin(), changed_on_node_.end(), 0);
    nodes_touched_ = 0;
    for (size_t g = 0; g < pb_.gpus.size(); ++g) {
      const Candidate& c = classes_[class_of_[g]].cands[choice_[g]];
      for (size_t p = 0; p < supply_.size(); ++p) supply_[p] += c.supply[p];
      if (choice_[g] != 0 && changed_on_node_[pb_.gpus[g].node]++ == 0) {
        ++nodes_touched_;
      }
    }
    for (Members& m : members_) m = {};
    for (size_t g = 0; g < pb_.gpus.size(); ++g) {
      if (pb_.gpus[g].fixed || choice_[g] != 0) continue;
      Members& m = members_[class_of_[g]];
      (changed_on_node_[pb_.gpus[g].node] > 0 ? m.on_touched : m.on_untouched)
          .insert(static_cast<int>(g));
    }
  }

  const Problem& pb_;
  const Classes& all_classes_;
  const std::vector<Class>& classes_;
  const std::vector<int>& class_of_;
  std::vector<Members> members_;
  std::vector<int> choice_;
  std::vector<int64_t> supply_;
  std::vector<int> changed_on_node_;
  int nodes_touched_ = 0;
  bool node_limit_reached_ = false;
  int levels_ = 0;               // priority levels that count in Evaluate
  int64_t pairs_evaluated_ = 0;  // by PairRepair, against its budget
};

// The plan of a finished search: each chosen (class, counts) turned into the
// layout apply builds from those counts, then the report.
absl::StatusOr<Plan> FinishPlan(const Problem& pb,
                                const std::vector<Class>& classes,
                                const std::vector<int>& class_of,
                                const Search& search) {
  std::map<std::pair<int, int>, mig::Layout> layouts;
  std::vector<mig::Layout> after(pb.gpus.size());
  for (size_t g = 0; g < pb.gpus.size(); ++g) {
    const int c = search.Choice(static_cast<int>(g));
    if (c == 0) {
      after[g] = pb.gpus[g].before;
      continue;
    }
    const int k = class_of[g];
    auto it = layouts.find({k, c});
    if (it == layouts.end()) {
      const GpuRef& ref = pb.gpus[g];
      absl::StatusOr<mig::Layout> l =
          ApplyCounts(*ref.gpu->model, ref.gpu->instances,
                      LayoutsOf(*ref.gpu->model)
                          .distinct_counts[classes[k].cands[c].counts_id]);
      if (!l.ok()) {
        return absl::InternalError(absl::StrCat(
            "node ", pb.nodes[ref.node]->name, " GPU ", ref.gpu->index,
            ": planned counts do not fit: ", l.status().message()));
      }
      it = layouts.emplace(std::make_pair(k, c), *std::move(l)).first;
    }
    after[g] = it->second;
  }
  return BuildPlan(pb, after, search.node_limit_reached());
}

}  // namespace

config::GpuTarget GpuPlan::Target() const {
  config::GpuTarget t;
  t.mig_enabled = mig_enabled_after;
  if (mig_enabled_after) {
    t.profiles = mig::CountProfiles(after);
    t.layout = after;
  }
  return t;
}

double Report::fragmentation() const {
  if (free_memory_slices == 0) return 0;
  return 1.0 - static_cast<double>(usable_free_memory_slices) /
                   static_cast<double>(free_memory_slices);
}

absl::StatusOr<Plan> PlanCluster(const Cluster& cluster, const Demand& demand,
                                 const Policy& policy) {
  ASSIGN_OR_RETURN(Problem pb, MakeProblem(cluster, demand, policy));
  const Classes classes = MakeClasses(pb);
  // Two strategies; the better plan wins (ties: the single-stage one). The
  // cost pass never serves fewer requests, so when one serves more per level
  // it alone gets the pass; when they serve the same, both do.
  Search single(pb, classes);
  single.Run(/*staged=*/false);
  Search staged(pb, classes);
  staged.Run(/*staged=*/true);
  const Score a = single.Total();
  const Score b = staged.Total();
  if (a.gain == b.gain || Better(a, b)) single.LowerCost();
  if (a.gain == b.gain || Better(b, a)) staged.LowerCost();
  const Search& search =
      Better(staged.Total(), single.Total()) ? staged : single;

  return FinishPlan(pb, classes.classes, classes.class_of, search);
}

absl::StatusOr<Plan> EvaluateTargets(
    const Cluster& cluster, const Demand& demand, const Policy& policy,
    const std::vector<std::vector<mig::Layout>>& targets) {
  ASSIGN_OR_RETURN(Problem pb, MakeProblem(cluster, demand, policy));
  std::vector<mig::Layout> after(pb.gpus.size());
  for (size_t g = 0; g < pb.gpus.size(); ++g) {
    const GpuRef& ref = pb.gpus[g];
    const std::string name = absl::StrCat("node ", pb.nodes[ref.node]->name,
                                          " GPU ", ref.gpu->index);
    if (ref.input_node >= static_cast<int>(targets.size()) ||
        ref.input_gpu >= static_cast<int>(targets[ref.input_node].size())) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": no target layout given"));
    }
    mig::Layout l = targets[ref.input_node][ref.input_gpu];
    mig::Canonicalize(l);
    if (absl::Status s = mig::ValidateLayout(*ref.gpu->model, l); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": target layout is not valid: ", s.message()));
    }
    if (!std::includes(l.begin(), l.end(), ref.busy.begin(), ref.busy.end())) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": target layout drops a busy instance"));
    }
    if (ref.fixed && l != ref.before) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": target changes a GPU that may not change"));
    }
    after[g] = std::move(l);
  }
  Plan plan = BuildPlan(pb, after, false);
  if (policy.max_nodes_touched >= 0 &&
      plan.report.nodes_touched > policy.max_nodes_touched) {
    return absl::InvalidArgumentError(
        absl::StrCat("targets touch ", plan.report.nodes_touched,
                     " nodes; the policy allows ", policy.max_nodes_touched));
  }
  return plan;
}

mig::Layout CurrentLayout(const Gpu& gpu) {
  mig::Layout layout;
  for (const Instance& i : gpu.instances) layout.push_back(i.gi);
  mig::Canonicalize(layout);
  return layout;
}

absl::Status ValidateGpu(const Gpu& gpu) {
  if (gpu.model == nullptr) return absl::InvalidArgumentError("no GPU model");
  if (!gpu.mig_enabled && !gpu.instances.empty()) {
    return absl::InvalidArgumentError(
        "MIG is disabled but GPU instances are listed");
  }
  if (gpu.instances.size() > 16) {
    return absl::InvalidArgumentError("more than 16 GPU instances");
  }
  if (absl::Status s = mig::ValidateLayout(*gpu.model, CurrentLayout(gpu));
      !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "current layout is not valid on ", gpu.model->key, ": ", s.message()));
  }
  return absl::OkStatus();
}

std::vector<mig::Layout> CandidateLayouts(const Gpu& gpu) {
  mig::Layout before;
  mig::Layout busy;
  for (const Instance& i : gpu.instances) {
    before.push_back(i.gi);
    if (i.busy()) busy.push_back(i.gi);
  }
  mig::Canonicalize(before);
  mig::Canonicalize(busy);
  if (gpu.model == nullptr || (!gpu.mig_enabled && !gpu.pods.empty())) {
    return {before};
  }
  std::vector<mig::Layout> out;
  for (const mig::Layout& l : LayoutsOf(*gpu.model).layouts) {
    if (std::includes(l.begin(), l.end(), busy.begin(), busy.end())) {
      out.push_back(l);
    }
  }
  return out;
}

}  // namespace migctl::planner
