#include "planner/json_fields.h"

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "planner/layout_annotation.h"

namespace migctl::planner::json_fields {
namespace {

using nlohmann::json;

std::string IntError(const char* doc) {
  return std::string(
      Int(json::parse(doc), "gpus[0]", "n", 0).status().message());
}

std::string IntInError(const char* doc, int min, int max) {
  return std::string(
      IntIn(json::parse(doc), "gpus[0]", "n", 0, min, max).status().message());
}

TEST(JsonFieldsInt, ReadsInt64AndRefusesWhatDoesNotFit) {
  EXPECT_EQ(*Int(json::parse(R"({"n": -9223372036854775808})"), "", "n", 0),
            INT64_MIN);
  EXPECT_EQ(*Int(json::parse(R"({"n": 9223372036854775807})"), "", "n", 0),
            INT64_MAX);
  EXPECT_EQ(*Int(json::object(), "", "n", 7), 7);
  EXPECT_EQ(IntError(R"({"n": 9223372036854775808})"),
            "gpus[0]: \"n\" 9223372036854775808 is out of range");
  EXPECT_EQ(IntError(R"({"n": 1.5})"), "gpus[0]: \"n\" must be an integer");
}

TEST(JsonFieldsIntIn, ChecksTheRange) {
  EXPECT_EQ(*IntIn(json::parse(R"({"n": 2147483647})"), "", "n", 0),
            2147483647);
  EXPECT_EQ(*IntIn(json::parse(R"({"n": -2147483648})"), "", "n", 0),
            -2147483648);
  EXPECT_EQ(*IntIn(json::object(), "", "n", 2, 0, 3), 2);  // the fallback
  EXPECT_EQ(IntInError(R"({"n": 4294967296})", INT32_MIN, INT32_MAX),
            "gpus[0]: \"n\" 4294967296 is out of range [-2147483648, "
            "2147483647]");
  EXPECT_EQ(IntInError(R"({"n": -1})", 0, 7),
            "gpus[0]: \"n\" -1 is out of range [0, 7]");
  EXPECT_EQ(IntInError(R"({"n": 18446744073709551615})", 0, 7),
            "gpus[0]: \"n\" 18446744073709551615 is out of range");
  EXPECT_EQ(IntInError(R"({"n": "1"})", 0, 7),
            "gpus[0]: \"n\" must be an integer");
}

TEST(JsonFieldsIntIn, LayoutAnnotationIntegersDoNotWrap) {
  EXPECT_EQ(ParseLayoutAnnotation(
                R"({"gpus":[{"index":0,"model":"H100-NVL","gpu_instances":[)"
                R"({"profile":"1g.12gb","start":4294967296}]}]})",
                "node a")
                .status()
                .message(),
            "node a migctl.dev/mig.layout gpus[0] gpu_instances[0]: \"start\" "
            "4294967296 is out of range [-2147483648, 2147483647]");
  EXPECT_EQ(
      ParseLayoutAnnotation(
          R"({"gpus":[{"index":4294967296,"model":"H100-NVL"}]})", "node a")
          .status()
          .message(),
      "node a migctl.dev/mig.layout gpus[0]: \"index\" 4294967296 is out of "
      "range [-2147483648, 2147483647]");
}

}  // namespace
}  // namespace migctl::planner::json_fields
