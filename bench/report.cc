// migctl_bench_report: collates the benchmarks' results into one markdown
// table (scripts/bench). Reads the JSON lines the benches append to
// $MIGCTL_BENCH_JSON (bench/bench_record.h) and, optionally, Google
// Benchmark's JSON output (--benchmark_out_format=json); prints one row per
// figure with its baseline and the ratio migctl ÷ baseline
// (report_table.h).
//
//   migctl_bench_report RECORDS.jsonl [GBENCH.json]
#include <cstdio>
#include <string>
#include <vector>

#include "report_table.h"

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "migctl_bench_report: %s\n",
               std::string(status.message()).c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    std::fprintf(stderr,
                 "usage: migctl_bench_report RECORDS.jsonl [GBENCH.json]\n");
    return 2;
  }
  absl::StatusOr<std::vector<nlohmann::json>> records =
      migctl::bench::ReadRecords(argv[1]);
  if (!records.ok()) return Fail(records.status());
  if (argc == 3) {
    absl::StatusOr<std::vector<nlohmann::json>> gbench =
        migctl::bench::ReadGoogleBenchmark(argv[2]);
    if (!gbench.ok()) return Fail(gbench.status());
    records->insert(records->end(), gbench->begin(), gbench->end());
  }
  std::fputs(migctl::bench::ReportTable(*records).c_str(), stdout);
  return 0;
}
