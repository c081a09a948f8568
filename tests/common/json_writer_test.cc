#include "common/json_writer.h"

#include <gtest/gtest.h>

namespace strata {
namespace {

std::string Quote(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

TEST(JsonWriterTest, EscapesOnlyWhatJsonRequires) {
  EXPECT_EQ(Quote("plain"), "\"plain\"");
  EXPECT_EQ(Quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(Quote("t\tn\nr\r"), "\"t\\tn\\nr\\r\"");
  EXPECT_EQ(Quote(std::string_view("\x01\x1f", 2)), "\"\\u0001\\u001f\"");
  EXPECT_EQ(Quote("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");  // UTF-8 kept
  EXPECT_EQ(Quote(std::string_view("a\0b", 3)), "\"a\\u0000b\"");
}

TEST(JsonWriterTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("hello"));
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff\xfe"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));          // truncated sequence
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
}

TEST(JsonWriterTest, Base64) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("\xff\xfe"), "//4=");
}

TEST(JsonWriterTest, ObjectKeepsOrderAndTypes) {
  std::string s = JsonObject()
                      .Add("s", "x")
                      .Add("i", int64_t{-3})
                      .Add("u", uint64_t{7})
                      .Add("b", true)
                      .Add("d", 0.5)
                      .AddRaw("o", "{}")
                      .Finish();
  EXPECT_EQ(s, "{\"s\": \"x\", \"i\": -3, \"u\": 7, \"b\": true, \"d\": 0.5, \"o\": {}}");
}

}  // namespace
}  // namespace strata
