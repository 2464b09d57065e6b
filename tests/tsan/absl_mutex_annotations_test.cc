// ThreadSanitizer builds only: shows that TSan sees Debian's absl::Mutex and
// CondVar through absl_mutex_annotations.cc. Without it each test below is
// reported as a data race, and the tsan test preset's halt_on_error fails it.
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace {

// A counter and a flag under one mutex.
struct Shared {
  absl::Mutex mu;
  int count ABSL_GUARDED_BY(mu) = 0;
  bool ready ABSL_GUARDED_BY(mu) = false;
  absl::CondVar changed;
};

TEST(AbslMutexAnnotationsTest, CounterUnderMutexLockIsNoRace) {
  Shared s;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&s] {
      for (int i = 0; i < 1000; ++i) {
        absl::MutexLock lock(&s.mu);
        ++s.count;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  absl::MutexLock lock(&s.mu);
  EXPECT_EQ(s.count, 4000);
}

TEST(AbslMutexAnnotationsTest, AwaitSeesTheWriteOfAnotherThread) {
  Shared s;
  std::thread writer([&s] {
    absl::MutexLock lock(&s.mu);
    s.count = 7;
    s.ready = true;
  });
  {
    absl::MutexLock lock(&s.mu);
    s.mu.Await(absl::Condition(&s.ready));
    EXPECT_EQ(s.count, 7);
    s.count = 8;
  }
  writer.join();
}

TEST(AbslMutexAnnotationsTest, CondVarWaitSeesTheWriteOfAnotherThread) {
  Shared s;
  std::thread writer([&s] {
    absl::MutexLock lock(&s.mu);
    s.count = 5;
    s.ready = true;
    s.changed.SignalAll();
  });
  {
    absl::MutexLock lock(&s.mu);
    while (!s.ready) s.changed.WaitWithTimeout(&s.mu, absl::Seconds(1));
    EXPECT_EQ(s.count, 5);
    s.count = 6;
  }
  writer.join();
}

}  // namespace
