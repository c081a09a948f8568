// The CLI contract, tested against the real `strata` binary: what `strata ingest`, `strata
// log` and `strata log stats` print, how they fail, and that one process at a time writes a
// data directory.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "testing/log_util.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::ProcessResult;
using ::testing::StartsWith;

ProcessResult Strata(std::vector<std::string> args, std::string_view input = {}) {
  args.insert(args.begin(), STRATA_BINARY);
  return testing::RunProcess(args, input);
}

// Everything about a result, for failure messages.
std::string Describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + " signal " + std::to_string(r.term_signal) +
         (r.timed_out ? " (timed out)" : "") + "\nstdout: " + r.out + "\nstderr: " + r.err;
}

using log::testing::SplitLines;

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// The input lines, each followed by '\n'.
std::string JoinLines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& l : lines)
    text += l + "\n";
  return text;
}

std::string Base64Decode(std::string_view in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=') break;
    size_t v = kAlphabet.find(c);
    if (v == std::string::npos) return "<invalid base64>";
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

// ---- parsing what strata prints -------------------------------------------------------------

// A JSON object parsed from one output line; Has/U64/Str fail the test when a field is
// absent or of the wrong type.
class Json {
 public:
  explicit Json(std::string_view line) : text_(line) {
    simdjson::dom::element doc;
    if (auto error = parser_.parse(text_).get(doc); error) {
      ADD_FAILURE() << "not JSON (" << simdjson::error_message(error) << "): " << line;
      return;
    }
    if (doc.get_object().get(object_) != simdjson::SUCCESS) {
      ADD_FAILURE() << "not a JSON object: " << line;
      return;
    }
    valid_ = true;
  }

  bool valid() const { return valid_; }
  bool Has(std::string_view key) const {
    simdjson::dom::element e;
    return valid_ && object_[key].get(e) == simdjson::SUCCESS;
  }
  // The field's value; fails the test (and returns a null element) when it is absent.
  simdjson::dom::element Get(std::string_view key) const {
    simdjson::dom::element e;
    if (valid_ && object_[key].get(e) != simdjson::SUCCESS) {
      ADD_FAILURE() << "no field \"" << key << "\" in " << text_;
    }
    return e;
  }
  uint64_t U64(std::string_view key) const {
    uint64_t v = 0;
    if (Has(key) && Get(key).get_uint64().get(v) != simdjson::SUCCESS) {
      ADD_FAILURE() << "\"" << key << "\" is not an unsigned integer in " << text_;
    } else if (!Has(key)) {
      Get(key);
    }
    return v;
  }
  double Double(std::string_view key) const {
    double v = 0;
    if (Has(key) && Get(key).get_double().get(v) != simdjson::SUCCESS) {
      ADD_FAILURE() << "\"" << key << "\" is not a number in " << text_;
    } else if (!Has(key)) {
      Get(key);
    }
    return v;
  }
  std::string Str(std::string_view key) const {
    std::string_view v;
    if (Has(key) && Get(key).get_string().get(v) != simdjson::SUCCESS) {
      ADD_FAILURE() << "\"" << key << "\" is not a string in " << text_;
    } else if (!Has(key)) {
      Get(key);
    }
    return std::string(v);
  }
  bool Bool(std::string_view key) const {
    bool v = false;
    if (Has(key) && Get(key).get_bool().get(v) != simdjson::SUCCESS) {
      ADD_FAILURE() << "\"" << key << "\" is not a boolean in " << text_;
    }
    return v;
  }
  bool IsNull(std::string_view key) const { return Has(key) && Get(key).is_null(); }
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::object object_;
  bool valid_ = false;
};

struct Summary {
  uint64_t acked = 0, malformed = 0, missing_key = 0, lines = 0, bytes = 0;
  double seconds = -1;
};

Summary ParseSummary(std::string_view line) {
  Json j(line);
  Summary s;
  s.acked = j.U64("acked");
  s.malformed = j.U64("malformed");
  s.missing_key = j.U64("missing_key");
  s.lines = j.U64("lines");
  s.bytes = j.U64("bytes");
  s.seconds = j.Double("seconds");
  return s;
}

// One line of `strata log`.
struct LogLine {
  uint64_t partition = 0, offset = 0;
  std::string ingest_time, key, source, source_position, op;
  std::optional<std::string> payload;         // null when not valid UTF-8
  std::optional<std::string> payload_base64;  // present only then
  bool malformed = false, missing_key = false;
};

std::vector<LogLine> ParseLog(std::string_view out) {
  std::vector<LogLine> records;
  for (const std::string& line : SplitLines(out)) {
    Json j(line);
    if (!j.valid()) continue;
    LogLine r;
    r.partition = j.U64("partition");
    r.offset = j.U64("offset");
    r.ingest_time = j.Str("ingest_time");
    r.key = j.Str("key");
    r.source = j.Str("source");
    r.source_position = j.Str("source_position");
    r.op = j.Str("op");
    if (!j.IsNull("payload")) r.payload = j.Str("payload");
    if (j.Has("payload_base64")) r.payload_base64 = j.Str("payload_base64");
    if (j.Has("malformed")) {
      EXPECT_TRUE(j.Bool("malformed")) << "malformed is printed only when true: " << line;
      r.malformed = true;
    }
    if (j.Has("missing_key")) {
      EXPECT_TRUE(j.Bool("missing_key")) << "missing_key is printed only when true: " << line;
      r.missing_key = true;
    }
    records.push_back(std::move(r));
  }
  return records;
}

struct PartitionStats {
  uint64_t partition, start_offset, end_offset, records, bytes, segments;
};

std::vector<PartitionStats> ParseStats(std::string_view out, const std::string& table) {
  std::vector<std::string> lines = SplitLines(out);
  EXPECT_EQ(lines.size(), 1u) << out;
  if (lines.empty()) return {};
  Json j(lines[0]);
  EXPECT_EQ(j.Str("table"), table);
  std::vector<PartitionStats> stats;
  simdjson::dom::array parts;
  if (j.Get("partitions").get_array().get(parts) != simdjson::SUCCESS) {
    ADD_FAILURE() << "\"partitions\" is not an array: " << out;
    return stats;
  }
  for (simdjson::dom::element p : parts) {
    Json pj(simdjson::minify(p));
    stats.push_back({pj.U64("partition"), pj.U64("start_offset"), pj.U64("end_offset"),
                     pj.U64("records"), pj.U64("bytes"), pj.U64("segments")});
  }
  return stats;
}

// ---- the fixture --------------------------------------------------------------------------

class CliTest : public ::testing::Test {
 protected:
  // A data directory and an input file whose paths contain spaces.
  std::string data() const { return tmp_.Sub("data dir"); }
  std::string Input(std::string_view name, std::string_view bytes) {
    std::string path = tmp_.Sub("in put " + std::string(name));
    WriteFile(path, bytes);
    return path;
  }

  // Runs `strata ingest` and returns its summary, failing the test unless it succeeds with
  // exactly one line of output.
  Summary Ingest(std::vector<std::string> args, std::string_view input = {}) {
    std::vector<std::string> all = {"ingest", "--data", data()};
    all.insert(all.end(), args.begin(), args.end());
    ProcessResult r = Strata(all, input);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    std::vector<std::string> lines = SplitLines(r.out);
    EXPECT_EQ(lines.size(), 1u) << "ingest prints one line: " << r.out;
    EXPECT_TRUE(r.out.ends_with("\n")) << r.out;
    return lines.empty() ? Summary{} : ParseSummary(lines.back());
  }

  std::vector<LogLine> Log(const std::string& table, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"log", "--data", data(), "--table", table};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Strata(args);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return ParseLog(r.out);
  }

  std::vector<PartitionStats> Stats(const std::string& table) {
    ProcessResult r = Strata({"log", "stats", "--data", data(), "--table", table, "--json"});
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    return ParseStats(r.out, table);
  }

  testing::TempDir tmp_;
};

// ---- ingest -------------------------------------------------------------------------------

TEST_F(CliTest, IngestFilePrintsOneLineSummaryAndCreatesFourPartitions) {
  std::vector<std::string> lines;
  uint64_t bytes = 0;
  for (int i = 0; i < 200; ++i) {
    lines.push_back(R"({"order_id":"o)" + std::to_string(i % 37) + R"(","n":)" + std::to_string(i) +
                    "}");
    bytes += lines.back().size();
  }
  std::string file = Input("orders.jsonl", JoinLines(lines));
  const auto started = std::chrono::steady_clock::now();
  Summary s = Ingest({"--table", "orders", "--key", "order_id", file});
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(s.acked, 200u);
  EXPECT_EQ(s.lines, 200u);
  EXPECT_EQ(s.malformed, 0u);
  EXPECT_EQ(s.missing_key, 0u);
  EXPECT_EQ(s.bytes, bytes);
  EXPECT_GE(s.seconds, 0);     // the command's own measure of its work:
  EXPECT_LE(s.seconds, wall);  // within the time the process ran

  std::vector<PartitionStats> stats = Stats("orders");
  ASSERT_EQ(stats.size(), 4u);
  uint64_t records = 0;
  for (size_t p = 0; p < stats.size(); ++p) {
    EXPECT_EQ(stats[p].partition, p);
    EXPECT_EQ(stats[p].start_offset, 0u);
    EXPECT_EQ(stats[p].records, stats[p].end_offset - stats[p].start_offset);
    EXPECT_GE(stats[p].segments, 1u);
    records += stats[p].records;
  }
  EXPECT_EQ(records, 200u);
  EXPECT_EQ(Log("orders").size(), 200u);
}

TEST_F(CliTest, IngestReadsStdinWithDashOrWithoutFile) {
  std::string a = JoinLines({R"({"id":1})", R"({"id":2})", ""});  // a blank line: no record
  std::string b = R"({"id":3})"
                  "\n"
                  R"({"id":4})";  // no final '\n'
  Summary s1 = Ingest({"--table", "t", "--key", "id", "-"}, a);
  EXPECT_EQ(s1.lines, 3u);
  EXPECT_EQ(s1.acked, 2u);
  Summary s2 = Ingest({"--table", "t"}, b);
  EXPECT_EQ(s2.lines, 2u);
  EXPECT_EQ(s2.acked, 2u);

  std::vector<LogLine> log = Log("t");
  ASSERT_EQ(log.size(), 4u);
  std::set<std::string> payloads;
  for (const LogLine& r : log) {
    EXPECT_EQ(r.source, "stdin");
    payloads.insert(r.payload.value_or("<null>"));
  }
  EXPECT_EQ(payloads,
            (std::set<std::string>{R"({"id":1})", R"({"id":2})", R"({"id":3})", R"({"id":4})"}));
}

TEST_F(CliTest, AcksPrecedeTheSummaryAndEndAtTheLineCount) {
  // About 10 MB: ingest commits per 4 MiB of input, so several acks.
  std::string text;
  uint64_t lines = 0;
  while (text.size() < (10u << 20)) {
    text += R"({"order_id":"k)" + std::to_string(lines % 101) + R"(","seq":)" +
            std::to_string(lines) + R"(,"pad":")" + std::string(lines % 160, 'x') + "\"}\n";
    ++lines;
  }
  text += "\n";  // a blank line counts as a line, not as a record
  ++lines;
  std::string file = Input("big.jsonl", text);
  ProcessResult r =
      Strata({"ingest", "--data", data(), "--table", "t", "--key", "order_id", "--acks", file});
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  std::vector<std::string> out = SplitLines(r.out);
  ASSERT_GE(out.size(), 3u) << "expected several acks: " << r.out;
  uint64_t last = 0;
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    Json j(out[i]);
    EXPECT_TRUE(j.Has("acked_lines")) << out[i];
    uint64_t acked = j.U64("acked_lines");
    EXPECT_GE(acked, last) << "acks never go back";
    last = acked;
  }
  EXPECT_EQ(last, lines);
  Summary s = ParseSummary(out.back());
  EXPECT_EQ(s.lines, lines);
  EXPECT_EQ(s.acked, lines - 1);
}

TEST_F(CliTest, MalformedAndKeylessLinesAreStoredCountedAndFlagged) {
  std::vector<std::string> lines = {
      R"({"order_id":"a","v":1})",
      R"({"order_id":"a","v":)",  // cut short
      R"(not json at all)",
      R"({"v":2})",                    // no key
      R"({"order_id":null})",          // null key counts as missing
      R"({"order_id":{"nested":1}})",  // so does an object
      R"({"order_id":"b"})",
  };
  std::string file = Input("mixed.jsonl", JoinLines(lines));
  Summary s = Ingest({"--table", "t", "--key", "order_id", file});
  EXPECT_EQ(s.lines, 7u);
  EXPECT_EQ(s.acked, 7u) << "nothing is lost";
  EXPECT_EQ(s.malformed, 2u);
  EXPECT_EQ(s.missing_key, 5u) << "malformed lines have no key either";

  std::map<std::string, LogLine> by_payload;
  for (LogLine& r : Log("t")) {
    ASSERT_TRUE(r.payload.has_value());
    by_payload[*r.payload] = r;
  }
  ASSERT_EQ(by_payload.size(), lines.size());
  auto flags = [&](const std::string& line) {
    const LogLine& r = by_payload[line];
    return std::make_pair(r.malformed, r.missing_key);
  };
  EXPECT_EQ(flags(lines[0]), std::make_pair(false, false));
  EXPECT_EQ(flags(lines[1]), std::make_pair(true, true));
  EXPECT_EQ(flags(lines[2]), std::make_pair(true, true));
  EXPECT_EQ(flags(lines[3]), std::make_pair(false, true));
  EXPECT_EQ(flags(lines[4]), std::make_pair(false, true));
  EXPECT_EQ(flags(lines[5]), std::make_pair(false, true));
  EXPECT_EQ(flags(lines[6]), std::make_pair(false, false));
  EXPECT_EQ(by_payload[lines[0]].key, "a");
  EXPECT_EQ(by_payload[lines[3]].key, "");
}

// ---- log ----------------------------------------------------------------------------------

TEST_F(CliTest, LogPrintsEveryFieldAndThePayloadByteForByte) {
  std::vector<std::string> lines = {
      R"({"order_id":"u1","name":"Zoë ✓ 日本 🎉"})",
      R"({"order_id":"u2","text":"say \"hi\" \\ back\\slash \u00e9 \/"})",
      "{\"order_id\":\"u3\",\t\"tab\":\"a\\tb\"}",  // a raw tab between fields
      "{\"order_id\":\"u4\",\"cr\":true}\r",        // CRLF line end: the '\r' is kept
      "  {\"order_id\" : \"u5\" }  ",               // whitespace around the object is kept
      "{\"order_id\":\"u6\",\"raw\":\"a\tb\"}",     // raw tab inside a string: malformed
  };
  std::string file = Input("unicode.jsonl", JoinLines(lines));
  const auto before = std::chrono::system_clock::now();
  Summary s = Ingest({"--table", "t", "--key", "order_id", file});
  EXPECT_EQ(s.acked, lines.size());
  EXPECT_EQ(s.malformed, 1u);

  std::vector<LogLine> log = Log("t");
  ASSERT_EQ(log.size(), lines.size());
  std::set<std::pair<uint64_t, uint64_t>> positions;
  for (const LogLine& r : log) {
    ASSERT_TRUE(r.payload.has_value());
    EXPECT_FALSE(r.payload_base64.has_value());
    EXPECT_LT(r.partition, 4u);
    positions.insert({r.partition, r.offset});
    // source_position is the 1-based line number in the input.
    size_t line_no = std::stoul(r.source_position);
    ASSERT_GE(line_no, 1u);
    ASSERT_LE(line_no, lines.size());
    EXPECT_EQ(*r.payload, lines[line_no - 1]) << "line " << line_no;
    // The malformed last line has no key (and its own flag); the others have theirs.
    bool last = line_no == lines.size();
    EXPECT_EQ(r.key, last ? "" : "u" + std::to_string(line_no)) << "line " << line_no;
    EXPECT_EQ(r.malformed, last) << "line " << line_no;
    EXPECT_EQ(r.missing_key, last) << "line " << line_no;
    EXPECT_EQ(r.source, "file:" + file);
    EXPECT_EQ(r.op, "c");
    EXPECT_THAT(r.ingest_time,
                MatchesRegex(R"(20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:)"
                             R"([0-6][0-9](\.[0-9]+)?Z)"));
  }
  EXPECT_EQ(positions.size(), lines.size()) << "(partition, offset) is unique";

  // The ingest time is UTC now: its day is the clock's day.
  auto utc_day = [](std::chrono::system_clock::time_point when) {
    std::time_t t = std::chrono::system_clock::to_time_t(when);
    std::tm utc;
    gmtime_r(&t, &utc);
    char day[16];
    std::strftime(day, sizeof(day), "%Y-%m-%dT", &utc);
    return std::string(day);
  };
  const std::string day_before = utc_day(before);
  const std::string day_after = utc_day(std::chrono::system_clock::now());
  EXPECT_TRUE(log[0].ingest_time.starts_with(day_before) ||
              log[0].ingest_time.starts_with(day_after))
      << log[0].ingest_time << " is not today (" << day_before << ")";
}

TEST_F(CliTest, LogSelectsPartitionFromAndLimit) {
  std::vector<std::string> lines;
  for (int i = 0; i < 400; ++i) {
    lines.push_back(R"({"id":"k)" + std::to_string(i % 23) + R"(","i":)" + std::to_string(i) + "}");
  }
  Ingest({"--table", "t", "--key", "id", Input("in.jsonl", JoinLines(lines))});
  std::vector<LogLine> all = Log("t");
  ASSERT_EQ(all.size(), 400u);
  // All partitions, in order, each from offset 0 with contiguous offsets.
  std::map<uint64_t, uint64_t> next;
  uint64_t last_partition = 0;
  for (const LogLine& r : all) {
    EXPECT_GE(r.partition, last_partition) << "partitions are printed in order";
    last_partition = r.partition;
    EXPECT_EQ(r.offset, next[r.partition]++) << "partition " << r.partition;
  }
  ASSERT_GE(next.size(), 2u) << "23 keys should spread over several partitions";

  auto payloads = [](const std::vector<LogLine>& records) {
    std::vector<std::string> out;
    for (const LogLine& r : records)
      out.push_back(r.payload.value_or("<null>"));
    return out;
  };
  auto filter = [&](auto pred) {
    std::vector<LogLine> out;
    std::copy_if(all.begin(), all.end(), std::back_inserter(out), pred);
    return out;
  };
  for (uint64_t p = 0; p < 4; ++p) {
    std::vector<LogLine> part = Log("t", {"--partition", std::to_string(p)});
    EXPECT_EQ(payloads(part), payloads(filter([&](const LogLine& r) { return r.partition == p; })))
        << "partition " << p;
  }
  std::vector<LogLine> from = Log("t", {"--from", "10"});
  EXPECT_EQ(payloads(from), payloads(filter([](const LogLine& r) { return r.offset >= 10; })));
  std::vector<LogLine> limited = Log("t", {"--limit", "7"});
  EXPECT_EQ(payloads(limited), payloads(std::vector<LogLine>(all.begin(), all.begin() + 7)));
  uint64_t p = all.back().partition;
  std::vector<LogLine> combined =
      Log("t", {"--partition", std::to_string(p), "--from", "3", "--limit", "5"});
  std::vector<LogLine> expected =
      filter([&](const LogLine& r) { return r.partition == p && r.offset >= 3; });
  expected.resize(std::min<size_t>(expected.size(), 5));
  EXPECT_EQ(payloads(combined), payloads(expected));
  EXPECT_TRUE(Log("t", {"--from", "100000"}).empty());

  ProcessResult bad = Strata({"log", "--data", data(), "--table", "t", "--partition", "4"});
  EXPECT_EQ(bad.exit_code, 1) << Describe(bad);
  EXPECT_THAT(bad.err, StartsWith("strata: error:"));
}

TEST_F(CliTest, OneKeyStaysInOnePartitionInInputOrderAcrossRuns) {
  constexpr int kKeys = 40;
  std::map<std::string, uint64_t> partition_of;
  for (int run = 0; run < 2; ++run) {
    std::vector<std::string> lines;
    for (int i = 0; i < 1000; ++i) {
      lines.push_back(R"({"user":{"id":"user-)" + std::to_string((i * 7 + run) % kKeys) +
                      R"("},"run":)" + std::to_string(run) + R"(,"i":)" + std::to_string(i) + "}");
    }
    Ingest(
        {"--table", "t", "--key", "user.id", Input("run" + std::to_string(run), JoinLines(lines))});
  }
  std::vector<LogLine> log = Log("t");
  ASSERT_EQ(log.size(), 2000u);
  std::map<std::string, std::pair<int, int>> last_seen;  // key -> (run, i)
  for (const LogLine& r : log) {
    ASSERT_TRUE(r.payload.has_value());
    ASSERT_THAT(r.key, StartsWith("user-"));
    auto [it, inserted] = partition_of.emplace(r.key, r.partition);
    EXPECT_EQ(it->second, r.partition) << "key " << r.key << " is in two partitions";
    Json j(*r.payload);
    int run = static_cast<int>(j.U64("run"));
    int i = static_cast<int>(j.U64("i"));
    auto seen = last_seen.find(r.key);
    if (seen != last_seen.end()) {
      EXPECT_LT(seen->second, std::make_pair(run, i)) << "key " << r.key << " out of order";
    }
    last_seen[r.key] = {run, i};
  }
  EXPECT_EQ(partition_of.size(), static_cast<size_t>(kKeys));
}

TEST_F(CliTest, InvalidUtf8PayloadIsPrintedAsBase64) {
  const std::string bad = "{\"order_id\":\"bin\",\"v\":\"\xff\xfe\"}";
  const std::string lone = "\xc3";  // a truncated two-byte sequence
  const std::string good = R"({"order_id":"ok"})";
  Summary s = Ingest({"--table", "t", "--key", "order_id"}, bad + "\n" + lone + "\n" + good);
  EXPECT_EQ(s.acked, 3u);
  std::vector<LogLine> log = Log("t");
  ASSERT_EQ(log.size(), 3u);
  std::set<std::string> raw;
  for (const LogLine& r : log) {
    if (r.payload) {
      EXPECT_EQ(*r.payload, good);
      EXPECT_FALSE(r.payload_base64.has_value());
    } else {
      ASSERT_TRUE(r.payload_base64.has_value()) << "payload null without payload_base64";
      EXPECT_TRUE(r.malformed) << "invalid UTF-8 is not valid JSON";
      raw.insert(Base64Decode(*r.payload_base64));
    }
  }
  EXPECT_EQ(raw, (std::set<std::string>{bad, lone}));
}

// ---- errors and help ----------------------------------------------------------------------

TEST_F(CliTest, UnknownTableIsAnErrorNamingIt) {
  Ingest({"--table", "orders"}, R"({"a":1})");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"log", "--data", data(), "--table", "no_such_table"},
        std::vector<std::string>{"log", "stats", "--data", data(), "--table", "no_such_table"}}) {
    ProcessResult r = Strata(args);
    EXPECT_EQ(r.exit_code, 1) << Describe(r);
    EXPECT_THAT(r.err, AllOf(StartsWith("strata: error:"), HasSubstr("no_such_table")));
    EXPECT_EQ(r.out, "");
  }
  ProcessResult r = Strata({"log", "--data", tmp_.Sub("nowhere"), "--table", "orders"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, AllOf(StartsWith("strata: error:"), HasSubstr("nowhere")));
}

TEST_F(CliTest, KeyMismatchNamesBothKeys) {
  Ingest({"--table", "t", "--key", "order_id"}, R"({"order_id":1})");
  ProcessResult r =
      Strata({"ingest", "--data", data(), "--table", "t", "--key", "customer_id"}, "{}\n");
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err,
              AllOf(StartsWith("strata: error:"), HasSubstr("order_id"), HasSubstr("customer_id")));
  EXPECT_EQ(r.out, "");
  // Nothing was written by the refused ingest; the same key, or none, is accepted.
  Ingest({"--table", "t", "--key", "order_id"}, R"({"order_id":2})");
  Ingest({"--table", "t"}, R"({"order_id":3})");
  EXPECT_EQ(Log("t").size(), 3u);
}

TEST_F(CliTest, InternalTablesRefuseIngest) {
  ProcessResult r = Strata({"ingest", "--data", data(), "--table", "_strata.side.x"}, "{}\n");
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, AllOf(StartsWith("strata: error:"), HasSubstr("_strata.side.x"),
                           HasSubstr("reserved")));
  EXPECT_FALSE(
      std::filesystem::exists(std::filesystem::path(data()) / "tables" / "_strata.side.x"));
}

TEST_F(CliTest, MissingInputFileLeavesNoTableBehind) {
  ProcessResult r = Strata({"ingest", "--data", data(), "--table", "t", "--key", "k",
                            "--partitions", "8", tmp_.Sub("no such file.jsonl")});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, AllOf(StartsWith("strata: error:"), HasSubstr("no such file.jsonl")));
  // A corrected command creates the table with its own settings.
  ProcessResult ok =
      Strata({"ingest", "--data", data(), "--table", "t", "--key", "k", "--partitions", "4"},
             "{\"k\":1}\n");
  EXPECT_EQ(ok.exit_code, 0) << Describe(ok);
}

TEST_F(CliTest, UsageErrorsExitWithTwo) {
  for (std::vector<std::string> args : {
           std::vector<std::string>{"ingest", "--table", "t"},
           std::vector<std::string>{"log", "--table", "t"},
           std::vector<std::string>{"log", "stats", "--table", "t"},
           std::vector<std::string>{"ingest", "--data", data()},  // no --table
           std::vector<std::string>{"ingest", "--data", data(), "--table", "t", "--nope"},
           std::vector<std::string>{"no-such-command"},
           std::vector<std::string>{},
       }) {
    ProcessResult r = Strata(args);
    EXPECT_EQ(r.exit_code, 2) << Describe(r);
    EXPECT_NE(r.err, "") << Describe(r);
  }
  ProcessResult r = Strata({"ingest", "--table", "t"});
  EXPECT_THAT(r.err, HasSubstr("--data"));
  EXPECT_FALSE(std::filesystem::exists(data())) << "a usage error touches nothing";
}

TEST_F(CliTest, EverySubcommandHasHelp) {
  const std::map<std::vector<std::string>, std::vector<std::string>> options = {
      {{"ingest"},
       {"--data", "--table", "--key", "--partitions", "--compression", "--acks", "FILE"}},
      {{"log"}, {"--data", "--table", "--partition", "--from", "--since", "--limit"}},
      {{"log", "stats"}, {"--json"}},
      {{"server"}, {"--data", "--pipeline", "--batch-every", "--listen", "--max-body", "--auth"}},
      {{"gen"}, {"--count", "--seed", "--malformed", "--missing-key"}},
      {{"demo"}, {"--data", "--duration", "--rate", "--listen", "--batch-every", "--keep"}},
      {{"check"}, {"FILE", "--data", "--format", "text", "json", "dot"}},
      {{"run"}, {"--data", "--pipeline", "--until-caught-up", "--batch-size"}},
      {{"batch"}, {"--data", "--pipeline", "VIEW", "--format"}},
      {{"query"},
       {"--data", "--server", "--token", "--token-file", "SQL", "--format", "--runtime"}},
      {{"versions"}, {"--data", "--server", "VIEW", "--json"}},
      {{"replay"},
       {"--data", "--server", "VIEW", "--pipeline", "--as", "--from-offset", "--from-checkpoint",
        "--rate"}},
      {{"validate"}, {"--data", "--server", "VIEW", "NAME", "--json"}},
      {{"cutover"}, {"--data", "--server", "VIEW", "NAME", "--json"}},
      {{"rollback"}, {"--data", "--server", "VIEW", "--json"}},
      {{"drift"}, {"--data", "--server", "VIEW", "--json"}},
      {{"status"}, {"--data", "--server", "--token"}},
      {{"products"}, {"--data", "--server", "--token", "--json"}},
      {{"token"}, {"create", "list", "revoke"}},
      {{"token", "create"}, {"--data", "--role", "--ingest", "--read", "--name", "--json"}},
      {{"token", "list"}, {"--data", "--json"}},
      {{"token", "revoke"}, {"--data", "ID"}},
  };
  for (const auto& [command, flags] : options) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    ProcessResult r = Strata(args);
    EXPECT_EQ(r.exit_code, 0) << Describe(r);
    for (const std::string& flag : flags) {
      EXPECT_THAT(r.out, HasSubstr(flag)) << command[0] << " --help";
    }
  }
  ProcessResult top = Strata({"--help"});
  EXPECT_EQ(top.exit_code, 0) << Describe(top);
  for (const char* sub :
       {"ingest", "log", "server", "gen", "demo", "check", "run", "batch", "query", "versions",
        "replay", "validate", "cutover", "rollback", "drift", "status", "token", "products"}) {
    EXPECT_THAT(top.out, HasSubstr(sub));
  }
}

// ---- one writer per data directory --------------------------------------------------------

TEST_F(CliTest, OneWriterPerDataDirectory) {
  // The first ingest reads stdin, which stays open: it holds the directory meanwhile.
  testing::Subprocess first(
      {STRATA_BINARY, "ingest", "--data", data(), "--table", "t", "--key", "id", "-"});
  first.Write(R"({"id":"a"})"
              "\n");
  const std::string lock_file = data() + "/LOCK";
  const std::string table_file = data() + "/tables/t/TABLE";
  const std::string pid = std::to_string(first.pid()) + "\n";
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!(ReadFile(lock_file) == pid && std::filesystem::exists(table_file))) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline)
        << "the first ingest never took the lock: " << first.err();
    first.Pump(std::chrono::milliseconds(5));
  }

  std::string file = Input("second.jsonl", R"({"id":"b"})"
                                           "\n");
  ProcessResult second = Strata({"ingest", "--data", data(), "--table", "t", "--key", "id", file});
  EXPECT_EQ(second.exit_code, 1) << Describe(second);
  EXPECT_THAT(second.err,
              AllOf(StartsWith("strata: error:"), HasSubstr("in use by another strata process"),
                    HasSubstr(std::to_string(first.pid()))));
  EXPECT_EQ(second.out, "");
  // Readers take no lock.
  ProcessResult stats = Strata({"log", "stats", "--data", data(), "--table", "t", "--json"});
  EXPECT_EQ(stats.exit_code, 0) << Describe(stats);

  first.Write(R"({"id":"c"})"
              "\n");
  first.CloseStdin();
  ProcessResult done = first.Wait();
  ASSERT_EQ(done.exit_code, 0) << Describe(done);
  EXPECT_EQ(ParseSummary(done.out).acked, 2u);

  // The directory is free again.
  Summary s = Ingest({"--table", "t", file});
  EXPECT_EQ(s.acked, 1u);
  std::set<std::string> payloads;
  for (const LogLine& r : Log("t"))
    payloads.insert(r.payload.value_or(""));
  EXPECT_EQ(payloads, (std::set<std::string>{R"({"id":"a"})", R"({"id":"b"})", R"({"id":"c"})"}));
}

}  // namespace
}  // namespace strata
