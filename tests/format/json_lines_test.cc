#include "format/json_lines.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/hash.h"
#include "log/record.h"
#include "testing/log_util.h"
#include "testing/seeds.h"

namespace strata::format {
namespace {

// Text followed by exactly kPadding readable bytes and nothing more: a heap block of the exact
// size, so that AddressSanitizer reports any read past the padding the parsers are promised.
class Padded {
 public:
  explicit Padded(std::string_view text)
      : size_(text.size()), buf_(new char[text.size() + kPadding]) {
    if (!text.empty()) std::memcpy(buf_.get(), text.data(), text.size());
    std::memset(buf_.get() + size_, 0, kPadding);
  }
  std::string_view view() const { return {buf_.get(), size_}; }

 private:
  size_t size_;
  std::unique_ptr<char[]> buf_;
};

// An owned copy of an AppendRecord, for comparisons after the batcher is cleared.
struct Rec {
  uint32_t partition;
  std::string key, payload, source, source_position;
  uint8_t flags;
};

std::vector<Rec> Copy(LineBatcher& batcher) {
  std::vector<Rec> out;
  for (const log::AppendRecord& r : batcher.records()) {
    out.push_back({r.partition, std::string(r.key), std::string(r.payload), std::string(r.source),
                   std::string(r.source_position), r.flags});
  }
  return out;
}

// Extract on a padded copy of `line`; returns the flags and fills *key.
uint8_t ExtractKey(std::string_view key_field, std::string_view line, std::string* key) {
  KeyExtractor extractor(key_field);
  Padded padded(line);
  key->clear();
  return extractor.Extract(padded.view(), key);
}

constexpr uint8_t kBoth = log::kFlagMalformed | log::kFlagMissingKey;

// --- KeyExtractor ---

TEST(KeyExtractorTest, DebeziumKeyComesFromAfterOrBeforeAndOpIsRead) {
  KeyExtractor extractor("id", "debezium");
  struct Case {
    const char* line;
    uint8_t flags;
    const char* key;
    log::Operation op;
  };
  const Case cases[] = {
      {R"({"op":"c","before":null,"after":{"id":"k1"}})", 0, "k1", log::Operation::kInsert},
      {R"({"op":"u","before":{"id":"k0"},"after":{"id":"k2"}})", 0, "k2", log::Operation::kUpdate},
      {R"({"op":"d","before":{"id":7},"after":null})", 0, "7", log::Operation::kDelete},
      {R"({"op":"r","after":{"id":"k3"}})", 0, "k3", log::Operation::kSnapshotRead},
      {R"({"op":"x","after":{"other":1}})", log::kFlagMissingKey, "", log::Operation::kInsert},
  };
  for (const Case& c : cases) {
    Padded line(c.line);
    std::string key;
    log::Operation op = log::Operation::kInsert;
    EXPECT_EQ(extractor.Extract(line.view(), &key, &op), c.flags) << c.line;
    EXPECT_EQ(key, c.key) << c.line;
    EXPECT_EQ(op, c.op) << c.line;
  }
}

TEST(KeyExtractorTest, StringKeyIsItsText) {
  std::string key;
  EXPECT_EQ(ExtractKey("id", R"({"id":"abc","v":1})", &key), 0);
  EXPECT_EQ(key, "abc");
  EXPECT_EQ(ExtractKey("id", R"({"v":1, "id" : "" })", &key), 0);
  EXPECT_EQ(key, "");  // an empty string is a (present) key
}

TEST(KeyExtractorTest, StringKeyIsUnescaped) {
  std::string key;
  EXPECT_EQ(ExtractKey("id", R"({"id":"a\"b\\c\/d\u00e9\n\t\ud83d\ude00"})", &key), 0);
  EXPECT_EQ(key, "a\"b\\c/d\xc3\xa9\n\t\xf0\x9f\x98\x80");
}

TEST(KeyExtractorTest, EscapedFieldNameMatches) {
  std::string key;
  EXPECT_EQ(ExtractKey("id", R"({"\u0069d":"x"})", &key), 0);
  EXPECT_EQ(key, "x");
}

TEST(KeyExtractorTest, NumbersAndBooleansAreTheirJsonText) {
  std::string key;
  EXPECT_EQ(ExtractKey("id", R"({"id":42})", &key), 0);
  EXPECT_EQ(key, "42");
  EXPECT_EQ(ExtractKey("id", R"({"id":-7})", &key), 0);
  EXPECT_EQ(key, "-7");
  EXPECT_EQ(ExtractKey("id", R"({"id":0})", &key), 0);
  EXPECT_EQ(key, "0");
  EXPECT_EQ(ExtractKey("id", R"({"id":18446744073709551615})", &key), 0);  // UINT64
  EXPECT_EQ(key, "18446744073709551615");
  EXPECT_EQ(ExtractKey("id", R"({"id":-9223372036854775808})", &key), 0);  // INT64 min
  EXPECT_EQ(key, "-9223372036854775808");
  EXPECT_EQ(ExtractKey("id", R"({"id":1.5})", &key), 0);
  EXPECT_EQ(key, "1.5");
  EXPECT_EQ(ExtractKey("id", R"({"id":true})", &key), 0);
  EXPECT_EQ(key, "true");
  EXPECT_EQ(ExtractKey("id", R"({"id":false})", &key), 0);
  EXPECT_EQ(key, "false");
}

// Non-integer numbers are keyed by simdjson's serialization of their value, not by their
// text: equal values written differently share a key, but 1e3 and 1000 do not. Pinned here
// because a change of that serialization (e.g. a simdjson upgrade) would move keys to other
// partitions.
TEST(KeyExtractorTest, NonIntegerKeysAreSimdjsonsSerialization) {
  std::string key;
  EXPECT_EQ(ExtractKey("id", R"({"id":1.50})", &key), 0);
  EXPECT_EQ(key, "1.5");
  EXPECT_EQ(ExtractKey("id", R"({"id":1e3})", &key), 0);
  EXPECT_EQ(key, "1000.0");
  EXPECT_EQ(ExtractKey("id", R"({"id":1.0})", &key), 0);
  EXPECT_EQ(key, "1.0");
  EXPECT_EQ(ExtractKey("id", R"({"id":-0})", &key), 0);
  EXPECT_EQ(key, "0");
}

// simdjson refuses integers beyond 64 bits, valid JSON though they are: such lines are
// stored flagged malformed.
TEST(KeyExtractorTest, IntegerBeyond64BitsIsFlaggedMalformed) {
  std::string key;
  EXPECT_EQ(ExtractKey("id", R"({"id":100000000000000000000})", &key), kBoth);
  EXPECT_EQ(ExtractKey("", R"({"v":100000000000000000000})", &key), log::kFlagMalformed);
}

TEST(KeyExtractorTest, NumberKeyIsNotQuotedString) {
  // The number 42 and the string "42" give the same key bytes (and so the same partition).
  std::string a, b;
  EXPECT_EQ(ExtractKey("id", R"({"id":42})", &a), 0);
  EXPECT_EQ(ExtractKey("id", R"({"id":"42"})", &b), 0);
  EXPECT_EQ(a, b);
}

TEST(KeyExtractorTest, NullObjectArrayAndAbsentAreMissing) {
  for (const char* line : {R"({"id":null})", R"({"id":{"a":1}})", R"({"id":[1,2]})", R"({"id":[]})",
                           R"({"id":{}})", R"({"other":1})", R"({})", R"({"ID":1})"}) {
    SCOPED_TRACE(line);
    std::string key = "unchanged";
    KeyExtractor extractor("id");
    Padded padded(line);
    EXPECT_EQ(extractor.Extract(padded.view(), &key), log::kFlagMissingKey);
    EXPECT_EQ(key, "unchanged");  // nothing appended
  }
}

TEST(KeyExtractorTest, ValidNonObjectDocumentsLackTheKey) {
  for (const char* line : {"42", R"("id")", "[1]", "null", "true"}) {
    SCOPED_TRACE(line);
    std::string key;
    EXPECT_EQ(ExtractKey("id", line, &key), log::kFlagMissingKey);
    EXPECT_EQ(key, "");
    EXPECT_EQ(ExtractKey("", line, &key), 0);  // keyless: valid JSON, no flags
  }
}

TEST(KeyExtractorTest, DottedPathReachesNestedField) {
  std::string key;
  EXPECT_EQ(ExtractKey("after.id", R"({"before":null,"after":{"id":"r7","x":1}})", &key), 0);
  EXPECT_EQ(key, "r7");
  EXPECT_EQ(ExtractKey("a.b.c", R"({"a":{"b":{"c":12}}})", &key), 0);
  EXPECT_EQ(key, "12");
  EXPECT_EQ(ExtractKey("after.id", R"({"after":null})", &key), log::kFlagMissingKey);
  EXPECT_EQ(ExtractKey("after.id", R"({"after":{"x":1}})", &key), log::kFlagMissingKey);
  EXPECT_EQ(ExtractKey("after.id", R"({"after":"id"})", &key), log::kFlagMissingKey);
  EXPECT_EQ(ExtractKey("after.id", R"({"id":"top"})", &key), log::kFlagMissingKey);
  // A dot always separates segments: a top-level field named "after.id" is not the key.
  EXPECT_EQ(ExtractKey("after.id", R"({"after.id":"flat"})", &key), log::kFlagMissingKey);
}

TEST(KeyExtractorTest, PointerSpecialCharactersInFieldNameAreEscaped) {
  std::string key;
  EXPECT_EQ(ExtractKey("a/b", R"({"a/b":"slash","a":{"b":"nested"}})", &key), 0);
  EXPECT_EQ(key, "slash");
  EXPECT_EQ(ExtractKey("a~b", R"({"a~b":"tilde","a~1b":"wrong"})", &key), 0);
  EXPECT_EQ(key, "tilde");
  EXPECT_EQ(ExtractKey("a~1b", R"({"a~1b":"literal","a/b":"wrong"})", &key), 0);
  EXPECT_EQ(key, "literal");
}

TEST(KeyExtractorTest, InvalidJsonIsMalformedAndMissingKeyWhenKeyed) {
  for (const char* line :
       {R"({"id":)", R"({"id":"a")", R"({"id":"a"}})", R"({id:"a"})", R"({"id":'a'})",
        R"({"id":"a",})", "{\"id\":\"a\xff\"}", R"({"id":"a"} {"id":"b"})", "   ", "\r", "nul",
        R"({"id":01})", R"({"id":"\x"})"}) {
    SCOPED_TRACE(line);
    std::string key;
    EXPECT_EQ(ExtractKey("id", line, &key), kBoth);
    EXPECT_EQ(key, "");
    EXPECT_EQ(ExtractKey("", line, &key), log::kFlagMalformed);
    EXPECT_EQ(key, "");
  }
}

TEST(KeyExtractorTest, KeylessValidJsonHasNoFlags) {
  std::string key;
  EXPECT_EQ(ExtractKey("", R"({"id":"abc"})", &key), 0);
  EXPECT_EQ(key, "");
  EXPECT_EQ(ExtractKey("", R"({"a":[1,2,{"b":null}]})", &key), 0);
}

TEST(KeyExtractorTest, TrailingCarriageReturnIsWhitespace) {
  std::string key;
  EXPECT_EQ(ExtractKey("id", "{\"id\":\"a\"}\r", &key), 0);
  EXPECT_EQ(key, "a");
}

TEST(KeyExtractorTest, AppendsToExistingKeyAndIsReusable) {
  KeyExtractor extractor("id");
  std::string arena = "prefix|";
  Padded a(R"({"id":"one"})"), bad("{"), b(R"({"id":2})");
  EXPECT_EQ(extractor.Extract(a.view(), &arena), 0);
  EXPECT_EQ(extractor.Extract(bad.view(), &arena), kBoth);
  EXPECT_EQ(extractor.Extract(b.view(), &arena), 0);
  EXPECT_EQ(arena, "prefix|one2");
}

TEST(KeyExtractorTest, LargeDocument) {
  std::string line = R"({"pad":")" + std::string(1 << 20, 'x') + R"(","id":"big"})";
  std::string key;
  EXPECT_EQ(ExtractKey("id", line, &key), 0);
  EXPECT_EQ(key, "big");
}

// --- LineBatcher ---

TEST(LineBatcherTest, RecordsCarryPayloadKeySourcePositionAndPartition) {
  LineBatcher batcher("id", 8, "file:x.jsonl", "req-1:");
  Padded text("{\"id\":\"a\",\"v\":1}\n{\"id\":7}\n{\"id\":\"a\",\"v\":2}\n");
  batcher.AddLines(text.view(), 1);
  std::vector<Rec> recs = Copy(batcher);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].payload, R"({"id":"a","v":1})");
  EXPECT_EQ(recs[0].key, "a");
  EXPECT_EQ(recs[0].source, "file:x.jsonl");
  EXPECT_EQ(recs[0].source_position, "req-1:1");
  EXPECT_EQ(recs[0].flags, 0);
  EXPECT_EQ(recs[0].partition, PartitionForKey("a", 8));
  EXPECT_EQ(recs[1].key, "7");
  EXPECT_EQ(recs[1].source_position, "req-1:2");
  EXPECT_EQ(recs[1].partition, PartitionForKey("7", 8));
  EXPECT_EQ(recs[2].source_position, "req-1:3");
  EXPECT_EQ(recs[2].partition, recs[0].partition);  // same key, same partition
  EXPECT_EQ(batcher.lines(), 3u);
  EXPECT_EQ(batcher.malformed(), 0u);
  EXPECT_EQ(batcher.missing_key(), 0u);
  EXPECT_EQ(batcher.payload_bytes(), text.view().size() - 3);  // minus the three '\n'
}

TEST(LineBatcherTest, RecordsViewIntoTheCallersText) {
  LineBatcher batcher("id", 4, "s");
  Padded text("{\"id\":1}\n{\"id\":2}");
  batcher.AddLines(text.view(), 1);
  auto recs = batcher.records();
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].payload.data(), text.view().data());
  EXPECT_EQ(recs[1].payload.data(), text.view().data() + 9);
}

TEST(LineBatcherTest, PositionIsPrefixPlusFirstLineBased) {
  LineBatcher batcher("", 1, "s");  // no prefix: the position is the bare line number
  Padded text("{}\n{}\n");
  batcher.AddLines(text.view(), 41);
  std::vector<Rec> recs = Copy(batcher);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].source_position, "41");
  EXPECT_EQ(recs[1].source_position, "42");
  EXPECT_EQ(recs[0].partition, 0u);
}

TEST(LineBatcherTest, EmptyLinesAreCountedButProduceNoRecord) {
  LineBatcher batcher("id", 4, "s");
  Padded text("\n{\"id\":1}\n\n\n{\"id\":2}\n\n");
  batcher.AddLines(text.view(), 1);
  std::vector<Rec> recs = Copy(batcher);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].source_position, "2");
  EXPECT_EQ(recs[1].source_position, "5");
  EXPECT_EQ(batcher.lines(), 6u);
  EXPECT_EQ(batcher.payload_bytes(), 16u);
}

TEST(LineBatcherTest, LineCounting) {
  struct Case {
    const char* text;
    uint64_t lines;
    size_t records;
  };
  for (const Case& c :
       {Case{"", 0, 0}, Case{"\n", 1, 0}, Case{"\n\n", 2, 0}, Case{"{}", 1, 1}, Case{"{}\n", 1, 1},
        Case{"{}\n\n", 2, 1}, Case{"{}\n{}", 2, 2}, Case{"\n{}", 2, 1}}) {
    SCOPED_TRACE(::testing::PrintToString(c.text));
    LineBatcher batcher("", 3, "s");
    Padded text(c.text);
    batcher.AddLines(text.view(), 1);
    EXPECT_EQ(batcher.lines(), c.lines);
    EXPECT_EQ(batcher.records().size(), c.records);
  }
}

TEST(LineBatcherTest, LastLineWithoutNewline) {
  LineBatcher batcher("id", 4, "s");
  Padded text("{\"id\":\"x\"}\n{\"id\":\"y\"}");
  batcher.AddLines(text.view(), 1);
  std::vector<Rec> recs = Copy(batcher);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].payload, R"({"id":"y"})");
  EXPECT_EQ(recs[1].key, "y");
  EXPECT_EQ(recs[1].flags, 0);
  EXPECT_EQ(batcher.lines(), 2u);
}

TEST(LineBatcherTest, CarriageReturnStaysInPayload) {
  LineBatcher batcher("id", 4, "s");
  Padded text("{\"id\":\"x\"}\r\n\r\n{\"id\":\"y\"}\r");
  batcher.AddLines(text.view(), 1);
  std::vector<Rec> recs = Copy(batcher);
  // A blank CRLF line (a lone '\r') carries no data: counted as a line, no record.
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(batcher.lines(), 3u);
  EXPECT_EQ(recs[0].payload, "{\"id\":\"x\"}\r");
  EXPECT_EQ(recs[0].key, "x");
  EXPECT_EQ(recs[0].flags, 0);
  EXPECT_EQ(recs[1].payload, "{\"id\":\"y\"}\r");
  EXPECT_EQ(recs[1].key, "y");
  EXPECT_EQ(recs[1].source_position, "3");
  EXPECT_EQ(batcher.payload_bytes(), 11u + 11u);
}

TEST(LineBatcherTest, MalformedAndMissingKeyRecordsAreKeptFlagged) {
  LineBatcher batcher("id", 16, "s");
  Padded text(
      "not json\n"
      "{\"id\":null}\n"
      "{\"x\":1}\n"
      "{\"id\":\"k\"}\n"
      "{\"id\":[1]}\n");
  batcher.AddLines(text.view(), 1);
  std::vector<Rec> recs = Copy(batcher);
  ASSERT_EQ(recs.size(), 5u);
  const uint32_t empty_key_partition = PartitionForKey("", 16);
  EXPECT_EQ(recs[0].flags, kBoth);
  EXPECT_EQ(recs[0].payload, "not json");
  EXPECT_EQ(recs[1].flags, log::kFlagMissingKey);
  EXPECT_EQ(recs[2].flags, log::kFlagMissingKey);
  EXPECT_EQ(recs[3].flags, 0);
  EXPECT_EQ(recs[4].flags, log::kFlagMissingKey);
  for (int i : {0, 1, 2, 4}) {
    SCOPED_TRACE(i);
    EXPECT_EQ(recs[i].key, "");
    EXPECT_EQ(recs[i].partition, empty_key_partition);
  }
  EXPECT_EQ(recs[3].partition, PartitionForKey("k", 16));
  EXPECT_EQ(batcher.malformed(), 1u);
  EXPECT_EQ(batcher.missing_key(), 4u);  // the malformed line lacks its key, too
}

TEST(LineBatcherTest, KeylessTablePartitionsByPayloadHash) {
  LineBatcher batcher("", 16, "s");
  Padded text("{\"id\":\"a\"}\n{\"id\":\"b\"}\nbroken\n");
  batcher.AddLines(text.view(), 1);
  std::vector<Rec> recs = Copy(batcher);
  ASSERT_EQ(recs.size(), 3u);
  for (const Rec& r : recs) {
    SCOPED_TRACE(r.payload);
    EXPECT_EQ(r.key, "");
    EXPECT_EQ(r.partition, PartitionForKey(r.payload, 16));
  }
  EXPECT_EQ(recs[0].flags, 0);
  EXPECT_EQ(recs[1].flags, 0);
  EXPECT_EQ(recs[2].flags, log::kFlagMalformed);
  EXPECT_EQ(batcher.malformed(), 1u);
  EXPECT_EQ(batcher.missing_key(), 0u);
}

TEST(LineBatcherTest, PartitionIsStableAcrossBatchersAndCounts) {
  // XXH64 with seed 0 (the xxHash project's reference values): partitions must never change.
  EXPECT_EQ(StableHash64(""), 0xEF46DB3751D8E999ull);
  EXPECT_EQ(StableHash64("a"), 0xD24EC4F1A98C6E5Bull);
  EXPECT_EQ(StableHash64("abc"), 0x44BC2CF5AD770999ull);
  for (uint32_t n : {1u, 2u, 3u, 7u, 64u, 4096u}) {
    SCOPED_TRACE(n);
    LineBatcher a("id", n, "s"), b("id", n, "other", "p:");
    Padded text("{\"id\":\"abc\"}\n{\"id\":\"\"}\n{\"id\":1}\n");
    a.AddLines(text.view(), 1);
    b.AddLines(text.view(), 100);
    std::vector<Rec> ra = Copy(a), rb = Copy(b);
    ASSERT_EQ(ra.size(), 3u);
    ASSERT_EQ(rb.size(), 3u);
    for (size_t i = 0; i < ra.size(); ++i) {
      EXPECT_EQ(ra[i].partition, rb[i].partition);
      EXPECT_EQ(ra[i].partition, StableHash64(ra[i].key) % n);
      EXPECT_LT(ra[i].partition, n);
    }
  }
}

TEST(LineBatcherTest, CountersSurviveClearRecordsDoNot) {
  LineBatcher batcher("id", 4, "s");
  Padded one("{\"id\":1}\nbad\n"), two("\n{\"x\":2}");
  batcher.AddLines(one.view(), 1);
  EXPECT_EQ(batcher.records().size(), 2u);
  batcher.Clear();
  EXPECT_EQ(batcher.records().size(), 0u);
  batcher.AddLines(two.view(), batcher.lines() + 1);
  std::vector<Rec> recs = Copy(batcher);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].source_position, "4");
  EXPECT_EQ(recs[0].flags, log::kFlagMissingKey);
  EXPECT_EQ(batcher.lines(), 4u);
  EXPECT_EQ(batcher.malformed(), 1u);
  EXPECT_EQ(batcher.missing_key(), 2u);
  EXPECT_EQ(batcher.payload_bytes(), 8u + 3u + 7u);
}

TEST(LineBatcherTest, ManyChunksBeforeRecordsKeepEveryView) {
  // The arena holding keys and positions grows (and moves) while lines are added; records()
  // must still view the right bytes.
  LineBatcher batcher("id", 32, "s", "a-rather-long-request-prefix:");
  std::vector<std::unique_ptr<Padded>> chunks;
  uint64_t line = 1;
  for (int c = 0; c < 50; ++c) {
    std::string text;
    for (int i = 0; i < 40; ++i) {
      text += "{\"id\":\"key-" + std::to_string(c) + "-" + std::to_string(i) + "-" +
              std::string(i, 'k') + "\"}\n";
    }
    chunks.push_back(std::make_unique<Padded>(text));
    batcher.AddLines(chunks.back()->view(), line);
    line += 40;
  }
  std::vector<Rec> recs = Copy(batcher);
  ASSERT_EQ(recs.size(), 2000u);
  for (int c = 0; c < 50; ++c) {
    for (int i = 0; i < 40; ++i) {
      const Rec& r = recs[c * 40 + i];
      std::string key =
          "key-" + std::to_string(c) + "-" + std::to_string(i) + "-" + std::string(i, 'k');
      ASSERT_EQ(r.key, key);
      ASSERT_EQ(r.payload, "{\"id\":\"" + key + "\"}");
      ASSERT_EQ(r.source_position,
                "a-rather-long-request-prefix:" + std::to_string(c * 40 + i + 1));
      ASSERT_EQ(r.partition, PartitionForKey(key, 32));
    }
  }
}

// --- Randomized: never crash, one record per non-empty line, payloads byte for byte. ---

std::string RandomBytes(std::mt19937_64& rng, size_t max_len) {
  static constexpr char kAlphabet[] = "{}[]\":,\\ \n\r\t0123456789.eE+-abcdefnulltrueid";
  std::uniform_int_distribution<size_t> len(0, max_len);
  std::string s(len(rng), '\0');
  for (char& c : s) {
    switch (rng() % 4) {
      case 0:
        c = static_cast<char>(rng());  // any byte, NUL and invalid UTF-8 included
        break;
      default:
        c = kAlphabet[rng() % (sizeof(kAlphabet) - 1)];
    }
  }
  return s;
}

std::string ValidLine(std::mt19937_64& rng) {
  static const char* kLines[] = {
      R"({"id":"a1","v":1})",
      R"({"id":17,"name":"caf\u00e9","tags":["x","y"],"n":null})",
      R"({"after":{"id":"r9","qty":3.25},"before":null,"op":"u"})",
      R"({"id":true,"nested":{"deep":{"deeper":[1,[2,[3]]]}}})",
      R"({"id":"esc\"aped\\","s":"\n\t"})",
      R"([1,2,3])",
      R"("just a string")",
      R"({"id":-1e300})",
  };
  return kLines[rng() % (sizeof(kLines) / sizeof(kLines[0]))];
}

std::string Mutate(std::mt19937_64& rng, std::string s) {
  int edits = 1 + static_cast<int>(rng() % 4);
  for (int e = 0; e < edits; ++e) {
    size_t at = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 4) {
      case 0:  // flip a byte
        if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1 + rng() % 255);
        break;
      case 1:  // insert a byte
        s.insert(s.begin() + static_cast<ptrdiff_t>(at), static_cast<char>(rng()));
        break;
      case 2:  // delete a range
        if (!s.empty()) s.erase(at == s.size() ? at - 1 : at, 1 + rng() % 4);
        break;
      case 3:  // truncate
        s.resize(at);
        break;
    }
  }
  return s;
}

using log::testing::SplitLines;

void CheckRandomInput(const std::string& text, std::string_view key_field, uint32_t partitions,
                      std::mt19937_64& rng) {
  SCOPED_TRACE(::testing::PrintToString(text));
  LineBatcher batcher(key_field, partitions, "fuzz", "r:");
  // Feed the text as one chunk or split at random line boundaries into several chunks.
  std::vector<std::string> lines = SplitLines(text);
  std::vector<std::unique_ptr<Padded>> chunks;
  size_t begin = 0;
  uint64_t first_line = 1;
  while (begin < lines.size()) {
    size_t n = 1 + rng() % lines.size();
    size_t end = std::min(lines.size(), begin + n);
    std::string chunk;
    for (size_t i = begin; i < end; ++i) {
      chunk += lines[i];
      if (i + 1 < lines.size() || text.ends_with('\n')) chunk += '\n';
    }
    chunks.push_back(std::make_unique<Padded>(chunk));
    batcher.AddLines(chunks.back()->view(), first_line);
    first_line += end - begin;
    begin = end;
  }

  std::vector<Rec> recs = Copy(batcher);
  size_t r = 0;
  uint64_t malformed = 0, missing = 0, bytes = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty() || lines[i] == "\r") continue;  // blank lines give no record
    ASSERT_LT(r, recs.size());
    const Rec& rec = recs[r++];
    ASSERT_EQ(rec.payload, lines[i]);
    EXPECT_EQ(rec.source_position, "r:" + std::to_string(i + 1));
    EXPECT_EQ(rec.source, "fuzz");
    EXPECT_LT(rec.partition, partitions);
    EXPECT_EQ(rec.flags & ~kBoth, 0);
    if (rec.flags & log::kFlagMalformed) {
      ++malformed;
      EXPECT_EQ(rec.key, "");
    }
    if (rec.flags & log::kFlagMissingKey) {
      ++missing;
      EXPECT_EQ(rec.key, "");
    }
    if (key_field.empty()) {
      EXPECT_EQ(rec.flags & log::kFlagMissingKey, 0);
      EXPECT_EQ(rec.partition, PartitionForKey(rec.payload, partitions));
    } else {
      if (rec.flags & log::kFlagMalformed) {
        EXPECT_TRUE(rec.flags & log::kFlagMissingKey);
      }
      EXPECT_EQ(rec.partition, PartitionForKey(rec.key, partitions));
    }
    bytes += lines[i].size();
  }
  EXPECT_EQ(r, recs.size());
  EXPECT_EQ(batcher.lines(), lines.size());
  EXPECT_EQ(batcher.malformed(), malformed);
  EXPECT_EQ(batcher.missing_key(), missing);
  EXPECT_EQ(batcher.payload_bytes(), bytes);
}

TEST(LineBatcherRandomTest, RandomBytesAndMutatedJsonNeverCrash) {
  for (uint64_t seed : ::strata::testing::Seeds(5000, 1)) {
    SCOPED_TRACE(::strata::testing::SeedTrace(seed));
    std::mt19937_64 rng(seed);
    const char* kFields[] = {"", "id", "after.id"};
    for (int iter = 0; iter < 10000; ++iter) {
      std::string text;
      int lines = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < lines; ++i) {
        switch (rng() % 3) {
          case 0:
            text += RandomBytes(rng, 64);
            break;
          case 1:
            text += Mutate(rng, ValidLine(rng));
            break;
          case 2:
            text += ValidLine(rng);
            break;
        }
        if (i + 1 < lines || rng() % 2) text += (rng() % 8 == 0) ? "\r\n" : "\n";
      }
      const char* field = kFields[rng() % 3];
      uint32_t partitions = 1 + static_cast<uint32_t>(rng() % 16);
      ASSERT_NO_FATAL_FAILURE(CheckRandomInput(text, field, partitions, rng))
          << "iteration " << iter;
      if (HasFailure()) break;
    }
  }
}

TEST(LineBatcherRandomTest, ValidLinesAreNeverFlaggedMalformed) {
  std::mt19937_64 rng(42);
  for (int iter = 0; iter < 500; ++iter) {
    std::string text;
    for (int i = 0; i < 10; ++i)
      text += ValidLine(rng) + "\n";
    LineBatcher batcher("id", 8, "s");
    Padded padded(text);
    batcher.AddLines(padded.view(), 1);
    ASSERT_EQ(batcher.records().size(), 10u);
    ASSERT_EQ(batcher.malformed(), 0u);
  }
}

}  // namespace
}  // namespace strata::format
