// FUZZ_CHECK: an invariant of a fuzz target. A violated one prints the
// condition and aborts, which libFuzzer reports as a crash and saves as a
// reproducer. Not compiled out, unlike assert().
#ifndef MIGCTL_FUZZ_FUZZ_CHECK_H_
#define MIGCTL_FUZZ_FUZZ_CHECK_H_

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                               \
  do {                                                                 \
    if (!(cond)) {                                                     \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                   \
      std::abort();                                                    \
    }                                                                  \
  } while (0)

#endif  // MIGCTL_FUZZ_FUZZ_CHECK_H_
