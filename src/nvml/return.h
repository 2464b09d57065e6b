// nvml::Return: NVML's nvmlReturn_t as a C++ enum.
//
// Kept free of other dependencies so that the ABI declarations (abi.h) and
// the device-side ABI check can use it without abseil.
#ifndef MIGCTL_NVML_RETURN_H_
#define MIGCTL_NVML_RETURN_H_

namespace migctl::nvml {

// nvmlReturn_t values (NVML API reference, "Error reporting").
enum class Return : int {
  kSuccess = 0,
  kUninitialized = 1,
  kInvalidArgument = 2,
  kNotSupported = 3,
  kNoPermission = 4,
  kAlreadyInitialized = 5,
  kNotFound = 6,
  kInsufficientSize = 7,
  kInsufficientPower = 8,
  kDriverNotLoaded = 9,
  kTimeout = 10,
  kIrqIssue = 11,
  kLibraryNotFound = 12,
  kFunctionNotFound = 13,
  kCorruptedInforom = 14,
  kGpuIsLost = 15,
  kResetRequired = 16,
  kOperatingSystem = 17,
  kLibRmVersionMismatch = 18,
  kInUse = 19,
  kMemory = 20,
  kNoData = 21,
  kVgpuEccNotSupported = 22,
  kInsufficientResources = 23,
  kFreqNotSupported = 24,
  kArgumentVersionMismatch = 25,
  kDeprecated = 26,
  kNotReady = 27,
  kGpuNotFound = 28,
  kInvalidState = 29,
  kUnknown = 999,
};

}  // namespace migctl::nvml

#endif  // MIGCTL_NVML_RETURN_H_
