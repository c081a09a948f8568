#include "log/batch.h"

#include <gtest/gtest.h>

#include <random>

#include "common/coding.h"

namespace strata::log {
namespace {

std::vector<AppendRecord> SampleRecords(std::vector<std::string>* storage, int n) {
  storage->clear();
  for (int i = 0; i < n; ++i)
    storage->push_back("{\"i\":" + std::to_string(i) + ",\"pad\":\"" + std::string(i % 50, 'x') +
                       "\"}");
  std::vector<AppendRecord> records;
  for (int i = 0; i < n; ++i) {
    AppendRecord r;
    r.key = i % 3 == 0 ? "" : "key";
    r.payload = (*storage)[i];
    r.source = "file:x";
    r.source_position = "12";
    r.op = static_cast<Operation>(i % 4);
    r.schema_version = static_cast<uint32_t>(i);
    r.flags = static_cast<uint8_t>(i % 4);
    records.push_back(r);
  }
  return records;
}

class BatchCodecTest : public ::testing::TestWithParam<Codec> {};

TEST_P(BatchCodecTest, RoundTripsEveryField) {
  std::vector<std::string> storage;
  auto records = SampleRecords(&storage, 200);
  BatchBuilder b(1000);
  for (size_t i = 0; i < records.size(); ++i)
    b.Add(records[i], 5'000'000 + static_cast<Micros>(i * 3));
  std::string bytes;
  b.Finish(GetParam(), &bytes);
  ASSERT_TRUE(BatchChecksumMatches(bytes));
  auto h = ParseBatchHeader(bytes);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->base_offset, 1000u);
  EXPECT_EQ(h->record_count, 200u);
  EXPECT_EQ(h->first_ts, 5'000'000);
  EXPECT_EQ(h->max_ts, 5'000'000 + 199 * 3);
  EXPECT_EQ(h->total_length, bytes.size());
  if (GetParam() != Codec::kNone) {
    EXPECT_EQ(h->codec, GetParam());  // the payloads compress
  }
  std::string scratch;
  std::vector<RecordView> out;
  ASSERT_TRUE(DecodeBatch(bytes, &scratch, &out, "test").ok());
  ASSERT_EQ(out.size(), records.size());
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i].offset, 1000 + i);
    EXPECT_EQ(out[i].ingest_time, 5'000'000 + static_cast<Micros>(i * 3));
    EXPECT_EQ(out[i].key, records[i].key);
    EXPECT_EQ(out[i].payload, records[i].payload);
    EXPECT_EQ(out[i].source, records[i].source);
    EXPECT_EQ(out[i].source_position, records[i].source_position);
    EXPECT_EQ(out[i].op, records[i].op);
    EXPECT_EQ(out[i].schema_version, records[i].schema_version);
    EXPECT_EQ(out[i].flags, records[i].flags);
  }
}

INSTANTIATE_TEST_SUITE_P(Codecs, BatchCodecTest,
                         ::testing::Values(Codec::kNone, Codec::kZstd, Codec::kLz4));

TEST(BatchTest, IncompressibleBodyIsStoredPlain) {
  std::mt19937 rng(1);
  std::string noise(3000, '\0');
  for (char& c : noise)
    c = static_cast<char>(rng());
  AppendRecord r;
  r.payload = noise;
  BatchBuilder b(0);
  b.Add(r, 1);
  std::string bytes;
  b.Finish(Codec::kZstd, &bytes);
  EXPECT_EQ(ParseBatchHeader(bytes)->codec, Codec::kNone);
}

TEST(BatchTest, EveryHeaderBitFlipIsCaughtByTheChecksum) {
  std::vector<std::string> storage;
  auto records = SampleRecords(&storage, 5);
  BatchBuilder b(7);
  for (auto& r : records)
    b.Add(r, 10);
  std::string bytes;
  b.Finish(Codec::kNone, &bytes);
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      bool caught = !BatchChecksumMatches(bad) ||
                    (bad.size() >= kBatchHeaderSize && !ParseBatchHeader(bad).ok());
      EXPECT_TRUE(caught) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(BatchTest, HeaderSanityChecks) {
  std::vector<std::string> storage;
  auto records = SampleRecords(&storage, 1);
  BatchBuilder b(0);
  b.Add(records[0], 1);
  std::string bytes;
  b.Finish(Codec::kNone, &bytes);
  auto with = [&](size_t pos, uint32_t v) {
    std::string s = bytes;
    EncodeFixed32(s.data() + pos, v);
    return ParseBatchHeader(s).status();
  };
  EXPECT_TRUE(with(4, 10).IsCorruption());  // shorter than a header
  // Fewer bytes than a header (found by ondisk_fuzz: it aborted on an assertion).
  EXPECT_TRUE(ParseBatchHeader(bytes.substr(0, kBatchHeaderSize - 1)).status().IsCorruption());
  std::string scratch;
  std::vector<RecordView> out;
  EXPECT_TRUE(DecodeBatch(bytes.substr(0, 5), &scratch, &out, "t").IsCorruption());
  EXPECT_TRUE(with(4, kMaxBatchBytes + 1).IsCorruption());  // absurd length
  EXPECT_TRUE(with(16, 0).IsCorruption());                  // zero records
  EXPECT_TRUE(with(16, 4000000000u).IsCorruption());        // more records than the body holds
  std::string v2 = bytes;
  v2[20] = 2;
  EXPECT_TRUE(ParseBatchHeader(v2).status().IsCorruption());
  std::string codec = bytes;
  codec[21] = 9;
  EXPECT_TRUE(ParseBatchHeader(codec).status().IsCorruption());
}

TEST(BatchTest, DecodeRejectsBodiesThatDoNotMatchTheHeader) {
  std::vector<std::string> storage;
  auto records = SampleRecords(&storage, 3);
  BatchBuilder b(0);
  for (auto& r : records)
    b.Add(r, 1);
  std::string bytes;
  b.Finish(Codec::kNone, &bytes);
  std::string scratch;
  std::vector<RecordView> out;
  // Claim one more record than the body holds.
  std::string more = bytes;
  EncodeFixed32(more.data() + 16, 4);
  EXPECT_TRUE(DecodeBatch(more, &scratch, &out, "t").IsCorruption());
  // Claim one record fewer: trailing bytes.
  std::string fewer = bytes;
  EncodeFixed32(fewer.data() + 16, 2);
  EXPECT_TRUE(DecodeBatch(fewer, &scratch, &out, "t").IsCorruption());
}

TEST(BatchTest, RandomBodiesNeverCrashTheDecoder) {
  std::mt19937 rng(99);
  std::string scratch;
  std::vector<RecordView> out;
  int decoded = 0, refused = 0;
  for (int iter = 0; iter < 2000; ++iter) {
    BatchBuilder b(0);
    AppendRecord r;
    r.payload = "x";
    b.Add(r, 1);
    std::string bytes;
    b.Finish(static_cast<Codec>(iter % 3), &bytes);
    size_t body = rng() % 200;
    bytes.resize(kBatchHeaderSize + body);
    for (size_t i = kBatchHeaderSize; i < bytes.size(); ++i)
      bytes[i] = static_cast<char>(rng());
    EncodeFixed32(bytes.data() + 4, static_cast<uint32_t>(bytes.size()));
    EncodeFixed32(bytes.data() + 16, 1 + rng() % 5);
    EncodeFixed32(bytes.data() + 40, static_cast<uint32_t>(rng() % 400));
    // Either the body decodes to exactly record_count records that lie within the bytes
    // (or the decompressed scratch), or the batch is reported as corrupt, naming the place.
    Status s = DecodeBatch(bytes, &scratch, &out, "fuzz");
    if (s.ok()) {
      ++decoded;
      ASSERT_EQ(out.size(), DecodeFixed32(bytes.data() + 16));
      for (const RecordView& r : out) {
        for (std::string_view part : {r.key, r.source, r.source_position, r.payload}) {
          const bool in_bytes =
              part.empty() || (part.data() >= bytes.data() &&
                               part.data() + part.size() <= bytes.data() + bytes.size());
          const bool in_scratch =
              part.empty() || (part.data() >= scratch.data() &&
                               part.data() + part.size() <= scratch.data() + scratch.size());
          ASSERT_TRUE(in_bytes || in_scratch) << "iteration " << iter;
        }
      }
    } else {
      ++refused;
      ASSERT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
      ASSERT_NE(s.message().find("fuzz"), std::string::npos) << s.ToString();
    }
  }
  EXPECT_EQ(decoded + refused, 2000);
  EXPECT_GT(refused, 1000) << "random bodies nearly never decode";
}

}  // namespace
}  // namespace strata::log
