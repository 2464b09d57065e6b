#include "planner/model_layouts.h"

#include <algorithm>
#include <bit>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace migctl::planner {
namespace {

std::unique_ptr<ModelLayouts> Build(const mig::GpuModel& model) {
  auto t = std::make_unique<ModelLayouts>();
  t->model = &model;
  t->layouts.push_back({});
  for (mig::Layout& l : mig::EnumerateLayouts(model)) {
    t->layouts.push_back(std::move(l));
  }
  for (int i = 0; i < static_cast<int>(t->layouts.size()); ++i) {
    t->index.emplace(t->layouts[i], i);
  }
  for (const mig::GpuInstanceProfile& p : model.profiles) {
    for (const mig::Placement& at : p.placements)
      t->slots.push_back({p.id, at});
  }
  std::sort(t->slots.begin(), t->slots.end());
  for (const mig::Layout& l : t->layouts) t->masks.push_back(SlotMask(*t, l));
  t->children.resize(t->layouts.size());
  for (int i = 0; i < static_cast<int>(t->layouts.size()); ++i) {
    const uint32_t taken = mig::MemoryMask(t->layouts[i]);
    for (const mig::GpuInstanceProfile& p : model.profiles) {
      for (const mig::Placement& at : p.placements) {
        if ((taken & mig::MemoryMask(at)) != 0) continue;
        mig::Layout more = t->layouts[i];
        more.push_back({p.id, at});
        mig::Canonicalize(more);
        auto it = t->index.find(more);
        if (it != t->index.end()) t->children[i].push_back({p.id, it->second});
      }
    }
  }
  std::map<mig::ProfileCounts, int> ids;
  for (const mig::Layout& l : t->layouts) {
    auto [it, inserted] = ids.try_emplace(
        mig::CountProfiles(l), static_cast<int>(t->distinct_counts.size()));
    if (inserted) t->distinct_counts.push_back(it->first);
    t->counts_id.push_back(it->second);
  }
  t->by_size_descending.resize(t->layouts.size());
  for (int i = 0; i < static_cast<int>(t->layouts.size()); ++i) {
    t->by_size_descending[i] = i;
  }
  std::stable_sort(t->by_size_descending.begin(), t->by_size_descending.end(),
                   [&](int a, int b) {
                     return t->layouts[a].size() > t->layouts[b].size();
                   });
  return t;
}

}  // namespace

uint64_t SlotMask(const ModelLayouts& t, const mig::Layout& layout) {
  uint64_t mask = 0;
  for (const mig::PlacedGpuInstance& gi : layout) {
    auto it = std::lower_bound(t.slots.begin(), t.slots.end(),
                               std::make_pair(gi.profile_id, gi.placement));
    if (it != t.slots.end() && it->first == gi.profile_id &&
        it->second == gi.placement) {
      mask |= uint64_t{1} << (it - t.slots.begin());
    }
  }
  return mask;
}

const ModelLayouts& LayoutsOf(const mig::GpuModel& model) {
  static std::mutex mu;
  static auto* cache = new std::map<std::string, std::unique_ptr<ModelLayouts>>;
  std::lock_guard<std::mutex> lock(mu);
  std::unique_ptr<ModelLayouts>& slot = (*cache)[model.key];
  if (!slot) slot = Build(model);
  return *slot;
}

absl::StatusOr<mig::Layout> ApplyCounts(const mig::GpuModel& model,
                                        const std::vector<Instance>& current,
                                        const mig::ProfileCounts& want) {
  // Mirrors reconcile::ChooseKept: masks in increasing order, the first one
  // of the largest size whose remainder fits wins.
  const int n = static_cast<int>(current.size());
  uint32_t busy = 0;
  for (int i = 0; i < n; ++i) {
    if (current[i].busy()) busy |= 1u << i;
  }
  std::optional<mig::Layout> best;
  int best_size = -1;
  absl::Status last = absl::FailedPreconditionError("no instance set fits");
  for (uint32_t mask = 0; mask < (1u << n); ++mask) {
    if ((mask & busy) != busy) continue;
    const int size = std::popcount(mask);
    if (size <= best_size) continue;
    mig::Layout keep;
    mig::ProfileCounts rest = want;
    bool wanted = true;
    for (int i = 0; i < n && wanted; ++i) {
      if ((mask & (1u << i)) == 0) continue;
      auto it = rest.find(current[i].gi.profile_id);
      if (it == rest.end() || it->second == 0) {
        wanted = false;
      } else {
        --it->second;
      }
      keep.push_back(current[i].gi);
    }
    if (!wanted) continue;
    absl::StatusOr<mig::Layout> fitted = mig::FitProfiles(model, rest, keep);
    if (!fitted.ok()) {
      last = fitted.status();
      continue;
    }
    best = *std::move(fitted);
    best_size = size;
  }
  if (!best) return last;
  return *best;
}

}  // namespace migctl::planner
