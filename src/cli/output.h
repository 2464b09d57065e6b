// Output conventions shared by every migctl command: the format flag, JSON
// printing, and the mapping from errors to exit codes.
#ifndef MIGCTL_CLI_OUTPUT_H_
#define MIGCTL_CLI_OUTPUT_H_

#include <ostream>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace migctl::cli {

enum class Format { kTable, kJson };

// Exit codes, documented in `migctl --help`.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;      // the operation failed
inline constexpr int kExitUsage = 2;       // bad command line or input
inline constexpr int kExitNoDevice = 3;    // no driver / simulator state
inline constexpr int kExitNotApplied = 3;  // assert: config not applied
inline constexpr int kExitPending = 4;     // done, but waits for reset/reboot

inline constexpr absl::string_view kExitCodesHelp =
    "Exit codes: 0 success; 1 the operation failed (driver refused, busy "
    "instance, ...); 2 bad command line or input (a GPU, profile or file "
    "that does not exist, a config that does not validate); 3 no NVIDIA "
    "driver, or the simulator state is corrupt or unreadable; for assert: "
    "the config "
    "is not applied; 4 MIG mode change pending a GPU reset or reboot.";

int ExitCodeFor(const absl::Status& status);

void PrintJson(std::ostream& out, const nlohmann::json& doc);

}  // namespace migctl::cli

#endif  // MIGCTL_CLI_OUTPUT_H_
