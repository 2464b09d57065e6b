#include "nvml/error.h"

#include <array>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"

namespace migctl::nvml {
namespace {

constexpr absl::string_view kPayloadUrl = "migctl.dev/nvml-return";

struct ReturnText {
  Return code;
  absl::string_view name;
  absl::string_view text;
};

constexpr std::array<ReturnText, 31> kReturns = {{
    {Return::kSuccess, "NVML_SUCCESS", "Success"},
    {Return::kUninitialized, "NVML_ERROR_UNINITIALIZED", "Uninitialized"},
    {Return::kInvalidArgument, "NVML_ERROR_INVALID_ARGUMENT",
     "Invalid Argument"},
    {Return::kNotSupported, "NVML_ERROR_NOT_SUPPORTED", "Not Supported"},
    {Return::kNoPermission, "NVML_ERROR_NO_PERMISSION",
     "Insufficient Permissions"},
    {Return::kAlreadyInitialized, "NVML_ERROR_ALREADY_INITIALIZED",
     "Already Initialized"},
    {Return::kNotFound, "NVML_ERROR_NOT_FOUND", "Not Found"},
    {Return::kInsufficientSize, "NVML_ERROR_INSUFFICIENT_SIZE",
     "Insufficient Size"},
    {Return::kInsufficientPower, "NVML_ERROR_INSUFFICIENT_POWER",
     "Insufficient External Power"},
    {Return::kDriverNotLoaded, "NVML_ERROR_DRIVER_NOT_LOADED",
     "Driver Not Loaded"},
    {Return::kTimeout, "NVML_ERROR_TIMEOUT", "Timeout"},
    {Return::kIrqIssue, "NVML_ERROR_IRQ_ISSUE", "Interrupt request issue"},
    {Return::kLibraryNotFound, "NVML_ERROR_LIBRARY_NOT_FOUND",
     "NVML Shared Library Not Found"},
    {Return::kFunctionNotFound, "NVML_ERROR_FUNCTION_NOT_FOUND",
     "Function Not Found"},
    {Return::kCorruptedInforom, "NVML_ERROR_CORRUPTED_INFOROM",
     "Corrupted infoROM"},
    {Return::kGpuIsLost, "NVML_ERROR_GPU_IS_LOST", "GPU is lost"},
    {Return::kResetRequired, "NVML_ERROR_RESET_REQUIRED",
     "GPU requires restart"},
    {Return::kOperatingSystem, "NVML_ERROR_OPERATING_SYSTEM",
     "The operating system has blocked the request."},
    {Return::kLibRmVersionMismatch, "NVML_ERROR_LIB_RM_VERSION_MISMATCH",
     "RM has detected an NVML/RM version mismatch."},
    {Return::kInUse, "NVML_ERROR_IN_USE", "In use by another client"},
    {Return::kMemory, "NVML_ERROR_MEMORY", "Insufficient Memory"},
    {Return::kNoData, "NVML_ERROR_NO_DATA", "No data"},
    {Return::kVgpuEccNotSupported, "NVML_ERROR_VGPU_ECC_NOT_SUPPORTED",
     "The requested vgpu operation is not available on target device, because "
     "ECC is enabled"},
    {Return::kInsufficientResources, "NVML_ERROR_INSUFFICIENT_RESOURCES",
     "Insufficient resources for request"},
    {Return::kFreqNotSupported, "NVML_ERROR_FREQ_NOT_SUPPORTED",
     "Frequency not supported"},
    {Return::kArgumentVersionMismatch, "NVML_ERROR_ARGUMENT_VERSION_MISMATCH",
     "Argument version mismatch"},
    {Return::kDeprecated, "NVML_ERROR_DEPRECATED", "Deprecated"},
    {Return::kNotReady, "NVML_ERROR_NOT_READY", "Not ready"},
    {Return::kGpuNotFound, "NVML_ERROR_GPU_NOT_FOUND", "GPU not found"},
    {Return::kInvalidState, "NVML_ERROR_INVALID_STATE", "Invalid state"},
    {Return::kUnknown, "NVML_ERROR_UNKNOWN", "Unknown Error"},
}};

const ReturnText& Lookup(Return r) {
  for (const ReturnText& t : kReturns) {
    if (t.code == r) return t;
  }
  return kReturns.back();
}

}  // namespace

absl::string_view ErrorString(Return r) { return Lookup(r).text; }

absl::string_view ReturnName(Return r) { return Lookup(r).name; }

absl::StatusCode StatusCodeFor(Return r) {
  switch (r) {
    case Return::kSuccess:
      return absl::StatusCode::kOk;
    case Return::kInvalidArgument:
    case Return::kArgumentVersionMismatch:
      return absl::StatusCode::kInvalidArgument;
    case Return::kNotSupported:
    case Return::kFunctionNotFound:
    case Return::kDeprecated:
      return absl::StatusCode::kUnimplemented;
    case Return::kNoPermission:
    case Return::kOperatingSystem:
      return absl::StatusCode::kPermissionDenied;
    case Return::kNotFound:
    case Return::kGpuNotFound:
      return absl::StatusCode::kNotFound;
    case Return::kInsufficientResources:
    case Return::kMemory:
    case Return::kInsufficientSize:
      return absl::StatusCode::kResourceExhausted;
    case Return::kInUse:
    case Return::kResetRequired:
    case Return::kInvalidState:
    case Return::kUninitialized:
    case Return::kAlreadyInitialized:
      return absl::StatusCode::kFailedPrecondition;
    case Return::kDriverNotLoaded:
    case Return::kLibraryNotFound:
    case Return::kGpuIsLost:
    case Return::kNotReady:
    case Return::kTimeout:
      return absl::StatusCode::kUnavailable;
    default:
      return absl::StatusCode::kInternal;
  }
}

absl::Status NvmlError(Return r, absl::string_view context,
                       absl::string_view text) {
  if (r == Return::kSuccess) return absl::OkStatus();
  absl::Status status(
      StatusCodeFor(r),
      absl::StrCat(context, ": ", text.empty() ? ErrorString(r) : text));
  status.SetPayload(kPayloadUrl, absl::Cord(absl::StrCat(static_cast<int>(r))));
  return status;
}

std::optional<Return> ReturnOf(const absl::Status& status) {
  if (status.ok()) return Return::kSuccess;
  auto payload = status.GetPayload(kPayloadUrl);
  int value = 0;
  if (!payload || !absl::SimpleAtoi(std::string(*payload), &value)) {
    return std::nullopt;
  }
  return static_cast<Return>(value);
}

std::optional<Return> ParseReturn(absl::string_view text) {
  int value = 0;
  if (absl::SimpleAtoi(text, &value)) {
    for (const ReturnText& t : kReturns) {
      if (static_cast<int>(t.code) == value) return t.code;
    }
    return std::nullopt;
  }
  for (const ReturnText& t : kReturns) {
    absl::string_view name = t.name;
    if (absl::EqualsIgnoreCase(name, text)) return t.code;
    if (absl::ConsumePrefix(&name, "NVML_ERROR_") &&
        absl::EqualsIgnoreCase(name, text)) {
      return t.code;
    }
  }
  return std::nullopt;
}

}  // namespace migctl::nvml
