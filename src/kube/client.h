// A small Kubernetes API client over libcurl: get, list, watch, patch, create
// and delete of JSON objects by API path, with the auth forms of kubeconfig
// and of in-cluster service accounts.
//
// Every call has a timeout. 429 and 5xx responses, and connection failures,
// are retried with bounded exponential backoff and jitter; 409 conflicts are
// retried where a retry can succeed (patches without a resourceVersion
// precondition, and the read-modify-write loop of Update). Errors are
// absl::Status values whose code follows the HTTP status (404 → NotFound,
// 409 → Aborted or AlreadyExists, 410 → OutOfRange, 401 → Unauthenticated,
// 403 → PermissionDenied, 400/422 → InvalidArgument, 429 → ResourceExhausted,
// 5xx → Unavailable/Internal, timeouts → DeadlineExceeded) and whose message
// is the API's Status.message plus the HTTP status, e.g.
//   nodes "x" not found (HTTP 404)
// HttpStatusOf() recovers the HTTP status from such a Status.
//
// Thread safety: a Client is safe to use from several threads at once (each
// call uses its own curl handle). Watch blocks its calling thread.
#ifndef MIGCTL_KUBE_CLIENT_H_
#define MIGCTL_KUBE_CLIENT_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "kube/config.h"
#include "nlohmann/json.hpp"

namespace migctl::kube {

enum class PatchType {
  kMerge,           // application/merge-patch+json (RFC 7386)
  kStrategicMerge,  // application/strategic-merge-patch+json
  kJson,            // application/json-patch+json (RFC 6902)
};

struct ClientOptions {
  // Timeout of one request (all of it, body included); watches use
  // WatchOptions::timeout instead.
  absl::Duration request_timeout = absl::Seconds(30);
  absl::Duration connect_timeout = absl::Seconds(10);
  // Attempts per call for retryable failures (1 = no retry).
  int max_attempts = 5;
  absl::Duration initial_backoff = absl::Milliseconds(200);
  absl::Duration max_backoff = absl::Seconds(10);
  std::string user_agent = "migctl";
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark };

std::string_view WatchEventTypeName(WatchEventType type);

// An event of a watch. (The NOLINT: clang-tidy 14 reads nlohmann::json's
// noexcept move as throwing.)
// NOLINTNEXTLINE(bugprone-exception-escape)
struct WatchEvent {
  WatchEventType type;
  // The object; for kBookmark only kind and metadata.resourceVersion.
  nlohmann::json object;
};

// One line of a watch response (newline-delimited JSON), parsed.
// NOLINTNEXTLINE(bugprone-exception-escape)
struct WatchLine {
  enum class Kind {
    kEvent,     // ADDED, MODIFIED, DELETED or BOOKMARK: `event`
    kError,     // an ERROR event: `error` is its Status, as HttpError makes
                // it (410 Gone: OUT_OF_RANGE, HttpStatusOf() 410)
    kSkipped,   // an event of a type this client does not know
    kNotEvent,  // not a JSON object with a string "type" and an object
                // "object" (an HTTP error body, say): `error` says why
  };
  Kind kind = Kind::kNotEvent;
  WatchEvent event;
  absl::Status error;
};

// Parses one line of a watch on `collection_path` (named in errors): never
// throws, whatever the bytes.
WatchLine ParseWatchLine(std::string_view line,
                         std::string_view collection_path);

struct WatchOptions {
  std::string label_selector;
  // e.g. "metadata.name=node-1" to watch one object of a collection.
  std::string field_selector;
  // Where to start. Empty: list first, deliver every listed object as
  // kAdded, then watch from the list's resourceVersion.
  std::string resource_version;
  // Server-side timeout of each watch request; the watch is then renewed
  // from the last resourceVersion seen. Also bounds a stalled connection.
  absl::Duration timeout = absl::Minutes(5);
  bool allow_bookmarks = true;
  // Consecutive failed (re)connections before Watch gives up; 0 = never.
  int max_consecutive_failures = 0;
};

// Return false to end the watch (Watch then returns OK).
using WatchCallback = std::function<bool(const WatchEvent&)>;

// The object an Event is about.
struct ObjectReference {
  std::string api_version = "v1";
  std::string kind;  // "Node"
  std::string name;
  std::string namespace_;  // empty for cluster-scoped objects
  std::string uid;
};

enum class EventType { kNormal, kWarning };

// Label or annotation changes: a value sets, nullopt removes the key.
using KeyChanges = std::map<std::string, std::optional<std::string>>;

class Client {
 public:
  // From a kubeconfig file; "" means $KUBECONFIG (first entry) or
  // ~/.kube/config. `context` "" means the current-context.
  static absl::StatusOr<std::unique_ptr<Client>> FromKubeconfig(
      const std::string& path = "", const std::string& context = "",
      ClientOptions options = {});
  // From KUBERNETES_SERVICE_HOST/PORT and the service-account files under
  // `service_account_dir`.
  static absl::StatusOr<std::unique_ptr<Client>> InCluster(
      const std::string& service_account_dir = kServiceAccountDir,
      ClientOptions options = {});
  static absl::StatusOr<std::unique_ptr<Client>> Create(
      ClusterConfig config, ClientOptions options = {});
  // What a command's --kubeconfig means: that file when given; else the
  // in-cluster service account when KUBERNETES_SERVICE_HOST is set (in a
  // pod); else $KUBECONFIG or ~/.kube/config.
  static absl::StatusOr<std::unique_ptr<Client>> ForCommand(
      const std::string& kubeconfig, ClientOptions options = {});

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const ClusterConfig& config() const { return config_; }

  // `path` is an API path such as "/api/v1/nodes/node-1", optionally with a
  // query string.
  absl::StatusOr<nlohmann::json> Get(const std::string& path);
  // A collection ("/api/v1/namespaces/default/pods"); the List object.
  absl::StatusOr<nlohmann::json> List(const std::string& path,
                                      const std::string& label_selector = "",
                                      const std::string& field_selector = "");
  absl::StatusOr<nlohmann::json> Create(const std::string& collection_path,
                                        const nlohmann::json& body);
  // PUT; a body with metadata.resourceVersion fails with Aborted (409) when
  // the object changed since.
  absl::StatusOr<nlohmann::json> Replace(const std::string& path,
                                         const nlohmann::json& body);
  absl::StatusOr<nlohmann::json> Patch(const std::string& path,
                                       const nlohmann::json& patch,
                                       PatchType type = PatchType::kMerge);
  absl::Status Delete(const std::string& path);

  // Read-modify-write: GET, `mutate`, PUT with the read resourceVersion;
  // on 409 reads again and repeats (up to options.max_attempts). An error
  // from `mutate` ends the loop and is returned.
  absl::StatusOr<nlohmann::json> Update(
      const std::string& path,
      const std::function<absl::Status(nlohmann::json&)>& mutate);

  // Watches a collection until `stop` is requested, the callback returns
  // false, or a non-retryable error (returned). Dropped connections and
  // 5xx are resumed from the last resourceVersion seen (bookmarks advance
  // it); 410 Gone relists and delivers the difference as
  // kAdded/kModified/kDeleted events.
  absl::Status Watch(const std::string& collection_path,
                     const WatchOptions& options, const WatchCallback& callback,
                     std::stop_token stop = {});

  // Conveniences.
  absl::StatusOr<nlohmann::json> GetNode(const std::string& name);
  absl::StatusOr<nlohmann::json> PatchNodeLabels(const std::string& name,
                                                 const KeyChanges& changes);
  absl::StatusOr<nlohmann::json> PatchNodeAnnotations(
      const std::string& name, const KeyChanges& changes);
  // A core/v1 Event in the object's namespace ("default" for cluster-scoped
  // objects), source component `component`.
  absl::StatusOr<nlohmann::json> CreateEvent(
      const ObjectReference& object, const std::string& reason,
      const std::string& message, EventType type = EventType::kNormal,
      const std::string& component = "migctl");
  absl::StatusOr<nlohmann::json> GetConfigMap(const std::string& namespace_,
                                              const std::string& name);

 private:
  class Transport;
  Client(ClusterConfig config, ClientOptions options,
         std::unique_ptr<Transport> transport);
  // One request with retries; the parsed body of a 2xx answer.
  absl::StatusOr<nlohmann::json> Call(const std::string& method,
                                      const std::string& path,
                                      const std::string& body,
                                      const std::string& content_type,
                                      bool retry_conflicts);

  ClusterConfig config_;
  ClientOptions options_;
  std::unique_ptr<Transport> transport_;
};

// The HTTP status a Status from this client carries, if any.
std::optional<int> HttpStatusOf(const absl::Status& status);

// The reference for a Node object as returned by GetNode.
ObjectReference NodeReference(const nlohmann::json& node);

}  // namespace migctl::kube

#endif  // MIGCTL_KUBE_CLIENT_H_
