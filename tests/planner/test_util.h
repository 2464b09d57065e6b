// Helpers for the planner tests: GPUs from layout text, plans as text.
#ifndef MIGCTL_TESTS_PLANNER_TEST_UTIL_H_
#define MIGCTL_TESTS_PLANNER_TEST_UTIL_H_

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mig/catalogue.h"
#include "mig/layout.h"
#include "planner/planner.h"

namespace migctl::planner::testing {

// "1g.24gb@0 1g.12gb@2*" on `model` ('*' marks a busy instance, used by pod
// "pod-<start>"), in the order written.
inline Gpu MakeGpu(const char* model_key, int index, const std::string& text) {
  Gpu gpu;
  gpu.index = index;
  gpu.model = mig::FindModel(model_key);
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    const bool busy = absl::ConsumeSuffix(&word, "*");
    std::vector<absl::string_view> parts = absl::StrSplit(word, '@');
    const mig::GpuInstanceProfile* p =
        gpu.model->FindProfileByName(parts.at(0));
    int start = 0;
    (void)absl::SimpleAtoi(parts.at(1), &start);
    Instance i;
    i.gi = {p->id, {start, p->memory_slices()}};
    if (busy) i.pods.push_back(absl::StrCat("pod-", start));
    gpu.instances.push_back(i);
  }
  return gpu;
}

// Every GPU of the plan, one line each: "node/gpu: before -> after".
inline std::string Layouts(const Plan& plan) {
  std::string out;
  for (const NodePlan& n : plan.nodes) {
    for (const GpuPlan& g : n.gpus) {
      absl::StrAppend(&out, n.name, "/", g.index, ": ",
                      mig::DescribeLayout(*g.model, g.before), " -> ",
                      mig::DescribeLayout(*g.model, g.after), "\n");
    }
  }
  return out;
}

// The report's figures on one line.
inline std::string Figures(const Report& r) {
  return absl::StrCat("served ", r.served, "/", r.requested, " created ",
                      r.instances_created, " destroyed ", r.instances_destroyed,
                      " gpus ", r.gpus_changed, " nodes ", r.nodes_touched,
                      " free ", r.free_memory_slices, " usable ",
                      r.usable_free_memory_slices);
}

}  // namespace migctl::planner::testing

#endif  // MIGCTL_TESTS_PLANNER_TEST_UTIL_H_
