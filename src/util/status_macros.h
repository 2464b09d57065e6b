// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status and absl::StatusOr.
//
//   RETURN_IF_ERROR(nvml.SetMigMode(gpu, true));
//   ASSIGN_OR_RETURN(auto count, nvml.DeviceCount());
#ifndef MIGCTL_UTIL_STATUS_MACROS_H_
#define MIGCTL_UTIL_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define MIGCTL_CONCAT_INNER(a, b) a##b
#define MIGCTL_CONCAT(a, b) MIGCTL_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                        \
  do {                                               \
    ::absl::Status migctl_status_ = (expr);          \
    if (!migctl_status_.ok()) return migctl_status_; \
  } while (0)

// `statusor` is a name being declared and `lhs` may be a declaration
// (`auto x`), so neither can be parenthesised.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define MIGCTL_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()
// NOLINTEND(bugprone-macro-parentheses)

#define ASSIGN_OR_RETURN(lhs, rexpr)                                           \
  MIGCTL_ASSIGN_OR_RETURN_IMPL(MIGCTL_CONCAT(migctl_statusor_, __LINE__), lhs, \
                               rexpr)

#endif  // MIGCTL_UTIL_STATUS_MACROS_H_
