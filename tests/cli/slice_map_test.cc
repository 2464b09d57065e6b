// Slice maps: every box sits over exactly the memory slices of its instance,
// checked by position for every layout of the 8- and 4-slice models, so the
// golden files under tests/golden/show/ are not their own only spec.
#include "cli/slice_map.h"

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mig/catalogue.h"

namespace migctl::cli {
namespace {

using ::testing::ElementsAre;

const mig::GpuModel& Model(const char* key) {
  const mig::GpuModel* m = mig::FindModel(key);
  EXPECT_NE(m, nullptr) << key;
  return *m;
}

mig::PlacedGpuInstance At(const mig::GpuModel& model, const char* profile,
                          int start) {
  const mig::GpuInstanceProfile* p = model.FindProfileByName(profile);
  EXPECT_NE(p, nullptr) << profile;
  return {p->id, {start, p->memory_slices()}};
}

// Without colour codes and trailing blanks.
std::string StripSgr(const std::string& s) {
  std::string plain = std::regex_replace(s, std::regex("\x1b\\[[0-9;]*m"), "");
  plain.erase(plain.find_last_not_of(' ') + 1);
  return plain;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Slice s's cell is the columns [9s+1, 9s+9); box edges sit at 9a and 9b.
void ExpectBoxesOverTheirSlices(const mig::GpuModel& model,
                                const mig::Layout& layout,
                                const std::string& row, char edge,
                                bool labelled = true) {
  SCOPED_TRACE(mig::DescribeLayout(model, layout) + "\n" + row);
  std::string padded = row;
  padded.resize(9 * model.memory_slices + 1, ' ');
  ASSERT_EQ(padded.size(), 9u * model.memory_slices + 1);
  std::vector<bool> taken(model.memory_slices, false);
  for (const mig::PlacedGpuInstance& i : layout) {
    const int a = i.placement.start, b = i.placement.end();
    EXPECT_EQ(padded[9 * a], edge);
    EXPECT_EQ(padded[9 * b], edge);
    const std::string inside = padded.substr(9 * a + 1, 9 * (b - a) - 1);
    EXPECT_EQ(inside.find(edge), std::string::npos) << inside;
    if (!labelled) {
      EXPECT_EQ(inside, std::string(inside.size(), '-'));
      for (int s = a; s < b; ++s) taken[s] = true;
      continue;
    }
    const std::string& name = model.FindProfileById(i.profile_id)->name;
    std::string shown = name;
    if (shown.size() > inside.size())
      shown = std::regex_replace(name, std::regex("gb"), "");
    EXPECT_NE(inside.find(shown), std::string::npos) << inside;
    for (int s = a; s < b; ++s) taken[s] = true;
  }
  for (int s = 0; s < model.memory_slices; ++s) {
    if (taken[s] || !labelled) continue;
    EXPECT_EQ(padded.substr(9 * s + 1, 8), "   -    ") << "free slice " << s;
  }
}

TEST(LayoutRowTest, EveryBoxOfEveryLayoutSitsOverItsSlices) {
  for (const char* key : {"H100-NVL", "A100-SXM4-40GB", "A30-24GB"}) {
    const mig::GpuModel* model = mig::FindModel(key);
    ASSERT_NE(model, nullptr) << key;
    int checked = 0;
    for (const mig::Layout& layout : mig::EnumerateLayouts(*model)) {
      std::string row = LayoutRow(*model, layout, /*color=*/false);
      ExpectBoxesOverTheirSlices(*model, layout, row, '|');
      EXPECT_EQ(StripSgr(LayoutRow(*model, layout, /*color=*/true)), row);
      EXPECT_LE(row.size(), 73u);
      ++checked;
    }
    EXPECT_GT(checked, 0) << key;
  }
}

TEST(LayoutRowTest, DrawsA100FullGpuAndHalves) {
  const mig::GpuModel& a100 = Model("A100-SXM4-40GB");
  EXPECT_EQ(
      LayoutRow(a100, {At(a100, "7g.40gb", 0)}, false),
      "|" + std::string(32, ' ') + "7g.40gb" + std::string(32, ' ') + "|");
  EXPECT_EQ(LayoutRow(a100,
                      {At(a100, "4g.20gb", 0), At(a100, "2g.10gb", 4),
                       At(a100, "1g.5gb", 6)},
                      false),
            "|              4g.20gb              |     2g.10gb     | 1g.5gb "
            "|   -");
}

TEST(SliceMapTest, BoxesOfTheStoryGpu1SitOverTheirSlices) {
  const mig::GpuModel& nvl = Model("H100-NVL");
  std::vector<MappedInstance> instances = {
      {At(nvl, "1g.24gb", 0).profile_id, {0, 2}, 3, {4242}}};
  for (int s = 2; s < 7; ++s)
    instances.push_back({At(nvl, "1g.12gb", s).profile_id, {s, 1}, 7 + s, {}});
  mig::Layout layout;
  for (const MappedInstance& i : instances)
    layout.push_back({i.profile_id, i.placement});
  const std::vector<std::string> lines =
      Lines(SliceMap(nvl, instances, /*color=*/false));
  ASSERT_EQ(lines.size(), 6u);
  ExpectBoxesOverTheirSlices(nvl, layout, lines[1], '+', false);
  ExpectBoxesOverTheirSlices(nvl, layout, lines[5], '+', false);
  // Line 2 holds the names; lines 3 and 4 the GI ids and states.
  std::string names = lines[2];
  for (const mig::PlacedGpuInstance& i : layout) {
    EXPECT_EQ(names[9 * i.placement.start], '|');
    EXPECT_EQ(names[9 * i.placement.end()], '|');
  }
  EXPECT_EQ(lines[2].substr(1, 17), "     1g.24gb     ");
  EXPECT_EQ(lines[3].substr(1, 17), "      GI 3       ");
  EXPECT_EQ(lines[4].substr(1, 17), "      busy       ");
  EXPECT_EQ(lines[2].substr(9 * 7 + 1, 8), "  free  ");
  EXPECT_EQ(lines[4].substr(9 * 2 + 1, 8), "  idle  ");
  EXPECT_EQ(lines[0],
            "    0        1        2        3        4        5  "
            "      6        7");
}

TEST(FittingProfilesTest, StoryGpu0LeavesSlicesTwoToSeven) {
  const mig::GpuModel& nvl = Model("H100-NVL");
  mig::Layout layout = {At(nvl, "1g.12gb", 0), At(nvl, "1g.12gb", 1)};
  std::vector<std::pair<std::string, std::vector<std::string>>> seen;
  for (const ProfileFit& f : FittingProfiles(nvl, layout)) {
    std::vector<std::string> ranges;
    for (const mig::Placement& p : f.placements)
      ranges.push_back(SliceRange(p));
    seen.emplace_back(f.profile->name, ranges);
  }
  using R = std::vector<std::string>;
  EXPECT_THAT(
      seen,
      ElementsAre(
          std::pair{std::string("1g.12gb"), R{"2", "3", "4", "5", "6"}},
          std::pair{std::string("2g.24gb"), R{"2-3", "4-5"}},
          std::pair{std::string("3g.47gb"), R{"4-7"}},
          std::pair{std::string("1g.12gb+me"), R{"2", "3", "4", "5", "6"}},
          std::pair{std::string("1g.24gb"), R{"2-3", "4-5", "6-7"}}));
  EXPECT_THAT(FreeMemorySlices(nvl, layout), ElementsAre(2, 3, 4, 5, 6, 7));
}

TEST(FittingProfilesTest, StoryGpu1HasNoRoomLeft) {
  const mig::GpuModel& nvl = Model("H100-NVL");
  mig::Layout layout = {At(nvl, "1g.24gb", 0)};
  for (int s = 2; s < 7; ++s) layout.push_back(At(nvl, "1g.12gb", s));
  EXPECT_TRUE(FittingProfiles(nvl, layout).empty());
  EXPECT_THAT(FreeMemorySlices(nvl, layout), ElementsAre(7));
}

TEST(SortForDiagramTest, LargestInstancesFirst) {
  const mig::GpuModel& a100 = Model("A100-SXM4-40GB");
  std::vector<mig::Layout> layouts = {{At(a100, "1g.5gb", 0)},
                                      {At(a100, "7g.40gb", 0)},
                                      {At(a100, "3g.20gb", 0)},
                                      {At(a100, "4g.20gb", 0)}};
  SortForDiagram(a100, layouts);
  std::vector<std::string> names;
  for (const mig::Layout& l : layouts)
    names.push_back(mig::DescribeLayout(a100, l));
  EXPECT_THAT(names,
              ElementsAre("7g.40gb@0", "4g.20gb@0", "3g.20gb@0", "1g.5gb@0"));
}

}  // namespace
}  // namespace migctl::cli
