// ImproveCost: single changes that the surplus of over-supplied profiles
// absorbs, then ruin and recreate: take back all changes of a touched node,
// or one GPU's change for a cheaper candidate, and restore the supply that
// takes away with the cheapest changes elsewhere (cost per unit restored);
// keep the result only when the plan got cheaper.
#include "planner/cost_pass.h"

#include <algorithm>
#include <cstdint>
#include <tuple>
#include <utility>

namespace migctl::planner {
namespace {

// Candidate evaluations the pass may spend: about 0.1 s of one core here.
// The 1k-GPU bench fleet converges within it; on the 10k-GPU one the pass
// stops at it.
constexpr int64_t kMaxEvaluations = 40'000'000;
// Rounds of (single changes, ruin and recreate) while something improves.
constexpr int kMaxRounds = 3;
// Changes one recreate may make.
constexpr int kMaxRecreateSteps = 16;
constexpr int kNever = 1 << 30;
// How far (in GPU order) Recreate looks for the GPU that stands in for one
// it changed as its group's representative.
constexpr int kSuccessorWindow = 64;

// One run of the pass over an assignment (`choice`, changed in place): its
// supply, cost figures and node counts kept up to date, with an undo log.
class Pass {
 public:
  Pass(const Problem& pb, const Classes& classes, std::vector<int>* choice)
      : pb_(pb),
        classes_(classes.classes),
        class_of_(classes.class_of),
        choice_(*choice),
        supply_(pb.profiles.size(), 0),
        need_(pb.profiles.size(), 0),
        changed_on_node_(pb.nodes.size(), 0),
        node_begin_(pb.nodes.size() + 1, static_cast<int>(pb.gpus.size())),
        class_offset_(classes_.size() + 1, 0) {
    for (size_t g = 0; g < pb.gpus.size(); ++g) {
      const Candidate& c = Cand(static_cast<int>(g), choice_[g]);
      for (size_t p = 0; p < supply_.size(); ++p) supply_[p] += c.supply[p];
      destroyed_ += c.destroyed;
      usable_ += c.usable;
      created_ += c.created;
      const int n = pb.gpus[g].node;
      if (choice_[g] != 0 && changed_on_node_[n]++ == 0) ++nodes_touched_;
    }
    for (int g = static_cast<int>(pb.gpus.size()) - 1; g >= 0; --g) {
      node_begin_[pb.gpus[g].node] = g;
    }
    for (int n = static_cast<int>(pb.nodes.size()) - 1; n >= 0; --n) {
      node_begin_[n] = std::min(node_begin_[n], node_begin_[n + 1]);
    }
    for (size_t p = 0; p < need_.size(); ++p) {
      int64_t wanted = 0;
      for (int64_t d : pb.demand[p]) wanted += d;
      need_[p] = std::min(supply_[p], wanted);
    }
    for (size_t k = 0; k < classes_.size(); ++k) {
      class_offset_[k + 1] =
          class_offset_[k] + static_cast<int>(classes_[k].cands.size());
    }
    seen_.assign(3 * static_cast<size_t>(class_offset_.back()), 0);
    group_stamp_.assign(seen_.size(), 0);
    group_node_.assign(seen_.size(), -1);
    const size_t profiles = supply_.size();
    flat_supply_.reserve(class_offset_.back() * profiles);
    for (const Class& cls : classes_) {
      for (const Candidate& c : cls.cands) {
        flat_supply_.insert(flat_supply_.end(), c.supply.begin(),
                            c.supply.end());
      }
    }
    for (const GpuRef& ref : pb.gpus) {
      node_of_.push_back(ref.fixed ? -1 : ref.node);
    }
    // From the current layout: the fewest destroyed to add each profile.
    min_destroyed_.assign(classes_.size() * profiles, kNever);
    for (size_t k = 0; k < classes_.size(); ++k) {
      const std::vector<Candidate>& cands = classes_[k].cands;
      for (const Candidate& c : cands) {
        for (size_t p = 0; p < profiles; ++p) {
          if (c.supply[p] <= cands[0].supply[p]) continue;
          int& m = min_destroyed_[k * profiles + p];
          m = std::min(m, c.destroyed);
        }
      }
    }
  }

  void Run() {
    for (int round = 0; round < kMaxRounds && !OutOfBudget(); ++round) {
      const bool singles = SingleMoves();
      const bool ruins = RuinAndRecreate();
      if (!singles && !ruins) break;
    }
  }

 private:
  // (cost, -usable slices, created): lower is better.
  using Key = std::tuple<int64_t, int64_t, int64_t>;

  Key Now() const {
    const Policy& policy = *pb_.policy;
    return {policy.destroy_weight * destroyed_ +
                policy.node_weight * nodes_touched_,
            -usable_, created_};
  }

  const Candidate& Cand(int g, int c) const {
    return classes_[class_of_[g]].cands[c];
  }

  bool OutOfBudget() const { return evaluations_ >= kMaxEvaluations; }

  // What profile `p` may lose without serving fewer requests.
  int64_t Surplus(size_t p) const {
    return std::max<int64_t>(0, supply_[p] - need_[p]);
  }

  // True when going from `a` to `b` leaves every profile at least the
  // supply it needs (or, where it lacks some now, no less than it has).
  bool Keeps(const Candidate& a, const Candidate& b) const {
    for (size_t p = 0; p < supply_.size(); ++p) {
      const int d = b.supply[p] - a.supply[p];
      if (d < 0 && -d > Surplus(p)) return false;
    }
    return true;
  }

  // Node cost change (in nodes) of moving GPU `g` to candidate `b`.
  int NodeDelta(int g, int b) const {
    const int on_node = changed_on_node_[pb_.gpus[g].node];
    if (choice_[g] == 0 && b != 0 && on_node == 0) return 1;
    if (choice_[g] != 0 && b == 0 && on_node == 1) return -1;
    return 0;
  }

  Key Delta(int g, int b) const {
    const Candidate& a = Cand(g, choice_[g]);
    const Candidate& c = Cand(g, b);
    const Policy& policy = *pb_.policy;
    return {policy.destroy_weight * (c.destroyed - a.destroyed) +
                policy.node_weight * NodeDelta(g, b),
            a.usable - c.usable, c.created - a.created};
  }

  bool NodeLimitAllows(int g, int b) const {
    const int max = pb_.policy->max_nodes_touched;
    return max < 0 || NodeDelta(g, b) <= 0 || nodes_touched_ < max;
  }

  // Moves GPU `g` to candidate `b`, logged for Rollback.
  void Apply(int g, int b) {
    const int a = choice_[g];
    const Candidate& from = Cand(g, a);
    const Candidate& to = Cand(g, b);
    for (size_t p = 0; p < supply_.size(); ++p) {
      supply_[p] += to.supply[p] - from.supply[p];
    }
    destroyed_ += to.destroyed - from.destroyed;
    usable_ += to.usable - from.usable;
    created_ += to.created - from.created;
    const int n = pb_.gpus[g].node;
    if (a == 0 && b != 0 && changed_on_node_[n]++ == 0) ++nodes_touched_;
    if (a != 0 && b == 0 && --changed_on_node_[n] == 0) --nodes_touched_;
    choice_[g] = b;
    log_.emplace_back(g, a);
  }

  // Undoes every change since the log was last cleared.
  void Rollback() {
    while (!log_.empty()) {
      const auto [g, a] = log_.back();
      Apply(g, a);
      log_.pop_back();  // the entry Apply just added
      log_.pop_back();
    }
  }

  // Each changed GPU takes its best candidate that every profile's surplus
  // absorbs, when that lowers the cost (or keeps it and frees usable
  // slices). True when something changed.
  bool SingleMoves() {
    bool improved = false;
    const Key zero{0, 0, 0};
    for (int g = 0; g < static_cast<int>(pb_.gpus.size()); ++g) {
      if (choice_[g] == 0) continue;
      const int a = choice_[g];
      const std::vector<Candidate>& cands = classes_[class_of_[g]].cands;
      int best = a;
      Key best_delta = zero;
      for (int b = 0; b < static_cast<int>(cands.size()); ++b) {
        ++evaluations_;
        if (b == a || !Keeps(cands[a], cands[b])) continue;
        const Key d = Delta(g, b);
        if (d < best_delta) {
          best = b;
          best_delta = d;
        }
      }
      if (best != a) {
        Apply(g, best);
        improved = true;
      }
    }
    log_.clear();
    return improved;
  }

  // The group of GPU `g` for Recreate: GPUs of a class with the same
  // candidate and node state (untouched, touched, the only change of its
  // node) are interchangeable there.
  int Group(int g) const {
    const int a = choice_[g];
    const int on_node = changed_on_node_[node_of_[g]];
    const int state = on_node == 0 ? 0 : (a != 0 && on_node == 1 ? 2 : 1);
    return 3 * (class_offset_[class_of_[g]] + a) + state;
  }

  // The GPUs Recreate looks at: the first two of each group on different
  // nodes (one may be the node or GPU being taken back), in GPU order.
  // Rebuilt whenever a ruin is kept; within one ruin and recreate a few
  // GPUs change group, and are then looked at as their old group's member.
  void BuildRepresentatives() {
    ++epoch_;
    representatives_.clear();
    for (int g = 0; g < static_cast<int>(pb_.gpus.size()); ++g) {
      if (node_of_[g] < 0) continue;
      const int group = Group(g);
      if (group_stamp_[group] != epoch_) {
        group_stamp_[group] = epoch_;
        group_node_[group] = node_of_[g];
        representatives_.push_back(g);
      } else if (group_node_[group] >= 0 && group_node_[group] != node_of_[g]) {
        group_node_[group] = -1;  // has its two
        representatives_.push_back(g);
      }
    }
  }

  // Profiles whose supply is below what they need.
  std::vector<int> Lacking() const {
    std::vector<int> out;
    for (size_t p = 0; p < supply_.size(); ++p) {
      if (supply_[p] < need_[p]) out.push_back(static_cast<int>(p));
    }
    return out;
  }

  // One step of Recreate: what is missing, the GPUs it may not use, and the
  // best change found so far.
  struct Step {
    std::vector<int> lacking;
    int64_t missing = 0;  // instances, over `lacking`
    int64_t room = 0;     // the most this step may cost
    int skip_node = -1;
    int skip_gpu = -1;
    int g = -1;  // the best change: GPU g to candidate b
    int b = 0;
    int64_t cost = 0;
    int64_t units = 0;  // of missing supply it restores
    int usable = 0;
    // True when the best change restores everything at no cost.
    bool Done() const { return g >= 0 && cost <= 0 && units == missing; }
  };

  // Offers GPU `g`'s changes to `step` unless another GPU of its group was
  // looked at already.
  void Consider(int g, Step* step) {
    ++evaluations_;
    const int node = node_of_[g];
    if (node < 0 || g == step->skip_gpu || node == step->skip_node) return;
    const int group = Group(g);
    if (seen_[group] == scan_) return;
    seen_[group] = scan_;
    const Policy& policy = *pb_.policy;
    const int a = choice_[g];
    const int k = class_of_[g];
    const size_t profiles = supply_.size();
    if (a == 0) {
      // Skip the class when no change of it is cheap enough.
      const int64_t node_cost = group % 3 == 0 ? policy.node_weight : 0;
      bool cheap = false;
      for (int p : step->lacking) {
        const int m = min_destroyed_[k * profiles + p];
        cheap |=
            m != kNever && policy.destroy_weight * m + node_cost <= step->room;
      }
      if (!cheap) return;
    }
    const std::vector<Candidate>& cands = classes_[k].cands;
    const Candidate& from = cands[a];
    const int* from_supply = &flat_supply_[(class_offset_[k] + a) * profiles];
    for (int b = 0; b < static_cast<int>(cands.size()); ++b) {
      ++evaluations_;
      if (b == a) continue;
      const int* to_supply = &flat_supply_[(class_offset_[k] + b) * profiles];
      int64_t units = 0;
      for (int p : step->lacking) {
        const int d = to_supply[p] - from_supply[p];
        if (d > 0) units += std::min<int64_t>(d, need_[p] - supply_[p]);
      }
      if (units == 0) continue;
      const Candidate& to = cands[b];
      const int64_t cost =
          policy.destroy_weight * (to.destroyed - from.destroyed) +
          policy.node_weight * NodeDelta(g, b);
      if (cost > step->room || !NodeLimitAllows(g, b) || !Keeps(from, to)) {
        continue;
      }
      const int usable = to.usable - from.usable;
      // cost / units < step->cost / step->units, without division.
      const int64_t lhs = cost * step->units;
      const int64_t rhs = step->cost * units;
      if (step->g < 0 || lhs < rhs ||
          (lhs == rhs &&
           std::tie(units, usable) > std::tie(step->units, step->usable))) {
        step->g = g;
        step->b = b;
        step->cost = cost;
        step->units = units;
        step->usable = usable;
      }
    }
  }

  // Restores every profile's needed supply with changes of GPUs other than
  // `skip_gpu` and those of node `skip_node`, never raising the cost above
  // `max_cost`: each step takes the change with the lowest cost per unit of
  // missing supply it restores (then the most units, then the most usable
  // slices) that takes nothing needed from any profile, among the
  // representatives (BuildRepresentatives) and those standing in for the
  // ones it changed; a change that restores everything at no cost ends the
  // step's search. False when it cannot (the caller rolls back).
  bool Recreate(int skip_node, int skip_gpu, int64_t max_cost) {
    for (int steps = 0; steps < kMaxRecreateSteps; ++steps) {
      Step step;
      step.lacking = Lacking();
      if (step.lacking.empty()) return true;
      if (OutOfBudget()) return false;
      for (int p : step.lacking) step.missing += need_[p] - supply_[p];
      step.room = max_cost - std::get<0>(Now());
      step.skip_node = skip_node;
      step.skip_gpu = skip_gpu;
      ++scan_;
      for (const int g : representatives_) {
        Consider(g, &step);
        if (step.Done()) break;
      }
      for (size_t i = 0; i < successors_.size() && !step.Done(); ++i) {
        Consider(successors_[i], &step);
      }
      if (step.g < 0) return false;
      // The GPU leaves its group: the group's next GPU (if near) stands in.
      const int group = Group(step.g);
      Apply(step.g, step.b);
      const int end = std::min(static_cast<int>(pb_.gpus.size()),
                               step.g + 1 + kSuccessorWindow);
      for (int h = step.g + 1; h < end; ++h) {
        if (node_of_[h] >= 0 && Group(h) == group) {
          successors_.push_back(h);
          break;
        }
      }
    }
    return Lacking().empty();
  }

  // One ruin: a touched node whose changes all go back (`gpu` < 0), or one
  // GPU going to the cheaper candidate `cand`; `saving` orders them.
  struct Ruin {
    int64_t saving = 0;
    int node = -1;
    int gpu = -1;
    int from = 0;
    int cand = 0;
  };

  std::vector<Ruin> Ruins() const {
    const Policy& policy = *pb_.policy;
    std::vector<Ruin> out;
    for (int n = 0; n < static_cast<int>(pb_.nodes.size()); ++n) {
      if (changed_on_node_[n] == 0) continue;
      Ruin r;
      r.node = n;
      r.saving = policy.node_weight;
      for (int g = node_begin_[n]; g < node_begin_[n + 1]; ++g) {
        r.saving += policy.destroy_weight * Cand(g, choice_[g]).destroyed;
      }
      out.push_back(r);
    }
    for (int g = 0; g < static_cast<int>(pb_.gpus.size()); ++g) {
      const int a = choice_[g];
      const std::vector<Candidate>& cands = classes_[class_of_[g]].cands;
      for (int b = 0; b < static_cast<int>(cands.size()); ++b) {
        if (b == 0 && changed_on_node_[pb_.gpus[g].node] == 1) continue;
        if (cands[b].destroyed >= cands[a].destroyed) continue;
        out.push_back(
            {policy.destroy_weight * (cands[a].destroyed - cands[b].destroyed),
             pb_.gpus[g].node, g, a, b});
      }
    }
    // One GPU's change first: those ruins take back little, so few changes
    // elsewhere are cheap enough to restore it and the search for them is
    // short; then whole nodes. Each kind by saving, largest first.
    std::stable_sort(out.begin(), out.end(), [](const Ruin& x, const Ruin& y) {
      if ((x.gpu < 0) != (y.gpu < 0)) return x.gpu >= 0;
      return x.saving > y.saving;
    });
    return out;
  }

  // Tries every ruin in turn, keeping each one that lowers the plan's key.
  // True when one did.
  bool RuinAndRecreate() {
    bool improved = false;
    BuildRepresentatives();
    for (const Ruin& r : Ruins()) {
      if (OutOfBudget()) break;
      const Key before = Now();
      if (r.gpu < 0) {
        if (changed_on_node_[r.node] == 0) continue;
        for (int g = node_begin_[r.node]; g < node_begin_[r.node + 1]; ++g) {
          if (choice_[g] != 0) Apply(g, 0);
        }
      } else {
        if (choice_[r.gpu] != r.from) continue;
        Apply(r.gpu, r.cand);
      }
      const bool restored = Recreate(
          r.gpu < 0 ? r.node : -1, r.gpu < 0 ? -1 : r.gpu, std::get<0>(before));
      if (restored && Now() < before) {
        improved = true;
        BuildRepresentatives();
      } else {
        Rollback();
      }
      log_.clear();
      successors_.clear();
    }
    return improved;
  }

  const Problem& pb_;
  const std::vector<Class>& classes_;
  const std::vector<int>& class_of_;
  std::vector<int>& choice_;
  std::vector<int64_t> supply_;
  std::vector<int64_t> need_;  // per profile: min(supply at start, demand)
  std::vector<int> changed_on_node_;
  std::vector<int> node_begin_;    // first GPU of each node; [nodes] = end
  std::vector<int> class_offset_;  // first candidate of each class, flat
  std::vector<int> seen_;          // [group]: scan_ when looked at
  // BuildRepresentatives: per group, epoch_ when met and the node of its
  // first GPU (-1 once it has two).
  std::vector<int> group_stamp_;
  std::vector<int> group_node_;
  int epoch_ = 0;
  std::vector<int> representatives_;
  // GPUs standing in for those Recreate moved (current ruin only).
  std::vector<int> successors_;
  // Candidates' supply, flat: [(class_offset_[k] + c) * profiles + p].
  std::vector<int> flat_supply_;
  std::vector<int> node_of_;  // per GPU: its node, -1 when it may not change
  // [class * profiles + p]: the fewest instances a GPU of the class at its
  // current layout destroys to supply more of p; kNever when it cannot.
  std::vector<int> min_destroyed_;
  int scan_ = 0;
  int64_t destroyed_ = 0;
  int64_t usable_ = 0;
  int64_t created_ = 0;
  int nodes_touched_ = 0;
  int64_t evaluations_ = 0;
  std::vector<std::pair<int, int>> log_;  // (GPU, candidate before)
};

}  // namespace

void ImproveCost(const Problem& pb, const Classes& classes,
                 std::vector<int>* choice) {
  Pass(pb, classes, choice).Run();
}

}  // namespace migctl::planner
