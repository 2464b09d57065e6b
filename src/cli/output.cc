#include "cli/output.h"

namespace migctl::cli {

int ExitCodeFor(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitOk;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kAlreadyExists:
      return kExitUsage;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDataLoss:
      return kExitNoDevice;
    default:
      return kExitFailed;
  }
}

void PrintJson(std::ostream& out, const nlohmann::json& doc) {
  out << doc.dump(2) << "\n";
}

}  // namespace migctl::cli
