#include "mig/profile_name.h"

#include <cctype>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"

namespace migctl::mig {
namespace {

constexpr absl::string_view kExpected =
    "expected [<c>c.]<g>g.<mem>gb[+me|-me|+me.all|+gfx], e.g. 1g.10gb, "
    "1c.3g.40gb, 1g.10gb+me";

absl::Status Invalid(absl::string_view text, absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat(
      "invalid MIG profile name \"", text, "\": ", why, "; ", kExpected));
}

// Reads a positive decimal number at `pos`; returns -1 when there is none.
int ReadNumber(absl::string_view s, size_t& pos) {
  size_t start = pos;
  int value = 0;
  while (pos < s.size() && absl::ascii_isdigit(s[pos]) && pos - start < 6) {
    value = value * 10 + (s[pos] - '0');
    ++pos;
  }
  if (pos == start || value == 0 || (s[start] == '0')) return -1;
  return value;
}

bool Consume(absl::string_view s, size_t& pos, absl::string_view token) {
  if (s.substr(pos, token.size()) != token) return false;
  pos += token.size();
  return true;
}

}  // namespace

absl::StatusOr<ProfileName> ParseProfileName(absl::string_view text) {
  ProfileName name;
  size_t pos = 0;
  int first = ReadNumber(text, pos);
  if (first < 0) return Invalid(text, "does not start with a slice count");
  if (Consume(text, pos, "c.")) {
    name.compute_slices = first;
    first = ReadNumber(text, pos);
    if (first < 0) return Invalid(text, "no GPU slice count after \"c.\"");
  }
  if (!Consume(text, pos, "g.")) return Invalid(text, "missing \"g.\"");
  name.gpu_slices = first;
  name.memory_gb = ReadNumber(text, pos);
  if (name.memory_gb < 0) return Invalid(text, "missing memory size");
  if (!Consume(text, pos, "gb")) return Invalid(text, "missing \"gb\"");
  while (pos < text.size()) {
    const size_t sign_pos = pos;
    char sign = text[pos];
    if (sign != '+' && sign != '-' && sign != '.') {
      return Invalid(text, absl::StrCat("unexpected \"", text.substr(pos),
                                        "\" after the memory size"));
    }
    ++pos;
    std::string attribute(1, sign == '-' ? '-' : '+');
    if (Consume(text, pos, "me")) {
      absl::StrAppend(&attribute, "me");
      if (Consume(text, pos, ".all")) absl::StrAppend(&attribute, ".all");
    } else if (Consume(text, pos, "gfx")) {
      absl::StrAppend(&attribute, "gfx");
    }
    if (pos == sign_pos + 1 ||
        (pos < text.size() && absl::ascii_isalnum(text[pos]))) {
      return Invalid(text, absl::StrCat("unknown attribute \"",
                                        text.substr(sign_pos), "\""));
    }
    for (const std::string& seen : name.attributes) {
      if (seen.substr(1) == attribute.substr(1)) {
        return Invalid(text, absl::StrCat("attribute \"", attribute.substr(1),
                                          "\" given twice"));
      }
    }
    name.attributes.push_back(std::move(attribute));
  }
  if (name.compute_slices > name.gpu_slices) {
    return Invalid(text, "more compute slices than the GPU instance has");
  }
  return name;
}

std::string FormatProfileName(const ProfileName& name) {
  std::string out;
  if (name.compute_slices > 0) absl::StrAppend(&out, name.compute_slices, "c.");
  absl::StrAppend(&out, name.gpu_slices, "g.", name.memory_gb, "gb");
  for (const std::string& a : name.attributes) absl::StrAppend(&out, a);
  return out;
}

std::string ResourceProfileName(const ProfileName& name) {
  return absl::StrReplaceAll(FormatProfileName(name), {{"+", "."}});
}

int ProfileMemoryGb(uint64_t instance_memory_mb, uint64_t gpu_memory_bytes) {
  constexpr double kEighths = 8;
  constexpr uint64_t kMiB = 1ull << 20;
  constexpr uint64_t kGiB = 1ull << 30;
  double share = static_cast<double>(instance_memory_mb * kMiB) /
                 static_cast<double>(gpu_memory_bytes);
  share = std::ceil(share * kEighths) / kEighths;
  const uint64_t gpu_gib = (gpu_memory_bytes + kGiB - 1) / kGiB;  // rounded up
  double gpu_gb = static_cast<double>(gpu_gib);
  return static_cast<int>(std::round(share * gpu_gb));
}

}  // namespace migctl::mig
