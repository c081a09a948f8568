#include "common/crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace strata {
namespace {

// Test vectors from RFC 3720, appendix B.4 (iSCSI uses CRC32C).
TEST(Crc32cTest, Rfc3720Vectors) {
  std::string zeros(32, '\0');
  EXPECT_EQ(crc32c::Value(zeros), 0x8A9136AAu);
  std::string ones(32, '\xff');
  EXPECT_EQ(crc32c::Value(ones), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc32c::Value(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c::Value(descending), 0x113FDB5Cu);
  EXPECT_EQ(crc32c::Value("123456789"), 0xE3069283u);
}

TEST(Crc32cTest, ExtendEqualsWholeAtEverySplit) {
  std::mt19937 rng(7);
  std::string data(1000, '\0');
  for (char& c : data)
    c = static_cast<char>(rng());
  uint32_t whole = crc32c::Value(data);
  for (size_t split = 0; split <= data.size(); split += 37) {
    uint32_t first = crc32c::Value(data.data(), split);
    EXPECT_EQ(crc32c::Extend(first, data.data() + split, data.size() - split), whole) << split;
  }
}

TEST(Crc32cTest, DetectsEverySingleBitFlip) {
  std::string data(256, 'x');
  uint32_t base = crc32c::Value(data);
  for (size_t i = 0; i < data.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      data[i] = static_cast<char>(data[i] ^ (1 << bit));
      EXPECT_NE(crc32c::Value(data), base);
      data[i] = static_cast<char>(data[i] ^ (1 << bit));
    }
  }
}

}  // namespace
}  // namespace strata
