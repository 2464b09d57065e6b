// ThreadSanitizer builds only (the "tsan" preset): makes Debian's abseil
// Mutex and CondVar visible to TSan.
//
// Debian's libabsl_synchronization.so is not built with TSan, so TSan does
// not see its lock and unlock: every variable guarded by an absl::Mutex and
// touched by two threads would be reported as a data race (a two-thread
// counter under absl::MutexLock is). This file interposes the library's
// entry points — an executable's definition of a symbol wins over a shared
// library's, for calls from the executable, from gRPC and from the NVML shim
// alike — and wraps each call to the real one (found with dlsym(RTLD_NEXT))
// in TSan's mutex annotations, as abseil's own mutex.cc does when it is built
// with TSan. Waiting calls (Await*, CondVar::Wait*) are annotated as an
// unlock before and a lock after; what runs inside them (conditions
// evaluated by abseil) is not checked.
//
// The mangled names are abseil's, for the inline namespace checked below.
#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "absl/base/options.h"
#include "absl/time/time.h"

#define MIGCTL_TSAN_STR_INNER(x) #x
#define MIGCTL_TSAN_STR(x) MIGCTL_TSAN_STR_INNER(x)
static_assert(std::string_view(MIGCTL_TSAN_STR(
                  ABSL_OPTION_INLINE_NAMESPACE_NAME)) == "debian3",
              "abseil's inline namespace changed: update the mangled names "
              "below (nm -D libabsl_synchronization.so)");

#define MIGCTL_MUTEX(name) "_ZN4absl7debian35Mutex" name
#define MIGCTL_CONDVAR(name) "_ZN4absl7debian37CondVar" name

namespace {

// The library's definition of `symbol`, of type F.
template <typename F>
F Real(const char* symbol) {
  void* f = dlsym(RTLD_NEXT, symbol);
  if (f == nullptr) {
    std::fprintf(stderr, "absl_mutex_annotations: no %s after this object\n",
                 symbol);
    std::abort();
  }
  return reinterpret_cast<F>(f);
}

// Calls from abseil to its own entry points (WaitWithTimeout calls
// WaitWithDeadline) reach these wrappers too; only the outermost annotates.
thread_local int depth = 0;

// Whether this call is the outermost; counts it until the scope ends.
class Outermost {
 public:
  Outermost() : outermost_(depth++ == 0) {}
  ~Outermost() { --depth; }
  Outermost(const Outermost&) = delete;
  Outermost& operator=(const Outermost&) = delete;
  explicit operator bool() const { return outermost_; }

 private:
  const bool outermost_;
};

// Around a call that releases `mu` and holds it again when it returns.
template <typename F>
auto Waiting(void* mu, F&& call) {
  Outermost outermost;
  if (!outermost) return call();
  __tsan_mutex_pre_unlock(mu, 0);
  auto result = call();
  __tsan_mutex_post_unlock(mu, 0);
  __tsan_mutex_pre_lock(mu, 0);
  __tsan_mutex_post_lock(mu, 0, 0);
  return result;
}

}  // namespace

// NOLINTBEGIN: the names and signatures are abseil's (`self` is `this`).
extern "C" {

void MigctlTsanMutexLock(void* self) asm(MIGCTL_MUTEX("4LockEv"));
void MigctlTsanMutexLock(void* self) {
  static auto real = Real<void (*)(void*)>(MIGCTL_MUTEX("4LockEv"));
  Outermost outermost;
  if (!outermost) return real(self);
  __tsan_mutex_pre_lock(self, 0);
  real(self);
  __tsan_mutex_post_lock(self, 0, 0);
}

void MigctlTsanMutexUnlock(void* self) asm(MIGCTL_MUTEX("6UnlockEv"));
void MigctlTsanMutexUnlock(void* self) {
  static auto real = Real<void (*)(void*)>(MIGCTL_MUTEX("6UnlockEv"));
  Outermost outermost;
  if (!outermost) return real(self);
  __tsan_mutex_pre_unlock(self, 0);
  real(self);
  __tsan_mutex_post_unlock(self, 0);
}

bool MigctlTsanMutexTryLock(void* self) asm(MIGCTL_MUTEX("7TryLockEv"));
bool MigctlTsanMutexTryLock(void* self) {
  static auto real = Real<bool (*)(void*)>(MIGCTL_MUTEX("7TryLockEv"));
  Outermost outermost;
  if (!outermost) return real(self);
  __tsan_mutex_pre_lock(self, __tsan_mutex_try_lock);
  const bool locked = real(self);
  __tsan_mutex_post_lock(
      self, __tsan_mutex_try_lock | (locked ? 0 : __tsan_mutex_try_lock_failed),
      0);
  return locked;
}

void MigctlTsanMutexReaderLock(void* self) asm(MIGCTL_MUTEX("10ReaderLockEv"));
void MigctlTsanMutexReaderLock(void* self) {
  static auto real = Real<void (*)(void*)>(MIGCTL_MUTEX("10ReaderLockEv"));
  Outermost outermost;
  if (!outermost) return real(self);
  __tsan_mutex_pre_lock(self, __tsan_mutex_read_lock);
  real(self);
  __tsan_mutex_post_lock(self, __tsan_mutex_read_lock, 0);
}

void MigctlTsanMutexReaderUnlock(void* self) asm(
    MIGCTL_MUTEX("12ReaderUnlockEv"));
void MigctlTsanMutexReaderUnlock(void* self) {
  static auto real = Real<void (*)(void*)>(MIGCTL_MUTEX("12ReaderUnlockEv"));
  Outermost outermost;
  if (!outermost) return real(self);
  __tsan_mutex_pre_unlock(self, __tsan_mutex_read_lock);
  real(self);
  __tsan_mutex_post_unlock(self, __tsan_mutex_read_lock);
}

void MigctlTsanMutexLockWhen(void* self, const void* cond) asm(
    MIGCTL_MUTEX("8LockWhenERKNS0_9ConditionE"));
void MigctlTsanMutexLockWhen(void* self, const void* cond) {
  static auto real = Real<void (*)(void*, const void*)>(
      MIGCTL_MUTEX("8LockWhenERKNS0_9ConditionE"));
  Outermost outermost;
  if (!outermost) return real(self, cond);
  __tsan_mutex_pre_lock(self, 0);
  real(self, cond);
  __tsan_mutex_post_lock(self, 0, 0);
}

bool MigctlTsanMutexLockWhenWithTimeout(void* self, const void* cond, absl::Duration timeout) asm(
    MIGCTL_MUTEX("19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
bool MigctlTsanMutexLockWhenWithTimeout(void* self, const void* cond,
                                        absl::Duration timeout) {
  static auto real = Real<bool (*)(void*, const void*, absl::Duration)>(
      MIGCTL_MUTEX("19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
  Outermost outermost;
  if (!outermost) return real(self, cond, timeout);
  __tsan_mutex_pre_lock(self, 0);
  const bool met = real(self, cond, timeout);
  __tsan_mutex_post_lock(self, 0, 0);
  return met;
}

bool MigctlTsanMutexLockWhenWithDeadline(void* self, const void* cond, absl::Time deadline) asm(
    MIGCTL_MUTEX("20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
bool MigctlTsanMutexLockWhenWithDeadline(void* self, const void* cond,
                                         absl::Time deadline) {
  static auto real = Real<bool (*)(void*, const void*, absl::Time)>(
      MIGCTL_MUTEX("20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
  Outermost outermost;
  if (!outermost) return real(self, cond, deadline);
  __tsan_mutex_pre_lock(self, 0);
  const bool met = real(self, cond, deadline);
  __tsan_mutex_post_lock(self, 0, 0);
  return met;
}

void MigctlTsanMutexAwait(void* self, const void* cond) asm(
    MIGCTL_MUTEX("5AwaitERKNS0_9ConditionE"));
void MigctlTsanMutexAwait(void* self, const void* cond) {
  static auto real = Real<void (*)(void*, const void*)>(
      MIGCTL_MUTEX("5AwaitERKNS0_9ConditionE"));
  Waiting(self, [&] {
    real(self, cond);
    return 0;
  });
}

bool MigctlTsanMutexAwaitWithTimeout(void* self, const void* cond, absl::Duration timeout) asm(
    MIGCTL_MUTEX("16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
bool MigctlTsanMutexAwaitWithTimeout(void* self, const void* cond,
                                     absl::Duration timeout) {
  static auto real = Real<bool (*)(void*, const void*, absl::Duration)>(
      MIGCTL_MUTEX("16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE"));
  return Waiting(self, [&] { return real(self, cond, timeout); });
}

bool MigctlTsanMutexAwaitWithDeadline(void* self, const void* cond, absl::Time deadline) asm(
    MIGCTL_MUTEX("17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
bool MigctlTsanMutexAwaitWithDeadline(void* self, const void* cond,
                                      absl::Time deadline) {
  static auto real = Real<bool (*)(void*, const void*, absl::Time)>(
      MIGCTL_MUTEX("17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE"));
  return Waiting(self, [&] { return real(self, cond, deadline); });
}

void MigctlTsanCondVarWait(void* self,
                           void* mu) asm(MIGCTL_CONDVAR("4WaitEPNS0_5MutexE"));
void MigctlTsanCondVarWait(void* self, void* mu) {
  static auto real =
      Real<void (*)(void*, void*)>(MIGCTL_CONDVAR("4WaitEPNS0_5MutexE"));
  Waiting(mu, [&] {
    real(self, mu);
    return 0;
  });
}

bool MigctlTsanCondVarWaitWithTimeout(void* self, void* mu, absl::Duration timeout) asm(
    MIGCTL_CONDVAR("15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE"));
bool MigctlTsanCondVarWaitWithTimeout(void* self, void* mu,
                                      absl::Duration timeout) {
  static auto real = Real<bool (*)(void*, void*, absl::Duration)>(
      MIGCTL_CONDVAR("15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE"));
  return Waiting(mu, [&] { return real(self, mu, timeout); });
}

bool MigctlTsanCondVarWaitWithDeadline(void* self, void* mu, absl::Time deadline) asm(
    MIGCTL_CONDVAR("16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE"));
bool MigctlTsanCondVarWaitWithDeadline(void* self, void* mu,
                                       absl::Time deadline) {
  static auto real = Real<bool (*)(void*, void*, absl::Time)>(
      MIGCTL_CONDVAR("16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE"));
  return Waiting(mu, [&] { return real(self, mu, deadline); });
}

}  // extern "C"
// NOLINTEND
