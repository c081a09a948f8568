#include "cli/cli.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <thread>

#include "api/command_output.h"
#include "api/http_server.h"
#include "api/ingest.h"
#include "api/order_generator.h"
#include "api/pipeline_commands.h"
#include "api/record_json.h"
#include "api/server.h"
#include "api/token_commands.h"
#include "common/json_writer.h"
#include "demo/demo.h"
#include "log/reader.h"
#include "log/store.h"

namespace strata::cli {

// The commands the CLI parses arguments for; their work is done in api/ and demo/.
using api::BatchArgs;
using api::CheckArgs;
using api::CheckIngestTarget;
using api::Fail;
using api::IngestFromFd;
using api::IngestOptions;
using api::OrderGenerator;
using api::OrderGeneratorOptions;
using api::QueryArgs;
using api::RecordToJson;
using api::ReplayArgs;
using api::RunArgs;
using api::SchemasArgs;
using api::ServerArgs;
using api::Target;
using api::TokenArgs;
using api::VersionsArgs;
using api::ViewArgs;
using demo::DemoArgs;

namespace {

void PrintRecoveryReport(const log::Store& store) {
  for (const std::string& line : store.recovery_report()) {
    std::fprintf(stderr, "strata: recovery: %s\n", line.c_str());
  }
}

Result<std::unique_ptr<log::Store>> OpenStore(const std::string& dir, bool read_only) {
  log::StoreOptions options;
  options.read_only = read_only;
  auto store = log::Store::Open(dir, options);
  if (store.ok()) PrintRecoveryReport(**store);
  return store;
}

// ---- ingest -------------------------------------------------------------------------------

// The table an ingest writes to, and the settings the caller gave explicitly.
struct TableRequest {
  std::string name;
  std::optional<std::string> key;
  std::optional<uint32_t> partitions;
  std::string compression = "none";
  uint64_t retention_bytes = 0;
  std::string retention_age;
  std::optional<uint64_t> segment_bytes;
};

// Creates the table with the requested settings if absent (4 partitions by default);
// otherwise checks that the explicit settings match the existing table.
Result<log::Table*> TableForIngest(log::Store* store, const TableRequest& req) {
  RETURN_IF_ERROR(CheckIngestTarget(req.name));
  auto table = store->GetTable(req.name);
  if (table.ok()) {
    const log::TableConfig& c = (*table)->config();
    if (req.key && c.key_field != *req.key) {
      return Status::InvalidArgument("table " + req.name + " is keyed by '" + c.key_field +
                                     "', not by '" + *req.key + "'");
    }
    if (req.partitions && c.partitions != *req.partitions) {
      return Status::InvalidArgument("table " + req.name + " has " + std::to_string(c.partitions) +
                                     " partitions, not " + std::to_string(*req.partitions));
    }
    return table;
  }
  if (!table.status().IsNotFound()) return table.status();
  log::TableConfig config;
  config.partitions = req.partitions.value_or(4);
  config.key_field = req.key.value_or("");
  ASSIGN_OR_RETURN(config.codec, log::ParseCodec(req.compression));
  config.retention.max_bytes = req.retention_bytes;
  if (req.segment_bytes) config.segment_bytes = *req.segment_bytes;
  if (!req.retention_age.empty() && !ParseDuration(req.retention_age, &config.retention.max_age)) {
    return Status::InvalidArgument("--retention-age: cannot read '" + req.retention_age +
                                   "' as a duration (such as 90s, 15m, 24h, 7d)");
  }
  return store->CreateTable(req.name, config);
}

struct IngestArgs {
  std::string data, file = "-";
  TableRequest table;
  bool acks = false;
};

// Closes a file descriptor when it goes out of scope (stdin is left open).
struct InputFd {
  int fd = 0;
  ~InputFd() {
    if (fd > 0) ::close(fd);
  }
};

int RunIngest(const IngestArgs& a) {
  // The input is opened first: a wrong path must not leave a new table behind.
  InputFd input;
  if (a.file != "-") {
    input.fd = ::open(a.file.c_str(), O_RDONLY | O_CLOEXEC);
    if (input.fd < 0) return Fail(Status::FromErrno("open", a.file, errno));
  }
  auto store = OpenStore(a.data, /*read_only=*/false);
  if (!store.ok()) return Fail(store.status());
  auto table = TableForIngest(store->get(), a.table);
  if (!table.ok()) return Fail(table.status());
  IngestOptions options;
  options.source = a.file == "-" ? "stdin" : "file:" + a.file;
  uint64_t durable_lines = 0;
  options.on_ack = [&](uint64_t lines) {
    durable_lines = lines;
    if (!a.acks) return;
    std::printf("{\"acked_lines\": %llu}\n", static_cast<unsigned long long>(lines));
    std::fflush(stdout);
  };
  auto summary = IngestFromFd(*table, input.fd, options);
  if (!summary.ok()) {
    // Say where to resume: what was committed before the failure stays.
    const std::string input_name = a.file == "-" ? "the input" : a.file;
    return Fail(Status(summary.status().code(), summary.status().message() + " (the first " +
                                                    std::to_string(durable_lines) + " lines of " +
                                                    input_name + " are durable; the rest is not)"));
  }
  std::printf("%s\n", summary->ToJson().c_str());
  return 0;
}

// ---- log ----------------------------------------------------------------------------------

struct LogArgs {
  std::string data, table, since;
  int64_t partition = -1;
  uint64_t from = 0, limit = UINT64_MAX;
  bool json = false;
};

int RunLog(const LogArgs& a) {
  auto store = OpenStore(a.data, /*read_only=*/true);
  if (!store.ok()) return Fail(store.status());
  auto table = (*store)->GetTable(a.table);
  if (!table.ok()) return Fail(table.status());
  uint32_t n = (*table)->partition_count();
  if (a.partition >= static_cast<int64_t>(n)) {
    return Fail(Status::InvalidArgument("table " + a.table + " has partitions 0.." +
                                        std::to_string(n - 1)));
  }
  Micros since = 0;
  if (!a.since.empty() && !ParseTimestamp(a.since, &since)) {
    return Fail(Status::InvalidArgument("--since: cannot read '" + a.since +
                                        "' as a timestamp (2026-11-22T14:00:00Z)"));
  }
  uint64_t left = a.limit;
  std::string out;
  for (uint32_t p = 0; p < n && left > 0; ++p) {
    if (a.partition >= 0 && p != a.partition) continue;
    const log::Partition& part = (*table)->partition(p);
    log::PartitionReader reader =
        a.since.empty() ? log::PartitionReader(part, std::max(a.from, part.start_offset()))
                        : log::PartitionReader::AtTime(part, since);
    log::RecordView r;
    while (left > 0) {
      auto more = reader.Next(&r);
      if (!more.ok()) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        return Fail(more.status());
      }
      if (!*more) break;
      out += RecordToJson(p, r);
      out += '\n';
      --left;
      if (out.size() > (1u << 20)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

std::string RetentionText(const log::RetentionPolicy& r) {
  if (r.max_bytes == 0 && r.max_age == 0) return "keep everything";
  std::string out;
  if (r.max_bytes) out += std::to_string(r.max_bytes) + " bytes per partition";
  if (r.max_age) out += (out.empty() ? "" : ", ") + std::to_string(r.max_age / 1000000) + " s";
  return out;
}

std::string StatsText(log::Table* table) {
  const log::TableConfig& c = table->config();
  std::string out = "table " + table->name() + ": " + std::to_string(c.partitions) +
                    " partitions, key " + (c.key_field.empty() ? "(none)" : c.key_field) +
                    ", compression " + log::CodecName(c.codec) + ", retention " +
                    RetentionText(c.retention) + "\n";
  char line[256];
  std::snprintf(line, sizeof(line), "%-9s %14s %14s %14s %14s %8s  %s\n", "partition", "start",
                "end", "records", "bytes", "segments", "newest record");
  out += line;
  log::PartitionStats total;
  for (uint32_t p = 0; p < table->partition_count(); ++p) {
    log::PartitionStats s = table->partition(p).Stats();
    std::snprintf(line, sizeof(line), "%-9u %14llu %14llu %14llu %14llu %8u  %s\n", p,
                  static_cast<unsigned long long>(s.start_offset),
                  static_cast<unsigned long long>(s.end_offset),
                  static_cast<unsigned long long>(s.end_offset - s.start_offset),
                  static_cast<unsigned long long>(s.bytes), s.segments,
                  s.max_ts ? FormatTimestamp(s.max_ts).c_str() : "-");
    out += line;
    total.end_offset += s.end_offset - s.start_offset;
    total.bytes += s.bytes;
    total.segments += s.segments;
  }
  std::snprintf(line, sizeof(line), "%-9s %14s %14s %14llu %14llu %8u\n", "total", "", "",
                static_cast<unsigned long long>(total.end_offset),
                static_cast<unsigned long long>(total.bytes), total.segments);
  return out + line;
}

std::string StatsJson(log::Table* table) {
  std::string parts = "[";
  for (uint32_t p = 0; p < table->partition_count(); ++p) {
    log::PartitionStats s = table->partition(p).Stats();
    if (p > 0) parts += ", ";
    parts += JsonObject()
                 .Add("partition", p)
                 .Add("start_offset", s.start_offset)
                 .Add("end_offset", s.end_offset)
                 .Add("records", s.end_offset - s.start_offset)
                 .Add("bytes", s.bytes)
                 .Add("segments", s.segments)
                 .Finish();
  }
  const log::TableConfig& c = table->config();
  return JsonObject()
             .Add("table", table->name())
             .Add("key", c.key_field)
             .Add("compression", log::CodecName(c.codec))
             .Add("retention_bytes", c.retention.max_bytes)
             .Add("retention_age_us", c.retention.max_age)
             .AddRaw("partitions", parts + "]")
             .Finish() +
         "\n";
}

int RunLogStats(const LogArgs& a) {
  auto store = OpenStore(a.data, /*read_only=*/true);
  if (!store.ok()) return Fail(store.status());
  auto table = (*store)->GetTable(a.table);
  if (!table.ok()) return Fail(table.status());
  std::string out = a.json ? StatsJson(*table) : StatsText(*table);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

// ---- gen and demo -------------------------------------------------------------------------

struct GenArgs {
  uint64_t count = 1000, seed = 42;
  double malformed = 0, missing_key = 0;
};

int RunGen(const GenArgs& a) {
  OrderGeneratorOptions options;
  options.seed = a.seed;
  options.malformed_ratio = a.malformed;
  options.missing_key_ratio = a.missing_key;
  OrderGenerator gen(options);
  std::string out;
  for (uint64_t i = 0; i < a.count; ++i) {
    gen.Next(&out);
    if (out.size() > (1u << 20) || i + 1 == a.count) {
      if (std::fwrite(out.data(), 1, out.size(), stdout) != out.size()) return 1;
      out.clear();
    }
  }
  return 0;
}

// --data DIR (embedded) or --server URL (a running server): exactly one; with --server, the
// token to send.
void AddTarget(CLI::App* cmd, Target* target) {
  auto* data = cmd->add_option("--data", target->data, "Data directory (embedded)");
  auto* server = cmd->add_option("--server", target->server,
                                 "A running strata server, e.g. http://127.0.0.1:7878");
  data->excludes(server);
  cmd->add_option("--token", target->token,
                  "Bearer token for --server (else $STRATA_TOKEN, else --token-file)")
      ->excludes(data);
  cmd->add_option("--token-file", target->token_file,
                  "File whose first line is the token for --server, used when neither --token "
                  "nor $STRATA_TOKEN gives one (default ~/.config/strata/token, if it exists)")
      ->excludes(data);
}

// Every subcommand's arguments, and the CLI11 subcommand that tells whether it was given.
template <typename Args>
struct Command {
  Args args;
  CLI::App* cmd = nullptr;
};

struct Commands {
  Command<IngestArgs> ingest;
  Command<LogArgs> log;
  CLI::App* log_stats = nullptr;  // `log stats`: shares log.args
  Command<ServerArgs> server;
  Command<GenArgs> gen;
  Command<DemoArgs> demo;
  Command<CheckArgs> check;
  Command<RunArgs> run;
  Command<BatchArgs> batch;
  Command<QueryArgs> query;
  Command<VersionsArgs> versions;
  Command<ReplayArgs> replay;
  CLI::Option* replay_from_checkpoint = nullptr;  // given without SEQ means "latest"
  Command<ViewArgs> validate, cutover, rollback, drift;
  Command<Target> status;
  Command<Target> products;
  bool products_json = false;
  Command<SchemasArgs> schemas;
  TokenArgs token;  // token create | list | revoke
  CLI::App *token_create = nullptr, *token_list = nullptr, *token_revoke = nullptr;
};

void AddIngest(CLI::App* app, Command<IngestArgs>* c) {
  IngestArgs& a = c->args;
  CLI::App* cmd = c->cmd = app->add_subcommand(
      "ingest",
      "Append JSON lines from FILE (or stdin) to a bronze table, durably. Creates the "
      "table if absent. Prints a one-line JSON summary; exits 0 only when every "
      "line is durable.");
  cmd->add_option("--data", a.data, "Data directory")->required();
  cmd->add_option("--table", a.table.name, "Table name")->required();
  cmd->add_option("--key", a.table.key,
                  "JSON field holding the record key (a.b for nested); partition = hash(key). A "
                  "new table keeps it")
      ->expected(1);
  cmd->add_option("--partitions", a.table.partitions, "Partitions of a new table (default 4)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--compression", a.table.compression,
                  "Batch compression of a new table: none, zstd or lz4")
      ->default_val("none");
  cmd->add_option("--segment-bytes", a.table.segment_bytes,
                  "Segment file size of a new table (default 128 MiB): retention removes "
                  "whole segments")
      ->check(CLI::Range(uint64_t{4096}, uint64_t{1} << 40));
  cmd->add_option("--retention-bytes", a.table.retention_bytes,
                  "A new table keeps at most about this many bytes per partition; older "
                  "segments are removed as new ones start (default: keep everything)");
  cmd->add_option("--retention-age", a.table.retention_age,
                  "A new table removes segments whose newest record is older than this "
                  "(90s, 15m, 24h, 7d; default: keep everything)");
  cmd->add_flag("--acks", a.acks,
                "After each durable group commit print {\"acked_lines\": N}: the first N "
                "input lines are durable");
  cmd->add_option("FILE", a.file, "JSON-lines file, or - for stdin")->default_val("-");
}

void AddLog(CLI::App* app, Commands* c) {
  LogArgs& a = c->log.args;
  CLI::App* cmd = c->log.cmd =
      app->add_subcommand("log",
                          "Print a bronze table's records as JSON lines (partition, "
                          "offset, ingest_time, key, source, source_position, payload)");
  cmd->add_option("--data", a.data, "Data directory")->required();
  cmd->add_option("--table", a.table, "Table name")->required();
  cmd->add_option("--partition", a.partition, "Only this partition (default: all, in order)");
  cmd->add_option(
      "--from", a.from,
      "First offset to print, per partition (offsets removed by retention are skipped)");
  cmd->add_option(
      "--since", a.since,
      "Only records ingested at or after this time (2026-11-22T14:00:00Z or microseconds)");
  cmd->add_option("--limit", a.limit, "Print at most this many records");
  cmd->require_subcommand(0, 1);
  c->log_stats = cmd->add_subcommand("stats", "Per-partition record counts, offsets and bytes");
  c->log_stats->fallthrough();
  c->log_stats->add_flag("--json", a.json, "Print JSON instead of a table");
}

void AddServer(CLI::App* app, Command<ServerArgs>* c) {
  ServerArgs& a = c->args;
  CLI::App* cmd = c->cmd = app->add_subcommand(
      "server",
      "Serve the HTTP API (ingest: POST /v1/tables/{t}/events, answered once durable; "
      "/metrics; with a pipeline also /v1/query, /v1/views, /v1/products, versions, replay, "
      "validate, cutover, rollback, drift, /v1/status) and run the pipeline continuously: "
      "streaming, scheduled batch runs, version publishing. --auth on requires bearer tokens "
      "(strata token)");
  cmd->add_option("--data", a.data, "Data directory")->required();
  cmd->add_option("--pipeline", a.pipeline,
                  "Pipeline file (.sql) to run (default: the one DIR runs, if any)");
  cmd->add_option("--batch-every", a.batch_every,
                  "Run the batch recompute of Lambda views this often (default: the "
                  "views' batch_every)");
  cmd->add_option("--checkpoint-every", a.checkpoint_every,
                  "Write a checkpoint of the pipeline's state this often (e.g. 10s, 1m)")
      ->default_val("10s");
  cmd->add_option("--checkpoint-records", a.checkpoint_records,
                  "... and sooner, once the speed path consumed this many records since the "
                  "last one (0: by time only)")
      ->default_val(1000000);
  cmd->add_option("--listen", a.listen, "Address to listen on")->default_val("127.0.0.1:7878");
  cmd->add_option("--max-body", a.max_body, "Largest request body in bytes (larger: 413)")
      ->default_val(16u << 20);
  cmd->add_option("--auth", a.auth,
                  "on: every route but /healthz needs Authorization: Bearer TOKEN with a grant "
                  "for it (401/403 otherwise); the first start creates an admin token in "
                  "DIR/auth/admin.token. off: no checks. Default: on unless --listen is a "
                  "loopback address")
      ->check(CLI::IsMember({"on", "off"}));
}

// token create | list | revoke: who may use a server.
void AddToken(CLI::App* app, Commands* c) {
  TokenArgs& a = c->token;
  CLI::App* cmd = app->add_subcommand(
      "token",
      "Bearer tokens of a data directory for `strata server --auth on`: create (printed once; "
      "only its SHA-256 is kept), list, revoke. A running server sees changes at once");
  cmd->require_subcommand(1);
  c->token_create = cmd->add_subcommand(
      "create", "Create a token and print it on stdout (the only time it is shown)");
  c->token_create->add_option("--data", a.data, "Data directory")->required();
  auto* role = c->token_create->add_option("--role", a.role, "admin: every route")
                   ->check(CLI::IsMember({"admin"}));
  auto* ingest = c->token_create->add_option(
      "--ingest", a.ingest,
      "May POST /v1/tables/TABLE/events, for each TABLE (as the route names it)");
  auto* read = c->token_create->add_option(
      "--read", a.read,
      "May query each PRODUCT (a gold view: gold.x, or x), its versions and drift");
  role->excludes(ingest)->excludes(read);
  c->token_create->add_option(
      "--name", a.name,
      "Who holds it: the audit log's who; a token named as a view's owner reads that view and "
      "the silver tables it is built on (default: its grants)");
  c->token_create->add_flag("--json", a.json,
                            "Print {id, name, admin, ingest, read, created, revoked, token}");
  c->token_list = cmd->add_subcommand("list", "Every token: id, created, revoked, name, grants");
  c->token_list->add_option("--data", a.data, "Data directory")->required();
  c->token_list->add_flag("--json", a.json, "Print JSON");
  c->token_revoke = cmd->add_subcommand("revoke", "Revoke token ID for good");
  c->token_revoke->add_option("--data", a.data, "Data directory")->required();
  c->token_revoke->add_option("ID", a.id, "The token's id (strata token list)")->required();
}

// gen and demo: the sample events, and the main job that serves them.
void AddGenAndDemo(CLI::App* app, Commands* c) {
  GenArgs& gen = c->gen.args;
  CLI::App* gen_cmd = c->gen.cmd =
      app->add_subcommand("gen", "Print sample order events as JSON lines");
  gen_cmd->add_option("--count", gen.count, "Number of events")->default_val(1000);
  gen_cmd->add_option("--seed", gen.seed, "Random seed (same seed, same events)")->default_val(42);
  gen_cmd->add_option("--malformed", gen.malformed, "Fraction of lines cut short (invalid JSON)")
      ->default_val(0);
  gen_cmd->add_option("--missing-key", gen.missing_key, "Fraction of lines without order_id")
      ->default_val(0);

  DemoArgs& demo = c->demo.args;
  CLI::App* demo_cmd = c->demo.cmd = app->add_subcommand(
      "demo",
      "The main job: a server on 127.0.0.1 running examples/orders.sql (Lambda revenue, Kappa "
      "customer totals) fed by a generator of realistic order events, a replay -> validate -> "
      "cutover of the Kappa view, and a live summary every second");
  demo_cmd->add_option("--data", demo.data, "Data directory (default: a fresh temporary one)");
  demo_cmd->add_option("--duration", demo.duration, "Stop after this many seconds (0: Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  demo_cmd->add_option("--rate", demo.rate, "Events per second (bursts go 3x higher)")
      ->default_val(20000)
      ->check(CLI::PositiveNumber);
  demo_cmd->add_option("--listen", demo.listen, "Address to serve on (a taken port: any free one)")
      ->default_val("127.0.0.1:7878");
  demo_cmd->add_option("--batch-every", demo.batch_every, "Batch run period of the Lambda view")
      ->default_val("10s");
  demo_cmd->add_flag("--keep", demo.keep, "Keep the temporary data directory");
}

// check, run and batch: a pipeline file against a data directory.
void AddPipelineCommands(CLI::App* app, Commands* c) {
  CheckArgs& check = c->check.args;
  CLI::App* check_cmd = c->check.cmd = app->add_subcommand(
      "check",
      "Validate a pipeline file and print its plan as a graph of operator nodes; with "
      "--data, also create its bronze tables there");
  check_cmd->add_option("FILE", check.file, "Pipeline file (.sql)")->required();
  check_cmd->add_option("--data", check.data, "Data directory to prepare");
  check_cmd
      ->add_option("--format", check.format,
                   "How to print the plan graph: text (a block per node: id, kind, inputs, "
                   "key, details, schema), json ({\"nodes\": [...]}) or dot (Graphviz)")
      ->default_val("text")
      ->check(CLI::IsMember({"text", "json", "dot"}));

  RunArgs& run = c->run.args;
  CLI::App* run_cmd = c->run.cmd = app->add_subcommand(
      "run",
      "Run a pipeline with the streaming runtime: new bronze records in micro-batches, "
      "resuming from the state of the last clean stop (Ctrl-C stops cleanly)");
  run_cmd->add_option("--data", run.data, "Data directory")->required();
  run_cmd->add_option("--pipeline", run.pipeline, "Pipeline file (.sql)")->required();
  run_cmd->add_flag("--until-caught-up", run.until_caught_up,
                    "Stop once every record present at the start is processed");
  run_cmd->add_option("--batch-size", run.batch_size, "Records per partition per micro-batch")
      ->default_val(1024)
      ->check(CLI::Range(1, 1 << 20));

  BatchArgs& batch = c->batch.args;
  CLI::App* batch_cmd = c->batch.cmd =
      app->add_subcommand("batch",
                          "Recompute a pipeline from bronze offset 0 with the batch runtime (same "
                          "operators, large batches); print a summary, or VIEW's rows");
  batch_cmd->add_option("--data", batch.data, "Data directory")->required();
  batch_cmd->add_option("--pipeline", batch.pipeline, "Pipeline file (.sql)")->required();
  batch_cmd->add_option("VIEW", batch.view, "A silver table or gold view to print");
  batch_cmd
      ->add_option("--format", batch.format,
                   "table, json or csv (default: table on a terminal, json otherwise)")
      ->check(CLI::IsMember({"table", "json", "csv"}));
}

// query and versions: reading the served views.
void AddReadCommands(CLI::App* app, Commands* c) {
  QueryArgs& query = c->query.args;
  CLI::App* query_cmd = c->query.cmd = app->add_subcommand(
      "query",
      "Answer a SELECT over the gold views (Lambda: batch view + speed epochs; Kappa: the "
      "serving lane), silver and quarantine tables; FROM v AS OF VERSION n | AS OF TIMESTAMP "
      "'...' reads a stored version");
  AddTarget(query_cmd, &query.target);
  query_cmd
      ->add_option("SQL", query.sql,
                   "SELECT ... FROM table [AS OF ...] [WHERE] [GROUP BY] [ORDER BY] [LIMIT]")
      ->required();
  query_cmd
      ->add_option("--format", query.format,
                   "table, json or csv (default: table on a terminal, json otherwise)")
      ->check(CLI::IsMember({"table", "json", "csv"}));
  query_cmd
      ->add_option("--runtime", query.runtime,
                   "Answer from one runtime alone (embedded only): streaming (the speed path's "
                   "own state) or batch (the last published batch run)")
      ->check(CLI::IsMember({"streaming", "batch"}));

  VersionsArgs& versions = c->versions.args;
  CLI::App* versions_cmd = c->versions.cmd = app->add_subcommand(
      "versions",
      "List the stored versions of a gold view: logic hash, boundary, rows, checksum; * marks "
      "the live one");
  AddTarget(versions_cmd, &versions.target);
  versions_cmd->add_option("VIEW", versions.view, "A gold view")->required();
  versions_cmd->add_flag("--json", versions.json, "Print JSON");
}

void AddReplay(CLI::App* app, Commands* c) {
  ReplayArgs& a = c->replay.args;
  CLI::App* cmd = c->replay.cmd = app->add_subcommand(
      "replay",
      "Kappa: rebuild VIEW from bronze into a new lane beside the live one (the pipeline's "
      "current SQL, or --pipeline FILE's), throttled by --rate, resumable; then validate and "
      "cut over");
  AddTarget(cmd, &a.target);
  cmd->add_option("VIEW", a.view, "A Kappa gold view")->required();
  cmd->add_option("--pipeline", a.pipeline,
                  "Pipeline file with the changed SQL (default: the one DIR runs)");
  cmd->add_option("--as", a.name, "Name of the new lane (default replay-<time>)");
  auto* from_offset =
      cmd->add_option("--from-offset", a.from_offset,
                      "Start every partition at this offset (the records before it are left out)");
  c->replay_from_checkpoint =
      cmd->add_option("--from-checkpoint", a.from_checkpoint,
                      "Start from the main lane's state in checkpoint SEQ (default latest) "
                      "instead of offset 0; refused unless the replay's SQL has the "
                      "checkpoint's logic (e.g. a rebuilt lane of the same pipeline)")
          ->expected(0, 1)
          ->type_name("[SEQ|latest]")
          ->excludes(from_offset);
  cmd->add_option("--rate", a.rate, "At most this many events per second (0: no limit)")
      ->check(CLI::NonNegativeNumber);
}

// validate, cutover and rollback: what follows a replay.
void AddLaneCommands(CLI::App* app, Commands* c) {
  ViewArgs& validate = c->validate.args;
  CLI::App* validate_cmd = c->validate.cmd = app->add_subcommand(
      "validate",
      "Compare a replay lane NAME with the live answer of VIEW: row counts, checksums, rows "
      "added/removed/changed, largest relative change per numeric column");
  AddTarget(validate_cmd, &validate.target);
  validate_cmd->add_option("VIEW", validate.view, "A gold view")->required();
  validate_cmd->add_option("NAME", validate.name, "The replay (its --as name)")->required();
  validate_cmd->add_flag("--json", validate.json, "Print JSON");

  ViewArgs& cutover = c->cutover.args;
  CLI::App* cutover_cmd = c->cutover.cmd = app->add_subcommand(
      "cutover", "Serve VIEW from the replay lane NAME from now on (atomic; rollback undoes it)");
  AddTarget(cutover_cmd, &cutover.target);
  cutover_cmd->add_option("VIEW", cutover.view, "A Kappa gold view")->required();
  cutover_cmd->add_option("NAME", cutover.name, "The replay (its --as name)")->required();
  cutover_cmd->add_flag("--json", cutover.json, "Print JSON");

  ViewArgs& rollback = c->rollback.args;
  CLI::App* rollback_cmd = c->rollback.cmd = app->add_subcommand(
      "rollback", "Serve VIEW again from the version that was live before the last cutover");
  AddTarget(rollback_cmd, &rollback.target);
  rollback_cmd->add_option("VIEW", rollback.view, "A gold view")->required();
  rollback_cmd->add_flag("--json", rollback.json, "Print JSON");
}

// drift, status and schemas: checking on a running pipeline.
void AddInspectCommands(CLI::App* app, Commands* c) {
  ViewArgs& drift = c->drift.args;
  CLI::App* drift_cmd = c->drift.cmd = app->add_subcommand(
      "drift",
      "Compare VIEW's live answer with a fresh authoritative recompute over the same input; "
      "exits 1 on a difference that late records (windowed views) do not explain");
  AddTarget(drift_cmd, &drift.target);
  drift_cmd->add_option("VIEW", drift.view, "A gold view or silver table")->required();
  drift_cmd->add_flag("--json", drift.json, "Print JSON");

  c->status.cmd = app->add_subcommand(
      "status",
      "Per node: offsets consumed, lag, last publish, row counts, quarantine counts (JSON)");
  AddTarget(c->status.cmd, &c->status.args);

  c->products.cmd = app->add_subcommand(
      "products",
      "Every gold view as a data product: owner, serving mode, live version, rows, and its "
      "freshness now (how long the oldest record its answer does not reflect has waited) "
      "against its objective; --json adds description, columns, reads, upstream, consumers");
  AddTarget(c->products.cmd, &c->products.args);
  c->products.cmd->add_flag("--json", c->products_json, "Print the JSON of GET /v1/products");

  SchemasArgs& schemas = c->schemas.args;
  CLI::App* schemas_cmd = c->schemas.cmd = app->add_subcommand(
      "schemas",
      "The schema history of a bronze table (postgres-cdc): versions, when and from where, "
      "columns, the compatibility mode and whether each change was compatible");
  schemas_cmd->add_option("--data", schemas.data, "Data directory")->required();
  schemas_cmd->add_option("TABLE", schemas.table, "A bronze table, e.g. bronze.orders")->required();
  schemas_cmd->add_flag("--json", schemas.json, "Print the registry's JSON");
}

// The serving commands run against --data DIR or --server URL: false, with the usage error
// printed, when the given one has neither.
bool HasTarget(const Commands& c) {
  for (auto [cmd, target] : {std::pair<CLI::App*, const Target*>{c.query.cmd, &c.query.args.target},
                             {c.versions.cmd, &c.versions.args.target},
                             {c.replay.cmd, &c.replay.args.target},
                             {c.validate.cmd, &c.validate.args.target},
                             {c.cutover.cmd, &c.cutover.args.target},
                             {c.rollback.cmd, &c.rollback.args.target},
                             {c.drift.cmd, &c.drift.args.target},
                             {c.status.cmd, &c.status.args},
                             {c.products.cmd, &c.products.args}}) {
    if (cmd->parsed() && target->data.empty() && target->server.empty()) {
      std::fprintf(stderr, "strata %s: give --data DIR or --server URL\n", cmd->get_name().c_str());
      return false;
    }
  }
  return true;
}

// Runs the subcommand that was given (`self`: how strata was invoked).
int RunCommand(Commands* c, const std::string& self) {
  if (c->ingest.cmd->parsed()) return RunIngest(c->ingest.args);
  if (c->log_stats->parsed()) return RunLogStats(c->log.args);
  if (c->log.cmd->parsed()) return RunLog(c->log.args);
  if (c->server.cmd->parsed()) return RunServer(c->server.args);
  if (c->gen.cmd->parsed()) return RunGen(c->gen.args);
  if (c->demo.cmd->parsed()) return RunDemo(c->demo.args, self);
  if (c->check.cmd->parsed()) return RunCheck(c->check.args);
  if (c->run.cmd->parsed()) return RunPipeline(c->run.args);
  if (c->batch.cmd->parsed()) return RunBatchCommand(c->batch.args);
  if (c->schemas.cmd->parsed()) return RunSchemas(c->schemas.args);
  if (c->token_create->parsed()) return api::RunTokenCreate(c->token);
  if (c->token_list->parsed()) return api::RunTokenList(c->token);
  if (c->token_revoke->parsed()) return api::RunTokenRevoke(c->token);
  if (!HasTarget(*c)) return 2;
  if (c->query.cmd->parsed()) return RunQuery(c->query.args);
  if (c->versions.cmd->parsed()) return RunVersions(c->versions.args);
  if (c->replay.cmd->parsed()) {
    ReplayArgs& replay = c->replay.args;
    if (c->replay_from_checkpoint->count() > 0 && replay.from_checkpoint.empty()) {
      replay.from_checkpoint = "latest";
    }
    return RunReplay(replay);
  }
  if (c->validate.cmd->parsed()) return RunValidate(c->validate.args);
  if (c->cutover.cmd->parsed()) return RunCutover(c->cutover.args);
  if (c->rollback.cmd->parsed()) return RunRollback(c->rollback.args);
  if (c->drift.cmd->parsed()) return RunDrift(c->drift.args);
  if (c->status.cmd->parsed()) return RunStatus(c->status.args);
  if (c->products.cmd->parsed()) return api::RunProducts(c->products.args, c->products_json);
  return 2;
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App app{"strata: near-real-time analytics pipelines (bronze log, ingest, serving)"};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  // The order here is the order of `strata --help`.
  Commands commands;
  AddIngest(&app, &commands.ingest);
  AddLog(&app, &commands);
  AddServer(&app, &commands.server);
  AddGenAndDemo(&app, &commands);
  AddPipelineCommands(&app, &commands);
  AddReadCommands(&app, &commands);
  AddReplay(&app, &commands);
  AddLaneCommands(&app, &commands);
  AddInspectCommands(&app, &commands);
  AddToken(&app, &commands);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return RunCommand(&commands, argv[0]);
}

}  // namespace strata::cli
