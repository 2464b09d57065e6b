// Record: one measured figure of a benchmark, written as a JSON line for
// scripts/bench to collate into one report (bench/report.cc).
//
// A bench calls EmitRecord for each figure it prints; the line is appended to
// the file named by $MIGCTL_BENCH_JSON, and nothing happens when that is
// unset, so a bench run by hand prints only its own table. `baseline` names
// what the figure is compared with (e.g. "destroy-all (mig-parted)") and
// `baseline_value` is that baseline's figure on the same input; the report
// prints value / baseline_value. Fields (all but the last three required):
//   {"bench": "reconfigure", "case": "H100-NVL", "metric": "GI destroyed",
//    "unit": "instances", "value": 1664, "better": "lower",
//    "baseline": "destroy-all (mig-parted)", "baseline_value": 3748,
//    "goal": "..."}
#ifndef MIGCTL_BENCH_BENCH_RECORD_H_
#define MIGCTL_BENCH_BENCH_RECORD_H_

#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "nlohmann/json.hpp"

namespace migctl::bench {

// One figure and, optionally, the baseline's figure on the same input.
struct Record {
  std::string bench;   // the bench binary's short name, e.g. "reconfigure"
  std::string name;    // the case, e.g. the GPU model
  std::string metric;  // what was measured
  std::string unit;    // "ms", "µs", "instances", "%", ...
  double value = 0;
  bool lower_is_better = true;
  std::string baseline;                  // empty: no baseline
  std::optional<double> baseline_value;  // the baseline's figure
  std::string goal;                      // the goal, if any
};

// Appends `r` as one JSON line to $MIGCTL_BENCH_JSON, if that is set.
inline void EmitRecord(const Record& r) {
  const char* path = std::getenv("MIGCTL_BENCH_JSON");
  if (path == nullptr || *path == '\0') return;
  nlohmann::json j = {
      {"bench", r.bench},   {"case", r.name},
      {"metric", r.metric}, {"unit", r.unit},
      {"value", r.value},   {"better", r.lower_is_better ? "lower" : "higher"}};
  if (!r.baseline.empty()) j["baseline"] = r.baseline;
  if (r.baseline_value) j["baseline_value"] = *r.baseline_value;
  if (!r.goal.empty()) j["goal"] = r.goal;
  std::ofstream(path, std::ios::app) << j.dump() << "\n";
}

}  // namespace migctl::bench

#endif  // MIGCTL_BENCH_BENCH_RECORD_H_
