// How a command of the `strata` CLI ends: its answer on stdout, or one sentence
// "strata: error: ..." on stderr and exit status 1 (src/README.md, error handling).
#pragma once

#include <cstdio>
#include <string>

#include "common/status.h"

namespace strata::api {

// Prints `s` as the command's error; returns the exit status of a failure.
inline int Fail(const Status& s) {
  std::fprintf(stderr, "strata: error: %s\n", s.ToString().c_str());
  return 1;
}

inline void Print(const std::string& s) {
  std::fwrite(s.data(), 1, s.size(), stdout);
}

}  // namespace strata::api
