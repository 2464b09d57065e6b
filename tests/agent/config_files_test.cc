// LoadMigConfigs and its helpers: several mig-parted files read as one.
#include "agent/config_files.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace migctl::agent {
namespace {

class ConfigFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("migctl-config-files-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Writes a file `name` with configs `names` (each: every GPU MIG-enabled,
  // no instances); returns its path.
  std::string Write(const std::string& name,
                    const std::vector<std::string>& names) {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path);
    out << "version: v1\nmig-configs:\n";
    for (const std::string& n : names) {
      out << "  " << n
          << ":\n    - devices: all\n      mig-enabled: true\n"
             "      mig-devices: {}\n";
    }
    return path;
  }
  static std::vector<std::string> Names(const MergedConfigs& c) {
    std::vector<std::string> out;
    for (const auto& [name, entries] : c.file.configs) out.push_back(name);
    return out;
  }

  std::filesystem::path dir_;
};

TEST_F(ConfigFilesTest, ConfigsOfAllFilesInFileOrder) {
  const std::string a = Write("a.yaml", {"b-config", "a-config"});
  const std::string b = Write("b.yaml", {"c-config"});
  auto c = LoadMigConfigs({a, b});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(Names(*c),
              ::testing::ElementsAre("b-config", "a-config", "c-config"));
  EXPECT_TRUE(c->missing.empty());
  EXPECT_EQ(ConfigNotFound(*c, {a, b}, "x"),
            absl::NotFoundError("no MIG config named \"x\" in " + a + ", " + b +
                                "; it has: b-config, a-config, c-config"));
  EXPECT_EQ(JoinPaths({a, b}), a + ", " + b);
}

TEST_F(ConfigFilesTest, MissingFileHoldsNoConfigsAndIsTheReason) {
  const std::string a = Write("a.yaml", {"a-config"});
  const std::string b = (dir_ / "b.yaml").string();
  auto c = LoadMigConfigs({a, b});
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_THAT(Names(*c), ::testing::ElementsAre("a-config"));
  EXPECT_EQ(ConfigNotFound(*c, {a, b}, "x"),
            absl::NotFoundError("no MIG config named \"x\" in " + a + ", " + b +
                                "; it has: a-config; cannot read " + b +
                                ": No such file or directory"));
  // No file at all: the reader's error, as with one file.
  auto none = LoadMigConfigs({b});
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(ConfigNotFound(*none, {b}, "x"), config::LoadMigConfig(b).status());
  auto times = ConfigFileTimes({a, b});
  ASSERT_EQ(times.size(), 2u);
  EXPECT_TRUE(times[0].has_value());
  EXPECT_FALSE(times[1].has_value());
}

TEST_F(ConfigFilesTest, SameNameInTwoFilesNamesBothFiles) {
  const std::string a = Write("a.yaml", {"shared", "a-config"});
  const std::string b = Write("b.yaml", {"shared"});
  EXPECT_EQ(LoadMigConfigs({a, b}).status(),
            absl::InvalidArgumentError(
                "MIG config \"shared\" is defined in both " + a + " and " + b +
                "; a config name may be in one file only"));
}

TEST_F(ConfigFilesTest, ParseErrorOfAnyFileIsReturnedAsIs) {
  const std::string a = Write("a.yaml", {"a-config"});
  const std::string b = (dir_ / "b.yaml").string();
  std::ofstream(b) << "version: v2\n";
  auto c = LoadMigConfigs({a, b});
  EXPECT_EQ(c.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(c.status(), config::LoadMigConfig(b).status());
}

}  // namespace
}  // namespace migctl::agent
