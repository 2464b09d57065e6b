// The cost pass: after the search, lowers the cost of the plan (instances
// destroyed, nodes touched), then its fragmentation, without serving fewer
// requests at any priority level. docs/planner.md, "Algorithm" step 8.
#ifndef MIGCTL_PLANNER_COST_PASS_H_
#define MIGCTL_PLANNER_COST_PASS_H_

#include <vector>

#include "planner/candidates.h"
#include "planner/problem.h"

namespace migctl::planner {

// `choice[g]` is the candidate (in its class) of Problem::gpus[g]. Changes
// it so that every demanded profile keeps at least the supply it needs to
// serve what it serves now (the lesser of its supply and its demand), never
// touching more nodes than the policy allows, and (cost, -usable slices,
// created instances) is lexicographically lower, or leaves it as it is.
// Deterministic; bounded by a fixed number of move evaluations.
void ImproveCost(const Problem& pb, const Classes& classes,
                 std::vector<int>* choice);

}  // namespace migctl::planner

#endif  // MIGCTL_PLANNER_COST_PASS_H_
