#include "kube/client.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "kube/node.h"
#include "kube/object_fields.h"
#include "util/status_macros.h"

namespace migctl::kube {
namespace {

constexpr char kHttpStatusPayload[] = "type.migctl.dev/kube.http_status";
constexpr size_t kMaxBodyBytes = 256u << 20;

struct Response {
  long http_status = 0;
  std::string body;
  absl::Duration retry_after = absl::ZeroDuration();
};

absl::StatusCode CodeForHttp(long http, const std::string& reason) {
  switch (http) {
    case 400:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 500:
      return absl::StatusCode::kInternal;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      if (http >= 500) return absl::StatusCode::kUnavailable;
      return absl::StatusCode::kFailedPrecondition;
  }
}

absl::Status HttpError(long http, const std::string& body,
                       const std::string& what) {
  auto parsed = nlohmann::json::parse(body, nullptr, false);
  std::string message = StringField(parsed, "message");
  std::string reason = StringField(parsed, "reason");
  if (message.empty()) {
    std::string snippet = body.substr(0, 200);
    absl::StripAsciiWhitespace(&snippet);
    message = snippet.empty() ? what : absl::StrCat(what, ": ", snippet);
  }
  absl::Status status(CodeForHttp(http, reason),
                      absl::StrCat(message, " (HTTP ", http, ")"));
  status.SetPayload(kHttpStatusPayload, absl::Cord(absl::StrCat(http)));
  return status;
}

bool Retryable(const absl::Status& status) {
  std::optional<int> http = HttpStatusOf(status);
  if (!http) {
    return status.code() == absl::StatusCode::kUnavailable ||
           status.code() == absl::StatusCode::kDeadlineExceeded;
  }
  return *http == 429 || *http == 500 || *http == 502 || *http == 503 ||
         *http == 504;
}

std::string Escape(const std::string& s) {
  char* out = curl_easy_escape(nullptr, s.c_str(), static_cast<int>(s.size()));
  std::string result = out ? out : "";
  curl_free(out);
  return result;
}

std::string WithQuery(std::string path, const std::string& key,
                      const std::string& value) {
  if (value.empty()) return path;
  path += path.find('?') == std::string::npos ? '?' : '&';
  return absl::StrCat(path, key, "=", Escape(value));
}

std::string ObjectKey(const nlohmann::json& object) {
  const nlohmann::json& meta = MetadataOf(object);
  return absl::StrCat(StringField(meta, "namespace"), "/",
                      StringField(meta, "name"));
}

// Sleeps for `d` or until `stop` is requested; false if stopped.
bool SleepFor(absl::Duration d, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable_any cv;
  std::unique_lock lock(mu);
  return !cv.wait_for(lock, stop, absl::ToChronoMilliseconds(d), [] {
    return false;
  }) && !stop.stop_requested();
}

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

std::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
  }
  return "UNKNOWN";
}

std::optional<int> HttpStatusOf(const absl::Status& status) {
  auto payload = status.GetPayload(kHttpStatusPayload);
  if (!payload) return std::nullopt;
  int value = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &value)) return std::nullopt;
  return value;
}

WatchLine ParseWatchLine(std::string_view line,
                         std::string_view collection_path) {
  WatchLine out;
  const std::string what = absl::StrCat("watch ", std::string(collection_path));
  auto not_event = [&](absl::string_view why) {
    out.kind = WatchLine::Kind::kNotEvent;
    out.error = absl::InvalidArgumentError(
        absl::StrCat(what, ": not a watch event: ", why));
    return out;
  };
  nlohmann::json parsed =
      nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
  if (parsed.is_discarded()) return not_event("not JSON");
  if (!parsed.is_object()) return not_event("not a JSON object");
  auto type = parsed.find("type");
  if (type == parsed.end() || !type->is_string()) {
    return not_event("no string \"type\"");
  }
  auto object = parsed.find("object");
  if (object == parsed.end() || !object->is_object()) {
    return not_event("no object \"object\"");
  }
  const std::string& name = type->get_ref<const std::string&>();
  if (name == "ERROR") {
    // A Status object; its code is the HTTP status (500 if it has none).
    auto code = object->find("code");
    int http = 500;
    if (code != object->end() && code->is_number_integer()) {
      int64_t value = code->get<int64_t>();
      if (value >= 100 && value <= 599) http = static_cast<int>(value);
    }
    out.kind = WatchLine::Kind::kError;
    out.error = HttpError(http, object->dump(), what);
    return out;
  }
  static constexpr WatchEventType kTypes[] = {
      WatchEventType::kAdded, WatchEventType::kModified,
      WatchEventType::kDeleted, WatchEventType::kBookmark};
  out.kind = WatchLine::Kind::kSkipped;
  for (WatchEventType t : kTypes) {
    if (name == WatchEventTypeName(t)) {
      out.kind = WatchLine::Kind::kEvent;
      out.event.type = t;
      out.event.object = std::move(*object);
    }
  }
  return out;
}

ObjectReference NodeReference(const nlohmann::json& node) {
  ObjectReference ref;
  ref.kind = "Node";
  absl::StatusOr<NodeMetadata> meta = ReadNodeMetadata(node);
  if (meta.ok()) {
    ref.name = meta->name;
    ref.uid = meta->uid;
  }
  return ref;
}

// One HTTP exchange at a time per call; owns nothing shared but the config.
class Client::Transport {
 public:
  struct Request {
    std::string method = "GET";
    std::string path;
    std::string body;
    std::string content_type;
    absl::Duration timeout;
    // Streaming: called with each chunk; return false to end the transfer.
    std::function<bool(std::string_view)> on_data;
    std::stop_token stop;
  };

  Transport(const ClusterConfig& config, const ClientOptions& options)
      : config_(config), options_(options) {
    GlobalInit();
  }

  absl::StatusOr<Response> Do(const Request& request) const {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return absl::InternalError("curl_easy_init failed");
    struct Cleanup {
      CURL* curl;
      curl_slist* headers = nullptr;
      ~Cleanup() {
        curl_slist_free_all(headers);
        curl_easy_cleanup(curl);
      }
    } cleanup{curl};

    struct Sink {
      const Request* request;
      Response response;
      bool ended_by_callback = false;
      bool too_big = false;
    } sink{&request, {}};

    std::string url = config_.server + request.path;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(
        curl, CURLOPT_TIMEOUT_MS,
        static_cast<long>(absl::ToInt64Milliseconds(request.timeout)));
    curl_easy_setopt(
        curl, CURLOPT_CONNECTTIMEOUT_MS,
        static_cast<long>(absl::ToInt64Milliseconds(options_.connect_timeout)));
    curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "");
    if (request.method == "POST" || request.method == "PUT" ||
        request.method == "PATCH") {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.c_str());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
    }
    if (request.method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);

    curl_slist*& headers = cleanup.headers;
    headers = curl_slist_append(headers, "Accept: application/json");
    if (!request.content_type.empty()) {
      headers = curl_slist_append(
          headers,
          absl::StrCat("Content-Type: ", request.content_type).c_str());
    }
    ASSIGN_OR_RETURN(std::string token, Token());
    if (!token.empty()) {
      headers = curl_slist_append(
          headers, absl::StrCat("Authorization: Bearer ", token).c_str());
    } else if (!config_.username.empty()) {
      curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
      curl_easy_setopt(curl, CURLOPT_USERNAME, config_.username.c_str());
      curl_easy_setopt(curl, CURLOPT_PASSWORD, config_.password.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    SetTls(curl);

    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(
        curl, CURLOPT_WRITEFUNCTION,
        +[](char* data, size_t size, size_t n, void* user) -> size_t {
          auto* sink = static_cast<Sink*>(user);
          size_t bytes = size * n;
          if (sink->request->on_data) {
            if (!sink->request->on_data(std::string_view(data, bytes))) {
              sink->ended_by_callback = true;
              return 0;
            }
            return bytes;
          }
          if (sink->response.body.size() + bytes > kMaxBodyBytes) {
            sink->too_big = true;
            return 0;
          }
          sink->response.body.append(data, bytes);
          return bytes;
        });
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
    curl_easy_setopt(
        curl, CURLOPT_HEADERFUNCTION,
        +[](char* data, size_t size, size_t n, void* user) -> size_t {
          auto* sink = static_cast<Sink*>(user);
          absl::string_view line(data, size * n);
          if (absl::StartsWithIgnoreCase(line, "retry-after:")) {
            int seconds = 0;
            if (absl::SimpleAtoi(absl::StripAsciiWhitespace(line.substr(12)),
                                 &seconds)) {
              sink->response.retry_after = absl::Seconds(seconds);
            }
          }
          return size * n;
        });
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &request);
    curl_easy_setopt(
        curl, CURLOPT_XFERINFOFUNCTION,
        +[](void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) -> int {
          return static_cast<const Request*>(user)->stop.stop_requested() ? 1
                                                                          : 0;
        });

    CURLcode rc = curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &sink.response.http_status);
    std::string what = absl::StrCat(request.method, " ", url);
    if (rc == CURLE_ABORTED_BY_CALLBACK) {
      return absl::CancelledError(absl::StrCat(what, ": cancelled"));
    }
    if (rc == CURLE_WRITE_ERROR && sink.ended_by_callback) {
      return std::move(sink.response);
    }
    if (sink.too_big) {
      return absl::ResourceExhaustedError(
          absl::StrCat(what, ": response larger than ", kMaxBodyBytes));
    }
    if (rc == CURLE_OPERATION_TIMEDOUT) {
      return absl::DeadlineExceededError(absl::StrCat(
          what, ": timed out after ", absl::FormatDuration(request.timeout)));
    }
    if (rc != CURLE_OK) {
      absl::StatusCode code = absl::StatusCode::kUnavailable;
      if (rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM ||
          rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_URL_MALFORMAT) {
        code = absl::StatusCode::kFailedPrecondition;
      }
      return absl::Status(code,
                          absl::StrCat(what, ": ", curl_easy_strerror(rc)));
    }
    return std::move(sink.response);
  }

 private:
  absl::StatusOr<std::string> Token() const {
    if (!config_.token.empty()) return config_.token;
    if (config_.token_file.empty()) return std::string();
    std::ifstream in(config_.token_file);
    if (!in) {
      return absl::UnauthenticatedError(
          absl::StrCat("cannot read token file ", config_.token_file));
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::string token = ss.str();
    absl::StripAsciiWhitespace(&token);
    return token;
  }

  void SetTls(CURL* curl) const {
    if (config_.insecure_skip_tls_verify) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!config_.ca_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_file.c_str());
    }
    if (!config_.ca_pem.empty()) {
      curl_blob blob{const_cast<char*>(config_.ca_pem.data()),
                     config_.ca_pem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(curl, CURLOPT_CAINFO_BLOB, &blob);
    }
    if (!config_.client_cert_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLCERT, config_.client_cert_file.c_str());
    }
    if (!config_.client_cert_pem.empty()) {
      curl_blob blob{const_cast<char*>(config_.client_cert_pem.data()),
                     config_.client_cert_pem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(curl, CURLOPT_SSLCERT_BLOB, &blob);
      curl_easy_setopt(curl, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (!config_.client_key_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLKEY, config_.client_key_file.c_str());
    }
    if (!config_.client_key_pem.empty()) {
      curl_blob blob{const_cast<char*>(config_.client_key_pem.data()),
                     config_.client_key_pem.size(), CURL_BLOB_COPY};
      curl_easy_setopt(curl, CURLOPT_SSLKEY_BLOB, &blob);
      curl_easy_setopt(curl, CURLOPT_SSLKEYTYPE, "PEM");
    }
  }

  const ClusterConfig& config_;
  const ClientOptions& options_;
};

Client::Client(ClusterConfig config, ClientOptions options,
               std::unique_ptr<Transport> transport)
    : config_(std::move(config)),
      options_(std::move(options)),
      transport_(std::move(transport)) {}

Client::~Client() = default;

absl::StatusOr<std::unique_ptr<Client>> Client::Create(ClusterConfig config,
                                                       ClientOptions options) {
  if (!absl::StartsWith(config.server, "http://") &&
      !absl::StartsWith(config.server, "https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "API server address \"", config.server,
        "\" must start with https:// (or http:// for a local test server)"));
  }
  if (options.max_attempts < 1) options.max_attempts = 1;
  auto client = std::unique_ptr<Client>(
      new Client(std::move(config), std::move(options), nullptr));
  client->transport_ =
      std::make_unique<Transport>(client->config_, client->options_);
  return client;
}

absl::StatusOr<std::unique_ptr<Client>> Client::FromKubeconfig(
    const std::string& path, const std::string& context,
    ClientOptions options) {
  ASSIGN_OR_RETURN(ClusterConfig config, LoadKubeconfig(path, context));
  return Create(std::move(config), std::move(options));
}

absl::StatusOr<std::unique_ptr<Client>> Client::InCluster(
    const std::string& service_account_dir, ClientOptions options) {
  ASSIGN_OR_RETURN(ClusterConfig config, LoadInCluster(service_account_dir));
  return Create(std::move(config), std::move(options));
}

absl::StatusOr<std::unique_ptr<Client>> Client::ForCommand(
    const std::string& kubeconfig, ClientOptions options) {
  if (kubeconfig.empty() && std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) {
    return InCluster(kServiceAccountDir, std::move(options));
  }
  return FromKubeconfig(kubeconfig, "", std::move(options));
}

namespace {

absl::Duration Backoff(const ClientOptions& options, int attempt,
                       absl::Duration retry_after) {
  absl::Duration d = options.initial_backoff;
  for (int i = 0; i < attempt && d < options.max_backoff; ++i) d *= 2;
  d = std::min(d, options.max_backoff);
  thread_local std::mt19937 rng(std::random_device{}());
  std::uniform_real_distribution<double> jitter(0.5, 1.0);
  d = d * jitter(rng);
  if (retry_after > d) d = std::min(retry_after, options.max_backoff);
  return d;
}

absl::StatusOr<nlohmann::json> ParseBody(const Response& response,
                                         const std::string& what) {
  if (response.body.empty()) return nlohmann::json::object();
  auto parsed = nlohmann::json::parse(response.body, nullptr, false);
  if (parsed.is_discarded()) {
    return absl::InternalError(
        absl::StrCat(what, ": the API server's response is not JSON"));
  }
  return parsed;
}

}  // namespace

absl::StatusOr<nlohmann::json> Client::Get(const std::string& path) {
  return Call("GET", path, "", "", false);
}

absl::StatusOr<nlohmann::json> Client::List(const std::string& path,
                                            const std::string& label_selector,
                                            const std::string& field_selector) {
  std::string p = WithQuery(path, "labelSelector", label_selector);
  p = WithQuery(p, "fieldSelector", field_selector);
  return Call("GET", p, "", "", false);
}

absl::StatusOr<nlohmann::json> Client::Create(const std::string& path,
                                              const nlohmann::json& body) {
  return Call("POST", path, body.dump(), "application/json", false);
}

absl::StatusOr<nlohmann::json> Client::Replace(const std::string& path,
                                               const nlohmann::json& body) {
  return Call("PUT", path, body.dump(), "application/json",
              ResourceVersionOf(body).empty());
}

absl::StatusOr<nlohmann::json> Client::Patch(const std::string& path,
                                             const nlohmann::json& patch,
                                             PatchType type) {
  std::string content_type;
  bool precondition = false;
  switch (type) {
    case PatchType::kMerge:
      content_type = "application/merge-patch+json";
      precondition = !ResourceVersionOf(patch).empty();
      break;
    case PatchType::kStrategicMerge:
      content_type = "application/strategic-merge-patch+json";
      precondition = !ResourceVersionOf(patch).empty();
      break;
    case PatchType::kJson:
      content_type = "application/json-patch+json";
      precondition = true;  // a "test" op may be what conflicts
      break;
  }
  return Call("PATCH", path, patch.dump(), content_type, !precondition);
}

absl::Status Client::Delete(const std::string& path) {
  return Call("DELETE", path, "", "", false).status();
}

absl::StatusOr<nlohmann::json> Client::Update(
    const std::string& path,
    const std::function<absl::Status(nlohmann::json&)>& mutate) {
  absl::Status last;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      absl::SleepFor(Backoff(options_, attempt - 1, absl::ZeroDuration()));
    }
    ASSIGN_OR_RETURN(nlohmann::json object, Get(path));
    RETURN_IF_ERROR(mutate(object));
    auto result = Replace(path, object);
    if (result.ok() || HttpStatusOf(result.status()) != 409) return result;
    last = result.status();
  }
  return absl::AbortedError(absl::StrCat(last.message(), "; gave up after ",
                                         options_.max_attempts,
                                         " conflicting updates of ", path));
}

absl::StatusOr<nlohmann::json> Client::Call(const std::string& method,
                                            const std::string& path,
                                            const std::string& body,
                                            const std::string& content_type,
                                            bool retry_conflicts) {
  const Transport& transport = *transport_;
  const ClientOptions& options = options_;
  Transport::Request request;
  request.method = method;
  request.path = path;
  request.body = body;
  request.content_type = content_type;
  request.timeout = options.request_timeout;
  std::string what = absl::StrCat(method, " ", path);
  absl::Status last;
  for (int attempt = 0; attempt < options.max_attempts; ++attempt) {
    absl::Duration retry_after = absl::ZeroDuration();
    auto response = transport.Do(request);
    if (response.ok() && response->http_status >= 200 &&
        response->http_status < 300) {
      return ParseBody(*response, what);
    }
    if (response.ok()) {
      last = HttpError(response->http_status, response->body, what);
      retry_after = response->retry_after;
    } else {
      last = response.status();
    }
    bool retry =
        Retryable(last) || (retry_conflicts && HttpStatusOf(last) == 409 &&
                            last.code() == absl::StatusCode::kAborted);
    if (!retry || attempt + 1 == options.max_attempts) break;
    absl::SleepFor(Backoff(options, attempt, retry_after));
  }
  return last;
}

absl::Status Client::Watch(const std::string& collection_path,
                           const WatchOptions& options,
                           const WatchCallback& callback,
                           std::stop_token stop) {
  std::map<std::string, nlohmann::json> known;
  std::string rv = options.resource_version;
  bool need_list = rv.empty();
  int failures = 0;
  auto fail = [&](const absl::Status& status) -> std::optional<absl::Status> {
    if (!Retryable(status) && status.code() != absl::StatusCode::kUnavailable) {
      return status;
    }
    ++failures;
    if (options.max_consecutive_failures > 0 &&
        failures >= options.max_consecutive_failures) {
      return absl::Status(
          status.code(),
          absl::StrCat(status.message(), "; watch gave up after ", failures,
                       " consecutive failures"));
    }
    if (!SleepFor(Backoff(options_, failures - 1, absl::ZeroDuration()),
                  stop)) {
      return absl::OkStatus();
    }
    return std::nullopt;
  };

  while (!stop.stop_requested()) {
    if (need_list) {
      Transport::Request request;
      request.path =
          WithQuery(collection_path, "labelSelector", options.label_selector);
      request.path =
          WithQuery(request.path, "fieldSelector", options.field_selector);
      request.timeout = options_.request_timeout;
      request.stop = stop;
      auto response = transport_->Do(request);
      absl::Status status;
      nlohmann::json list;
      if (!response.ok()) {
        status = response.status();
      } else if (response->http_status / 100 != 2) {
        status = HttpError(response->http_status, response->body,
                           absl::StrCat("GET ", request.path));
      } else {
        auto parsed = ParseBody(*response, request.path);
        if (parsed.ok()) {
          list = *std::move(parsed);
        } else {
          status = parsed.status();
        }
      }
      if (status.code() == absl::StatusCode::kCancelled) break;
      if (!status.ok()) {
        if (auto end = fail(status)) return *end;
        continue;
      }
      failures = 0;
      need_list = false;
      rv = ResourceVersionOf(list);
      std::map<std::string, nlohmann::json> now;
      std::vector<WatchEvent> events;
      nlohmann::json items = list.is_object() && list.contains("items")
                                 ? std::move(list["items"])
                                 : nlohmann::json::array();
      if (!items.is_array()) items = nlohmann::json::array();
      for (auto& item : items) {
        std::string key = ObjectKey(item);
        auto it = known.find(key);
        if (it == known.end()) {
          events.push_back({WatchEventType::kAdded, item});
        } else if (ResourceVersionOf(it->second) != ResourceVersionOf(item)) {
          events.push_back({WatchEventType::kModified, item});
        }
        now[key] = item;
      }
      for (auto& [key, object] : known) {
        if (!now.contains(key)) {
          events.push_back({WatchEventType::kDeleted, object});
        }
      }
      known = std::move(now);
      for (const auto& event : events) {
        if (!callback(event)) return absl::OkStatus();
      }
      continue;
    }

    Transport::Request request;
    std::string path = WithQuery(collection_path, "watch", "1");
    path = WithQuery(path, "resourceVersion", rv);
    if (options.allow_bookmarks) {
      path = WithQuery(path, "allowWatchBookmarks", "true");
    }
    int64_t seconds =
        std::max<int64_t>(1, absl::ToInt64Seconds(options.timeout));
    path = WithQuery(path, "timeoutSeconds", absl::StrCat(seconds));
    path = WithQuery(path, "labelSelector", options.label_selector);
    path = WithQuery(path, "fieldSelector", options.field_selector);
    request.path = path;
    request.timeout = options.timeout + absl::Seconds(30);
    request.stop = stop;
    std::string buffer;
    bool stopped_by_callback = false;
    bool gone = false;
    int events_seen = 0;
    absl::Status stream_error;
    std::string error_body;
    request.on_data = [&](std::string_view chunk) -> bool {
      buffer.append(chunk);
      size_t start = 0;
      for (size_t nl; (nl = buffer.find('\n', start)) != std::string::npos;
           start = nl + 1) {
        absl::string_view line(buffer.data() + start, nl - start);
        if (absl::StripAsciiWhitespace(line).empty()) continue;
        WatchLine parsed = ParseWatchLine(
            std::string_view(line.data(), line.size()), collection_path);
        if (parsed.kind == WatchLine::Kind::kNotEvent) {
          error_body = std::string(line);  // an HTTP error body: a Status
          continue;
        }
        if (parsed.kind == WatchLine::Kind::kError) {
          if (HttpStatusOf(parsed.error) == 410) {
            gone = true;
          } else {
            stream_error = parsed.error;
          }
          buffer.clear();
          return false;
        }
        ++events_seen;
        if (parsed.kind == WatchLine::Kind::kSkipped) continue;
        const WatchEvent& event = parsed.event;
        std::string object_rv = ResourceVersionOf(event.object);
        if (!object_rv.empty()) rv = object_rv;
        if (event.type == WatchEventType::kAdded ||
            event.type == WatchEventType::kModified) {
          known[ObjectKey(event.object)] = event.object;
        } else if (event.type == WatchEventType::kDeleted) {
          known.erase(ObjectKey(event.object));
        }
        if (!callback(event)) {
          stopped_by_callback = true;
          buffer.clear();
          return false;
        }
      }
      buffer.erase(0, start);
      return true;
    };
    auto response = transport_->Do(request);
    if (stopped_by_callback) return absl::OkStatus();
    if (!response.ok() &&
        response.status().code() == absl::StatusCode::kCancelled) {
      break;
    }
    if (gone) {
      need_list = true;
      continue;
    }
    absl::Status status = stream_error;
    if (status.ok() && !response.ok()) status = response.status();
    if (status.ok() && response->http_status / 100 != 2) {
      if (response->http_status == 410) {
        need_list = true;
        continue;
      }
      status = HttpError(response->http_status,
                         error_body.empty() ? buffer : error_body,
                         "watch " + collection_path);
    }
    if (status.ok() || (events_seen > 0 &&
                        status.code() == absl::StatusCode::kDeadlineExceeded)) {
      failures = 0;
      continue;
    }
    if (events_seen > 0) failures = 0;
    if (auto end = fail(status)) return *end;
  }
  return absl::OkStatus();
}

absl::StatusOr<nlohmann::json> Client::GetNode(const std::string& name) {
  return Get("/api/v1/nodes/" + Escape(name));
}

absl::StatusOr<nlohmann::json> Client::PatchNodeLabels(
    const std::string& name, const KeyChanges& changes) {
  return Patch("/api/v1/nodes/" + Escape(name),
               KeyChangesPatch("labels", changes), PatchType::kMerge);
}

absl::StatusOr<nlohmann::json> Client::PatchNodeAnnotations(
    const std::string& name, const KeyChanges& changes) {
  return Patch("/api/v1/nodes/" + Escape(name),
               KeyChangesPatch("annotations", changes), PatchType::kMerge);
}

absl::StatusOr<nlohmann::json> Client::CreateEvent(
    const ObjectReference& object, const std::string& reason,
    const std::string& message, EventType type, const std::string& component) {
  std::string ns = object.namespace_.empty() ? "default" : object.namespace_;
  absl::Time now = absl::Now();
  std::string timestamp =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", now, absl::UTCTimeZone());
  nlohmann::json involved = {{"apiVersion", object.api_version},
                             {"kind", object.kind},
                             {"name", object.name}};
  if (!object.namespace_.empty()) involved["namespace"] = object.namespace_;
  if (!object.uid.empty()) involved["uid"] = object.uid;
  nlohmann::json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata",
       {{"generateName", absl::AsciiStrToLower(object.name) + "."},
        {"namespace", ns}}},
      {"involvedObject", involved},
      {"reason", reason},
      {"message", message},
      {"type", type == EventType::kWarning ? "Warning" : "Normal"},
      {"source", {{"component", component}}},
      {"reportingComponent", component},
      {"reportingInstance", object.kind == "Node" ? object.name : ""},
      {"firstTimestamp", timestamp},
      {"lastTimestamp", timestamp},
      {"eventTime", nullptr},
      {"count", 1},
  };
  if (object.kind == "Node") event["source"]["host"] = object.name;
  return Create("/api/v1/namespaces/" + Escape(ns) + "/events", event);
}

absl::StatusOr<nlohmann::json> Client::GetConfigMap(
    const std::string& namespace_, const std::string& name) {
  return Get("/api/v1/namespaces/" + Escape(namespace_) + "/configmaps/" +
             Escape(name));
}

}  // namespace migctl::kube
