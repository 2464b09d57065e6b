#include "deploy/chart.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "support/shell.h"
#include "support/yaml_json.h"

namespace migctl::testing {
namespace {

std::filesystem::path TempDirPath() {
  return std::filesystem::temp_directory_path() /
         absl::StrCat("chart_test_", ::getpid());
}

// Created on first use, removed at exit.
std::filesystem::path TempDir() {
  static const bool created = [] {
    std::filesystem::create_directories(TempDirPath());
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(TempDirPath(), ignored);
    });
    return true;
  }();
  (void)created;
  return TempDirPath();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::string SourcePath(const std::string& relative) {
  return std::string(MIGCTL_SOURCE_DIR) + "/" + relative;
}

std::string ReadSourceFile(const std::string& relative) {
  return ReadFile(SourcePath(relative));
}

std::string WriteValues(const std::string& name, const std::string& text) {
  std::string path = (TempDir() / name).string();
  std::ofstream(path) << text;
  return path;
}

absl::StatusOr<std::string> RenderChartText(
    const std::vector<std::string>& value_files, bool notes) {
  std::string errors = (TempDir() / "helmrender.stderr").string();
  std::string command = absl::StrCat(
      MIGCTL_HELMRENDER, " --yaml2json ", MIGCTL_YAML2JSON,
      " --release migctl --namespace gpu-operator", notes ? " --notes" : "");
  for (const std::string& f : value_files) absl::StrAppend(&command, " -f ", f);
  absl::StrAppend(&command, " ", SourcePath("deploy/helm/migctl"), " 2>",
                  errors);
  migctl::testing::ShellResult r = migctl::testing::RunShell(command);
  if (r.exit_code != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("helmrender failed: ", ReadFile(errors)));
  }
  return r.output;
}

absl::StatusOr<std::vector<nlohmann::json>> RenderChart(
    const std::vector<std::string>& value_files) {
  absl::StatusOr<std::string> text = RenderChartText(value_files);
  if (!text.ok()) return text.status();
  return YamlStreamToJson(*text);
}

const nlohmann::json* FindObject(const std::vector<nlohmann::json>& objects,
                                 const std::string& kind,
                                 const std::string& name) {
  for (const nlohmann::json& o : objects) {
    if (o.value("kind", "") == kind &&
        o["metadata"].value("name", "") == name) {
      return &o;
    }
  }
  return nullptr;
}

}  // namespace migctl::testing
