// Inputs the mig_config fuzzer found (fuzz/regressions/mig_config/): each is
// refused with an error naming the problem and its position, or parses and
// writes back to a document that parses equal.

#include "support/fuzz_regressions.h"

#include <map>
#include <string>

#include "absl/strings/match.h"
#include "config/mig_config.h"
#include "config/yaml_support.h"
#include "gtest/gtest.h"

namespace migctl::config {
namespace {

TEST(MigConfigFuzzRegressionsTest, ConfigNameThatIsNotUtf8IsRefused) {
  const std::map<std::string, std::string> inputs =
      testing::FuzzRegressions("mig_config");
  ASSERT_TRUE(inputs.contains("config-name-not-utf8.yaml"));
  absl::StatusOr<MigConfigFile> parsed =
      ParseMigConfig(inputs.at("config-name-not-utf8.yaml"), "f.yaml");
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(
      parsed.status().message(),
      "f.yaml:38:3: config name is not valid UTF-8; expected a UTF-8 string");
}

TEST(MigConfigFuzzRegressionsTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("all-1g.10gb"));
  EXPECT_TRUE(IsValidUtf8("gr\xc3\xbc\xc3\x9f"));             // "grüß"
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac \xf0\x9f\x98\x80"));  // € 😀
  EXPECT_FALSE(IsValidUtf8("all-\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // overlong "/"
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

TEST(MigConfigFuzzRegressionsTest, Utf8ConfigNamesRoundTrip) {
  absl::StatusOr<MigConfigFile> parsed = ParseMigConfig(
      "version: v1\nmig-configs:\n  \"gr\xc3\xbc\xc3\x9f\":\n    - devices: "
      "all\n"
      "      mig-enabled: false\n",
      "f.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  absl::StatusOr<MigConfigFile> again =
      ParseMigConfig(WriteMigConfig(*parsed), "w.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *parsed);
}

// A name of 272 bytes, most of them control characters: the emitter escapes
// each as "\x15", and as an implicit key the 1,000-odd characters were past
// YAML's 1024 limit, so the written file did not parse.
TEST(MigConfigFuzzRegressionsTest, LongEscapedConfigNameRoundTrips) {
  const std::map<std::string, std::string> inputs =
      testing::FuzzRegressions("mig_config");
  ASSERT_TRUE(inputs.contains("long-escaped-config-name.yaml"));
  absl::StatusOr<MigConfigFile> parsed =
      ParseMigConfig(inputs.at("long-escaped-config-name.yaml"), "f.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  ASSERT_EQ(parsed->configs.size(), 1u);
  EXPECT_EQ(parsed->configs[0].first.size(), 272u);
  const std::string written = WriteMigConfig(*parsed);
  EXPECT_TRUE(
      absl::StartsWith(written, "version: v1\nmig-configs:\n  ? \"1\\x19\\x15"))
      << written;
  absl::StatusOr<MigConfigFile> again = ParseMigConfig(written, "w.yaml");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, *parsed);
  EXPECT_EQ(WriteMigConfig(*again), written);

  // Short names stay implicit keys.
  MigConfigFile small = *parsed;
  small.configs[0].first = "all-1g.12gb";
  EXPECT_TRUE(absl::StrContains(WriteMigConfig(small), "\n  all-1g.12gb:\n"));
}

}  // namespace
}  // namespace migctl::config
