// The one container of saved state (common/sealed.h): what it keeps, and that every kind
// of damage is refused as Corruption naming what was read.
#include "common/sealed.h"

#include <gtest/gtest.h>

#include <string>

namespace strata {
namespace {

std::string Sample() {
  std::string out = "prefix";  // a container may start anywhere in a buffer
  const size_t start = out.size();
  BeginSeal("upsert", 3, &out);
  out += "the body";
  Seal(start, &out);
  return out.substr(start);
}

TEST(SealedTest, UnsealReturnsTheBodyAndVersion) {
  const std::string sealed = Sample();
  EXPECT_TRUE(LooksSealed(sealed));
  auto u = Unseal(sealed, "upsert", 1, 3, "x");
  ASSERT_TRUE(u.ok()) << u.status().ToString();
  EXPECT_EQ(u->version, 3u);
  EXPECT_EQ(u->body, "the body");
  EXPECT_EQ(SealBody("upsert", 3, "the body"), sealed);
  auto empty = Unseal(SealBody("lane", 1, ""), "lane", 1, 1, "x");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->body, "");
}

TEST(SealedTest, EveryFlippedBitAndEveryTruncationIsCorruption) {
  const std::string sealed = Sample();
  for (size_t i = 0; i < sealed.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = sealed;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      Result<Unsealed> u = Unseal(bad, "upsert", 1, 3, "f.state");
      ASSERT_TRUE(u.status().IsCorruption()) << i << ":" << bit;
      EXPECT_EQ(u.status().message().rfind("f.state: ", 0), 0u) << u.status().message();
    }
  }
  for (size_t n = 0; n < sealed.size(); ++n)
    EXPECT_TRUE(Unseal(sealed.substr(0, n), "upsert", 1, 3, "x").status().IsCorruption()) << n;
  EXPECT_TRUE(Unseal(sealed + "x", "upsert", 1, 3, "x").status().IsCorruption());
}

TEST(SealedTest, AnotherKindOrAnUnreadVersionIsRefusedByName) {
  const std::string sealed = Sample();
  EXPECT_EQ(Unseal(sealed, "lane", 1, 3, "a.lane").status().message(),
            "a.lane: holds upsert state, not lane");
  EXPECT_EQ(Unseal(sealed, "upsert", 1, 2, "s").status().message(),
            "s: upsert format version 3; this build reads versions 1 to 2");
  EXPECT_EQ(Unseal(sealed, "upsert", 4, 5, "s").status().message(),
            "s: upsert format version 3; this build reads versions 4 to 5");
  EXPECT_EQ(Unseal("STEX, version, body, crc", "upsert", 1, 3, "s").status().message(),
            "s: not strata upsert state (magic)");
  EXPECT_FALSE(LooksSealed("STR"));
}

}  // namespace
}  // namespace strata
