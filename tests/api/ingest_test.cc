#include "api/ingest.h"

#include <fcntl.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/hash.h"
#include "log/reader.h"
#include "log/store.h"
#include "testing/log_util.h"
#include "testing/temp_dir.h"

namespace strata::api {
namespace {

using ::testing::HasSubstr;

using Stored = log::testing::StoredRecord;
using log::testing::ReadAll;

using log::testing::SplitLines;

// Checks that `stored` holds exactly the non-empty lines of `input`, once each, with
// source positions "<prefix><line>", and that each partition keeps input order.
void ExpectStoredEqualsInput(const std::vector<Stored>& stored, std::string_view input,
                             std::string_view source, std::string_view prefix) {
  const std::vector<std::string> lines = SplitLines(input);
  std::map<uint64_t, const Stored*> by_line;
  std::map<uint32_t, uint64_t> last_line_in_partition;
  std::map<uint32_t, uint64_t> next_offset;
  for (const Stored& s : stored) {
    ASSERT_EQ(s.source, source);
    ASSERT_TRUE(s.source_position.starts_with(prefix)) << s.source_position;
    const uint64_t line = std::stoull(s.source_position.substr(prefix.size()));
    ASSERT_GE(line, 1u);
    ASSERT_LE(line, lines.size());
    ASSERT_EQ(s.payload, lines[line - 1]) << "line " << line;
    ASSERT_TRUE(by_line.emplace(line, &s).second) << "line " << line << " stored twice";
    ASSERT_GT(line, last_line_in_partition[s.partition]) << "partition order broken";
    last_line_in_partition[s.partition] = line;
    ASSERT_EQ(s.offset, next_offset[s.partition]++);  // dense offsets from 0
  }
  size_t non_empty = 0;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    ++non_empty;
    EXPECT_TRUE(by_line.contains(i + 1)) << "line " << i + 1 << " lost";
  }
  EXPECT_EQ(stored.size(), non_empty);
}

class IngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = log::Store::Open(dir_.Sub("data"), {});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
    log::TableConfig config;
    config.partitions = 4;
    config.key_field = "id";
    auto table = store_->CreateTable("t", config);
    ASSERT_TRUE(table.ok()) << table.status().ToString();
    table_ = *table;
  }

  // A read-only descriptor of a file holding `text`.
  int InputFile(std::string_view text) {
    const std::string path = dir_.Sub("input-" + std::to_string(files_++) + ".jsonl");
    std::ofstream(path, std::ios::binary) << text;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    EXPECT_GE(fd, 0);
    fds_.push_back(fd);
    return fd;
  }

  void TearDown() override {
    for (int fd : fds_)
      ::close(fd);
  }

  testing::TempDir dir_;
  std::unique_ptr<log::Store> store_;
  log::Table* table_ = nullptr;
  int files_ = 0;
  std::vector<int> fds_;
};

// Lines with a key, malformed lines, lines lacking their key and blank lines.
constexpr std::string_view kMixed =
    "{\"id\":\"a\",\"n\":1}\n"  // 1
    "\n"                        // 2 blank
    "{\"id\":\"b\",\"n\":2}\n"  // 3
    "this is not json\n"        // 4 malformed (and so missing its key)
    "{\"id\":null}\n"           // 5 missing key
    "{\"n\":6}\n"               // 6 missing key
    "\n"                        // 7 blank
    "{\"id\":7}\n"              // 8
    "{\"id\":\"a\",\"n\":9}";   // 9, no trailing newline

TEST_F(IngestTest, SummaryCountsEveryKindOfLine) {
  std::vector<uint64_t> acks;
  IngestOptions options;
  options.source = "file:mixed.jsonl";
  options.on_ack = [&](uint64_t n) { acks.push_back(n); };
  Result<IngestSummary> summary = IngestFromFd(table_, InputFile(kMixed), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->lines, 9u);
  EXPECT_EQ(summary->acked, 7u);
  EXPECT_EQ(summary->malformed, 1u);
  EXPECT_EQ(summary->missing_key, 3u);
  EXPECT_EQ(summary->bytes, kMixed.size() - 8u /* '\n' */);
  EXPECT_GT(summary->seconds, 0.0);  // it read, decoded and fsynced (µs clock)
  EXPECT_LT(summary->seconds, 60.0);
  ASSERT_FALSE(acks.empty());
  EXPECT_EQ(acks.back(), 9u);

  std::vector<Stored> stored = ReadAll(*table_);
  ExpectStoredEqualsInput(stored, kMixed, "file:mixed.jsonl", "");
  for (const Stored& s : stored) {
    SCOPED_TRACE(s.payload);
    if (s.source_position == "4") {
      EXPECT_EQ(s.flags, log::kFlagMalformed | log::kFlagMissingKey);
    } else if (s.source_position == "5" || s.source_position == "6") {
      EXPECT_EQ(s.flags, log::kFlagMissingKey);
    } else {
      EXPECT_EQ(s.flags, 0);
    }
    EXPECT_EQ(s.partition, PartitionForKey(s.key, 4));
  }
  // Records with the same key share a partition, in input order.
  auto a = std::count_if(stored.begin(), stored.end(), [](const Stored& s) {
    return s.key == "a" && s.partition == PartitionForKey("a", 4);
  });
  EXPECT_EQ(a, 2);
}

TEST_F(IngestTest, SummaryToJson) {
  IngestSummary s;
  s.lines = 3;
  s.acked = 2;
  s.malformed = 1;
  std::string json = s.ToJson();
  EXPECT_THAT(json, HasSubstr("\"acked\": 2"));
  EXPECT_THAT(json, HasSubstr("\"lines\": 3"));
  EXPECT_THAT(json, HasSubstr("\"malformed\": 1"));
}

TEST_F(IngestTest, EmptyInput) {
  for (size_t chunk : {size_t{64}, size_t{4} << 20}) {
    IngestOptions options;
    options.source = "empty";
    options.chunk_bytes = chunk;
    options.max_line_bytes = 64;  // capacity >= max_line_bytes from the start
    Result<IngestSummary> summary = IngestFromFd(table_, InputFile(""), options);
    ASSERT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_EQ(summary->lines, 0u);
    EXPECT_EQ(summary->acked, 0u);
  }
  EXPECT_TRUE(ReadAll(*table_).empty());
}

TEST_F(IngestTest, InputEndingExactlyAtChunkBoundary) {
  // 4 lines of 16 bytes fill the 64-byte chunk exactly; end of input follows.
  std::string input;
  for (int i = 0; i < 4; ++i)
    input += "{\"id\":\"k0000" + std::to_string(i) + "\"}\n";
  ASSERT_EQ(input.size(), 64u);
  IngestOptions options;
  options.source = "exact";
  options.chunk_bytes = 64;
  options.max_line_bytes = 64;
  Result<IngestSummary> summary = IngestFromFd(table_, InputFile(input), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->lines, 4u);
  EXPECT_EQ(summary->acked, 4u);
  ExpectStoredEqualsInput(ReadAll(*table_), input, "exact", "");
}

TEST_F(IngestTest, NoTrailingNewline) {
  const std::string input = "{\"id\":1}\n{\"id\":2}";
  IngestOptions options;
  options.source = "s";
  options.chunk_bytes = 5;  // the last line is cut across reads, too
  Result<IngestSummary> summary = IngestFromFd(table_, InputFile(input), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->lines, 2u);
  EXPECT_EQ(summary->acked, 2u);
  ExpectStoredEqualsInput(ReadAll(*table_), input, "s", "");
}

// A long input with short and long lines, read through a pipe in random pieces with a tiny
// chunk: many group commits, and the buffer grows for the long lines.
TEST_F(IngestTest, TinyChunksOverPipe) {
  std::mt19937_64 rng(7);
  std::string input;
  for (int i = 0; i < 1500; ++i) {
    if (i % 97 == 0) {
      input += "\n";
    } else if (i % 211 == 0) {
      input += "{\"id\":\"long" + std::to_string(i) + "\",\"pad\":\"" +
               std::string(1000 + rng() % 20000, 'p') + "\"}\n";
    } else if (i % 301 == 0) {
      input += "garbage " + std::to_string(i) + "\n";
    } else {
      input += "{\"id\":\"k" + std::to_string(rng() % 50) + "\",\"i\":" + std::to_string(i) + "}\n";
    }
  }

  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  std::thread writer([&] {
    std::mt19937_64 wrng(11);
    size_t at = 0;
    while (at < input.size()) {
      size_t n = std::min<size_t>(input.size() - at, 1 + wrng() % 300);
      ssize_t w = ::write(fds[1], input.data() + at, n);
      if (w <= 0) break;
      at += static_cast<size_t>(w);
    }
    ::close(fds[1]);
  });

  std::vector<uint64_t> acks;
  IngestOptions options;
  options.source = "pipe";
  options.chunk_bytes = 64;
  options.on_ack = [&](uint64_t n) { acks.push_back(n); };
  Result<IngestSummary> summary = IngestFromFd(table_, fds[0], options);
  writer.join();
  ::close(fds[0]);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();

  const std::vector<std::string> lines = SplitLines(input);
  uint64_t non_empty = 0, bytes = 0;
  for (const std::string& l : lines) {
    non_empty += !l.empty();
    bytes += l.size();
  }
  EXPECT_EQ(summary->lines, lines.size());
  EXPECT_EQ(summary->acked, non_empty);
  EXPECT_EQ(summary->bytes, bytes);
  EXPECT_EQ(summary->malformed, 4u);
  EXPECT_EQ(summary->missing_key, 4u);

  EXPECT_GT(acks.size(), 50u);  // many commits
  EXPECT_TRUE(std::is_sorted(acks.begin(), acks.end()));
  ASSERT_FALSE(acks.empty());
  EXPECT_EQ(acks.back(), lines.size());

  ExpectStoredEqualsInput(ReadAll(*table_), input, "pipe", "");
}

TEST_F(IngestTest, LongLineGrowsTheBuffer) {
  const std::string big = "{\"id\":\"big\",\"pad\":\"" + std::string(300000, 'z') + "\"}";
  const std::string input = "{\"id\":1}\n" + big + "\n{\"id\":3}\n";
  IngestOptions options;
  options.source = "s";
  options.chunk_bytes = 64;
  Result<IngestSummary> summary = IngestFromFd(table_, InputFile(input), options);
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_EQ(summary->acked, 3u);
  ExpectStoredEqualsInput(ReadAll(*table_), input, "s", "");
}

TEST_F(IngestTest, LineOverTheLimitIsRefusedNamingIt) {
  const std::string input =
      "{\"id\":1}\n{\"id\":2}\n{\"id\":\"" + std::string(5000, 'x') + "\"}\n{\"id\":4}\n";
  std::vector<uint64_t> acks;
  IngestOptions options;
  options.source = "file:big.jsonl";
  options.chunk_bytes = 64;
  options.max_line_bytes = 256;
  options.on_ack = [&](uint64_t n) { acks.push_back(n); };
  Result<IngestSummary> summary = IngestFromFd(table_, InputFile(input), options);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(summary.status().message(), HasSubstr("file:big.jsonl line 3 "));
  EXPECT_THAT(summary.status().message(), HasSubstr("256 bytes"));
  // What was acknowledged is durable; the refused line and what follows are not stored.
  ASSERT_FALSE(acks.empty());
  EXPECT_EQ(acks.back(), 2u);
  std::vector<Stored> stored = ReadAll(*table_);
  ASSERT_EQ(stored.size(), 2u);
  ExpectStoredEqualsInput(stored, "{\"id\":1}\n{\"id\":2}\n", "file:big.jsonl", "");
}

// A line only a little longer than max_line_bytes is refused too, even when it fits in the
// read buffer.
TEST_F(IngestTest, LineSlightlyOverTheLimitIsRefused) {
  for (size_t chunk : {size_t{64}, size_t{4096}}) {
    SCOPED_TRACE(chunk);
    const std::string input = "{\"id\":1}\n{\"id\":\"" + std::string(120, 'x') + "\"}\n";
    IngestOptions options;
    options.source = "s";
    options.chunk_bytes = chunk;
    options.max_line_bytes = 100;
    Result<IngestSummary> summary = IngestFromFd(table_, InputFile(input), options);
    ASSERT_FALSE(summary.ok());
    EXPECT_THAT(summary.status().message(), HasSubstr("line 2 "));
  }
}

TEST_F(IngestTest, ReadErrorIsReported) {
  int fd = ::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);  // read → EISDIR
  ASSERT_GE(fd, 0);
  fds_.push_back(fd);
  IngestOptions options;
  options.source = "file:dir";
  Result<IngestSummary> summary = IngestFromFd(table_, fd, options);
  ASSERT_FALSE(summary.ok());
  EXPECT_EQ(summary.status().code(), StatusCode::kIOError);
  EXPECT_THAT(summary.status().message(), HasSubstr("file:dir"));
}

TEST_F(IngestTest, SecondIngestAppendsAfterTheFirst) {
  IngestOptions options;
  options.source = "s";
  ASSERT_TRUE(IngestFromFd(table_, InputFile("{\"id\":\"k\",\"n\":1}\n"), options).ok());
  ASSERT_TRUE(IngestFromFd(table_, InputFile("{\"id\":\"k\",\"n\":2}\n"), options).ok());
  std::vector<Stored> stored = ReadAll(*table_);
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].offset, 0u);
  EXPECT_EQ(stored[1].offset, 1u);
  EXPECT_EQ(stored[1].payload, "{\"id\":\"k\",\"n\":2}");
  EXPECT_EQ(stored[1].source_position, "1");  // line numbers are per input
}

// --- IngestBody ---

TEST_F(IngestTest, BodyIsStoredWithHttpSourceAndPrefixedPositions) {
  Result<BodyIngest> r = IngestBody(table_, kMixed, "http", "req-9:");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->summary.lines, 9u);
  EXPECT_EQ(r->summary.acked, 7u);
  EXPECT_EQ(r->summary.malformed, 1u);
  EXPECT_EQ(r->summary.missing_key, 3u);
  EXPECT_EQ(r->summary.bytes, kMixed.size() - 8u);

  std::vector<Stored> stored = ReadAll(*table_);
  ExpectStoredEqualsInput(stored, kMixed, "http", "req-9:");

  // The ack names where each partition's records went.
  ASSERT_EQ(r->ack.first_offsets.size(), 4u);
  ASSERT_EQ(r->ack.counts.size(), 4u);
  uint32_t total = 0;
  for (uint32_t p = 0; p < 4; ++p) {
    uint32_t in_p = static_cast<uint32_t>(std::count_if(
        stored.begin(), stored.end(), [&](const Stored& s) { return s.partition == p; }));
    EXPECT_EQ(r->ack.counts[p], in_p);
    EXPECT_EQ(r->ack.first_offsets[p], in_p ? 0 : -1);
    total += r->ack.counts[p];
  }
  EXPECT_EQ(total, 7u);
}

TEST_F(IngestTest, BodyOffsetsFollowEarlierAppends) {
  const std::string body = "{\"id\":\"same\",\"n\":1}\n{\"id\":\"same\",\"n\":2}\n";
  const uint32_t p = PartitionForKey("same", 4);
  Result<BodyIngest> first = IngestBody(table_, body, "http", "a:");
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  Result<BodyIngest> second = IngestBody(table_, body, "http", "b:");
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(first->ack.first_offsets[p], 0);
  EXPECT_EQ(second->ack.first_offsets[p], 2);
  EXPECT_EQ(second->ack.counts[p], 2u);
  std::vector<Stored> stored = ReadAll(*table_);
  ASSERT_EQ(stored.size(), 4u);
  EXPECT_EQ(stored[2].source_position, "b:1");
  EXPECT_EQ(stored[3].source_position, "b:2");
}

TEST_F(IngestTest, EmptyAndBlankBodies) {
  for (std::string_view body : {std::string_view(""), std::string_view("\n\n\n")}) {
    Result<BodyIngest> r = IngestBody(table_, body, "http", "x:");
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->summary.acked, 0u);
    EXPECT_EQ(r->summary.lines, body.size());
  }
  EXPECT_TRUE(ReadAll(*table_).empty());
}

TEST_F(IngestTest, BodyIsNotReadPastItsEnd) {
  // The body views the middle of a larger buffer: bytes after it are not part of the body.
  const std::string buffer = "{\"id\":1}\n{\"id\":2}GARBAGE";
  Result<BodyIngest> r = IngestBody(table_, std::string_view(buffer).substr(0, 17), "http", "r:");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->summary.acked, 2u);
  EXPECT_EQ(r->summary.malformed, 0u);
  ExpectStoredEqualsInput(ReadAll(*table_), "{\"id\":1}\n{\"id\":2}", "http", "r:");
}

}  // namespace
}  // namespace strata::api
