// ingest_bench: end-to-end throughput of durable ingest and sequential read.
//
//   build/ingest_bench [--events N] [--runs R] [--dir DIR] [--compression none|zstd|lz4]
//                      [--partitions N] [--key FIELD]
//
// Setup (not timed): N order events (about 150 bytes each, api::OrderGenerator, seed 42) are
// written to a JSON-lines file in a scratch directory created under DIR (default /tmp) and
// removed at the end.
//
// Each run:
//   ingest  api::IngestFromFd of that file into a fresh table of a fresh store: read, JSON
//           validation and key extraction (simdjson), partitioning, batch encoding (and
//           compression), CRC32C, write and fdatasync by group commit. Timed from the call to
//           its return, when every record is durable. Figures are of input bytes. Ingest
//           parses the next chunk on the calling thread while the previous one is written
//           and synced on a second thread, so the process's CPU time (getrusage) is reported
//           too: events per CPU-second is the throughput of one fully busy core.
//   read    log::PartitionReader over every partition of that table from offset 0, every
//           batch checksum-verified and decoded. The segment files were just written, so
//           they are read from the page cache. GB/s are of stored (segment) bytes and, with
//           compression, also of the records' payload bytes.
//   parse   format::LineBatcher over the same input held in memory (no log, no I/O): the
//           JSON share of the ingest time.
// The median over runs is reported, with min and max, as a table and as JSON lines.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/ingest.h"
#include "api/order_generator.h"
#include "common/crc32c.h"
#include "common/status.h"
#include "format/json_lines.h"
#include "log/batch.h"
#include "log/reader.h"
#include "log/store.h"
#include "log/table.h"

namespace strata::bench {
namespace {

struct Flags {
  uint64_t events = 1'000'000;
  int runs = 5;
  std::string dir = "/tmp";
  log::Codec codec = log::Codec::kNone;
  uint32_t partitions = 4;
  std::string key = "order_id";
};

[[noreturn]] void Die(const std::string& message) {
  std::fprintf(stderr, "ingest_bench: %s\n", message.c_str());
  std::exit(1);
}

void CheckOk(const Status& s, const char* what) {
  if (!s.ok()) Die(std::string(what) + ": " + s.ToString());
}

void Usage() {
  std::fprintf(stderr,
               "usage: ingest_bench [--events N] [--runs R] [--dir DIR] "
               "[--compression none|zstd|lz4] [--partitions N] [--key FIELD]\n"
               "  --events N       order events to ingest (default 1000000)\n"
               "  --runs R         runs; the median is reported (default 5)\n"
               "  --dir DIR        parent of the scratch directory (default /tmp); the scratch\n"
               "                   directory is removed at the end\n"
               "  --compression C  table codec (default none)\n"
               "  --partitions N   table partitions (default 4)\n"
               "  --key FIELD      table key field (default order_id; \"\" for keyless)\n");
}

uint64_t ParseCount(std::string_view flag, const char* text, uint64_t min, uint64_t max) {
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min || v > max) {
    Die(std::string(flag) + " expects an integer in [" + std::to_string(min) + ", " +
        std::to_string(max) + "], got '" + text + "'");
  }
  return v;
}

Flags ParseFlags(int argc, char** argv) {
  Flags f;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      Usage();
      std::exit(0);
    }
    std::string_view name = arg;
    const char* value = nullptr;
    if (size_t eq = arg.find('='); arg.starts_with("--") && eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = argv[i] + eq + 1;
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    if (value == nullptr) {
      Usage();
      Die("missing value for " + std::string(arg));
    }
    if (name == "--events") {
      f.events = ParseCount(name, value, 1, 1'000'000'000);
    } else if (name == "--runs") {
      f.runs = static_cast<int>(ParseCount(name, value, 1, 1000));
    } else if (name == "--dir") {
      f.dir = value;
    } else if (name == "--compression") {
      auto codec = log::ParseCodec(value);
      CheckOk(codec.status(), "--compression");
      f.codec = *codec;
    } else if (name == "--partitions") {
      f.partitions = static_cast<uint32_t>(ParseCount(name, value, 1, log::kMaxPartitions));
    } else if (name == "--key") {
      f.key = value;
    } else {
      Usage();
      Die("unknown flag " + std::string(name));
    }
  }
  return f;
}

double Seconds() {
  using Clock = std::chrono::steady_clock;
  return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

// --- The machine. ---

std::string ProcField(const char* file, std::string_view field) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with(field)) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "unknown";
}

std::string FileSystemType(const std::string& path) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0) return "unknown";
  switch (static_cast<uint64_t>(st.f_type)) {
    case 0xEF53:
      return "ext2/3/4";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x01021994:
      return "tmpfs (memory: fdatasync is free)";
    case 0x794C7630:
      return "overlayfs";
    case 0x2FC12FC1:
      return "zfs";
    default: {
      char hex[32];
      std::snprintf(hex, sizeof(hex), "0x%llx", static_cast<unsigned long long>(st.f_type));
      return hex;
    }
  }
}

struct Machine {
  std::string cpu;
  unsigned cores = 0;
  std::string memory;
  std::string kernel;
  bool crc32c_hw = false;
  std::string fs;
};

Machine DescribeMachine(const std::string& dir) {
  Machine m;
  m.cpu = ProcField("/proc/cpuinfo", "model name");
  m.cores = std::thread::hardware_concurrency();
  // "24684096 kB"
  m.memory = ProcField("/proc/meminfo", "MemTotal");
  if (unsigned long long kb = std::strtoull(m.memory.c_str(), nullptr, 10); kb > 0) {
    char gib[32];
    std::snprintf(gib, sizeof(gib), "%.1f GiB", kb / 1048576.0);
    m.memory = gib;
  }
  struct utsname u;
  m.kernel = ::uname(&u) == 0 ? std::string(u.sysname) + " " + u.release : "unknown";
  m.crc32c_hw = crc32c::IsHardwareAccelerated();
  m.fs = FileSystemType(dir);
  return m;
}

// --- Figures. ---

struct Stat {
  double median = 0, min = 0, max = 0;
};

Stat Summarize(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  Stat s;
  s.min = v.front();
  s.max = v.back();
  size_t n = v.size();
  s.median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return s;
}

struct Figure {
  std::string bench;   // "ingest", "read", "parse"
  std::string metric;  // "events_per_s", ...
  std::string unit;
  Stat stat;
};

// --- The work. ---

struct Input {
  std::string path;
  uint64_t bytes = 0;
};

Input WriteInput(const std::string& dir, uint64_t events) {
  Input in;
  in.path = dir + "/orders.jsonl";
  std::FILE* f = std::fopen(in.path.c_str(), "wb");
  if (f == nullptr) Die("cannot create " + in.path + ": " + std::strerror(errno));
  api::OrderGenerator gen(api::OrderGeneratorOptions{});
  std::string buf;
  for (uint64_t i = 0; i < events; ++i) {
    gen.Next(&buf);
    if (buf.size() >= (1u << 20) || i + 1 == events) {
      if (std::fwrite(buf.data(), 1, buf.size(), f) != buf.size()) Die("write " + in.path);
      in.bytes += buf.size();
      buf.clear();
    }
  }
  if (std::fclose(f) != 0) Die("close " + in.path);
  return in;
}

// The input in memory, followed by format::kPadding zero bytes.
std::string ReadPadded(const Input& input) {
  std::string s(input.bytes + format::kPadding, '\0');
  std::FILE* f = std::fopen(input.path.c_str(), "rb");
  if (f == nullptr || std::fread(s.data(), 1, input.bytes, f) != input.bytes) {
    Die("cannot read " + input.path);
  }
  std::fclose(f);
  return s;
}

// CPU time of the whole process (user, system) in seconds.
struct CpuTime {
  double user = 0, sys = 0;
};

CpuTime ProcessCpu() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return {s(ru.ru_utime), s(ru.ru_stime)};
}

struct IngestRun {
  double seconds = 0;
  double user = 0, sys = 0;  // CPU seconds of the process during the run
  uint64_t groups = 0;
  uint64_t stored_bytes = 0;
  uint32_t segments = 0;
};

struct ReadRun {
  double seconds = 0;
  uint64_t records = 0;
  uint64_t payload_bytes = 0;
};

IngestRun Ingest(const Flags& flags, const Input& input, log::Table* table) {
  int fd = ::open(input.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) Die("cannot open " + input.path + ": " + std::strerror(errno));
  IngestRun run;
  api::IngestOptions options;
  options.source = "file:orders.jsonl";
  options.on_ack = [&run](uint64_t) { ++run.groups; };
  CpuTime cpu0 = ProcessCpu();
  double start = Seconds();
  auto summary = api::IngestFromFd(table, fd, options);
  run.seconds = Seconds() - start;
  CpuTime cpu1 = ProcessCpu();
  run.user = cpu1.user - cpu0.user;
  run.sys = cpu1.sys - cpu0.sys;
  ::close(fd);
  CheckOk(summary.status(), "IngestFromFd");
  if (summary->acked != flags.events || summary->malformed != 0 || summary->missing_key != 0) {
    Die("ingest stored " + summary->ToJson() + ", expected " + std::to_string(flags.events) +
        " clean records");
  }
  for (uint32_t p = 0; p < table->partition_count(); ++p) {
    log::PartitionStats st = table->partition(p).Stats();
    run.stored_bytes += st.bytes;
    run.segments += st.segments;
  }
  return run;
}

ReadRun Read(const Flags& flags, log::Table* table) {
  ReadRun run;
  double start = Seconds();
  for (uint32_t p = 0; p < table->partition_count(); ++p) {
    log::PartitionReader reader(table->partition(p), 0);
    log::RecordView r;
    while (true) {
      auto more = reader.Next(&r);
      CheckOk(more.status(), "PartitionReader::Next");
      if (!*more) break;
      ++run.records;
      run.payload_bytes += r.payload.size();
    }
  }
  run.seconds = Seconds() - start;
  if (run.records != flags.events) {
    Die("read " + std::to_string(run.records) + " records, expected " +
        std::to_string(flags.events));
  }
  return run;
}

// The JSON share of ingest: LineBatcher over the input in memory, in 4 MiB chunks (as
// IngestFromFd reads it), records() included (it computes the partitions).
// `text` must be followed by format::kPadding readable bytes.
double Parse(const Flags& flags, std::string_view text) {
  constexpr size_t kChunk = 4u << 20;
  format::LineBatcher batcher(flags.key, flags.partitions, "file:orders.jsonl");
  uint64_t records = 0;
  double start = Seconds();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = std::min(text.size(), pos + kChunk);
    if (end < text.size()) {
      size_t nl = text.rfind('\n', end - 1);
      end = nl == std::string_view::npos || nl < pos ? text.size() : nl + 1;
    }
    batcher.AddLines(text.substr(pos, end - pos), batcher.lines() + 1);
    records += batcher.records().size();
    batcher.Clear();
    pos = end;
  }
  double seconds = Seconds() - start;
  if (records != flags.events) Die("parse produced " + std::to_string(records) + " records");
  return seconds;
}

void PrintFigureJson(const Flags& flags, const Machine& m, const Figure& f) {
  std::printf(
      "{\"bench\":\"%s\",\"metric\":\"%s\",\"median\":%.6g,\"min\":%.6g,\"max\":%.6g,"
      "\"events\":%llu,\"runs\":%d,\"compression\":\"%s\",\"partitions\":%u,\"key\":\"%s\","
      "\"cpu\":\"%s\",\"cores\":%u}\n",
      f.bench.c_str(), f.metric.c_str(), f.stat.median, f.stat.min, f.stat.max,
      static_cast<unsigned long long>(flags.events), flags.runs, log::CodecName(flags.codec),
      flags.partitions, flags.key.c_str(), m.cpu.c_str(), m.cores);
}

int Main(int argc, char** argv) {
  Flags flags = ParseFlags(argc, argv);
  std::error_code ec;
  std::filesystem::create_directories(flags.dir, ec);
  std::string pattern = flags.dir + "/strata-bench-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    Die("cannot create a scratch directory under " + flags.dir + ": " + std::strerror(errno));
  }
  const std::string scratch = pattern;
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    }
  } cleanup{scratch};

  Machine m = DescribeMachine(scratch);
  std::printf("machine: %s, %u cores, %s RAM, %s\n", m.cpu.c_str(), m.cores, m.memory.c_str(),
              m.kernel.c_str());
  std::printf("crc32c: %s\n", m.crc32c_hw ? "hardware (SSE4.2 crc32)" : "software table");
  std::printf("scratch: %s (%s)\n", scratch.c_str(), m.fs.c_str());

  Input input = WriteInput(scratch, flags.events);
  std::printf(
      "input: %llu order events, %.1f MB, %.1f bytes/event; table: %u partitions, key '%s', "
      "compression %s; %d runs\n\n",
      static_cast<unsigned long long>(flags.events), input.bytes / 1e6,
      static_cast<double>(input.bytes) / flags.events, flags.partitions, flags.key.c_str(),
      log::CodecName(flags.codec), flags.runs);
  const std::string text = ReadPadded(input);
  const std::string_view lines(text.data(), input.bytes);

  std::vector<double> ingest_eps, ingest_mbs, ingest_user, ingest_sys, ingest_per_cpu, read_rps,
      read_gbs, read_payload_gbs, parse_eps, parse_mbs;
  std::printf("%4s %12s %8s %6s %6s %12s %7s %10s %12s %9s %12s\n", "run", "ingest ev/s", "MB/s",
              "user%", "sys%", "ev/cpu-s", "groups", "stored MB", "read rec/s", "GB/s",
              "parse ev/s");
  for (int run = 0; run < flags.runs; ++run) {
    const std::string store_dir = scratch + "/store-" + std::to_string(run);
    IngestRun in;
    ReadRun rd;
    {
      log::StoreOptions options;
      auto store = log::Store::Open(store_dir, options);
      CheckOk(store.status(), "Store::Open");
      log::TableConfig config;
      config.partitions = flags.partitions;
      config.key_field = flags.key;
      config.codec = flags.codec;
      auto table = (*store)->CreateTable("orders", config);
      CheckOk(table.status(), "CreateTable");
      in = Ingest(flags, input, *table);
      rd = Read(flags, *table);
    }
    double parse_s = Parse(flags, lines);
    std::filesystem::remove_all(store_dir, ec);

    ingest_eps.push_back(flags.events / in.seconds);
    ingest_mbs.push_back(input.bytes / in.seconds / 1e6);
    ingest_user.push_back(100 * in.user / in.seconds);
    ingest_sys.push_back(100 * in.sys / in.seconds);
    ingest_per_cpu.push_back(flags.events / (in.user + in.sys));
    read_rps.push_back(rd.records / rd.seconds);
    read_gbs.push_back(in.stored_bytes / rd.seconds / 1e9);
    read_payload_gbs.push_back(rd.payload_bytes / rd.seconds / 1e9);
    parse_eps.push_back(flags.events / parse_s);
    parse_mbs.push_back(input.bytes / parse_s / 1e6);
    std::printf("%4d %12.0f %8.1f %6.1f %6.1f %12.0f %7llu %10.1f %12.0f %9.2f %12.0f\n", run + 1,
                ingest_eps.back(), ingest_mbs.back(), ingest_user.back(), ingest_sys.back(),
                ingest_per_cpu.back(), static_cast<unsigned long long>(in.groups),
                in.stored_bytes / 1e6, read_rps.back(), read_gbs.back(), parse_eps.back());
    std::fflush(stdout);
  }

  std::vector<Figure> figures = {
      {"ingest", "events_per_s", "events/s", Summarize(ingest_eps)},
      {"ingest", "input_mb_per_s", "MB/s", Summarize(ingest_mbs)},
      {"ingest", "user_cpu_pct", "% of wall", Summarize(ingest_user)},
      {"ingest", "sys_cpu_pct", "% of wall", Summarize(ingest_sys)},
      {"ingest", "events_per_cpu_s", "events per CPU-second (one busy core)",
       Summarize(ingest_per_cpu)},
      {"read", "records_per_s", "records/s", Summarize(read_rps)},
      {"read", "stored_gb_per_s", "GB/s (segment bytes)", Summarize(read_gbs)},
      {"read", "payload_gb_per_s", "GB/s (record payloads)", Summarize(read_payload_gbs)},
      {"parse", "events_per_s", "events/s", Summarize(parse_eps)},
      {"parse", "input_mb_per_s", "MB/s", Summarize(parse_mbs)},
  };
  std::printf("\n%-7s %-16s %14s %14s %14s\n", "bench", "metric", "median", "min", "max");
  for (const Figure& f : figures) {
    std::printf("%-7s %-16s %14.4g %14.4g %14.4g  %s\n", f.bench.c_str(), f.metric.c_str(),
                f.stat.median, f.stat.min, f.stat.max, f.unit.c_str());
  }
  auto median = [&figures](std::string_view bench, std::string_view metric) {
    for (const Figure& f : figures) {
      if (f.bench == bench && f.metric == metric) return f.stat.median;
    }
    return 0.0;
  };
  auto verdict = [](bool met) { return met ? "met" : "MISSED"; };
  std::printf(
      "\ntargets (medians): durable ingest >= 1M events/s, and per CPU-second: %s; reads >= 1 "
      "GB/s: "
      "%s of stored bytes, %s of payload bytes\n",
      verdict(std::min(median("ingest", "events_per_s"), median("ingest", "events_per_cpu_s")) >=
              1e6),
      verdict(median("read", "stored_gb_per_s") >= 1.0),
      verdict(median("read", "payload_gb_per_s") >= 1.0));
  std::printf("(read figures are from the page cache: the segments were just written)\n\n");
  for (const Figure& f : figures)
    PrintFigureJson(flags, m, f);
  return 0;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  return strata::bench::Main(argc, argv);
}
