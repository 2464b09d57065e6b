#include "nvml/error.h"

#include "gtest/gtest.h"

namespace migctl::nvml {
namespace {

TEST(NvmlErrorTest, KeepsCodeTextAndContext) {
  absl::Status s = NvmlError(Return::kInUse, "nvmlGpuInstanceDestroy (GPU 1)");
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "nvmlGpuInstanceDestroy (GPU 1): In use by another client");
  EXPECT_EQ(ReturnOf(s), Return::kInUse);
}

TEST(NvmlErrorTest, DriverTextOverridesTheBuiltInOne) {
  absl::Status s = NvmlError(Return::kUnknown, "nvmlInit_v2", "driver says no");
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "nvmlInit_v2: driver says no");
}

TEST(NvmlErrorTest, SuccessIsOkAndForeignStatusesCarryNoCode) {
  EXPECT_TRUE(NvmlError(Return::kSuccess, "x").ok());
  EXPECT_EQ(ReturnOf(absl::OkStatus()), Return::kSuccess);
  EXPECT_EQ(ReturnOf(absl::InternalError("x")), std::nullopt);
}

TEST(NvmlErrorTest, CodesMapToGrpcMeanings) {
  EXPECT_EQ(StatusCodeFor(Return::kInsufficientResources),
            absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(StatusCodeFor(Return::kNotSupported),
            absl::StatusCode::kUnimplemented);
  EXPECT_EQ(StatusCodeFor(Return::kNoPermission),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(StatusCodeFor(Return::kNotFound), absl::StatusCode::kNotFound);
  EXPECT_EQ(StatusCodeFor(Return::kDriverNotLoaded),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(StatusCodeFor(Return::kInvalidArgument),
            absl::StatusCode::kInvalidArgument);
}

TEST(NvmlErrorTest, ParsesNamesShortNamesAndNumbers) {
  EXPECT_EQ(ParseReturn("NVML_ERROR_IN_USE"), Return::kInUse);
  EXPECT_EQ(ParseReturn("in_use"), Return::kInUse);
  EXPECT_EQ(ParseReturn("23"), Return::kInsufficientResources);
  EXPECT_EQ(ParseReturn("NVML_SUCCESS"), Return::kSuccess);
  EXPECT_EQ(ParseReturn("42"), std::nullopt);
  EXPECT_EQ(ParseReturn("BOGUS"), std::nullopt);
  EXPECT_EQ(ReturnName(Return::kResetRequired), "NVML_ERROR_RESET_REQUIRED");
  EXPECT_EQ(ErrorString(Return::kResetRequired), "GPU requires restart");
}

}  // namespace
}  // namespace migctl::nvml
