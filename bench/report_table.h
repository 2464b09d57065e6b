// The benchmark report's table (bench/report.cc, scripts/bench): the records
// the benches write (bench_record.h) and Google Benchmark's JSON, read and
// checked, then rendered as one markdown table with each figure's baseline
// and the ratio migctl ÷ baseline.
#ifndef MIGCTL_BENCH_REPORT_TABLE_H_
#define MIGCTL_BENCH_REPORT_TABLE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace migctl::bench {

// The records of a JSON-lines text (one record a line, blank lines
// skipped). INVALID_ARGUMENT "<path>:<line>: not a bench record (needs
// "bench" and a numeric "value")" for a line that is not one.
absl::StatusOr<std::vector<nlohmann::json>> ParseRecords(
    absl::string_view text, absl::string_view path);

// Google Benchmark's JSON output as records of bench "layouts" (CPU time per
// call, no baseline; aggregates skipped). INVALID_ARGUMENT "<path> is not
// JSON" when it is not.
absl::StatusOr<std::vector<nlohmann::json>> ParseGoogleBenchmark(
    absl::string_view text, absl::string_view path);

// The file at `path`, parsed as above; NOT_FOUND "cannot read <path>".
absl::StatusOr<std::vector<nlohmann::json>> ReadRecords(
    const std::string& path);
absl::StatusOr<std::vector<nlohmann::json>> ReadGoogleBenchmark(
    const std::string& path);

// The markdown table of `records`, a header and one row per record in
// order. A record without a baseline shows "—" for it; one whose baseline
// is named but has no figure shows "not measured"; the ratio is "—" unless
// both figures are there and the baseline's is not 0.
std::string ReportTable(const std::vector<nlohmann::json>& records);

}  // namespace migctl::bench

#endif  // MIGCTL_BENCH_REPORT_TABLE_H_
