// Tests of the mig-parted v1 config schema, its error messages, SelectForGpu
// and writing configs back.
#include "config/mig_config.h"

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "mig/catalogue.h"

namespace migctl::config {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;

constexpr char kStory[] = R"(version: v1
mig-configs:
  custom-mig:
    - devices: [0]
      mig-enabled: true
      mig-devices:
        "1g.12gb": 2
    - devices: [1]
      mig-enabled: true
      mig-devices:
        "1g.24gb": 1
        "1g.12gb": 5
)";

// The first lines of a config with one entry; the entry starts at 4:7.
constexpr char kEntry[] = "version: v1\nmig-configs:\n  c:\n    - ";

absl::StatusOr<MigConfigFile> Parse(const std::string& yaml) {
  return ParseMigConfig(yaml, "c.yaml");
}

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<MigConfigFile> file = Parse(yaml);
  if (file.ok()) return "ok";
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(file.status().message());
}

const mig::GpuModel& Model(const char* key) {
  const mig::GpuModel* model = mig::FindModel(key);
  EXPECT_NE(model, nullptr) << key;
  return *model;
}

TEST(ParseMigConfigTest, StoryConfig) {
  absl::StatusOr<MigConfigFile> file = Parse(kStory);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->version, "v1");
  ASSERT_EQ(file->configs.size(), 1u);
  EXPECT_EQ(file->configs[0].first, "custom-mig");
  const std::vector<MigConfigEntry>& entries = file->configs[0].second;
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_FALSE(entries[0].all_devices);
  EXPECT_THAT(entries[0].devices, ElementsAre(0));
  EXPECT_TRUE(entries[0].mig_enabled);
  EXPECT_THAT(entries[0].mig_devices, ElementsAre(Pair("1g.12gb", 2)));
  EXPECT_EQ(entries[0].mark.ToString(), "c.yaml:4:7");
  EXPECT_THAT(entries[1].devices, ElementsAre(1));
  EXPECT_THAT(entries[1].mig_devices,
              ElementsAre(Pair("1g.24gb", 1), Pair("1g.12gb", 5)));
  EXPECT_EQ(entries[1].mark.ToString(), "c.yaml:8:7");
  EXPECT_EQ(file->Find("custom-mig"), &entries);
  EXPECT_EQ(file->Find("other"), nullptr);
}

TEST(ParseMigConfigTest, AcceptsEverySpelling) {
  absl::StatusOr<MigConfigFile> file = Parse(R"(version: "v1"
mig-configs:
  a:
    - device-filter: "0x233010de"
      devices: "all"
      mig-enabled: yes
      mig-devices:
        "1g.10gb.me": 1
        "2g.20gb": 0
    - device-filter: ["0X233110DE", "0x233010DE:0x16C110de"]
      devices: []
      mig-enabled: off
      mig-devices: {}
    - device-filter: ""
      devices: [3, 1, 3]
      mig-enabled: false
      mig-devices:
    - device-filter: []
      devices: all
      mig-enabled: True
      mig-devices: {}
)");
  ASSERT_TRUE(file.ok()) << file.status();
  const std::vector<MigConfigEntry>& e = file->configs[0].second;
  ASSERT_EQ(e.size(), 4u);
  EXPECT_TRUE(e[0].all_devices);
  EXPECT_THAT(e[0].device_filters, ElementsAre(DeviceFilter{0x233010DE, {}}));
  EXPECT_TRUE(e[0].mig_enabled);
  EXPECT_THAT(e[0].mig_devices,
              ElementsAre(Pair("1g.10gb.me", 1), Pair("2g.20gb", 0)));
  EXPECT_FALSE(e[1].all_devices);
  EXPECT_TRUE(e[1].devices.empty());
  EXPECT_THAT(e[1].device_filters,
              ElementsAre(DeviceFilter{0x233110DE, {}},
                          DeviceFilter{0x233010DE, 0x16C110DE}));
  EXPECT_FALSE(e[1].mig_enabled);
  EXPECT_TRUE(e[2].device_filters.empty());
  EXPECT_THAT(e[2].devices, ElementsAre(3, 1, 3));
  EXPECT_TRUE(e[2].mig_devices.empty());
  EXPECT_TRUE(e[3].device_filters.empty());
  EXPECT_TRUE(e[3].mig_enabled);
  EXPECT_TRUE(e[3].mig_devices.empty());
}

TEST(ParseMigConfigTest, VersionOnlyIsAnEmptyFile) {
  absl::StatusOr<MigConfigFile> file = Parse("version: v1\n");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_TRUE(file->configs.empty());
}

struct ErrorCase {
  std::string yaml;
  std::string message;
};

void ExpectErrors(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) {
    EXPECT_EQ(ErrorOf(c.yaml), c.message) << c.yaml;
  }
}

TEST(ParseMigConfigTest, DocumentErrors) {
  ExpectErrors({
      {"",
       "c.yaml:1:1: the document is empty; expected a map with keys version "
       "and mig-configs"},
      {"- a\n",
       "c.yaml:1:1: the document is a list; expected a map with keys version "
       "and mig-configs"},
      {"version: v1\nmig-configs: [\n",
       "c.yaml:3:1: invalid YAML: end of sequence flow not found; expected "
       "well-formed YAML"},
      {"mig-configs: {}\n",
       "c.yaml:1:1: missing key \"version\"; expected version: v1"},
      {"version: v2\n",
       "c.yaml:1:10: unknown version \"v2\"; expected version: v1"},
      {"version: [v1]\n",
       "c.yaml:1:10: \"version\" is a list; expected version: v1"},
      {"version:\n", "c.yaml:1:1: \"version\" is null; expected version: v1"},
      {"version: v1\nversion: v1\n",
       "c.yaml:2:1: duplicate key \"version\" (first at 1:1); expected each "
       "key once"},
      {"version: v1\nbogus: 1\n",
       "c.yaml:2:1: unknown key \"bogus\"; valid keys are version, "
       "mig-configs"},
      {"version: v1\n[a]: 1\n", "c.yaml:2:1: key is a list; expected a string"},
  });
}

TEST(ParseMigConfigTest, ConfigsErrors) {
  ExpectErrors({
      {"version: v1\nmig-configs: {}\n",
       "c.yaml:2:14: \"mig-configs\" is empty; expected at least one named "
       "config"},
      {"version: v1\nmig-configs:\n",
       "c.yaml:2:1: \"mig-configs\" is empty; expected at least one named "
       "config"},
      {"version: v1\nmig-configs: [a]\n",
       "c.yaml:2:14: \"mig-configs\" is a list; expected a map of config "
       "names to lists of entries"},
      {"version: v1\nmig-configs:\n  c: []\n",
       "c.yaml:3:6: config \"c\" has no entries; expected a list of at least "
       "one entry"},
      {"version: v1\nmig-configs:\n  c:\n",
       "c.yaml:3:3: config \"c\" has no entries; expected a list of at least "
       "one entry"},
      {"version: v1\nmig-configs:\n  c: {devices: all}\n",
       "c.yaml:3:6: config \"c\" is a map; expected a list of entries"},
      {"version: v1\nmig-configs:\n  c:\n    - all\n",
       "c.yaml:4:7: entry 1 of config \"c\" is \"all\"; expected a map with "
       "keys device-filter, devices, mig-enabled, mig-devices"},
      {"version: v1\nmig-configs:\n  c:\n    - {devices: all, mig-enabled: "
       "false}\n    - [0]\n",
       "c.yaml:5:7: entry 2 of config \"c\" is a list; expected a map with "
       "keys device-filter, devices, mig-enabled, mig-devices"},
      {"version: v1\nmig-configs:\n  c:\n    - {devices: all, mig-enabled: "
       "false}\n  c:\n    - {devices: all, mig-enabled: false}\n",
       "c.yaml:5:3: duplicate key \"c\" (first at 3:3); expected each key "
       "once"},
  });
}

TEST(ParseMigConfigTest, EntryKeyErrors) {
  const std::string e = kEntry;
  ExpectErrors({
      {e + "devices: all\n      mig-enabled: false\n      bogus: 1\n",
       "c.yaml:6:7: unknown key \"bogus\"; valid keys are device-filter, "
       "devices, mig-enabled, mig-devices"},
      {e + "devices: all\n      mig-enabled: false\n      devices: all\n",
       "c.yaml:6:7: duplicate key \"devices\" (first at 4:7); expected each "
       "key once"},
      {e + "mig-enabled: false\n",
       "c.yaml:4:7: missing key \"devices\"; expected devices: \"all\" or a "
       "list of GPU indices"},
      {e + "devices: all\n",
       "c.yaml:4:7: missing key \"mig-enabled\"; expected mig-enabled: true "
       "or false"},
  });
}

TEST(ParseMigConfigTest, DevicesErrors) {
  const std::string e = kEntry;
  const std::string tail = "\n      mig-enabled: false\n";
  ExpectErrors({
      {e + "devices: bogus" + tail,
       "c.yaml:4:16: \"devices\" is \"bogus\"; expected \"all\" or a list of "
       "GPU indices"},
      {e + "devices: ALL" + tail,
       "c.yaml:4:16: \"devices\" is \"ALL\"; expected \"all\" or a list of GPU "
       "indices"},
      {e + "devices: 0" + tail,
       "c.yaml:4:16: \"devices\" is \"0\"; expected \"all\" or a list of GPU "
       "indices"},
      {e + "devices: {}" + tail,
       "c.yaml:4:16: \"devices\" is a map; expected \"all\" or a list of GPU "
       "indices"},
      {e + "devices:" + tail,
       "c.yaml:4:7: \"devices\" is null; expected \"all\" or a list of GPU "
       "indices"},
      {e + "devices: [0, -1]" + tail,
       "c.yaml:4:20: GPU index \"-1\" in \"devices\" is not valid; expected a "
       "non-negative integer"},
      {e + "devices: [0, \"1\"]" + tail,
       "c.yaml:4:20: GPU index \"1\" in \"devices\" is not valid; expected a "
       "non-negative integer"},
      {e + "devices: [1.5]" + tail,
       "c.yaml:4:17: GPU index \"1.5\" in \"devices\" is not valid; expected "
       "a non-negative integer"},
      {e + "devices: [[0]]" + tail,
       "c.yaml:4:17: GPU index a list in \"devices\" is not valid; expected a "
       "non-negative integer"},
  });
}

TEST(ParseMigConfigTest, MigEnabledErrors) {
  const std::string e = std::string(kEntry) + "devices: all\n";
  ExpectErrors({
      {e + "      mig-enabled: maybe\n",
       "c.yaml:5:20: \"mig-enabled\" is \"maybe\"; expected true or false"},
      {e + "      mig-enabled: \"true\"\n",
       "c.yaml:5:20: \"mig-enabled\" is \"true\"; expected true or false"},
      {e + "      mig-enabled: 1\n",
       "c.yaml:5:20: \"mig-enabled\" is \"1\"; expected true or false"},
      {e + "      mig-enabled:\n",
       "c.yaml:5:7: \"mig-enabled\" is null; expected true or false"},
      {e + "      mig-enabled: [true]\n",
       "c.yaml:5:20: \"mig-enabled\" is a list; expected true or false"},
  });
}

TEST(ParseMigConfigTest, MigDevicesErrors) {
  const std::string on =
      std::string(kEntry) + "devices: all\n      mig-enabled: true\n";
  const std::string off =
      std::string(kEntry) + "devices: all\n      mig-enabled: false\n";
  const std::string md = on + "      mig-devices:\n        ";
  ExpectErrors({
      {on,
       "c.yaml:4:7: missing key \"mig-devices\" (required when mig-enabled is "
       "true); expected a map of MIG profile names to counts, or {}"},
      {on + "      mig-devices:\n",
       "c.yaml:6:7: missing key \"mig-devices\" (required when mig-enabled is "
       "true); expected a map of MIG profile names to counts, or {}"},
      {on + "      mig-devices: [1g.10gb]\n",
       "c.yaml:6:20: \"mig-devices\" is a list; expected a map of MIG profile "
       "names to counts, or {}"},
      {on + "      mig-devices: 1g.10gb\n",
       "c.yaml:6:20: \"mig-devices\" is \"1g.10gb\"; expected a map of MIG "
       "profile names to counts, or {}"},
      {off + "      mig-devices:\n        \"1g.10gb\": 1\n",
       "c.yaml:7:9: \"mig-devices\" is not empty but mig-enabled is false; "
       "expected no mig-devices, or {}, when MIG is disabled"},
      {md + "\"1g.10gb\": -1\n",
       "c.yaml:7:20: count of \"1g.10gb\" is \"-1\"; expected a non-negative "
       "integer"},
      {md + "\"1g.10gb\": two\n",
       "c.yaml:7:20: count of \"1g.10gb\" is \"two\"; expected a non-negative "
       "integer"},
      {md + "\"1g.10gb\": \"2\"\n",
       "c.yaml:7:20: count of \"1g.10gb\" is \"2\"; expected a non-negative "
       "integer"},
      {md + "\"1g.10gb\": 1.5\n",
       "c.yaml:7:20: count of \"1g.10gb\" is \"1.5\"; expected a non-negative "
       "integer"},
      {md + "\"1g.10gb\":\n",
       "c.yaml:7:9: count of \"1g.10gb\" is null; expected a non-negative "
       "integer"},
      {md + "\"1g.10gb\": 0\n        \"2g.20gb\": 0\n",
       "c.yaml:7:9: all counts in \"mig-devices\" are 0; expected at least "
       "one positive count, or {} for no MIG devices"},
      {md + "\"bogus\": 1\n",
       "c.yaml:7:9: invalid MIG profile name \"bogus\": does not start with a "
       "slice count; expected [<c>c.]<g>g.<mem>gb[+me|-me|+me.all|+gfx], e.g. "
       "1g.10gb, 1c.3g.40gb, 1g.10gb+me"},
      {md + "\"1g.10gb+xx\": 1\n",
       "c.yaml:7:9: invalid MIG profile name \"1g.10gb+xx\": unknown attribute "
       "\"+xx\"; expected [<c>c.]<g>g.<mem>gb[+me|-me|+me.all|+gfx], e.g. "
       "1g.10gb, 1c.3g.40gb, 1g.10gb+me"},
      {md + "\"1c.3g.40gb\": 1\n",
       "c.yaml:7:9: \"1c.3g.40gb\" is a compute-instance profile; expected a "
       "GPU-instance profile such as \"3g.40gb\""},
      {md + "\"1g.10gb+me\": 1\n        \"1g.10gb.me\": 1\n",
       "c.yaml:8:9: profile \"1g.10gb.me\" is the same as \"1g.10gb+me\" at "
       "7:9; expected each profile once"},
      {md + "\"1g.10gb\": 1\n        \"1g.10gb\": 2\n",
       "c.yaml:8:9: duplicate key \"1g.10gb\" (first at 7:9); expected each "
       "key once"},
  });
}

TEST(ParseMigConfigTest, DeviceFilterErrors) {
  const std::string e = kEntry;
  const std::string tail = "\n      devices: all\n      mig-enabled: false\n";
  const std::string valid =
      "expected \"0xDDDDVVVV\" or \"0xDDDDVVVV:0xSSSSVVVV\" (device and vendor "
      "id, optional subsystem id, 8 hex digits each), e.g. \"0x233010DE\"";
  ExpectErrors({
      {e + "device-filter: \"0x2330\"" + tail,
       "c.yaml:4:22: invalid device filter \"0x2330\"; " + valid},
      {e + "device-filter: [\"0x233010DE\", \"A100-SXM4-40GB\"]" + tail,
       "c.yaml:4:37: invalid device filter \"A100-SXM4-40GB\"; " + valid},
      {e + "device-filter: 0x233010DG" + tail,
       "c.yaml:4:22: invalid device filter \"0x233010DG\"; " + valid},
      {e + "device-filter: 233010DE" + tail,
       "c.yaml:4:22: invalid device filter \"233010DE\"; " + valid},
      {e + "device-filter: \"0x233010DE:\"" + tail,
       "c.yaml:4:22: invalid device filter \"0x233010DE:\"; " + valid},
      {e + "device-filter: \"0x233010DE:0x16C110DE:0x0\"" + tail,
       "c.yaml:4:22: invalid device filter \"0x233010DE:0x16C110DE:0x0\"; " +
           valid},
      {e + "device-filter: {a: b}" + tail,
       "c.yaml:4:22: \"device-filter\" is a map; expected a device filter or "
       "a list of them: \"0xDDDDVVVV\" or \"0xDDDDVVVV:0xSSSSVVVV\" (device "
       "and vendor id, optional subsystem id, 8 hex digits each), e.g. "
       "\"0x233010DE\""},
      {e + "device-filter: [[0x233010DE]]" + tail,
       "c.yaml:4:23: device filter is a list; " + valid},
  });
}

TEST(LoadMigConfigTest, ReadsFileAndNamesItInErrors) {
  const std::string dir = std::string(MIGCTL_SOURCE_DIR) + "/tests/config";
  absl::StatusOr<MigConfigFile> file =
      LoadMigConfig(dir + "/testdata/custom-mig.yaml");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(*file, *Parse(kStory));
  EXPECT_EQ(file->configs[0].second[1].mark.ToString(),
            dir + "/testdata/custom-mig.yaml:8:7");

  absl::StatusOr<MigConfigFile> missing = LoadMigConfig(dir + "/nope.yaml");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "cannot read " + dir + "/nope.yaml: No such file or directory");
}

TEST(SelectForGpuTest, StoryOnH100Nvl) {
  absl::StatusOr<MigConfigFile> file = Parse(kStory);
  ASSERT_TRUE(file.ok()) << file.status();
  const mig::GpuModel& nvl = Model("H100-NVL");

  absl::StatusOr<GpuTarget> gpu0 = SelectForGpu(*file, "custom-mig", 0, nvl, 0);
  ASSERT_TRUE(gpu0.ok()) << gpu0.status();
  EXPECT_TRUE(gpu0->mig_enabled);
  EXPECT_THAT(gpu0->profiles, ElementsAre(Pair(19, 2)));
  EXPECT_THAT(gpu0->entries, ElementsAre(&file->configs[0].second[0]));

  absl::StatusOr<GpuTarget> gpu1 = SelectForGpu(*file, "custom-mig", 1, nvl, 0);
  ASSERT_TRUE(gpu1.ok()) << gpu1.status();
  EXPECT_TRUE(gpu1->mig_enabled);
  EXPECT_THAT(gpu1->profiles, ElementsAre(Pair(15, 1), Pair(19, 5)));
  EXPECT_THAT(gpu1->entries, ElementsAre(&file->configs[0].second[1]));

  absl::StatusOr<GpuTarget> gpu2 = SelectForGpu(*file, "custom-mig", 2, nvl, 0);
  EXPECT_EQ(gpu2.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(gpu2.status().message(),
            "config \"custom-mig\" has no entry for GPU 2 (NVIDIA H100 NVL, "
            "device id 0x232110DE); add an entry whose devices and "
            "device-filter match it");
}

TEST(SelectForGpuTest, UnknownConfigListsTheNames) {
  absl::StatusOr<MigConfigFile> file = Parse(std::string(kStory) + R"(  off:
    - devices: all
      mig-enabled: false
)");
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<GpuTarget> target =
      SelectForGpu(*file, "nope", 0, Model("H100-NVL"), 0);
  EXPECT_EQ(target.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(target.status().message(),
            "unknown config \"nope\"; available configs: custom-mig, off");
  EXPECT_EQ(SelectForGpu(MigConfigFile{}, "nope", 0, Model("H100-NVL"), 0)
                .status()
                .message(),
            "unknown config \"nope\"; available configs: none");
}

TEST(SelectForGpuTest, LastMatchingEntryDecides) {
  absl::StatusOr<MigConfigFile> file = Parse(R"(version: v1
mig-configs:
  c:
    - devices: all
      mig-enabled: false
    - devices: [1, 2]
      mig-enabled: true
      mig-devices:
        "1g.12gb": 7
    - device-filter: "0x20B010DE"
      devices: [2]
      mig-enabled: false
)");
  ASSERT_TRUE(file.ok()) << file.status();
  const std::vector<MigConfigEntry>& e = file->configs[0].second;
  const mig::GpuModel& nvl = Model("H100-NVL");

  absl::StatusOr<GpuTarget> gpu0 = SelectForGpu(*file, "c", 0, nvl, 0);
  ASSERT_TRUE(gpu0.ok()) << gpu0.status();
  EXPECT_FALSE(gpu0->mig_enabled);
  EXPECT_TRUE(gpu0->profiles.empty());
  EXPECT_THAT(gpu0->entries, ElementsAre(&e[0]));

  for (int gpu : {1, 2}) {
    absl::StatusOr<GpuTarget> t = SelectForGpu(*file, "c", gpu, nvl, 0);
    ASSERT_TRUE(t.ok()) << t.status();
    EXPECT_TRUE(t->mig_enabled);
    EXPECT_THAT(t->profiles, ElementsAre(Pair(19, 7)));
    EXPECT_THAT(t->entries, ElementsAre(&e[0], &e[1]));
  }

  absl::StatusOr<GpuTarget> a100 =
      SelectForGpu(*file, "c", 2, Model("A100-SXM4-40GB"), 0);
  ASSERT_TRUE(a100.status().code() == absl::StatusCode::kInvalidArgument)
      << a100.status();
  EXPECT_EQ(a100.status().message(),
            "c.yaml:6:7: profile \"1g.12gb\" does not exist on NVIDIA "
            "A100-SXM4-40GB; valid profiles are 1g.5gb, 2g.10gb, 3g.20gb, "
            "4g.20gb, 7g.40gb, 1g.5gb+me, 1g.10gb");
}

TEST(SelectForGpuTest, DeviceFilterWithSubsystem) {
  absl::StatusOr<MigConfigFile> file = Parse(R"(version: v1
mig-configs:
  c:
    - device-filter: ["0x20B010DE", "0x232110de:0x16C110DE"]
      devices: all
      mig-enabled: true
      mig-devices:
        "1g.12gb.me": 1
        "1g.12gb": 0
)");
  ASSERT_TRUE(file.ok()) << file.status();
  const mig::GpuModel& nvl = Model("H100-NVL");
  absl::StatusOr<GpuTarget> match =
      SelectForGpu(*file, "c", 3, nvl, 0x16C110DE);
  ASSERT_TRUE(match.ok()) << match.status();
  EXPECT_THAT(match->profiles, ElementsAre(Pair(20, 1)));

  absl::StatusOr<GpuTarget> other =
      SelectForGpu(*file, "c", 3, nvl, 0x16C210DE);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(SelectForGpu(*file, "c", 0, Model("H100-PCIE-80GB"), 0x16C110DE)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

TEST(SelectForGpuTest, EnabledWithNoDevices) {
  absl::StatusOr<MigConfigFile> file =
      Parse(std::string(kEntry) +
            "devices: all\n      mig-enabled: true\n      mig-devices: {}\n");
  ASSERT_TRUE(file.ok()) << file.status();
  absl::StatusOr<GpuTarget> t =
      SelectForGpu(*file, "c", 0, Model("A30-24GB"), 0);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_TRUE(t->mig_enabled);
  EXPECT_TRUE(t->profiles.empty());
}

TEST(SelectForGpuTest, LayoutsThatDoNotFit) {
  const std::string md = std::string(kEntry) +
                         "devices: all\n      mig-enabled: true\n"
                         "      mig-devices:\n";
  const mig::GpuModel& nvl = Model("H100-NVL");
  struct Case {
    std::string devices;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"        \"1g.12gb\": 8\n",
       "c.yaml:4:7: mig-devices do not fit on GPU 0 (NVIDIA H100 NVL): 8 × "
       "1g.12gb requested, but NVIDIA H100 NVL supports at most 7"},
      {"        \"4g.47gb\": 1\n        \"3g.47gb\": 2\n",
       "c.yaml:4:7: mig-devices do not fit on GPU 0 (NVIDIA H100 NVL): needs "
       "12 memory slices but only 8 of 8 are free (kept: empty)"},
      {"        \"4g.47gb\": 1\n        \"2g.24gb\": 2\n",
       "c.yaml:4:7: mig-devices do not fit on GPU 0 (NVIDIA H100 NVL): needs "
       "8 compute slices but only 7 of 7 are free (kept: empty)"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<MigConfigFile> file = Parse(md + c.devices);
    ASSERT_TRUE(file.ok()) << file.status();
    absl::StatusOr<GpuTarget> t = SelectForGpu(*file, "c", 0, nvl, 0);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(t.status().message(), c.message);
  }
}

TEST(SelectForGpuTest, ChecksOverriddenEntriesToo) {
  // mig-parted applies every matching entry in turn, so a broken earlier
  // entry fails the apply even when a later one would succeed.
  absl::StatusOr<MigConfigFile> file = Parse(R"(version: v1
mig-configs:
  c:
    - devices: all
      mig-enabled: true
      mig-devices:
        "1g.10gb": 1
    - devices: all
      mig-enabled: false
)");
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(
      SelectForGpu(*file, "c", 0, Model("H100-NVL"), 0).status().message(),
      "c.yaml:4:7: profile \"1g.10gb\" does not exist on NVIDIA H100 "
      "NVL; valid profiles are 1g.12gb, 2g.24gb, 3g.47gb, 4g.47gb, "
      "7g.94gb, 1g.12gb+me, 1g.24gb");
}

TEST(WriteMigConfigTest, StoryConfig) {
  absl::StatusOr<MigConfigFile> file = Parse(kStory);
  ASSERT_TRUE(file.ok()) << file.status();
  // Written back exactly as the story wrote it.
  EXPECT_EQ(WriteMigConfig(*file), kStory);
}

TEST(WriteMigConfigTest, EveryFieldRoundTrips) {
  MigConfigFile file;
  MigConfigEntry off;
  off.all_devices = true;
  MigConfigEntry filtered;
  filtered.devices = {2, 0};
  filtered.device_filters = {{0x233010DE, {}}, {0x232110DE, 0x16C110DE}};
  filtered.mig_enabled = true;
  filtered.mig_devices = {{"1g.10gb+me", 1}, {"2g.20gb", 0}, {"3g.40gb", 1}};
  MigConfigEntry empty;
  empty.mig_enabled = true;
  file.configs = {{"all-disabled", {off}},
                  {"mixed: \"quoted\" name", {filtered, empty}}};
  const std::string yaml = WriteMigConfig(file);
  EXPECT_EQ(yaml, R"(version: v1
mig-configs:
  all-disabled:
    - devices: all
      mig-enabled: false
  "mixed: \"quoted\" name":
    - device-filter: ["0x233010DE", "0x232110DE:0x16C110DE"]
      devices: [2, 0]
      mig-enabled: true
      mig-devices:
        "1g.10gb+me": 1
        "2g.20gb": 0
        "3g.40gb": 1
    - devices: []
      mig-enabled: true
      mig-devices: {}
)");
  absl::StatusOr<MigConfigFile> back = Parse(yaml);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, file);
  EXPECT_EQ(WriteMigConfig(MigConfigFile{}), "version: v1\n");
  EXPECT_EQ(*Parse(WriteMigConfig(MigConfigFile{})), MigConfigFile{});
}

}  // namespace
}  // namespace migctl::config
