#include "reconcile/journal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace migctl::reconcile {

int JournalRecord::done() const {
  int n = 0;
  for (const JournalEntry& e : entries) n += e.done ? 1 : 0;
  return n;
}

absl::StatusOr<std::optional<JournalRecord>> Journal::Read() const {
  std::ifstream in(path_);
  if (!in) return std::optional<JournalRecord>();
  std::stringstream text;
  text << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(text.str(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("entries")) {
    return absl::DataLossError(
        absl::StrCat("apply journal ", path_,
                     " is corrupt; remove it after checking the "
                     "GPUs with `migctl list`"));
  }
  JournalRecord record;
  record.config = doc.value("config", "");
  for (const nlohmann::json& e : doc["entries"]) {
    record.entries.push_back(
        {e.value("gpu", 0), e.value("operation", ""), e.value("done", false)});
  }
  return std::optional<JournalRecord>(std::move(record));
}

absl::Status Journal::Begin(const JournalRecord& record) {
  record_ = record;
  in_flight_ = -1;
  return Write();
}

absl::Status Journal::Intend(int index) {
  in_flight_ = index;
  return Write();
}

absl::Status Journal::Done(int index) {
  record_.entries[index].done = true;
  in_flight_ = -1;
  return Write();
}

absl::Status Journal::Finish() {
  std::error_code ec;
  std::filesystem::remove(path_, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot remove apply journal ",
                                               path_, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::Status Journal::Write() const {
  nlohmann::json entries = nlohmann::json::array();
  for (size_t i = 0; i < record_.entries.size(); ++i) {
    const JournalEntry& e = record_.entries[i];
    entries.push_back({{"gpu", e.gpu},
                       {"operation", e.operation},
                       {"done", e.done},
                       {"in_flight", static_cast<int>(i) == in_flight_}});
  }
  const std::string text =
      nlohmann::json{{"config", record_.config}, {"entries", entries}}.dump(2);
  const std::string temp = path_ + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot write apply journal ", temp, ": ", std::strerror(errno)));
  }
  bool ok = ::write(fd, text.data(), text.size()) ==
                static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temp.c_str(), path_.c_str()) != 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot write apply journal ", path_, ": ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace migctl::reconcile
