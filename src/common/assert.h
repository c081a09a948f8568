// STRATA_ASSERT: invariant checks. They are cheap and stay on in every build (define
// STRATA_DISABLE_ASSERTS to remove them). A failed invariant is a bug in strata, never a user
// error: it prints the condition and location and aborts.
#pragma once

namespace strata::internal {
[[noreturn]] void AssertFail(const char* condition, const char* file, int line);
}  // namespace strata::internal

#if defined(STRATA_DISABLE_ASSERTS)
#define STRATA_ASSERT(cond) ((void)0)
#else
#define STRATA_ASSERT(cond) \
  ((cond) ? (void)0 : ::strata::internal::AssertFail(#cond, __FILE__, __LINE__))
#endif
