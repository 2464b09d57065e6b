// StopOnSignals: turns SIGTERM and SIGINT into stop.request_stop(), for the
// long-running commands (`migctl agent`, `migctl planner`).
#ifndef MIGCTL_CLI_STOP_ON_SIGNALS_H_
#define MIGCTL_CLI_STOP_ON_SIGNALS_H_

#include <pthread.h>

#include <atomic>
#include <csignal>
#include <stop_token>
#include <thread>

namespace migctl::cli {

// Requests the stop on a thread of its own (sigwait), not in a signal
// handler: stopping runs the stop callbacks, which take locks. Blocks both
// signals in the calling thread and in every thread it starts while this
// lives, so construct it before starting any thread.
class StopOnSignals {
 public:
  explicit StopOnSignals(std::stop_source& stop) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGTERM);
    sigaddset(&signals_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals_, &old_);
    waiter_ = std::thread([this, &stop] {
      while (!done_) {
        int sig = 0;
        sigwait(&signals_, &sig);
        if (!done_) stop.request_stop();
      }
    });
  }
  ~StopOnSignals() {
    done_ = true;
    // Wakes the waiter's sigwait (the signal is blocked everywhere).
    // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread)
    pthread_kill(waiter_.native_handle(), SIGTERM);
    waiter_.join();
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  sigset_t signals_;
  sigset_t old_;
  std::atomic<bool> done_{false};
  std::thread waiter_;
};

}  // namespace migctl::cli

#endif  // MIGCTL_CLI_STOP_ON_SIGNALS_H_
