#include "agent/config_files.h"

#include <filesystem>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace migctl::agent {

absl::StatusOr<MergedConfigs> LoadMigConfigs(
    const std::vector<std::string>& paths) {
  MergedConfigs out;
  std::map<std::string, std::string> defined_in;  // config name -> file
  for (const std::string& path : paths) {
    absl::StatusOr<config::MigConfigFile> file = config::LoadMigConfig(path);
    if (absl::IsNotFound(file.status())) {
      out.missing.push_back(file.status());
      continue;
    }
    if (!file.ok()) return file.status();
    for (auto& [name, entries] : file->configs) {
      auto [it, added] = defined_in.emplace(name, path);
      if (!added) {
        return absl::InvalidArgumentError(absl::StrCat(
            "MIG config \"", name, "\" is defined in both ", it->second,
            " and ", path, "; a config name may be in one file only"));
      }
      out.file.configs.emplace_back(name, std::move(entries));
    }
  }
  return out;
}

absl::Status ConfigNotFound(const MergedConfigs& configs,
                            const std::vector<std::string>& paths,
                            absl::string_view name) {
  // No file at all (one missing file, say): the reader's error.
  if (configs.missing.size() == paths.size() && !configs.missing.empty()) {
    return configs.missing.front();
  }
  std::vector<std::string> names;
  names.reserve(configs.file.configs.size());
  for (const auto& [config, entries] : configs.file.configs) {
    names.push_back(config);
  }
  std::string message =
      absl::StrCat("no MIG config named \"", name, "\" in ", JoinPaths(paths),
                   "; it has: ", absl::StrJoin(names, ", "));
  for (const absl::Status& missing : configs.missing) {
    absl::StrAppend(&message, "; ", missing.message());
  }
  return absl::NotFoundError(message);
}

std::string JoinPaths(const std::vector<std::string>& paths) {
  return absl::StrJoin(paths, ", ");
}

std::vector<std::optional<absl::Time>> ConfigFileTimes(
    const std::vector<std::string>& paths) {
  std::vector<std::optional<absl::Time>> out;
  out.reserve(paths.size());
  for (const std::string& path : paths) {
    std::error_code ec;
    auto t = std::filesystem::last_write_time(path, ec);
    out.push_back(ec ? std::nullopt
                     : std::optional<absl::Time>(absl::FromChrono(
                           std::chrono::file_clock::to_sys(t))));
  }
  return out;
}

}  // namespace migctl::agent
