// The configs NVIDIA ships with mig-parted, written for migctl's catalogue
// (testdata/config-default.yaml: all-disabled, all-enabled, all-<profile>,
// all-balanced, a device-filter per GPU model), on every catalogue model.
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_replace.h"
#include "config/mig_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mig/catalogue.h"
#include "mig/layout.h"

namespace migctl::config {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

const MigConfigFile& DefaultConfigs() {
  static const MigConfigFile* const file = [] {
    absl::StatusOr<MigConfigFile> f =
        LoadMigConfig(std::string(MIGCTL_SOURCE_DIR) +
                      "/tests/config/testdata/config-default.yaml");
    EXPECT_TRUE(f.ok()) << f.status();
    return new MigConfigFile(f.ok() ? *std::move(f) : MigConfigFile{});
  }();
  return *file;
}

bool HasEntryFor(const std::vector<MigConfigEntry>& entries,
                 const mig::GpuModel& model) {
  for (const MigConfigEntry& e : entries) {
    if (e.device_filters.empty()) return true;
    for (const DeviceFilter& f : e.device_filters) {
      if (f.device_id == model.pci_device_id) return true;
    }
  }
  return false;
}

TEST(ShippedConfigsTest, Parse) {
  const MigConfigFile& file = DefaultConfigs();
  // 2 + one all-<profile> per distinct profile name + all-balanced.
  EXPECT_EQ(file.configs.size(), 38u);
  EXPECT_NE(file.Find("all-disabled"), nullptr);
  EXPECT_NE(file.Find("all-enabled"), nullptr);
  EXPECT_NE(file.Find("all-balanced"), nullptr);
}

TEST(ShippedConfigsTest, EveryConfigWithAnEntryForAModelFitsIt) {
  const MigConfigFile& file = DefaultConfigs();
  for (const mig::GpuModel& model : mig::Catalogue()) {
    int selected = 0;
    for (const auto& [name, entries] : file.configs) {
      if (!HasEntryFor(entries, model)) continue;
      for (int gpu : {0, 7}) {
        absl::StatusOr<GpuTarget> target =
            SelectForGpu(file, name, gpu, model, model.pci_subsystem_id);
        ASSERT_TRUE(target.ok())
            << model.key << " " << name << ": " << target.status();
        EXPECT_EQ(target->mig_enabled, name != "all-disabled");
        absl::StatusOr<mig::Layout> layout =
            mig::FitProfiles(model, target->profiles);
        EXPECT_TRUE(layout.ok())
            << model.key << " " << name << ": " << layout.status();
      }
      ++selected;
    }
    // all-disabled, all-enabled, all-balanced and one per profile.
    EXPECT_EQ(selected, 3 + static_cast<int>(model.profiles.size()))
        << model.key;
  }
}

TEST(ShippedConfigsTest, AllProfileConfigsCreateEveryInstanceTheModelAllows) {
  const MigConfigFile& file = DefaultConfigs();
  for (const mig::GpuModel& model : mig::Catalogue()) {
    for (const mig::GpuInstanceProfile& profile : model.profiles) {
      const std::string name =
          "all-" + absl::StrReplaceAll(profile.name, {{"+", "."}});
      absl::StatusOr<GpuTarget> target =
          SelectForGpu(file, name, 0, model, model.pci_subsystem_id);
      ASSERT_TRUE(target.ok())
          << model.key << " " << name << ": " << target.status();
      EXPECT_TRUE(target->mig_enabled);
      EXPECT_THAT(target->profiles,
                  ElementsAre(Pair(profile.id, profile.instance_count)))
          << model.key << " " << name;
    }
  }
}

TEST(ShippedConfigsTest, AllBalancedPerModel) {
  const MigConfigFile& file = DefaultConfigs();
  struct Expected {
    const char* model;
    mig::ProfileCounts profiles;  // ids as NVML reports them
  };
  const std::vector<Expected> expected = {
      {"A100-SXM4-40GB", {{19, 2}, {14, 1}, {9, 1}}},
      {"A100-SXM4-80GB", {{19, 2}, {14, 1}, {9, 1}}},
      {"A100-PCIE-80GB", {{19, 2}, {14, 1}, {9, 1}}},
      {"A30-24GB", {{14, 2}, {5, 1}}},
      {"H100-SXM5-80GB", {{19, 2}, {14, 1}, {9, 1}}},
      {"H100-PCIE-80GB", {{19, 2}, {14, 1}, {9, 1}}},
      {"H100-NVL", {{19, 2}, {14, 1}, {9, 1}}},
      {"H200", {{19, 2}, {14, 1}, {9, 1}}},
      {"GH200-96GB", {{19, 2}, {14, 1}, {9, 1}}},
  };
  std::set<std::string> covered;
  for (const Expected& e : expected) {
    const mig::GpuModel* model = mig::FindModel(e.model);
    ASSERT_NE(model, nullptr) << e.model;
    absl::StatusOr<GpuTarget> target =
        SelectForGpu(file, "all-balanced", 1, *model, 0);
    ASSERT_TRUE(target.ok()) << e.model << ": " << target.status();
    EXPECT_EQ(target->profiles, e.profiles) << e.model;
    EXPECT_EQ(target->entries.size(), 1u) << e.model;
    covered.insert(model->key);
  }
  EXPECT_EQ(covered.size(), mig::Catalogue().size());
}

TEST(ShippedConfigsTest, RoundTrip) {
  const MigConfigFile& file = DefaultConfigs();
  const std::string yaml = WriteMigConfig(file);
  absl::StatusOr<MigConfigFile> back = ParseMigConfig(yaml, "export.yaml");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, file);
  EXPECT_EQ(WriteMigConfig(*back), yaml);
}

}  // namespace
}  // namespace migctl::config
