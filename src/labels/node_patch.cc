#include "labels/node_patch.h"

#include <array>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace migctl::labels {
namespace {

constexpr absl::string_view kPrefix = "nvidia.com/";

// Suffixes of GFD's resource labels (internal/lm/resource.go and
// internal/resource/nvml-mig-device.go GetAttributes).
constexpr std::array<absl::string_view, 16> kResourceAttributes = {
    "product",         "count",           "replicas",      "sharing-strategy",
    "memory",          "family",          "compute.major", "compute.minor",
    "multiprocessors", "slices.gi",       "slices.ci",     "engines.copy",
    "engines.decoder", "engines.encoder", "engines.jpeg",  "engines.ofa"};

constexpr std::array<absl::string_view, 8> kNodeLabels = {
    "gfd.timestamp", "mig.capable", "mig.strategy", "mps.capable",
    "gpu.machine",   "gpu.mode",    "gpu.clique",   "gpu.imex-domain"};

bool IsResourceAttribute(absl::string_view attr) {
  for (absl::string_view a : kResourceAttributes) {
    if (attr == a) return true;
  }
  return false;
}

}  // namespace

bool IsGfdLabel(absl::string_view key) {
  if (!absl::ConsumePrefix(&key, kPrefix)) return false;
  for (absl::string_view k : kNodeLabels) {
    if (key == k) return true;
  }
  if (absl::StartsWith(key, "cuda.") || absl::StartsWith(key, "vgpu.")) {
    return true;
  }
  if (absl::ConsumePrefix(&key, "gpu.")) return IsResourceAttribute(key);
  if (absl::ConsumePrefix(&key, "mig-")) {
    // "<profile>.<attr>": the profile itself contains dots ("1g.12gb.me").
    for (size_t dot = key.find('.'); dot != absl::string_view::npos;
         dot = key.find('.', dot + 1)) {
      if (IsResourceAttribute(key.substr(dot + 1))) return true;
    }
  }
  return false;
}

nlohmann::json LabelMergePatch(const Labels& current, const Labels& desired) {
  nlohmann::json changes = nlohmann::json::object();
  for (const auto& [key, value] : desired) {
    auto it = current.find(key);
    if (it == current.end() || it->second != value) changes[key] = value;
  }
  for (const auto& [key, value] : current) {
    if (IsGfdLabel(key) && !desired.contains(key)) changes[key] = nullptr;
  }
  if (changes.empty()) return nlohmann::json::object();
  return {{"metadata", {{"labels", changes}}}};
}

}  // namespace migctl::labels
