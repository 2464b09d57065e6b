// Journal: the record of an apply in progress, in a small JSON file that is
// replaced atomically before and after each mutating call. It survives a
// crash, so the next apply can say what was interrupted; the apply itself
// converges by planning again from the GPU's real state.
#ifndef MIGCTL_RECONCILE_JOURNAL_H_
#define MIGCTL_RECONCILE_JOURNAL_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace migctl::reconcile {

struct JournalEntry {
  int gpu = 0;
  std::string operation;  // human-readable, as in the plan
  bool done = false;
};

struct JournalRecord {
  std::string config;
  std::vector<JournalEntry> entries;
  int done() const;
};

class Journal {
 public:
  explicit Journal(std::string path) : path_(std::move(path)) {}

  // The record an earlier apply left, if it did not finish.
  absl::StatusOr<std::optional<JournalRecord>> Read() const;
  absl::Status Begin(const JournalRecord& record);
  // Before a mutating call: the intent to do entry `index`.
  absl::Status Intend(int index);
  // After it succeeded.
  absl::Status Done(int index);
  // The apply finished: the journal is removed.
  absl::Status Finish();

 private:
  absl::Status Write() const;

  std::string path_;
  JournalRecord record_;
  int in_flight_ = -1;
};

}  // namespace migctl::reconcile

#endif  // MIGCTL_RECONCILE_JOURNAL_H_
