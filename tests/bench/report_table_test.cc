// The benchmark report's table (bench/report_table.h) from fixed records:
// one per baseline scripts/bench compares with, and the cases without one.
#include "report_table.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace migctl::bench {
namespace {

using nlohmann::json;

constexpr char kRecords[] =
    R"rec({"bench":"reconfigure","case":"H100-NVL","metric":"GPU instances destroyed","unit":"instances","value":154.0,"better":"lower","baseline":"destroy-all (mig-parted)","baseline_value":364.0}
{"bench":"reconfigure","case":"H100-NVL","metric":"plan time per GPU (mean)","unit":"µs","value":28.36167,"better":"lower"}

{"bench":"planner","case":"200 GPUs","metric":"requests served of priority >= 0","unit":"requests","value":980,"better":"higher","baseline":"ILP optimum (GLPK)","baseline_value":1000,"goal":"within 2 % of the ILP optimum"}
{"bench":"planner","case":"200 GPUs","metric":"requests served","unit":"requests","value":980,"better":"higher","baseline":"nos-style greedy","baseline_value":700}
{"bench":"planner","case":"200 GPUs","metric":"requests served","unit":"requests","value":980,"better":"higher","baseline":"static all-balanced","baseline_value":625}
{"bench":"profiles","case":"NVIDIA H100 NVL","metric":"list GPU instance profiles (median of 20)","unit":"ms","value":12.5,"better":"lower","baseline":"nvidia-smi mig -lgip","baseline_value":50.0}
{"bench":"allocate","case":"mixed","metric":"Allocate p99","unit":"µs","value":0.123456,"baseline":"NVIDIA k8s-device-plugin"}
{"bench":"reconfigure","case":"A30-24GB","metric":"GPU instances destroyed","unit":"instances","value":0,"better":"lower","baseline":"destroy-all (mig-parted)","baseline_value":0}
)rec";

constexpr char kGoogleBenchmark[] = R"({"context": {}, "benchmarks": [
  {"name": "BM_Layouts/H100-NVL", "run_type": "iteration",
   "cpu_time": 1234.56, "time_unit": "ns"},
  {"name": "BM_Layouts/H100-NVL_mean", "run_type": "aggregate",
   "cpu_time": 1200, "time_unit": "ns"},
  {"name": "BM_Plan", "run_type": "iteration", "cpu_time": 3.14159,
   "time_unit": "us"}]})";

constexpr char kHeader[] =
    "| bench | case | metric | migctl | baseline | baseline's figure | "
    "migctl ÷ baseline | goal |\n|---|---|---|---|---|---|---|---|\n";

TEST(ReportTableTest, EveryBaselineWithItsRatio) {
  absl::StatusOr<std::vector<json>> records =
      ParseRecords(kRecords, "records.jsonl");
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(
      ReportTable(*records),
      std::string(kHeader) +
          "| reconfigure | H100-NVL | GPU instances destroyed | 154 instances "
          "| destroy-all (mig-parted) | 364 instances | 0.423× (lower is "
          "better) | — |\n"
          "| reconfigure | H100-NVL | plan time per GPU (mean) | 28.4 µs | — "
          "| — | — | — |\n"
          "| planner | 200 GPUs | requests served of priority >= 0 | 980 "
          "requests | ILP optimum (GLPK) | 1000 requests | 0.980× (higher is "
          "better) | within 2 % of the ILP optimum |\n"
          "| planner | 200 GPUs | requests served | 980 requests | nos-style "
          "greedy | 700 requests | 1.400× (higher is better) | — |\n"
          "| planner | 200 GPUs | requests served | 980 requests | static "
          "all-balanced | 625 requests | 1.568× (higher is better) | — |\n"
          "| profiles | NVIDIA H100 NVL | list GPU instance profiles (median "
          "of 20) | 12.5 ms | nvidia-smi mig -lgip | 50 ms | 0.250× (lower is "
          "better) | — |\n"
          "| allocate | mixed | Allocate p99 | 0.123 µs | NVIDIA "
          "k8s-device-plugin | not measured | — | — |\n"
          "| reconfigure | A30-24GB | GPU instances destroyed | 0 instances | "
          "destroy-all (mig-parted) | 0 instances | — | — |\n");
}

TEST(ReportTableTest, GoogleBenchmarkIterationsWithoutBaseline) {
  absl::StatusOr<std::vector<json>> records =
      ParseGoogleBenchmark(kGoogleBenchmark, "gbench.json");
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(ReportTable(*records),
            std::string(kHeader) +
                "| layouts | BM_Layouts/H100-NVL | CPU time per call | 1235 ns "
                "| — | — | — | — |\n"
                "| layouts | BM_Plan | CPU time per call | 3.14 µs | — | — | — "
                "| — |\n");
  EXPECT_EQ(ReportTable({}), kHeader);
}

TEST(ReportTableTest, MalformedRecordNamesFileAndLine) {
  const std::string good = R"({"bench":"b","value":1})";
  for (const auto& [text, line] : std::vector<std::pair<std::string, int>>{
           {good + "\n\nnot json\n", 3},
           {R"({"bench":"b","value":"1"})", 1},
           {good + "\n" + R"({"value":1})", 2},
           {good + "\n[1]\n", 2}}) {
    absl::StatusOr<std::vector<json>> records = ParseRecords(text, "r.jsonl");
    EXPECT_EQ(records.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(records.status().message(),
              "r.jsonl:" + std::to_string(line) +
                  ": not a bench record (needs \"bench\" and a numeric "
                  "\"value\")")
        << text;
  }
  EXPECT_EQ(
      ParseGoogleBenchmark("{\"benchmarks\": [", "g.json").status().message(),
      "g.json is not JSON");
}

TEST(ReportTableTest, ReadsFilesAndNamesThemInErrors) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("migctl-report-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "records.jsonl").string();
  std::ofstream(path) << kRecords;
  absl::StatusOr<std::vector<json>> records = ReadRecords(path);
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->size(), 8u);
  std::ofstream(path, std::ios::app) << "{\"bench\": \"x\"}\n";
  EXPECT_EQ(ReadRecords(path).status().message(),
            path +
                ":10: not a bench record (needs \"bench\" and a numeric "
                "\"value\")");
  const std::string missing = (dir / "none.json").string();
  EXPECT_EQ(ReadRecords(missing).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReadGoogleBenchmark(missing).status().message(),
            "cannot read " + missing);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace migctl::bench
