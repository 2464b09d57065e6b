#include "agent/host_services.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"
#include "util/absl_fmt.h"
#include "util/status_macros.h"

namespace migctl::agent {

absl::Status HostClientStopper::Save() const {
  std::error_code ec;
  if (stopped_.empty()) {
    std::filesystem::remove(state_path_, ec);
    if (ec) {
      return absl::InternalError(
          absl::StrCat("cannot remove ", state_path_, ": ", ec.message()));
    }
    return absl::OkStatus();
  }
  const std::filesystem::path path(state_path_);
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
  }
  const std::string tmp = state_path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const std::string& unit : stopped_) out << unit << "\n";
    out.flush();
    if (!out) {
      return absl::InternalError(
          absl::StrCat("cannot write ", tmp, ": ", std::strerror(errno)));
    }
  }
  std::filesystem::rename(tmp, state_path_, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("cannot rename ", tmp, " to ",
                                            state_path_, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::Status HostClientStopper::RestartLeftovers() {
  std::ifstream in(state_path_);
  if (!in) return absl::OkStatus();
  std::string unit;
  while (std::getline(in, unit)) {
    if (!unit.empty()) stopped_.push_back(unit);
  }
  if (stopped_.empty()) return Save();
  spdlog::info("Starting host GPU clients an earlier run stopped: {}",
               absl::StrJoin(stopped_, ", "));
  return Restart();
}

absl::Status HostClientStopper::Stop(const std::vector<std::string>& units) {
  for (const std::string& unit : units) {
    ASSIGN_OR_RETURN(bool active, services_.IsActive(unit));
    if (!active) {
      spdlog::info("Host GPU client {} is not running", unit);
      continue;
    }
    stopped_.push_back(unit);
    RETURN_IF_ERROR(Save());  // before the stop: a crash must not lose it
    spdlog::info("Stopping host GPU client {}", unit);
    if (absl::Status s = services_.Stop(unit); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status HostClientStopper::Restart() {
  absl::Status first;
  std::vector<std::string> failed;
  for (auto it = stopped_.rbegin(); it != stopped_.rend(); ++it) {
    spdlog::info("Starting host GPU client {}", *it);
    absl::Status s = services_.Start(*it);
    if (!s.ok()) {
      spdlog::error("Starting host GPU client {} failed: {}", *it, s.message());
      failed.insert(failed.begin(), *it);
      if (first.ok()) first = s;
    }
  }
  stopped_ = std::move(failed);
  absl::Status saved = Save();
  return first.ok() ? saved : first;
}

}  // namespace migctl::agent
