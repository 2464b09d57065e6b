// kubeconfig files: kube::ParseKubeconfig, as LoadKubeconfig calls it for
// /etc/kube/config. Invariants: errors are INVALID_ARGUMENT, NOT_FOUND or
// UNIMPLEMENTED starting "kubeconfig: "; an accepted config has a server
// without a trailing '/', a context and a namespace, absolute file paths,
// a client certificate exactly when it has a key, and parses the same when
// its context is named explicitly.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/match.h"
#include "fuzz_check.h"
#include "kube/config.h"

namespace {

bool EmptyOrAbsolute(const std::string& path) {
  return path.empty() || path[0] == '/';
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace kube = migctl::kube;
  const std::string text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<kube::ClusterConfig> config =
      kube::ParseKubeconfig(text, "/etc/kube");
  if (!config.ok()) {
    const absl::StatusCode code = config.status().code();
    FUZZ_CHECK(code == absl::StatusCode::kInvalidArgument ||
               code == absl::StatusCode::kNotFound ||
               code == absl::StatusCode::kUnimplemented);
    FUZZ_CHECK(absl::StartsWith(config.status().message(), "kubeconfig: "));
    return 0;
  }
  FUZZ_CHECK(!config->server.empty() && config->server.back() != '/');
  FUZZ_CHECK(!config->context.empty());
  FUZZ_CHECK(!config->default_namespace.empty());
  FUZZ_CHECK(EmptyOrAbsolute(config->ca_file));
  FUZZ_CHECK(EmptyOrAbsolute(config->client_cert_file));
  FUZZ_CHECK(EmptyOrAbsolute(config->client_key_file));
  FUZZ_CHECK(EmptyOrAbsolute(config->token_file));
  const bool has_cert =
      !config->client_cert_file.empty() || !config->client_cert_pem.empty();
  const bool has_key =
      !config->client_key_file.empty() || !config->client_key_pem.empty();
  FUZZ_CHECK(has_cert == has_key);
  absl::StatusOr<kube::ClusterConfig> named =
      kube::ParseKubeconfig(text, "/etc/kube", config->context);
  FUZZ_CHECK(named.ok());
  FUZZ_CHECK(*named == *config);
  return 0;
}
