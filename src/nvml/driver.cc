#include "nvml/driver.h"

#include "nvml/library.h"

namespace migctl::nvml {

absl::StatusOr<std::unique_ptr<Nvml>> OpenDriver() {
  absl::StatusOr<std::unique_ptr<Library>> lib = Library::Open();
  if (!lib.ok()) return lib.status();
  return std::unique_ptr<Nvml>(*std::move(lib));
}

}  // namespace migctl::nvml
