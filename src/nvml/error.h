// NVML return codes and their mapping to absl::Status.
//
// Every NVML failure becomes an absl::Status whose code follows gRPC's
// meaning, whose message names the call, the GPU/instance and NVML's own
// error text, and whose payload keeps the original nvmlReturn_t so that the
// simulator's C shim can hand the exact code back to NVML programs.
#ifndef MIGCTL_NVML_ERROR_H_
#define MIGCTL_NVML_ERROR_H_

#include <optional>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nvml/return.h"

namespace migctl::nvml {

// The text nvmlErrorString() returns for `r`.
absl::string_view ErrorString(Return r);

// NVML_ERROR_IN_USE -> "NVML_ERROR_IN_USE".
absl::string_view ReturnName(Return r);

// The absl code matching an NVML return code.
absl::StatusCode StatusCodeFor(Return r);

// A failed status "<context>: <text>" carrying `r`; `text` defaults to
// ErrorString(r).
absl::Status NvmlError(Return r, absl::string_view context,
                       absl::string_view text = {});

// The NVML code a status carries; nullopt for statuses that did not come
// from NVML (kSuccess for OK).
std::optional<Return> ReturnOf(const absl::Status& status);

// Parses "IN_USE", "NVML_ERROR_IN_USE" or "19"; nullopt otherwise.
std::optional<Return> ParseReturn(absl::string_view text);

}  // namespace migctl::nvml

#endif  // MIGCTL_NVML_ERROR_H_
