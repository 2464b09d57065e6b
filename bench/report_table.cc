#include "report_table.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace migctl::bench {
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

// One table row of a record checked by ParseRecords.
std::string Row(const json& r) {
  const std::string unit = Cell(r, "unit");
  const double value = r["value"].get<double>();
  std::string baseline = Cell(r, "baseline");
  std::string theirs = baseline.empty() ? "—" : "not measured";
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
                      Cell(r, "metric"), " | ", Figure(value), " ", unit, " | ",
                      baseline, " | ", theirs, " | ", ratio, " | ", goal,
                      " |\n");
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::vector<json>> ParseRecords(absl::string_view text,
                                               absl::string_view path) {
  std::vector<json> records;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    json r = json::parse(line, nullptr, false);
    if (r.is_discarded() || !r.is_object() || !r.contains("value") ||
        !r["value"].is_number() || Cell(r, "bench").empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ":", line_no,
                       ": not a bench record (needs \"bench\" and a numeric "
                       "\"value\")"));
    }
    records.push_back(std::move(r));
  }
  return records;
}

absl::StatusOr<std::vector<json>> ParseGoogleBenchmark(absl::string_view text,
                                                       absl::string_view path) {
  const json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not JSON"));
  }
  std::vector<json> out;
  if (!doc.is_object() || !doc.contains("benchmarks") ||
      !doc["benchmarks"].is_array()) {
    return out;
  }
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

absl::StatusOr<std::vector<json>> ReadRecords(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseRecords(*text, path);
}

absl::StatusOr<std::vector<json>> ReadGoogleBenchmark(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseGoogleBenchmark(*text, path);
}

std::string ReportTable(const std::vector<json>& records) {
  std::string table =
      "| bench | case | metric | migctl | baseline | baseline's figure | "
      "migctl ÷ baseline | goal |\n|---|---|---|---|---|---|---|---|\n";
  for (const json& r : records) table += Row(r);
  return table;
}

}  // namespace migctl::bench
