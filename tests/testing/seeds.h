// The seeds of a randomized test. A plain run, CI's included, takes a fixed list, so every
// failure reproduces; STRATA_SEED=N runs seed N alone; STRATA_SEEDS=K draws K fresh seeds
// (for a longer run) and prints how many and the first. A test names the seed of each
// failure (SCOPED_TRACE(SeedTrace(seed))), so it can be repeated with STRATA_SEED.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

namespace strata::testing {

// `count` seeds from `first` unless the environment says otherwise (see above).
inline std::vector<uint64_t> Seeds(uint64_t first, size_t count) {
  if (const char* one = std::getenv("STRATA_SEED"); one != nullptr && *one) {
    return {std::strtoull(one, nullptr, 10)};
  }
  std::vector<uint64_t> seeds;
  if (const char* drawn = std::getenv("STRATA_SEEDS"); drawn != nullptr && *drawn) {
    std::random_device device;
    const size_t n = std::strtoull(drawn, nullptr, 10);
    for (size_t i = 0; i < n; ++i)
      seeds.push_back((static_cast<uint64_t>(device()) << 32) | device());
    std::printf("%zu drawn seeds, from %llu (repeat one with STRATA_SEED=N)\n", n,
                n ? static_cast<unsigned long long>(seeds[0]) : 0ULL);
    return seeds;
  }
  for (size_t i = 0; i < count; ++i)
    seeds.push_back(first + i);
  return seeds;
}

// For the trace of a failure: how to run this seed again.
inline std::string SeedTrace(uint64_t seed) {
  return "STRATA_SEED=" + std::to_string(seed);
}

}  // namespace strata::testing
