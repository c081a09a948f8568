// The whole-process crash loop: `strata ingest --acks` is killed with SIGKILL at random
// moments, over and over, on one data directory; every restart runs recovery. An independent
// checker reads the tables back through `strata log` (a separate, read-only process) and
// verifies the durability contract against what the test generated:
//
//   - every acknowledged line is present exactly once, byte for byte;
//   - no record is duplicated, and every record is a generated line (no garbage), with its
//     key, source and source position;
//   - per partition, offsets are 0..n-1, records are in input order (cycle, then line), a
//     key never changes partition, and the stored lines of one run are a prefix of the
//     run's lines for that partition (no holes; unacknowledged lines may be present);
//   - what a check saw stays: every later check sees it at the same place.
//
// SIGKILL keeps the page cache, so this test does not cover lost fsyncs; the fault-injection
// tests do. Environment: STRATA_CRASH_CYCLES, the number of kills (default 60);
// STRATA_SEED, the seed of the generated input and of the kill choices (printed), which
// repeats a run as far as the kill timing allows.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "testing/seeds.h"
#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata {
namespace {

using Clock = std::chrono::steady_clock;
using testing::ProcessResult;

constexpr int kKeys = 50;
constexpr size_t kIngestChunk = 4u << 20;  // ingest commits per 4 MiB of input

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : fallback;
}

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// ---- what the test generates --------------------------------------------------------------

enum class LineKind : uint8_t { kValid, kMalformed, kBlank };

struct Line {
  uint32_t begin, size;  // in IngestRun::text, without the '\n'
  int16_t key;           // 0..kKeys-1; -1 when the line has no key (malformed or blank)
  LineKind kind;
};

// One ingest run: its input file and what became of it.
struct IngestRun {
  int cycle = 0;
  std::string table, path, text;
  std::vector<Line> lines;
  uint64_t acked = 0;  // the last acked_lines printed: lines [0, acked) are durable
  bool finished = false;

  std::string_view payload(size_t i) const {
    return std::string_view(text).substr(lines[i].begin, lines[i].size);
  }
};

std::string KeyName(int16_t key) {
  return key < 0 ? "" : "k" + std::to_string(key);
}

// Fills run->text and run->lines with `n` fresh lines: JSON objects
// {"id":"k<0..49>","cycle":c,"seq":i,"pad":"..."} whose pad mixes ASCII, multi-byte UTF-8
// and JSON escapes; a few are cut short (malformed), end in "\r" or are blank.
void Generate(std::mt19937_64& rng, uint64_t n, IngestRun* run) {
  static const char* const kTokens[] = {"a", "b",  "Z",     "7",     " ",     "é",     "€",
                                        "𝄞", "日", R"(\\)", R"(\")", R"(\n)", R"(\t)", R"(\u00e9)"};
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  run->text.clear();
  run->lines.clear();
  for (uint64_t i = 0; i < n; ++i) {
    Line line;
    line.begin = static_cast<uint32_t>(run->text.size());
    uint64_t roll = uniform(0, 999);
    line.kind = roll < 2 ? LineKind::kBlank : roll < 7 ? LineKind::kMalformed : LineKind::kValid;
    int16_t key = static_cast<int16_t>(uniform(0, kKeys - 1));
    line.key = line.kind == LineKind::kValid ? key : -1;
    if (line.kind != LineKind::kBlank) {
      std::string& t = run->text;
      t += R"({"id":")" + KeyName(key) + R"(","cycle":)" + std::to_string(run->cycle) +
           R"(,"seq":)" + std::to_string(i) + R"(,"pad":")";
      for (uint64_t len = uniform(0, 160), k = 0; k < len; ++k) {
        const uint64_t r = rng();  // mostly ASCII letters, sometimes UTF-8 or an escape
        t += r % 10 < 7 ? kTokens[(r >> 8) % 5] : kTokens[5 + (r >> 8) % 9];
      }
      t += '"';
      if (line.kind == LineKind::kValid) t += '}';  // malformed lines lack the closing brace
      if (line.kind == LineKind::kValid && uniform(0, 99) == 0) t += '\r';
    }
    line.size = static_cast<uint32_t>(run->text.size() - line.begin);
    run->text += '\n';
    run->lines.push_back(line);
  }
}

// The bytes of a table's segment files (what its partitions have written).
uint64_t SegmentBytes(const std::string& table_dir) {
  uint64_t bytes = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(table_dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->path().extension() != ".log") continue;
    std::error_code size_ec;
    uint64_t size = std::filesystem::file_size(it->path(), size_ec);
    if (!size_ec) bytes += size;
  }
  return bytes;
}

void WriteFile(const std::string& path, std::string_view bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(f.good()) << path;
}

// ---- the independent checker --------------------------------------------------------------

// The unsigned number after `field` (e.g. "\"seq\":") in `text`.
std::optional<uint64_t> NumberAfter(std::string_view text, std::string_view field) {
  size_t at = text.find(field);
  if (at == std::string_view::npos) return std::nullopt;
  const char* begin = text.data() + at + field.size();
  uint64_t v;
  auto [end, ec] = std::from_chars(begin, text.data() + text.size(), v);
  if (ec != std::errc() || end == begin) return std::nullopt;
  return v;
}

struct StoredRecord {
  int cycle;
  uint64_t seq;
};

class Checker {
 public:
  Checker(std::string strata, std::string data)
      : strata_(std::move(strata)), data_(std::move(data)) {}

  // Checks `table` against `runs` (every run so far, of every table). `label` names the
  // check in failure messages.
  void Check(const std::string& table, const std::vector<IngestRun>& runs,
             const std::string& label) {
    SCOPED_TRACE(label + ", table " + table);
    std::map<int, const IngestRun*> by_cycle;
    bool any_acked = false;
    for (const IngestRun& r : runs) {
      if (r.table != table) continue;
      by_cycle[r.cycle] = &r;
      any_acked |= r.acked > 0;
    }
    ProcessResult log = testing::RunProcess({strata_, "log", "--data", data_, "--table", table});
    if (log.exit_code != 0 && !any_acked && log.err.find("does not exist") != std::string::npos) {
      return;  // every run of the table was killed before it was created
    }
    ASSERT_EQ(log.exit_code, 0) << log.err;
    ProcessResult stats =
        testing::RunProcess({strata_, "log", "stats", "--data", data_, "--table", table, "--json"});
    ASSERT_EQ(stats.exit_code, 0) << stats.err;

    std::map<int, std::vector<uint8_t>> seen;  // cycle -> times each line was seen
    for (const auto& [cycle, r] : by_cycle) {
      seen[cycle].assign(r->lines.size(), 0);
    }
    std::map<uint64_t, std::vector<StoredRecord>> partitions;
    std::map<std::string, uint64_t>& partition_of_key = partition_of_key_[table];
    simdjson::dom::parser parser;
    std::string_view out = log.out;
    uint64_t records = 0;
    while (!out.empty()) {
      size_t nl = out.find('\n');
      ASSERT_NE(nl, std::string_view::npos) << "unterminated output line";
      std::string_view line = out.substr(0, nl);
      out.remove_prefix(nl + 1);
      ++records;
      simdjson::dom::element doc;
      ASSERT_EQ(parser.parse(line.data(), line.size()).get(doc), simdjson::SUCCESS) << line;
      uint64_t partition, offset;
      std::string_view key, source, position, payload;
      ASSERT_EQ(doc["partition"].get(partition), simdjson::SUCCESS) << line;
      ASSERT_EQ(doc["offset"].get(offset), simdjson::SUCCESS) << line;
      ASSERT_EQ(doc["key"].get(key), simdjson::SUCCESS) << line;
      ASSERT_EQ(doc["source"].get(source), simdjson::SUCCESS) << line;
      ASSERT_EQ(doc["source_position"].get(position), simdjson::SUCCESS) << line;
      ASSERT_EQ(doc["payload"].get(payload), simdjson::SUCCESS) << "not a generated line: " << line;
      std::vector<StoredRecord>& stored = partitions[partition];
      ASSERT_EQ(offset, stored.size())
          << "offsets of partition " << partition << " are not contiguous from 0: " << line;

      // The record is one generated line, byte for byte, with its metadata.
      auto cycle = NumberAfter(payload, R"("cycle":)");
      auto seq = NumberAfter(payload, R"("seq":)");
      ASSERT_TRUE(cycle && seq) << "garbage record: " << line;
      auto run = by_cycle.find(static_cast<int>(*cycle));
      ASSERT_TRUE(run != by_cycle.end() && *seq < run->second->lines.size())
          << "no such generated line: " << line;
      const IngestRun& r = *run->second;
      ASSERT_EQ(payload, r.payload(*seq)) << "payload differs: " << line;
      ASSERT_NE(r.lines[*seq].kind, LineKind::kBlank);
      ASSERT_EQ(key, KeyName(r.lines[*seq].key)) << line;
      ASSERT_EQ(source, "file:" + r.path) << line;
      ASSERT_EQ(position, std::to_string(*seq + 1)) << line;
      ASSERT_EQ(++seen[r.cycle][*seq], 1) << "duplicated: " << line;

      // Input order per partition; a key keeps its partition (also across checks).
      if (!stored.empty()) {
        const StoredRecord& prev = stored.back();
        ASSERT_LT(std::make_pair(prev.cycle, prev.seq), std::make_pair(r.cycle, *seq))
            << "out of order in partition " << partition << ": " << line;
      }
      auto [it, fresh] = partition_of_key.emplace(std::string(key), partition);
      ASSERT_EQ(it->second, partition) << "key '" << key << "' moved partitions: " << line;
      stored.push_back({r.cycle, *seq});
    }

    // Every acknowledged line is there.
    for (const auto& [cycle, r] : by_cycle) {
      for (uint64_t i = 0; i < r->acked; ++i) {
        if (r->lines[i].kind == LineKind::kBlank) continue;
        ASSERT_TRUE(seen[cycle][i])
            << "acked line lost: cycle " << cycle << " line " << i + 1 << " (acked " << r->acked
            << " of " << r->lines.size() << "): " << r->payload(i);
      }
    }
    // No holes: per partition, the stored lines of a run are a prefix of its lines there.
    for (const auto& [partition, stored] : partitions) {
      std::map<int, uint64_t> last_seq;
      for (const StoredRecord& s : stored)
        last_seq[s.cycle] = s.seq;
      for (const auto& [cycle, last] : last_seq) {
        const IngestRun& r = *by_cycle[cycle];
        for (uint64_t i = 0; i < last; ++i) {
          if (r.lines[i].kind == LineKind::kBlank) continue;
          auto p = partition_of_key.find(KeyName(r.lines[i].key));
          if (p == partition_of_key.end() || p->second != partition) continue;
          ASSERT_TRUE(seen[cycle][i])
              << "hole in partition " << partition << ": cycle " << cycle << " line " << i + 1
              << " is missing but line " << last + 1 << " is there";
        }
      }
    }
    // What an earlier check saw is still there, at the same offsets.
    std::map<uint64_t, std::vector<StoredRecord>>& before = last_seen_[table];
    for (const auto& [partition, old] : before) {
      const std::vector<StoredRecord>& now = partitions[partition];
      ASSERT_GE(now.size(), old.size()) << "partition " << partition << " lost records";
      for (size_t i = 0; i < old.size(); ++i) {
        ASSERT_TRUE(now[i].cycle == old[i].cycle && now[i].seq == old[i].seq)
            << "partition " << partition << " offset " << i << " changed";
      }
    }
    before = partitions;

    // `log stats` agrees with the log.
    simdjson::dom::parser stats_parser;
    simdjson::dom::element doc;
    ASSERT_EQ(stats_parser.parse(stats.out).get(doc), simdjson::SUCCESS) << stats.out;
    simdjson::dom::array parts;
    ASSERT_EQ(doc["partitions"].get(parts), simdjson::SUCCESS) << stats.out;
    uint64_t total = 0;
    for (simdjson::dom::element p : parts) {
      uint64_t partition = 0, start = 1, end = 0, count = 0;
      ASSERT_EQ(p["partition"].get(partition), simdjson::SUCCESS);
      ASSERT_EQ(p["start_offset"].get(start), simdjson::SUCCESS);
      ASSERT_EQ(p["end_offset"].get(end), simdjson::SUCCESS);
      ASSERT_EQ(p["records"].get(count), simdjson::SUCCESS);
      EXPECT_EQ(start, 0u);
      EXPECT_EQ(end, partitions[partition].size()) << "partition " << partition;
      EXPECT_EQ(count, partitions[partition].size()) << "partition " << partition;
      total += count;
    }
    EXPECT_EQ(total, records);

    uint64_t unacked = 0;
    for (const auto& [cycle, r] : by_cycle) {
      for (uint64_t i = r->acked; i < r->lines.size(); ++i)
        unacked += seen[cycle][i];
    }
    records_[table] = records;
    unacked_present_[table] = unacked;
  }

  // Totals over the tables at their last check: records, and records of lines never acked.
  uint64_t records() const { return Sum(records_); }
  uint64_t unacked_present() const { return Sum(unacked_present_); }

 private:
  const std::string strata_, data_;
  std::map<std::string, std::map<std::string, uint64_t>> partition_of_key_;
  std::map<std::string, std::map<uint64_t, std::vector<StoredRecord>>> last_seen_;
  std::map<std::string, uint64_t> records_, unacked_present_;

  static uint64_t Sum(const std::map<std::string, uint64_t>& m) {
    uint64_t n = 0;
    for (const auto& [table, v] : m)
      n += v;
    return n;
  }
};

// ---- the loop -----------------------------------------------------------------------------

// Reads {"acked_lines": N} and the summary from ingest's stdout lines.
void ReadIngestLine(std::string_view line, IngestRun* run) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(line.data(), line.size()).get(doc), simdjson::SUCCESS) << line;
  uint64_t n;
  if (doc["acked_lines"].get(n) == simdjson::SUCCESS) {
    ASSERT_GE(n, run->acked) << "acks went back";
    ASSERT_LE(n, run->lines.size());
    run->acked = n;
    return;
  }
  ASSERT_EQ(doc["lines"].get(n), simdjson::SUCCESS) << "neither an ack nor a summary: " << line;
  ASSERT_EQ(n, run->lines.size()) << line;
  ASSERT_EQ(run->acked, n) << "the summary came before the last ack";
  run->finished = true;
}

TEST(CrashTest, SigkillDuringIngestLosesNoAckedRecord) {
  const uint64_t cycles = EnvOr("STRATA_CRASH_CYCLES", 60);
  // One seed: fixed, STRATA_SEED=N, or the first of STRATA_SEEDS=K drawn (testing/seeds.h).
  const uint64_t seed = testing::Seeds(6000, 1).front();
  std::printf("crash test: %llu kills, seed %llu (repeat with STRATA_SEED=%llu)\n",
              static_cast<unsigned long long>(cycles), static_cast<unsigned long long>(seed),
              static_cast<unsigned long long>(seed));
  RecordProperty("seed", std::to_string(seed));
  SCOPED_TRACE(testing::SeedTrace(seed));
  std::mt19937_64 rng(seed);
  auto uniform = [&](uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };

  testing::TempDir tmp;
  const std::string data = tmp.Sub("data");
  Checker checker(STRATA_BINARY, data);
  std::vector<IngestRun> runs;
  const Clock::time_point test_start = Clock::now();

  // How long an ingest takes: startup + bytes * seconds_per_byte, learned from the runs
  // that finish. Kill moments are drawn from that range.
  double startup = 0.005, seconds_per_byte = 5e-9;
  int finished = 0, before_first_ack = 0, between_acks = 0, after_last_ack = 0;
  int recoveries = 0, torn_tails = 0;
  int kills_timed = 0, kills_by_growth = 0, kills_after_ack = 0;
  // Bytes a table's segments grow by per input byte, learned from the runs that finish.
  std::map<std::string, double> growth = {{"t", 1.2}, {"tz", 0.4}};
  Clock::duration generating{}, ingesting{}, checking{};

  auto check_all = [&](const std::string& label) {
    for (const char* table : {"t", "tz"}) {
      checker.Check(table, runs, label);
      if (::testing::Test::HasFatalFailure()) return;
    }
  };

  // Cycle c ingests a fresh file into table t (even c) or tz (odd c, zstd batches) and most
  // often kills the ingest, until `cycles` kills have landed. Then one clean run: after all
  // the crashes, the directory still works.
  for (uint64_t c = 0;; ++c) {
    const int killed = before_first_ack + between_acks + after_last_ack;
    const bool last = static_cast<uint64_t>(killed) >= cycles;
    ASSERT_LT(c, 3 * cycles + 20) << "too few kills landed: " << killed;
    IngestRun& run = runs.emplace_back();
    run.cycle = static_cast<int>(c);
    run.table = c % 2 == 0 ? "t" : "tz";
    run.path = tmp.Sub("input " + std::to_string(c) + ".jsonl");
    const bool big = uniform(0, 4) == 0;
    const Clock::time_point generate_start = Clock::now();
    Generate(rng, big ? uniform(25000, 45000) : uniform(200, 3000), &run);
    WriteFile(run.path, run.text);
    generating += Clock::now() - generate_start;
    SCOPED_TRACE("cycle " + std::to_string(c) + " (" + std::to_string(run.lines.size()) +
                 " lines, " + std::to_string(run.text.size()) + " bytes)");

    std::vector<std::string> argv = {STRATA_BINARY, "ingest", "--data", data,    "--table",
                                     run.table,     "--key",  "id",     "--acks"};
    if (run.table == "tz") argv.insert(argv.end(), {"--compression", "zstd"});
    argv.push_back(run.path);

    // How to end it: let it finish (10%); kill it at a random moment of its expected run
    // time (30%); kill it once the table's segment files have grown by a random part of what
    // the run will write, i.e. mid-commit: between batch writes or before the fdatasync
    // (30%); or read its k-th ack first, then kill it by growth within the rest (30%; input
    // of one chunk has one ack, at the end: by growth instead).
    const uint64_t commits = run.text.size() / kIngestChunk + 1;
    const uint64_t mode = c < 2 || last ? 0 : uniform(0, 9);
    const double expected = startup + seconds_per_byte * static_cast<double>(run.text.size());
    const std::string table_dir = data + "/tables/" + run.table;
    const uint64_t bytes_before = SegmentBytes(table_dir);
    const Clock::time_point start = Clock::now();
    testing::Subprocess ingest(argv);
    // Kills the ingest once the segments have grown by a random part of what `input_bytes`
    // more input will write (or when it is done).
    auto kill_by_growth = [&](uint64_t input_bytes) {
      const uint64_t from = SegmentBytes(table_dir);
      const double will_write = growth[run.table] * static_cast<double>(input_bytes);
      const uint64_t target = from + uniform(1, static_cast<uint64_t>(will_write) + 1);
      const Clock::time_point deadline = Clock::now() + std::chrono::seconds(60);
      while (SegmentBytes(table_dir) < target && Clock::now() < deadline) {
        ingest.Pump(std::chrono::microseconds(50));
        if (ingest.out().find("\"lines\"") != std::string::npos) break;  // the summary: done
      }
      ingest.Kill(SIGKILL);
    };
    if (mode >= 1 && mode <= 3) {
      ingest.Pump(std::chrono::microseconds(uniform(0, static_cast<uint64_t>(expected * 1.3e6))));
      ingest.Kill(SIGKILL);
      ++kills_timed;
    } else if ((mode >= 4 && mode <= 6) || (mode >= 7 && commits == 1)) {
      kill_by_growth(run.text.size());
      ++kills_by_growth;
    } else if (mode >= 7) {
      uint64_t k = uniform(1, commits - 1);
      std::string line;
      while (run.acked < run.lines.size() && !run.finished) {
        if (!ingest.ReadLine(&line, std::chrono::seconds(60))) break;
        ASSERT_NO_FATAL_FAILURE(ReadIngestLine(line, &run));
        if (--k == 0) break;
      }
      const uint64_t done = run.acked < run.lines.size() ? run.lines[run.acked].begin : 0;
      kill_by_growth(run.text.size() - done);
      ++kills_after_ack;
    }
    ProcessResult result = ingest.Wait(std::chrono::seconds(120));
    const double took = Seconds(Clock::now() - start);
    ingesting += Clock::now() - start;
    ASSERT_FALSE(result.timed_out) << result.err;
    // Only complete lines count: the last one may have been cut by the kill.
    std::string_view out = result.out;
    while (out.find('\n') != std::string_view::npos) {
      size_t nl = out.find('\n');
      ASSERT_NO_FATAL_FAILURE(ReadIngestLine(out.substr(0, nl), &run));
      out.remove_prefix(nl + 1);
    }
    for (size_t at = 0; (at = result.err.find("strata: recovery:", at)) != std::string::npos;
         ++at) {
      ++recoveries;
    }
    for (size_t at = 0; (at = result.err.find("torn tail", at)) != std::string::npos; ++at) {
      ++torn_tails;
    }

    if (result.exit_code == 0) {
      ASSERT_TRUE(run.finished) << "exit 0 without a summary: " << result.out;
      ++finished;
      const uint64_t bytes_after = SegmentBytes(table_dir);
      if (bytes_after > bytes_before) {
        growth[run.table] =
            0.5 * growth[run.table] + 0.5 * static_cast<double>(bytes_after - bytes_before) /
                                          static_cast<double>(run.text.size());
      }
      // Learn the run time (crudely: small runs teach the startup, big ones the rate).
      if (run.text.size() < (256u << 10)) {
        startup = 0.7 * startup + 0.3 * took;
      } else {
        double rate = std::max(0.0, took - startup) / static_cast<double>(run.text.size());
        seconds_per_byte = 0.7 * seconds_per_byte + 0.3 * rate;
      }
    } else {
      ASSERT_EQ(result.term_signal, SIGKILL)
          << "ingest failed on its own (exit " << result.exit_code << "): " << result.err;
      ASSERT_FALSE(last);
      if (run.acked == 0) {
        ++before_first_ack;
      } else if (run.acked < run.lines.size()) {
        ++between_acks;
      } else {
        ++after_last_ack;
      }
    }
    if (last) {
      ASSERT_TRUE(run.finished) << result.err;
    }

    if (c % 15 == 14 || last) {
      const Clock::time_point check_start = Clock::now();
      ASSERT_NO_FATAL_FAILURE(check_all("check after cycle " + std::to_string(c)));
      checking += Clock::now() - check_start;
    }
    if (last) break;
  }

  uint64_t lines = 0, acked = 0;
  for (const IngestRun& r : runs) {
    lines += r.lines.size();
    acked += r.acked;
  }
  std::printf(
      "crash test: %llu kills in %zu runs, %.1f s (generating %.1f s, ingesting %.1f s, checking "
      "%.1f s)\n"
      "  kills sent: %d timed, %d by segment growth, %d after an ack\n"
      "  outcome: %d finished; killed %d before the first ack, %d between acks, %d after the "
      "last ack\n"
      "  recovery: %d reports, %d torn tails truncated\n"
      "  lines: %llu generated, %llu acked; final check: %llu records, %llu of them never acked\n"
      "  learned: startup %.1f ms, %.1f ns per input byte\n",
      static_cast<unsigned long long>(cycles), runs.size(), Seconds(Clock::now() - test_start),
      Seconds(generating), Seconds(ingesting), Seconds(checking), kills_timed, kills_by_growth,
      kills_after_ack, finished, before_first_ack, between_acks, after_last_ack, recoveries,
      torn_tails, static_cast<unsigned long long>(lines), static_cast<unsigned long long>(acked),
      static_cast<unsigned long long>(checker.records()),
      static_cast<unsigned long long>(checker.unacked_present()), startup * 1e3,
      seconds_per_byte * 1e9);
}

}  // namespace
}  // namespace strata
