// migctl_bench_report: collates the benchmarks' results into one markdown
// table (scripts/bench). Reads the JSON lines the benches append to
// $MIGCTL_BENCH_JSON (bench/bench_record.h) and, optionally, Google
// Benchmark's JSON output (--benchmark_out_format=json); prints one row per
// figure with its baseline and the ratio migctl ÷ baseline.
//
//   migctl_bench_report RECORDS.jsonl [GBENCH.json]
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace {

using nlohmann::json;

// Figures printed with a precision that fits their size.
std::string Figure(double v) {
  if (v == static_cast<double>(static_cast<long long>(v)) && v < 1e15) {
    return absl::StrFormat("%d", static_cast<long long>(v));
  }
  if (v >= 100) return absl::StrFormat("%.0f", v);
  if (v >= 10) return absl::StrFormat("%.1f", v);
  return absl::StrFormat("%.3g", v);
}

std::string Cell(const json& j, const char* key) {
  return j.contains(key) && j[key].is_string() ? j[key].get<std::string>()
                                               : std::string();
}

// One table row of a record; the record's fields are checked by the caller.
std::string Row(const json& r) {
  const std::string unit = Cell(r, "unit");
  const double value = r["value"].get<double>();
  std::string migctl = absl::StrCat(Figure(value), " ", unit);
  std::string baseline = Cell(r, "baseline");
  std::string theirs = "—";
  std::string ratio = "—";
  if (r.contains("baseline_value") && r["baseline_value"].is_number()) {
    const double b = r["baseline_value"].get<double>();
    theirs = absl::StrCat(Figure(b), " ", unit);
    if (b != 0) {
      ratio =
          absl::StrFormat("%.3f× (%s is better)", value / b,
                          Cell(r, "better") == "higher" ? "higher" : "lower");
    }
  }
  if (baseline.empty()) baseline = "—";
  std::string goal = Cell(r, "goal");
  if (goal.empty()) goal = "—";
  return absl::StrCat("| ", Cell(r, "bench"), " | ", Cell(r, "case"), " | ",
                      Cell(r, "metric"), " | ", migctl, " | ", baseline, " | ",
                      theirs, " | ", ratio, " | ", goal, " |\n");
}

// Google Benchmark's per-iteration results as records (no baseline).
std::vector<json> FromGoogleBenchmark(const json& doc) {
  std::vector<json> out;
  if (!doc.contains("benchmarks") || !doc["benchmarks"].is_array()) return out;
  for (const json& b : doc["benchmarks"]) {
    if (Cell(b, "run_type") == "aggregate") continue;
    if (!b.contains("cpu_time") || !b["cpu_time"].is_number()) continue;
    std::string unit = Cell(b, "time_unit");
    if (unit == "us") unit = "µs";
    out.push_back({{"bench", "layouts"},
                   {"case", Cell(b, "name")},
                   {"metric", "CPU time per call"},
                   {"unit", unit},
                   {"value", b["cpu_time"].get<double>()},
                   {"better", "lower"}});
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr,
                 "usage: migctl_bench_report RECORDS.jsonl [GBENCH.json]\n");
    return 2;
  }
  std::vector<json> records;
  std::ifstream in(argv[1]);
  if (!in) {
    std::fprintf(stderr, "migctl_bench_report: cannot read %s\n", argv[1]);
    return 2;
  }
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    json r = json::parse(line, nullptr, false);
    if (r.is_discarded() || !r.is_object() || !r.contains("value") ||
        !r["value"].is_number() || Cell(r, "bench").empty()) {
      std::fprintf(stderr,
                   "migctl_bench_report: %s:%d: not a bench record (needs "
                   "\"bench\" and a numeric \"value\")\n",
                   argv[1], line_no);
      return 2;
    }
    records.push_back(std::move(r));
  }
  if (argc == 3) {
    std::ifstream gin(argv[2]);
    json doc = json::parse(gin, nullptr, false);
    if (doc.is_discarded()) {
      std::fprintf(stderr, "migctl_bench_report: %s is not JSON\n", argv[2]);
      return 2;
    }
    for (json& r : FromGoogleBenchmark(doc)) records.push_back(std::move(r));
  }
  std::printf(
      "| bench | case | metric | migctl | baseline | baseline's figure | "
      "migctl ÷ baseline | goal |\n|---|---|---|---|---|---|---|---|\n");
  for (const json& r : records) std::fputs(Row(r).c_str(), stdout);
  return 0;
}
