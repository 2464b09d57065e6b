// Classes of interchangeable GPUs and their candidate targets.
#include "planner/candidates.h"

#include <algorithm>
#include <bit>
#include <map>
#include <string>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "planner/model_layouts.h"

namespace migctl::planner {
namespace {

std::string ClassKey(const GpuRef& g) {
  std::string key = absl::StrCat(g.gpu->model->key, g.fixed ? "|F" : "|",
                                 g.gpu->mig_enabled ? "e" : "d");
  for (const Instance& i : g.gpu->instances) {
    absl::StrAppend(&key, "|", i.gi.profile_id, "@", i.gi.placement.start, ":",
                    i.gi.placement.size, i.busy() ? "b" : "");
  }
  return key;
}

// Per model, for this demand: each layout's demanded supply grouped into
// distinct vectors, and the slices demanded profiles can use in it.
struct ModelView {
  const ModelLayouts* t = nullptr;
  std::vector<int> group;                // layout -> index into `supply`
  std::vector<std::vector<int>> supply;  // distinct demanded supply vectors
  // Slices of the layout's instances of demanded profiles, plus the free
  // slices more of them could take.
  std::vector<int> usable;
};

ModelView MakeModelView(const Problem& pb, const mig::GpuModel& model) {
  ModelView v;
  v.t = &LayoutsOf(model);
  const std::vector<int> extra = UsableExtraSlices(pb, model);
  std::map<std::vector<int>, int> groups;
  for (size_t i = 0; i < v.t->layouts.size(); ++i) {
    std::vector<int> supply(pb.profiles.size(), 0);
    int usable = extra[i];
    for (const mig::PlacedGpuInstance& gi : v.t->layouts[i]) {
      const int p = pb.ProfileIndex(model, gi.profile_id);
      if (p < 0) continue;
      ++supply[p];
      usable += model.FindProfileById(gi.profile_id)->memory_slices();
    }
    auto [it, inserted] =
        groups.try_emplace(supply, static_cast<int>(v.supply.size()));
    if (inserted) v.supply.push_back(std::move(supply));
    v.group.push_back(it->second);
    v.usable.push_back(usable);
  }
  return v;
}

// True when `a` is at least as good as `b` in every respect.
bool Dominates(const Candidate& a, const Candidate& b) {
  for (size_t p = 0; p < a.supply.size(); ++p) {
    if (a.supply[p] < b.supply[p]) return false;
  }
  return a.destroyed <= b.destroyed && a.usable >= b.usable &&
         a.created <= b.created;
}

// The candidates of a class: current first, then one per distinct demanded
// supply (the layout keeping the most current instances, then the most
// usable slices, then the fewest new instances), leaving out those that add
// nothing demanded or that another candidate dominates. Busy instances are
// in every candidate, so they shift supply and usable slices equally and are
// subtracted only from `supply`.
std::vector<Candidate> MakeCandidates(const Problem& pb, const GpuRef& g,
                                      const ModelView& v) {
  const ModelLayouts& t = *v.t;
  std::vector<int> busy_supply(pb.profiles.size(), 0);
  for (const mig::PlacedGpuInstance& gi : g.busy) {
    const int p = pb.ProfileIndex(*g.gpu->model, gi.profile_id);
    if (p >= 0) ++busy_supply[p];
  }
  auto supply_of = [&](int group) {
    std::vector<int> s = v.supply[group];
    for (size_t p = 0; p < s.size(); ++p) s[p] -= busy_supply[p];
    return s;
  };
  const int current_index = t.index.at(g.before);
  const int current_group = v.group[current_index];
  std::vector<Candidate> out;
  Candidate current;
  current.counts_id = t.counts_id[current_index];
  current.supply = supply_of(current_group);
  current.usable = v.usable[current_index];
  out.push_back(current);
  if (g.fixed) return out;

  std::vector<bool> adds(v.supply.size(), false);
  for (size_t k = 0; k < v.supply.size(); ++k) {
    for (size_t p = 0; p < pb.profiles.size(); ++p) {
      if (v.supply[k][p] > v.supply[current_group][p]) adds[k] = true;
    }
  }
  // Per group: (kept, usable, -created) of its best layout, and the layout.
  struct Best {
    int kept = -1;
    int usable = 0;
    int created = 0;
    int layout = -1;
  };
  std::vector<Best> best(v.supply.size());
  const uint64_t busy = SlotMask(t, g.busy);
  const uint64_t before = SlotMask(t, g.before);
  for (int i = 0; i < static_cast<int>(t.layouts.size()); ++i) {
    if (!adds[v.group[i]] || (t.masks[i] & busy) != busy) continue;
    const int kept = std::popcount(t.masks[i] & before);
    const int created = static_cast<int>(t.layouts[i].size()) - kept;
    Best& b = best[v.group[i]];
    if (std::tie(kept, v.usable[i], b.created) >
        std::tie(b.kept, b.usable, created)) {
      b = {kept, v.usable[i], created, i};
    }
  }
  std::vector<Candidate> all;
  const int have = static_cast<int>(g.before.size());
  for (size_t k = 0; k < best.size(); ++k) {
    if (best[k].layout < 0) continue;
    Candidate c;
    c.counts_id = t.counts_id[best[k].layout];
    c.supply = supply_of(static_cast<int>(k));
    c.destroyed = have - best[k].kept;
    c.created = best[k].created;
    c.usable = best[k].usable;
    all.push_back(std::move(c));
  }
  std::vector<bool> dominated(all.size(), false);
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size() && !dominated[i]; ++j) {
      if (i == j || !Dominates(all[j], all[i])) continue;
      // Equal candidates: keep the first.
      dominated[i] = !Dominates(all[i], all[j]) || j < i;
    }
  }
  for (size_t i = 0; i < all.size(); ++i) {
    if (dominated[i]) continue;
    for (size_t p = 0; p < all[i].supply.size(); ++p) {
      const int d = all[i].supply[p] - current.supply[p];
      if (d != 0) all[i].delta.push_back({static_cast<int>(p), d});
    }
    out.push_back(std::move(all[i]));
  }
  return out;
}

}  // namespace

Classes MakeClasses(const Problem& pb) {
  Classes out;
  out.class_of.resize(pb.gpus.size());
  std::map<std::string, int> class_index;
  std::map<const mig::GpuModel*, ModelView> views;
  for (size_t g = 0; g < pb.gpus.size(); ++g) {
    const GpuRef& ref = pb.gpus[g];
    auto [it, inserted] = class_index.try_emplace(
        ClassKey(ref), static_cast<int>(out.classes.size()));
    out.class_of[g] = it->second;
    if (!inserted) continue;
    auto [v, fresh] = views.try_emplace(ref.gpu->model);
    if (fresh) v->second = MakeModelView(pb, *ref.gpu->model);
    Class cls;
    cls.cands = MakeCandidates(pb, ref, v->second);
    out.classes.push_back(std::move(cls));
  }
  return out;
}

}  // namespace migctl::planner
