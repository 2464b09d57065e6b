// Where a Kubernetes API server is and how to authenticate to it, from a
// kubeconfig file or from an in-cluster service account. Pure data plus
// loaders; relative file paths in a kubeconfig are resolved against the
// kubeconfig's directory.
#ifndef MIGCTL_KUBE_CONFIG_H_
#define MIGCTL_KUBE_CONFIG_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace migctl::kube {

inline constexpr char kServiceAccountDir[] =
    "/var/run/secrets/kubernetes.io/serviceaccount";

struct ClusterConfig {
  std::string server;  // "https://host:port" or "http://127.0.0.1:port"
  // TLS: a CA bundle as a file or as PEM text (from *-data, decoded).
  std::string ca_file;
  std::string ca_pem;
  bool insecure_skip_tls_verify = false;
  // Client certificate auth, as files or PEM text.
  std::string client_cert_file;
  std::string client_cert_pem;
  std::string client_key_file;
  std::string client_key_pem;
  // Bearer token, given directly or read from a file on each request (so a
  // rotated service-account token is picked up).
  std::string token;
  std::string token_file;
  std::string username;
  std::string password;
  // The context's default namespace ("default" if unset).
  std::string default_namespace = "default";
  std::string context;  // the context used; empty in-cluster

  friend bool operator==(const ClusterConfig&, const ClusterConfig&) = default;
};

// Parses kubeconfig YAML text. `base_dir` resolves relative paths;
// `context` "" selects current-context.
absl::StatusOr<ClusterConfig> ParseKubeconfig(std::string_view yaml,
                                              std::string_view base_dir,
                                              std::string_view context = "");

// "" → $KUBECONFIG (first path of the list) → ~/.kube/config.
absl::StatusOr<ClusterConfig> LoadKubeconfig(const std::string& path = "",
                                             std::string_view context = "");

// KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT and `dir`/{token,ca.crt,
// namespace}.
absl::StatusOr<ClusterConfig> LoadInCluster(
    const std::string& dir = kServiceAccountDir);

}  // namespace migctl::kube

#endif  // MIGCTL_KUBE_CONFIG_H_
