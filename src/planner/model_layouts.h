// Per-model layout tables the planner reuses: every valid placed layout of a
// GPU model (the empty one first), with an index and, for each layout, the
// layouts one more GPU instance makes. Built once per model per process.
#ifndef MIGCTL_PLANNER_MODEL_LAYOUTS_H_
#define MIGCTL_PLANNER_MODEL_LAYOUTS_H_

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "mig/layout.h"
#include "mig/model.h"
#include "planner/planner.h"

namespace migctl::planner {

// The layout tables of one model.
struct ModelLayouts {
  const mig::GpuModel* model = nullptr;
  // [0] is the empty layout, then mig::EnumerateLayouts' order.
  std::vector<mig::Layout> layouts;
  std::map<mig::Layout, int> index;  // layout -> position in `layouts`
  // children[i]: (profile id, j) where layouts[j] is layouts[i] plus one
  // instance of that profile.
  std::vector<std::vector<std::pair<int, int>>> children;
  // The distinct profile counts of the layouts, and each layout's position
  // in that list.
  std::vector<mig::ProfileCounts> distinct_counts;
  std::vector<int> counts_id;
  // Every (profile, placement) of the model is a slot; masks[i] has bit s
  // set when layouts[i] holds slot s. Models have fewer than 64 slots.
  std::vector<std::pair<int, mig::Placement>> slots;
  std::vector<uint64_t> masks;
  // Positions in `layouts`, most instances first.
  std::vector<int> by_size_descending;
};

// The tables of `model`; the reference stays valid for the process.
const ModelLayouts& LayoutsOf(const mig::GpuModel& model);

// The slot mask of `layout` (any valid layout of the tables' model).
uint64_t SlotMask(const ModelLayouts& t, const mig::Layout& layout);

// The layout reconcile::PlanGpu builds when asked for the counts `want` on a
// GPU holding `current` (in GI-id order, every instance assumed to carry one
// full compute instance): the first largest keepable subset, busy instances
// always kept, then mig::FitProfiles for the rest. Errors as FitProfiles, or
// FAILED_PRECONDITION when a busy instance cannot be kept.
absl::StatusOr<mig::Layout> ApplyCounts(const mig::GpuModel& model,
                                        const std::vector<Instance>& current,
                                        const mig::ProfileCounts& want);

}  // namespace migctl::planner

#endif  // MIGCTL_PLANNER_MODEL_LAYOUTS_H_
