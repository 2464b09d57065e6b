#include "nvml/driver.h"

#include <dlfcn.h>

#include "absl/strings/str_cat.h"

namespace migctl::nvml {

absl::StatusOr<std::unique_ptr<Nvml>> OpenDriver() {
  void* handle = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return absl::UnavailableError(absl::StrCat(
        "no NVIDIA driver found (libnvidia-ml.so.1): ",
        why ? why : "not loadable",
        "; to try migctl without a GPU use the simulator: `migctl sim create "
        "node.json --gpus 2xH100-NVL` then `migctl --sim node.json list`"));
  }
  ::dlclose(handle);
  return absl::UnimplementedError(
      "the NVML binding for the real driver is not part of this build yet "
      "(tracked in issue #4); use --sim STATE");
}

}  // namespace migctl::nvml
