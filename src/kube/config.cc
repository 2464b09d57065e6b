#include "kube/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "yaml-cpp/yaml.h"

namespace migctl::kube {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Resolve(const std::string& path, std::string_view base_dir) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(std::string(base_dir)) / path).string();
}

std::optional<YAML::Node> FindNamed(const YAML::Node& list,
                                    const std::string& name) {
  if (!list || !list.IsSequence()) return std::nullopt;
  for (const auto& entry : list) {
    if (entry["name"] && entry["name"].as<std::string>() == name) return entry;
  }
  return std::nullopt;
}

std::string Str(const YAML::Node& node, const char* key) {
  if (!node || !node[key] || node[key].IsNull()) return "";
  return node[key].as<std::string>();
}

absl::StatusOr<std::string> DecodeData(const YAML::Node& node, const char* key,
                                       const char* what) {
  std::string text = Str(node, key);
  if (text.empty()) return std::string();
  std::string out;
  if (!absl::Base64Unescape(text, &out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig: ", what, " ", key, " is not valid base64"));
  }
  return out;
}

}  // namespace

absl::StatusOr<ClusterConfig> ParseKubeconfig(std::string_view yaml,
                                              std::string_view base_dir,
                                              std::string_view context) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: ", e.what()));
  }
  if (!root.IsMap()) {
    return absl::InvalidArgumentError("kubeconfig: not a YAML mapping");
  }
  try {
    std::string context_name =
        context.empty() ? Str(root, "current-context") : std::string(context);
    if (context_name.empty()) {
      return absl::InvalidArgumentError(
          "kubeconfig: no current-context; pass a context or set one with "
          "`kubectl config use-context`");
    }
    std::optional<YAML::Node> ctx = FindNamed(root["contexts"], context_name);
    if (!ctx) {
      return absl::NotFoundError(
          absl::StrCat("kubeconfig: context \"", context_name, "\" not found"));
    }
    YAML::Node ctx_body = (*ctx)["context"];
    std::string cluster_name = Str(ctx_body, "cluster");
    std::string user_name = Str(ctx_body, "user");
    std::optional<YAML::Node> cluster_entry =
        FindNamed(root["clusters"], cluster_name);
    YAML::Node cluster;
    if (cluster_entry) cluster = (*cluster_entry)["cluster"];
    if (!cluster_entry || !cluster.IsMap()) {
      return absl::NotFoundError(absl::StrCat("kubeconfig: cluster \"",
                                              cluster_name, "\" of context \"",
                                              context_name, "\" not found"));
    }
    ClusterConfig config;
    config.context = context_name;
    config.server = Str(cluster, "server");
    while (!config.server.empty() && config.server.back() == '/') {
      config.server.pop_back();
    }
    if (config.server.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kubeconfig: cluster \"", cluster_name, "\" has no server"));
    }
    config.ca_file = Resolve(Str(cluster, "certificate-authority"), base_dir);
    auto ca = DecodeData(cluster, "certificate-authority-data", "cluster");
    if (!ca.ok()) return ca.status();
    config.ca_pem = *ca;
    config.insecure_skip_tls_verify =
        cluster["insecure-skip-tls-verify"] &&
        cluster["insecure-skip-tls-verify"].as<bool>();
    std::string ns = Str(ctx_body, "namespace");
    if (!ns.empty()) config.default_namespace = ns;

    if (!user_name.empty()) {
      std::optional<YAML::Node> user_entry =
          FindNamed(root["users"], user_name);
      YAML::Node user;
      if (user_entry) user = (*user_entry)["user"];
      if (!user_entry) {
        return absl::NotFoundError(absl::StrCat("kubeconfig: user \"",
                                                user_name, "\" of context \"",
                                                context_name, "\" not found"));
      }
      config.client_cert_file =
          Resolve(Str(user, "client-certificate"), base_dir);
      config.client_key_file = Resolve(Str(user, "client-key"), base_dir);
      auto cert = DecodeData(user, "client-certificate-data", "user");
      if (!cert.ok()) return cert.status();
      config.client_cert_pem = *cert;
      auto key = DecodeData(user, "client-key-data", "user");
      if (!key.ok()) return key.status();
      config.client_key_pem = *key;
      config.token = Str(user, "token");
      config.token_file = Resolve(Str(user, "tokenFile"), base_dir);
      config.username = Str(user, "username");
      config.password = Str(user, "password");
      if (user["exec"] || user["auth-provider"]) {
        if (config.token.empty() && config.token_file.empty() &&
            config.client_cert_file.empty() && config.client_cert_pem.empty()) {
          return absl::UnimplementedError(absl::StrCat(
              "kubeconfig: user \"", user_name,
              "\" uses an exec/auth-provider plugin, which migctl does not "
              "run; use a token, client certificate or in-cluster auth"));
        }
      }
      bool has_cert =
          !config.client_cert_file.empty() || !config.client_cert_pem.empty();
      bool has_key =
          !config.client_key_file.empty() || !config.client_key_pem.empty();
      if (has_cert != has_key) {
        return absl::InvalidArgumentError(
            absl::StrCat("kubeconfig: user \"", user_name,
                         "\" needs both a client certificate and a key"));
      }
    }
    return config;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: ", e.what()));
  }
}

absl::StatusOr<ClusterConfig> LoadKubeconfig(const std::string& path,
                                             std::string_view context) {
  std::string chosen = path;
  if (chosen.empty()) {
    if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
      for (absl::string_view part : absl::StrSplit(env, ':')) {
        if (!part.empty()) {
          chosen = std::string(part);
          break;
        }
      }
    }
  }
  if (chosen.empty()) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || *home == '\0') {
      return absl::NotFoundError(
          "no kubeconfig: KUBECONFIG and HOME are unset; pass --kubeconfig");
    }
    chosen = absl::StrCat(home, "/.kube/config");
  }
  auto text = ReadFile(chosen);
  if (!text.ok()) {
    return absl::NotFoundError(
        absl::StrCat("kubeconfig ", chosen,
                     " cannot be read; set KUBECONFIG or pass --kubeconfig"));
  }
  auto config = ParseKubeconfig(
      *text, std::filesystem::path(chosen).parent_path().string(), context);
  if (!config.ok()) {
    return absl::Status(config.status().code(),
                        absl::StrCat(chosen, ": ", config.status().message()));
  }
  return config;
}

absl::StatusOr<ClusterConfig> LoadInCluster(const std::string& dir) {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return absl::FailedPreconditionError(
        "not in a cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT "
        "are unset; use a kubeconfig");
  }
  ClusterConfig config;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = absl::StrCat("[", h, "]");
  config.server = absl::StrCat("https://", h, ":", port);
  config.token_file = dir + "/token";
  if (!std::filesystem::exists(config.token_file)) {
    return absl::NotFoundError(absl::StrCat(
        "in-cluster: no service-account token at ", config.token_file));
  }
  config.ca_file = dir + "/ca.crt";
  if (!std::filesystem::exists(config.ca_file)) {
    return absl::NotFoundError(
        absl::StrCat("in-cluster: no CA certificate at ", config.ca_file));
  }
  if (auto ns = ReadFile(dir + "/namespace"); ns.ok()) {
    std::string value(absl::StripAsciiWhitespace(*ns));
    if (!value.empty()) config.default_namespace = value;
  }
  return config;
}

}  // namespace migctl::kube
