// The planner's search space: GPUs grouped into classes of interchangeable
// GPUs (same model, instances in order, busy set and freedom to change), and
// per class a short list of candidate targets, each summarised by what the
// search needs (demanded supply, instances destroyed and created, usable
// free slices). docs/planner.md, "Algorithm" steps 2-3.
#ifndef MIGCTL_PLANNER_CANDIDATES_H_
#define MIGCTL_PLANNER_CANDIDATES_H_

#include <utility>
#include <vector>

#include "planner/problem.h"

namespace migctl::planner {

// One target a class of GPUs may take.
struct Candidate {
  int counts_id = 0;  // ModelLayouts::distinct_counts: what the config asks
  std::vector<int> supply;  // free instances per demanded profile
  // (profile, change) where supply differs from the current candidate's.
  std::vector<std::pair<int, int>> delta;
  int destroyed = 0;
  int created = 0;
  int usable = 0;  // free slices usable by demanded profiles (tie-break)
};

// GPUs that are interchangeable: same model, instances (in order) and busy
// set, and the same freedom to change.
struct Class {
  std::vector<Candidate> cands;  // [0] is the current layout
};

// The classes of a problem, numbered in Problem::gpus order.
struct Classes {
  std::vector<Class> classes;
  std::vector<int> class_of;  // [Problem::gpus index] -> class
};

Classes MakeClasses(const Problem& pb);

}  // namespace migctl::planner

#endif  // MIGCTL_PLANNER_CANDIDATES_H_
