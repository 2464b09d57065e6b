#include "support/systemd_stand_in.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace migctl::testing {
namespace {

constexpr char kManagerPath[] = "/org/freedesktop/systemd1";
constexpr char kManager[] = "org.freedesktop.systemd1.Manager";
constexpr char kUnitPrefix[] = "/org/freedesktop/systemd1/unit";
constexpr char kUnit[] = "org.freedesktop.systemd1.Unit";
constexpr char kNoSuchUnit[] = "org.freedesktop.systemd1.NoSuchUnit";

std::string UnitPath(const std::string& name) {
  char* path = nullptr;
  if (sd_bus_path_encode(kUnitPrefix, name.c_str(), &path) < 0) return "";
  std::string out(path);
  std::free(path);
  return out;
}

std::string UnitName(const char* path) {
  char* name = nullptr;
  if (sd_bus_path_decode(path, kUnitPrefix, &name) <= 0) return "";
  std::string out(name);
  std::free(name);
  return out;
}

}  // namespace

// One accepted connection: its sd-bus server, and the jobs it started that
// have not ended yet.
struct SystemdStandIn::Connection {
  struct Job {
    absl::Time due;
    uint32_t id;
    std::string path;
    std::string unit;
    std::string result;
    std::string final_state;
  };

  SystemdStandIn* owner = nullptr;
  int fd = -1;
  bool closed = false;  // guarded by owner->mu_
  sd_bus* bus = nullptr;
  std::vector<Job> jobs;
  std::thread thread;

  // Ends the jobs that are due: final state, then JobRemoved.
  void FinishDueJobs() {
    const absl::Time now = absl::Now();
    for (auto it = jobs.begin(); it != jobs.end();) {
      if (it->due > now) {
        ++it;
        continue;
      }
      {
        std::lock_guard<std::mutex> lock(owner->mu_);
        owner->units_[it->unit].active_state = it->final_state;
      }
      sd_bus_emit_signal(bus, kManagerPath, kManager, "JobRemoved", "uoss",
                         it->id, it->path.c_str(), it->unit.c_str(),
                         it->result.c_str());
      it = jobs.erase(it);
    }
  }

  static int GetUnit(sd_bus_message* m, void* userdata, sd_bus_error* error) {
    return Lookup(m, static_cast<Connection*>(userdata), error, false);
  }
  static int LoadUnit(sd_bus_message* m, void* userdata, sd_bus_error* error) {
    return Lookup(m, static_cast<Connection*>(userdata), error, true);
  }
  static int Lookup(sd_bus_message* m, Connection* c, sd_bus_error* error,
                    bool load) {
    const char* name = nullptr;
    int r = sd_bus_message_read(m, "s", &name);
    if (r < 0) return r;
    {
      std::lock_guard<std::mutex> lock(c->owner->mu_);
      c->owner->calls_.push_back(
          absl::StrCat(load ? "LoadUnit " : "GetUnit ", name));
      if (!c->owner->units_.contains(name)) {
        if (!load) {
          return sd_bus_error_setf(error, kNoSuchUnit, "Unit %s not loaded.",
                                   name);
        }
        c->owner->units_[name] = Unit{};
      }
    }
    return sd_bus_reply_method_return(m, "o", UnitPath(name).c_str());
  }

  static int StopUnit(sd_bus_message* m, void* userdata, sd_bus_error* error) {
    return Enqueue(m, static_cast<Connection*>(userdata), error, false);
  }
  static int StartUnit(sd_bus_message* m, void* userdata, sd_bus_error* error) {
    return Enqueue(m, static_cast<Connection*>(userdata), error, true);
  }
  static int Enqueue(sd_bus_message* m, Connection* c, sd_bus_error* error,
                     bool start) {
    const char* name = nullptr;
    const char* mode = nullptr;
    int r = sd_bus_message_read(m, "ss", &name, &mode);
    if (r < 0) return r;
    Job job;
    {
      std::lock_guard<std::mutex> lock(c->owner->mu_);
      c->owner->calls_.push_back(
          absl::StrCat(start ? "StartUnit " : "StopUnit ", name, " ", mode));
      auto it = c->owner->units_.find(name);
      if (it == c->owner->units_.end()) {
        return sd_bus_error_setf(error, kNoSuchUnit, "Unit %s not loaded.",
                                 name);
      }
      job.id = c->owner->next_job_++;
      job.unit = name;
      job.due = absl::Now() + c->owner->options_.job_duration;
      if (start) {
        it->second.active_state = "activating";
        job.result = it->second.fails_to_start ? "failed" : "done";
        job.final_state = it->second.fails_to_start ? "failed" : "active";
      } else {
        it->second.active_state = "deactivating";
        job.result = "done";
        job.final_state = "inactive";
      }
    }
    job.path = absl::StrCat(kManagerPath, "/job/", job.id);
    r = sd_bus_reply_method_return(m, "o", job.path.c_str());
    if (r < 0) return r;
    c->jobs.push_back(std::move(job));
    c->FinishDueJobs();  // a job of no duration ends right after the reply
    return 1;
  }

  static int ActiveState(sd_bus*, const char* path, const char*, const char*,
                         sd_bus_message* reply, void* userdata, sd_bus_error*) {
    auto* c = static_cast<Connection*>(userdata);
    std::string state;
    {
      std::lock_guard<std::mutex> lock(c->owner->mu_);
      auto it = c->owner->units_.find(UnitName(path));
      state =
          it == c->owner->units_.end() ? "inactive" : it->second.active_state;
    }
    return sd_bus_message_append(reply, "s", state.c_str());
  }

  static int FindUnit(sd_bus*, const char* path, const char*, void* userdata,
                      void** found, sd_bus_error*) {
    auto* c = static_cast<Connection*>(userdata);
    std::lock_guard<std::mutex> lock(c->owner->mu_);
    if (!c->owner->units_.contains(UnitName(path))) return 0;
    *found = userdata;
    return 1;
  }

  static const sd_bus_vtable kManagerVtable[];
  static const sd_bus_vtable kUnitVtable[];
};

const sd_bus_vtable SystemdStandIn::Connection::kManagerVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("GetUnit", "s", "o", &Connection::GetUnit, 0),
    SD_BUS_METHOD("LoadUnit", "s", "o", &Connection::LoadUnit, 0),
    SD_BUS_METHOD("StopUnit", "ss", "o", &Connection::StopUnit, 0),
    SD_BUS_METHOD("StartUnit", "ss", "o", &Connection::StartUnit, 0),
    SD_BUS_SIGNAL("JobRemoved", "uoss", 0),
    SD_BUS_VTABLE_END};

const sd_bus_vtable SystemdStandIn::Connection::kUnitVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("ActiveState", "s", &Connection::ActiveState, 0, 0),
    SD_BUS_VTABLE_END};

SystemdStandIn::SystemdStandIn(Options options)
    : options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<SystemdStandIn>> SystemdStandIn::Start(
    Options options) {
  sockaddr_un addr{};
  if (options.socket_path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("socket path too long: ", options.socket_path));
  }
  std::unique_ptr<SystemdStandIn> s(new SystemdStandIn(std::move(options)));
  addr.sun_family = AF_UNIX;
  std::strcpy(addr.sun_path, s->options_.socket_path.c_str());
  ::unlink(addr.sun_path);
  s->listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  s->wake_fd_ = ::eventfd(0, EFD_CLOEXEC);
  if (s->listen_fd_ < 0 || s->wake_fd_ < 0 ||
      ::bind(s->listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
          0 ||
      ::listen(s->listen_fd_, 16) != 0) {
    return absl::InternalError(absl::StrCat("cannot listen on ",
                                            s->options_.socket_path, ": ",
                                            std::strerror(errno)));
  }
  s->acceptor_ = std::thread([p = s.get()] { p->Accept(); });
  return s;
}

SystemdStandIn::~SystemdStandIn() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& c : connections_) {
      if (!c->closed) ::shutdown(c->fd, SHUT_RDWR);
    }
  }
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
  }
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& c : connections_) {
    if (c->thread.joinable()) c->thread.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  ::unlink(options_.socket_path.c_str());
}

std::string SystemdStandIn::address() const {
  return "unix:path=" + options_.socket_path;
}

void SystemdStandIn::AddUnit(const std::string& name, Unit unit) {
  std::lock_guard<std::mutex> lock(mu_);
  units_[name] = std::move(unit);
}

std::string SystemdStandIn::ActiveState(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = units_.find(name);
  return it == units_.end() ? "" : it->second.active_state;
}

std::vector<std::string> SystemdStandIn::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

void SystemdStandIn::Accept() {
  while (true) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      ::close(fd);
      return;
    }
    auto c = std::make_unique<Connection>();
    c->owner = this;
    c->fd = fd;
    Connection* raw = c.get();
    connections_.push_back(std::move(c));
    raw->thread = std::thread([this, raw] { Serve(*raw); });
  }
}

void SystemdStandIn::Serve(Connection& c) {
  sd_id128_t id;
  sd_id128_randomize(&id);
  int r = sd_bus_new(&c.bus);
  if (r >= 0) r = sd_bus_set_fd(c.bus, c.fd, c.fd);
  if (r >= 0) r = sd_bus_set_server(c.bus, 1, id);
  if (r >= 0) {
    r = sd_bus_add_object_vtable(c.bus, nullptr, kManagerPath, kManager,
                                 Connection::kManagerVtable, &c);
  }
  if (r >= 0) {
    r = sd_bus_add_fallback_vtable(c.bus, nullptr, kUnitPrefix, kUnit,
                                   Connection::kUnitVtable,
                                   &Connection::FindUnit, &c);
  }
  if (r >= 0) r = sd_bus_start(c.bus);
  while (r >= 0) {
    c.FinishDueJobs();
    r = sd_bus_process(c.bus, nullptr);
    if (r > 0) continue;
    if (r < 0) break;
    uint64_t timeout = UINT64_MAX;
    for (const Connection::Job& job : c.jobs) {
      timeout = std::min<uint64_t>(
          timeout, std::max<int64_t>(
                       0, absl::ToInt64Microseconds(job.due - absl::Now())));
    }
    r = sd_bus_wait(c.bus, timeout);
    if (r == -EINTR) r = 0;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    c.closed = true;
  }
  if (c.bus != nullptr) {
    c.bus = sd_bus_flush_close_unref(c.bus);  // closes c.fd
  } else {
    ::close(c.fd);
  }
}

}  // namespace migctl::testing
