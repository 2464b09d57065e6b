// Lets fmt print absl::string_view. Debian's abseil is built with its own
// string_view type rather than an alias of std::string_view.
#ifndef MIGCTL_UTIL_ABSL_FMT_H_
#define MIGCTL_UTIL_ABSL_FMT_H_

#include "absl/strings/string_view.h"
#include "fmt/format.h"

template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  auto format(absl::string_view s, fmt::format_context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(
        fmt::string_view(s.data(), s.size()), ctx);
  }
};

#endif  // MIGCTL_UTIL_ABSL_FMT_H_
