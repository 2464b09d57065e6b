// Tests of the MIG profile-name grammar (mig/profile_name.h).
#include "mig/profile_name.h"

#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace migctl::mig {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kExpected[] =
    "; expected [<c>c.]<g>g.<mem>gb[+me|-me|+me.all|+gfx], e.g. 1g.10gb, "
    "1c.3g.40gb, 1g.10gb+me";

std::string Message(const std::string& text, const std::string& why) {
  return "invalid MIG profile name \"" + text + "\": " + why + kExpected;
}

ProfileName Parse(const std::string& text) {
  absl::StatusOr<ProfileName> name = ParseProfileName(text);
  EXPECT_TRUE(name.ok()) << text << ": " << name.status();
  return name.ok() ? *name : ProfileName{};
}

TEST(ProfileName, ParsesGpuInstanceName) {
  ProfileName n = Parse("1g.12gb");
  EXPECT_EQ(n.compute_slices, 0);
  EXPECT_EQ(n.gpu_slices, 1);
  EXPECT_EQ(n.memory_gb, 12);
  EXPECT_THAT(n.attributes, IsEmpty());
  EXPECT_EQ(FormatProfileName(n), "1g.12gb");
  EXPECT_EQ(ResourceProfileName(n), "1g.12gb");
}

TEST(ProfileName, ParsesComputeInstanceName) {
  ProfileName n = Parse("1c.3g.40gb");
  EXPECT_EQ(n.compute_slices, 1);
  EXPECT_EQ(n.gpu_slices, 3);
  EXPECT_EQ(n.memory_gb, 40);
  EXPECT_THAT(n.attributes, IsEmpty());
  EXPECT_EQ(FormatProfileName(n), "1c.3g.40gb");
  EXPECT_EQ(ResourceProfileName(n), "1c.3g.40gb");
}

TEST(ProfileName, ParsesAttributes) {
  ProfileName me = Parse("1g.10gb+me");
  EXPECT_EQ(me.gpu_slices, 1);
  EXPECT_EQ(me.memory_gb, 10);
  EXPECT_THAT(me.attributes, ElementsAre("+me"));

  ProfileName no_me = Parse("1g.10gb-me");
  EXPECT_THAT(no_me.attributes, ElementsAre("-me"));
  EXPECT_NE(me, no_me);

  ProfileName all = Parse("1g.24gb+me.all");
  EXPECT_EQ(all.gpu_slices, 1);
  EXPECT_EQ(all.memory_gb, 24);
  EXPECT_THAT(all.attributes, ElementsAre("+me.all"));

  ProfileName gfx = Parse("4g.96gb+gfx");
  EXPECT_EQ(gfx.gpu_slices, 4);
  EXPECT_EQ(gfx.memory_gb, 96);
  EXPECT_THAT(gfx.attributes, ElementsAre("+gfx"));
}

TEST(ProfileName, RoundTrips) {
  for (const std::string text :
       {"1g.12gb", "1c.3g.40gb", "1g.10gb+me", "1g.10gb-me", "1g.24gb+me.all",
        "4g.96gb+gfx", "7g.141gb", "2c.7g.80gb", "1g.18gb+me", "4c.4g.71gb"}) {
    absl::StatusOr<ProfileName> name = ParseProfileName(text);
    ASSERT_TRUE(name.ok()) << text << ": " << name.status();
    EXPECT_EQ(FormatProfileName(*name), text);
    absl::StatusOr<ProfileName> again =
        ParseProfileName(FormatProfileName(*name));
    ASSERT_TRUE(again.ok()) << text;
    EXPECT_EQ(*again, *name) << text;
    // The resource form parses back to the same name.
    absl::StatusOr<ProfileName> resource =
        ParseProfileName(ResourceProfileName(*name));
    ASSERT_TRUE(resource.ok()) << text;
    EXPECT_EQ(*resource, *name) << text;
  }
}

TEST(ProfileName, ConfigFormWritesPlusAsDot) {
  EXPECT_EQ(Parse("1g.10gb.me"), Parse("1g.10gb+me"));
  EXPECT_THAT(Parse("1g.10gb.me").attributes, ElementsAre("+me"));
  EXPECT_EQ(FormatProfileName(Parse("1g.10gb.me")), "1g.10gb+me");
  EXPECT_EQ(ResourceProfileName(Parse("1g.10gb+me")), "1g.10gb.me");
  EXPECT_EQ(ResourceProfileName(Parse("1g.24gb+me.all")), "1g.24gb.me.all");
  EXPECT_EQ(ResourceProfileName(Parse("4g.96gb+gfx")), "4g.96gb.gfx");
  EXPECT_EQ(ResourceProfileName(Parse("1g.10gb-me")), "1g.10gb-me");
  EXPECT_EQ(Parse("1g.24gb.me.all"), Parse("1g.24gb+me.all"));
}

TEST(ProfileName, FormatsHandBuiltNames) {
  EXPECT_EQ(FormatProfileName(ProfileName{2, 7, 80, {}}), "2c.7g.80gb");
  EXPECT_EQ(FormatProfileName(ProfileName{0, 1, 12, {"+me"}}), "1g.12gb+me");
  EXPECT_EQ(ResourceProfileName(ProfileName{0, 1, 12, {"+me"}}), "1g.12gb.me");
}

struct BadName {
  std::string text;
  std::string why;
};

void PrintTo(const BadName& bad, std::ostream* os) {
  *os << '"' << bad.text << '"';
}

class ProfileNameErrors : public ::testing::TestWithParam<BadName> {};

TEST_P(ProfileNameErrors, ExactMessage) {
  const BadName& bad = GetParam();
  absl::StatusOr<ProfileName> name = ParseProfileName(bad.text);
  ASSERT_FALSE(name.ok()) << bad.text;
  EXPECT_EQ(name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(name.status().message()), Message(bad.text, bad.why));
}

INSTANTIATE_TEST_SUITE_P(
    All, ProfileNameErrors,
    ::testing::Values(
        BadName{"", "does not start with a slice count"},
        BadName{"1x.5gb", "missing \"g.\""}, BadName{"1g.5", "missing \"gb\""},
        BadName{"1g.5gbfoo", "unexpected \"foo\" after the memory size"},
        BadName{"0g.5gb", "does not start with a slice count"},
        BadName{"3c.1g.5gb", "more compute slices than the GPU instance has"},
        BadName{"1g.5gb+me+me", "attribute \"me\" given twice"},
        BadName{"1g.5gb+me.me", "attribute \"me\" given twice"},
        BadName{"1g.5gb+foo", "unknown attribute \"+foo\""},
        BadName{"1g.5gb+", "unknown attribute \"+\""},
        BadName{"g.5gb", "does not start with a slice count"},
        BadName{"1c.g.5gb", "no GPU slice count after \"c.\""},
        BadName{"1g.gb", "missing memory size"},
        BadName{"1g.0gb", "missing memory size"},
        BadName{"01g.5gb", "does not start with a slice count"},
        BadName{"1g.5gb+gfxx", "unknown attribute \"+gfxx\""},
        BadName{"1g.5gb+mex", "unknown attribute \"+mex\""}),
    [](const ::testing::TestParamInfo<BadName>& info) {
      return "Case" + std::to_string(info.index);
    });

TEST(ProfileMemoryGb, RoundsShareUpToEighths) {
  // A100 40GB (40960 MiB): 4864 MB is 0.119 of it -> 1/8 -> 5 GB.
  EXPECT_EQ(ProfileMemoryGb(4864, 40960ull << 20), 5);
  EXPECT_EQ(ProfileMemoryGb(9984, 40960ull << 20), 10);
  EXPECT_EQ(ProfileMemoryGb(20096, 40960ull << 20), 20);
  EXPECT_EQ(ProfileMemoryGb(40320, 40960ull << 20), 40);
  // A30 (24576 MiB).
  EXPECT_EQ(ProfileMemoryGb(5952, 24576ull << 20), 6);
  EXPECT_EQ(ProfileMemoryGb(11968, 24576ull << 20), 12);
  EXPECT_EQ(ProfileMemoryGb(24000, 24576ull << 20), 24);
  // H100 NVL (95830 MiB -> 94 GiB rounded up): 22144 MB -> 2/8 * 94 = 23.5
  // -> 24.
  EXPECT_EQ(ProfileMemoryGb(22144, 95830ull << 20), 24);
  EXPECT_EQ(ProfileMemoryGb(11008, 95830ull << 20), 12);
  // The whole GPU.
  EXPECT_EQ(ProfileMemoryGb(95830, 95830ull << 20), 94);
}

}  // namespace
}  // namespace migctl::mig
