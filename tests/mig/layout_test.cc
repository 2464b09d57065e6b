// Tests of GPU-instance layouts (mig/layout.h): validation, enumeration
// (cross-checked with an independent brute force over all subsets of
// (profile, placement) candidates) and FitProfiles (including a completeness
// proof on small requests).
#include "mig/layout.h"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "mig/model.h"

namespace migctl::mig {
namespace {

using ::testing::ElementsAre;

const GpuModel& Model(const std::string& key) {
  const GpuModel* m = FindModel(key);
  if (m == nullptr) {
    ADD_FAILURE() << "no model " << key;
    static const GpuModel empty;
    return empty;
  }
  return *m;
}

PlacedGpuInstance At(int profile_id, int start, int size) {
  return PlacedGpuInstance{profile_id, Placement{start, size}};
}

// H100 NVL profile ids.
constexpr int k7g94 = 0;
constexpr int k4g47 = 5;
constexpr int k3g47 = 9;
constexpr int k2g24 = 14;
constexpr int k1g24 = 15;
constexpr int k1g12 = 19;
constexpr int k1g12me = 20;

// ---------------------------------------------------------------------------
// Masks, canonical order, descriptions.

TEST(Layout, MemoryMask) {
  EXPECT_EQ(MemoryMask(Placement{0, 1}), 0x1u);
  EXPECT_EQ(MemoryMask(Placement{6, 2}), 0xC0u);
  EXPECT_EQ(MemoryMask(Placement{4, 4}), 0xF0u);
  EXPECT_EQ(MemoryMask(Placement{0, 8}), 0xFFu);
  EXPECT_EQ(MemoryMask(Placement{0, 32}), 0xFFFFFFFFu);
  EXPECT_EQ(MemoryMask(Placement{0, 0}), 0u);
  EXPECT_EQ(MemoryMask(Placement{-1, 2}), 0u);
  EXPECT_EQ(MemoryMask(Placement{31, 2}), 0u);
  EXPECT_EQ(MemoryMask(Layout{At(k1g24, 0, 2), At(k1g12, 3, 1)}), 0x0Bu);
  EXPECT_EQ(MemoryMask(Layout{}), 0u);
}

TEST(Layout, CanonicalizeAndDescribe) {
  const GpuModel& m = Model("H100-NVL");
  Layout l = {At(k1g12, 6, 1), At(k1g12, 2, 1), At(k1g24, 0, 2)};
  Canonicalize(l);
  EXPECT_THAT(l,
              ElementsAre(At(k1g24, 0, 2), At(k1g12, 2, 1), At(k1g12, 6, 1)));
  EXPECT_EQ(DescribeLayout(m, l), "1g.24gb@0 1g.12gb@2 1g.12gb@6");
  EXPECT_EQ(DescribeLayout(m, {At(k1g12, 3, 1), At(k3g47, 4, 4)}),
            "1g.12gb@3 3g.47gb@4");
  EXPECT_EQ(DescribeLayout(m, {}), "empty");
  EXPECT_EQ(DescribeLayout(m, {At(77, 0, 1)}), "id77@0");
  EXPECT_EQ(CountProfiles(l), (ProfileCounts{{k1g24, 1}, {k1g12, 2}}));
}

// ---------------------------------------------------------------------------
// ValidateLayout.

void ExpectInvalid(const GpuModel& m, const Layout& l,
                   const std::string& message) {
  absl::Status s = ValidateLayout(m, l);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(std::string(s.message()), message);
}

TEST(ValidateLayout, AcceptsValidLayouts) {
  const GpuModel& m = Model("H100-NVL");
  EXPECT_TRUE(ValidateLayout(m, {}).ok());
  EXPECT_TRUE(ValidateLayout(m, {At(k7g94, 0, 8)}).ok());
  EXPECT_TRUE(ValidateLayout(m, {At(k4g47, 0, 4), At(k3g47, 4, 4)}).ok());
  EXPECT_TRUE(ValidateLayout(m, {At(k3g47, 0, 4), At(k3g47, 4, 4)}).ok());
  Layout story = {At(k1g24, 0, 2)};
  for (int s = 2; s < 7; ++s) story.push_back(At(k1g12, s, 1));
  EXPECT_TRUE(ValidateLayout(m, story).ok());
  Layout seven;
  for (int s = 0; s < 7; ++s) seven.push_back(At(k1g12, s, 1));
  EXPECT_TRUE(ValidateLayout(m, seven).ok());
  // Order does not matter.
  EXPECT_TRUE(ValidateLayout(m, {At(k3g47, 4, 4), At(k4g47, 0, 4)}).ok());
}

TEST(ValidateLayout, Overlap) {
  const GpuModel& m = Model("H100-NVL");
  ExpectInvalid(m, {At(k4g47, 0, 4), At(k1g12, 3, 1)},
                "1g.12gb at {3}:1 overlaps another GPU instance");
  ExpectInvalid(m, {At(k1g12, 0, 1), At(k1g12, 0, 1)},
                "1g.12gb at {0}:1 overlaps another GPU instance");
  ExpectInvalid(m, {At(k1g24, 6, 2), At(k3g47, 4, 4)},
                "3g.47gb at {4}:4 overlaps another GPU instance");
  ExpectInvalid(m, {At(k7g94, 0, 8), At(k1g12me, 6, 1)},
                "1g.12gb+me at {6}:1 overlaps another GPU instance");
}

TEST(ValidateLayout, BadPlacement) {
  const GpuModel& m = Model("H100-NVL");
  ExpectInvalid(m, {At(k3g47, 2, 4)},
                "3g.47gb cannot be placed at {2}:4 on NVIDIA H100 NVL");
  ExpectInvalid(m, {At(k1g12, 7, 1)},
                "1g.12gb cannot be placed at {7}:1 on NVIDIA H100 NVL");
  ExpectInvalid(m, {At(k1g24, 1, 2)},
                "1g.24gb cannot be placed at {1}:2 on NVIDIA H100 NVL");
  ExpectInvalid(m, {At(k4g47, 4, 4)},
                "4g.47gb cannot be placed at {4}:4 on NVIDIA H100 NVL");
  // Right start, wrong size.
  ExpectInvalid(m, {At(k3g47, 0, 3)},
                "3g.47gb cannot be placed at {0}:3 on NVIDIA H100 NVL");
  ExpectInvalid(m, {At(42, 0, 1)},
                "GPU instance profile ID 42 does not exist on NVIDIA H100 NVL");
}

TEST(ValidateLayout, CountExceeded) {
  const GpuModel& m = Model("H100-NVL");
  ExpectInvalid(m, {At(k1g12me, 0, 1), At(k1g12me, 1, 1)},
                "more than 1 × 1g.12gb+me on NVIDIA H100 NVL");
  const GpuModel& a30 = Model("A30-24GB");
  // A30 2g.12gb+me (id 6): at most 1.
  ExpectInvalid(a30, {At(6, 0, 2), At(6, 2, 2)},
                "more than 1 × 2g.12gb+me on NVIDIA A30");
}

// ---------------------------------------------------------------------------
// Independent brute force: every subset of (profile, placement) candidates,
// checked with bit masks. The candidates are split into a low and a high
// half; each half's 2^k subsets are checked on their own, then the valid
// halves are joined (a subset is valid iff both halves are and they agree).
// No model is skipped: with the split, the largest (25 candidates) takes
// about 20 ms in a Debug build; the test fails if one takes 10 s or more.

struct BruteCandidate {
  int profile;  // index into model.profiles
  Placement placement;
  uint32_t mask;
};

struct HalfSubset {
  uint32_t bits;  // candidates of this half (already shifted into place)
  uint32_t mask;  // memory slices
  int compute;
  std::vector<int> counts;  // per model.profiles index
};

struct BruteForce {
  std::vector<BruteCandidate> candidates;
  // Every valid subset, as a bit set over `candidates`, the empty one too.
  std::unordered_set<uint32_t> valid;

  Layout ToLayout(const GpuModel& m, uint32_t bits) const {
    Layout l;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (bits & (1u << i)) {
        l.push_back(
            {m.profiles[candidates[i].profile].id, candidates[i].placement});
      }
    }
    Canonicalize(l);
    return l;
  }

  bool Maximal(uint32_t bits) const {
    for (size_t i = 0; i < candidates.size(); ++i) {
      uint32_t more = bits | (1u << i);
      if (more != bits && valid.contains(more)) return false;
    }
    return true;
  }
};

std::vector<HalfSubset> ValidHalf(const GpuModel& m,
                                  const std::vector<BruteCandidate>& c,
                                  size_t first, size_t last) {
  std::vector<HalfSubset> out;
  const size_t n = last - first;
  for (uint32_t sub = 0; sub < (1u << n); ++sub) {
    HalfSubset h{sub << first, 0, 0, std::vector<int>(m.profiles.size(), 0)};
    bool ok = true;
    for (size_t i = 0; i < n && ok; ++i) {
      if ((sub & (1u << i)) == 0) continue;
      const BruteCandidate& k = c[first + i];
      if (h.mask & k.mask) ok = false;
      h.mask |= k.mask;
      h.compute += m.profiles[k.profile].slices;
      if (++h.counts[k.profile] > m.profiles[k.profile].instance_count) {
        ok = false;
      }
    }
    if (ok && h.compute <= m.compute_slices) out.push_back(std::move(h));
  }
  return out;
}

BruteForce Brute(const GpuModel& m) {
  BruteForce b;
  for (size_t p = 0; p < m.profiles.size(); ++p) {
    for (const Placement& at : m.profiles[p].placements) {
      uint32_t mask = 0;
      for (int s = at.start; s < at.end(); ++s) mask |= 1u << s;
      b.candidates.push_back({static_cast<int>(p), at, mask});
    }
  }
  const size_t n = b.candidates.size();
  if (n > 31) {
    ADD_FAILURE() << m.key << ": " << n << " candidates, too many";
    return b;
  }
  const size_t half = n / 2;
  const std::vector<HalfSubset> low = ValidHalf(m, b.candidates, 0, half);
  const std::vector<HalfSubset> high = ValidHalf(m, b.candidates, half, n);
  for (const HalfSubset& l : low) {
    for (const HalfSubset& h : high) {
      if (l.mask & h.mask) continue;
      if (l.compute + h.compute > m.compute_slices) continue;
      bool ok = true;
      for (size_t p = 0; p < m.profiles.size() && ok; ++p) {
        ok = l.counts[p] + h.counts[p] <= m.profiles[p].instance_count;
      }
      if (ok) b.valid.insert(l.bits | h.bits);
    }
  }
  return b;
}

// Layout counts per model, as computed (EnumerateLayouts, confirmed by the
// brute force below): all valid non-empty layouts, and the maximal ones.
struct LayoutCounts {
  const char* key;
  size_t layouts;
  size_t maximal;
};

// Every 8-slice model (A100, H100, H200, GH200) has the same profile
// shapes and placements, hence the same counts.
constexpr LayoutCounts kLayoutCounts[] = {
    {"A100-SXM4-40GB", 2318, 239}, {"A100-SXM4-80GB", 2318, 239},
    {"A100-PCIE-80GB", 2318, 239}, {"A30-24GB", 83, 21},
    {"H100-SXM5-80GB", 2318, 239}, {"H100-PCIE-80GB", 2318, 239},
    {"H100-NVL", 2318, 239},       {"H200", 2318, 239},
    {"GH200-96GB", 2318, 239},
};

void PrintTo(const LayoutCounts& c, std::ostream* os) { *os << c.key; }

TEST(EnumerateLayouts, TableCoversTheCatalogue) {
  ASSERT_EQ(std::size(kLayoutCounts), Catalogue().size());
  for (size_t i = 0; i < Catalogue().size(); ++i) {
    EXPECT_EQ(kLayoutCounts[i].key, Catalogue()[i].key);
  }
}

class PerModel : public ::testing::TestWithParam<LayoutCounts> {};

TEST_P(PerModel, EnumerateLayoutsCountsAndOrder) {
  const GpuModel& m = Model(GetParam().key);
  const std::vector<Layout> layouts = EnumerateLayouts(m);
  size_t maximal = 0;
  for (const Layout& l : layouts) {
    ASSERT_FALSE(l.empty());
    EXPECT_TRUE(std::is_sorted(l.begin(), l.end())) << DescribeLayout(m, l);
    EXPECT_TRUE(ValidateLayout(m, l).ok()) << DescribeLayout(m, l);
    if (IsMaximal(m, l)) ++maximal;
  }
  EXPECT_TRUE(std::is_sorted(layouts.begin(), layouts.end()));
  EXPECT_EQ(std::adjacent_find(layouts.begin(), layouts.end()), layouts.end())
      << "duplicate layout";
  EXPECT_EQ(layouts.size(), GetParam().layouts) << m.key;
  EXPECT_EQ(maximal, GetParam().maximal) << m.key;
  // Stable: a second call gives the same list.
  EXPECT_EQ(EnumerateLayouts(m), layouts);
}

TEST_P(PerModel, EnumerateLayoutsMatchesBruteForce) {
  const GpuModel& m = Model(GetParam().key);
  const auto started = std::chrono::steady_clock::now();
  const BruteForce b = Brute(m);
  std::set<Layout> expected;
  std::set<Layout> expected_maximal;
  for (uint32_t bits : b.valid) {
    if (bits == 0) continue;
    Layout l = b.ToLayout(m, bits);
    if (b.Maximal(bits)) expected_maximal.insert(l);
    EXPECT_TRUE(expected.insert(std::move(l)).second);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  EXPECT_LT(seconds, 10.0) << m.key << ": brute force too slow";

  const std::vector<Layout> layouts = EnumerateLayouts(m);
  const std::set<Layout> got(layouts.begin(), layouts.end());
  EXPECT_EQ(got.size(), layouts.size());
  EXPECT_EQ(expected.size(), GetParam().layouts) << m.key;
  EXPECT_EQ(expected_maximal.size(), GetParam().maximal) << m.key;
  EXPECT_TRUE(got == expected)
      << m.key << ": EnumerateLayouts gives " << got.size() << ", brute force "
      << expected.size();
  for (const Layout& l : layouts) {
    EXPECT_EQ(IsMaximal(m, l), expected_maximal.contains(l))
        << DescribeLayout(m, l);
  }
  // The empty layout is maximal only on a model without profiles.
  EXPECT_FALSE(IsMaximal(m, {}));
}

// FitProfiles is complete on small requests: for every multiset of up to 3
// profile ids it succeeds iff some valid layout has exactly those counts.
TEST_P(PerModel, FitProfilesCompleteUpToThreeProfiles) {
  const GpuModel& m = Model(GetParam().key);
  std::set<ProfileCounts> achievable;
  for (const Layout& l : EnumerateLayouts(m))
    achievable.insert(CountProfiles(l));
  std::vector<int> ids;
  for (const GpuInstanceProfile& p : m.profiles) ids.push_back(p.id);
  int fits = 0, checked = 0;
  auto check = [&](const ProfileCounts& add) {
    ++checked;
    absl::StatusOr<Layout> got = FitProfiles(m, add);
    std::string what;
    for (const auto& [id, n] : add) {
      what += std::to_string(n) + "×" + std::to_string(id) + " ";
    }
    if (achievable.contains(add)) {
      ++fits;
      ASSERT_TRUE(got.ok()) << m.key << " " << what << got.status();
      EXPECT_TRUE(ValidateLayout(m, *got).ok()) << DescribeLayout(m, *got);
      EXPECT_EQ(CountProfiles(*got), add) << what;
      EXPECT_TRUE(std::is_sorted(got->begin(), got->end()));
    } else {
      ASSERT_FALSE(got.ok())
          << m.key << " " << what << " fitted as " << DescribeLayout(m, *got);
      EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted)
          << got.status();
    }
  };
  for (size_t a = 0; a < ids.size(); ++a) {
    check({{ids[a], 1}});
    for (size_t b = a; b < ids.size(); ++b) {
      ProfileCounts two;
      ++two[ids[a]];
      ++two[ids[b]];
      check(two);
      for (size_t c = b; c < ids.size(); ++c) {
        ProfileCounts three = two;
        ++three[ids[c]];
        check(three);
      }
    }
  }
  const size_t n = ids.size();
  EXPECT_EQ(checked,
            static_cast<int>(n + n * (n + 1) / 2 + n * (n + 1) * (n + 2) / 6));
  EXPECT_GT(fits, 0);
}

// With instances kept: for every valid layout K kept and every single added
// profile, FitProfiles succeeds iff some valid layout contains K and one more
// instance of that profile, and the result keeps K in place.
TEST_P(PerModel, FitProfilesCompleteWithKeptInstances) {
  const GpuModel& m = Model(GetParam().key);
  const std::vector<Layout> layouts = EnumerateLayouts(m);
  const std::set<Layout> all(layouts.begin(), layouts.end());
  std::vector<Layout> keeps = {Layout{}};
  keeps.insert(keeps.end(), layouts.begin(), layouts.end());
  for (const Layout& keep : keeps) {
    for (const GpuInstanceProfile& p : m.profiles) {
      bool possible = false;
      for (const Placement& at : p.placements) {
        Layout more = keep;
        more.push_back({p.id, at});
        Canonicalize(more);
        if (all.contains(more)) {
          possible = true;
          break;
        }
      }
      absl::StatusOr<Layout> got = FitProfiles(m, {{p.id, 1}}, keep);
      if (possible) {
        ASSERT_TRUE(got.ok()) << m.key << " keep " << DescribeLayout(m, keep)
                              << " add " << p.name << ": " << got.status();
        EXPECT_TRUE(all.contains(*got)) << DescribeLayout(m, *got);
        EXPECT_TRUE(
            std::includes(got->begin(), got->end(), keep.begin(), keep.end()));
        EXPECT_EQ(got->size(), keep.size() + 1);
      } else {
        ASSERT_FALSE(got.ok())
            << m.key << " keep " << DescribeLayout(m, keep) << " add " << p.name
            << " fitted as " << DescribeLayout(m, *got);
        EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Catalogue, PerModel, ::testing::ValuesIn(kLayoutCounts),
    [](const ::testing::TestParamInfo<LayoutCounts>& info) {
      std::string name = info.param.key;
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    });

// ---------------------------------------------------------------------------
// FitProfiles: the story and hand-picked cases.

void ExpectExhausted(const absl::StatusOr<Layout>& got,
                     const std::string& message) {
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(std::string(got.status().message()), message);
}

TEST(FitProfiles, StoryGpu0) {
  const GpuModel& m = Model("H100-NVL");
  absl::StatusOr<Layout> got = FitProfiles(m, {{k1g12, 2}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(At(k1g12, 0, 1), At(k1g12, 1, 1)));
  EXPECT_TRUE(ValidateLayout(m, *got).ok());
}

TEST(FitProfiles, StoryGpu1) {
  const GpuModel& m = Model("H100-NVL");
  absl::StatusOr<Layout> got = FitProfiles(m, {{k1g24, 1}, {k1g12, 5}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(ValidateLayout(m, *got).ok());
  EXPECT_EQ(CountProfiles(*got), (ProfileCounts{{k1g24, 1}, {k1g12, 5}}));
  // The larger profile first, at its lowest start; the rest after it.
  EXPECT_EQ(DescribeLayout(m, *got),
            "1g.24gb@0 1g.12gb@2 1g.12gb@3 1g.12gb@4 1g.12gb@5 1g.12gb@6");
}

TEST(FitProfiles, EmptyRequestKeepsTheLayout) {
  const GpuModel& m = Model("H100-NVL");
  absl::StatusOr<Layout> got = FitProfiles(m, {});
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->empty());
  Layout keep = {At(k3g47, 4, 4), At(k1g12, 1, 1)};
  got = FitProfiles(m, {}, keep);
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(*got, ElementsAre(At(k1g12, 1, 1), At(k3g47, 4, 4)));
}

TEST(FitProfiles, KeepThreeGAddFourG) {
  const GpuModel& m = Model("H100-NVL");
  absl::StatusOr<Layout> got = FitProfiles(m, {{k4g47, 1}}, {At(k3g47, 4, 4)});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(At(k4g47, 0, 4), At(k3g47, 4, 4)));
}

TEST(FitProfiles, KeptOneGBlocksFourG) {
  const GpuModel& m = Model("H100-NVL");
  ExpectExhausted(FitProfiles(m, {{k4g47, 1}}, {At(k1g12, 0, 1)}),
                  "no placement fits 4g.47gb into the free memory slices "
                  "{1,2,3,4,5,6,7} of NVIDIA H100 NVL (kept: 1g.12gb@0)");
}

TEST(FitProfiles, KeptInstancesStayWhereTheyAre) {
  const GpuModel& m = Model("H100-NVL");
  // The 1g.12gb sit at 1 and 5; the 2g.24gb must go to {2}:2, the 1g.24gb
  // to {6}:2.
  absl::StatusOr<Layout> got = FitProfiles(m, {{k2g24, 1}, {k1g24, 1}},
                                           {At(k1g12, 5, 1), At(k1g12, 1, 1)});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_THAT(*got, ElementsAre(At(k1g12, 1, 1), At(k2g24, 2, 2),
                                At(k1g12, 5, 1), At(k1g24, 6, 2)));
}

TEST(FitProfiles, BacktracksWhenTheLowestStartBlocksTheRest) {
  const GpuModel& m = Model("H100-NVL");
  // The 1g.24gb go first, at 0, 2 and 4; then only memory slice 6 is left
  // for two 1g.12gb (slice 7 takes no 1g.12gb), so the third 1g.24gb must
  // move to {6}:2.
  absl::StatusOr<Layout> got = FitProfiles(m, {{k1g24, 3}, {k1g12, 2}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(DescribeLayout(m, *got),
            "1g.24gb@0 1g.24gb@2 1g.12gb@4 1g.12gb@5 1g.24gb@6");
  EXPECT_TRUE(ValidateLayout(m, *got).ok());
  // Kept 1g.12gb at 0 and 5 leave only {2}:2 and {6}:2 for 1g.24gb.
  ExpectExhausted(
      FitProfiles(m, {{k1g24, 3}}, {At(k1g12, 0, 1), At(k1g12, 5, 1)}),
      "no placement fits 1g.24gb, 1g.24gb, 1g.24gb into the free memory "
      "slices {1,2,3,4,6,7} of NVIDIA H100 NVL (kept: 1g.12gb@0 1g.12gb@5)");
}

TEST(FitProfiles, MoreThanTheInstanceCount) {
  const GpuModel& m = Model("H100-NVL");
  ExpectExhausted(FitProfiles(m, {{k1g12, 8}}),
                  "8 × 1g.12gb requested, but NVIDIA H100 NVL supports at "
                  "most 7");
  ExpectExhausted(FitProfiles(m, {{k1g12me, 1}}, {At(k1g12me, 2, 1)}),
                  "2 × 1g.12gb+me requested (with kept ones), but NVIDIA H100 "
                  "NVL supports at most 1");
  ExpectExhausted(FitProfiles(m, {{k1g24, 5}}),
                  "5 × 1g.24gb requested, but NVIDIA H100 NVL supports at "
                  "most 4");
}

TEST(FitProfiles, UnknownProfile) {
  const GpuModel& m = Model("H100-NVL");
  absl::StatusOr<Layout> got = FitProfiles(m, {{42, 1}});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(std::string(got.status().message()),
            "GPU instance profile ID 42 does not exist on NVIDIA H100 NVL");
}

TEST(FitProfiles, NegativeCount) {
  const GpuModel& m = Model("H100-NVL");
  absl::StatusOr<Layout> got = FitProfiles(m, {{k1g12, -1}});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(got.status().message()),
            "negative count -1 for 1g.12gb");
}

TEST(FitProfiles, InvalidKeep) {
  const GpuModel& m = Model("H100-NVL");
  absl::StatusOr<Layout> got = FitProfiles(m, {{k1g12, 1}}, {At(k3g47, 2, 4)});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(got.status().message()),
            "instances to keep are not a valid layout: 3g.47gb cannot be "
            "placed at {2}:4 on NVIDIA H100 NVL");
}

TEST(FitProfiles, NotEnoughMemorySlices) {
  const GpuModel& m = Model("H100-NVL");
  // Keeping 1g.12gb at {3}:1 leaves 7 memory slices; two 3g.47gb need 8.
  ExpectExhausted(FitProfiles(m, {{k3g47, 2}}, {At(k1g12, 3, 1)}),
                  "needs 8 memory slices but only 7 of 8 are free (kept: "
                  "1g.12gb@3)");
  ExpectExhausted(FitProfiles(m, {{k7g94, 1}, {k1g12, 1}}),
                  "needs 9 memory slices but only 8 of 8 are free (kept: "
                  "empty)");
}

TEST(FitProfiles, NotEnoughComputeSlices) {
  const GpuModel& m = Model("H100-NVL");
  // 4g + 2 × 2g: 8 memory slices of 8, but 8 compute slices of 7.
  ExpectExhausted(FitProfiles(m, {{k4g47, 1}, {k2g24, 2}}),
                  "needs 8 compute slices but only 7 of 7 are free (kept: "
                  "empty)");
  // Kept 1g.12gb at 0: 3 × 2g + 1g.12gb need 7 memory slices of 7 free but
  // 7 compute slices of 6 free.
  ExpectExhausted(FitProfiles(m, {{k2g24, 3}, {k1g12, 1}}, {At(k1g12, 0, 1)}),
                  "needs 7 compute slices but only 6 of 7 are free (kept: "
                  "1g.12gb@0)");
}

TEST(FitProfiles, MemorySufficesButNoArrangementFits) {
  const GpuModel& m = Model("H100-NVL");
  // 1g.12gb kept at 1 and 5: 6 memory slices free, 5 compute slices free,
  // a 3g.47gb needs 4 and 3, but both its placements ({0}:4, {4}:4) are hit.
  ExpectExhausted(
      FitProfiles(m, {{k3g47, 1}}, {At(k1g12, 1, 1), At(k1g12, 5, 1)}),
      "no placement fits 3g.47gb into the free memory slices {0,2,3,4,6,7} "
      "of NVIDIA H100 NVL (kept: 1g.12gb@1 1g.12gb@5)");
  // 1g.12gb kept at 3: 7 memory slices free, 6 compute; a 4g.47gb's only
  // placement {0}:4 is hit.
  ExpectExhausted(FitProfiles(m, {{k4g47, 1}}, {At(k1g12, 3, 1)}),
                  "no placement fits 4g.47gb into the free memory slices "
                  "{0,1,2,4,5,6,7} of NVIDIA H100 NVL (kept: 1g.12gb@3)");
  // But with the 3g, 2g and another 1g.12gb it fits: 7 memory slices, 6
  // compute, the 3g at {4}:4 (after backtracking from {0}:4).
  absl::StatusOr<Layout> ok =
      FitProfiles(m, {{k3g47, 1}, {k2g24, 1}, {k1g12, 1}}, {At(k1g12, 3, 1)});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(DescribeLayout(m, *ok), "2g.24gb@0 1g.12gb@2 1g.12gb@3 3g.47gb@4");
  // 2 × 2g.24gb and 3 × 1g.12gb on an empty GPU: 7 memory slices, 7
  // compute; the 2g take {0} and {2}, the 1g take 4, 5, 6.
  ok = FitProfiles(m, {{k2g24, 2}, {k1g12, 3}});
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(DescribeLayout(m, *ok),
            "2g.24gb@0 2g.24gb@2 1g.12gb@4 1g.12gb@5 1g.12gb@6");
}

TEST(FitProfiles, OtherModels) {
  const GpuModel& h100 = Model("H100-SXM5-80GB");
  absl::StatusOr<Layout> got = FitProfiles(h100, {{9, 1}, {14, 1}, {19, 2}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(DescribeLayout(h100, *got),
            "2g.20gb@0 1g.10gb@2 1g.10gb@3 3g.40gb@4");
  ExpectExhausted(FitProfiles(h100, {{19, 8}}),
                  "8 × 1g.10gb requested, but NVIDIA H100 80GB HBM3 supports "
                  "at most 7");
  const GpuModel& a30 = Model("A30-24GB");
  got = FitProfiles(a30, {{5, 1}, {14, 2}});
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(DescribeLayout(a30, *got), "2g.12gb@0 1g.6gb@2 1g.6gb@3");
}

}  // namespace
}  // namespace migctl::mig
