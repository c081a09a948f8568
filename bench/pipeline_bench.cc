// pipeline_bench: throughput of the orders pipeline (examples/orders.sql: bronze → silver
// upsert with constraints → gold hourly revenue) under the streaming runtime (micro-batches)
// and the batch runtime (large batches), from bronze records already in the log (page cache)
// to updated gold state. State saving is not timed.
//
//   build/pipeline_bench [--events N] [--runs R] [--batch-size B] [--pipeline FILE]
//                        [--only-view GOLD_VIEW] [--workload orders|bids|enrich|q3]
//
// --only-view keeps one gold view of the pipeline (the others are not computed): the
// orders pipeline of DESIGN.md §1 is examples/orders.sql with gold.revenue_hourly alone;
// gold.orders_per_minute is its tumbling-window view.
//
// --workload bids is a Nexmark-q5-like windowed aggregation ("hot items"): bids on
// auctions (a few hot ones get most bids), event time advancing 1 ms per bid with up to
// 100 ms of disorder and 1 % of bids up to 30 s late, counted per auction in hopping windows
// of 10 s sliding by 2 s (five windows per bid), watermark 2 s behind (the pipeline is
// kBidsPipeline below; --pipeline is ignored).
//
// --workload enrich is orders enriched with customers (Nexmark-q3-like): 90 % of the events
// are orders of 100,000 customers, 10 % customer records (a first one inserts the customer,
// later ones move it to another region and segment), and gold.revenue_by_region joins
// silver.orders with silver.customers, so each customer update moves that customer's revenue
// between regions (kEnrichPipeline below; --pipeline is ignored).
//
// --workload q3 is Nexmark q3 in its strata form ("local item suggestion"): new persons and
// new auctions, one person for three auctions, each auction's seller a person already seen
// (of the last 1,000), five categories and six states as Nexmark draws them; silver.q3 is
// the auctions of category 10 whose seller lives in OR, ID or CA, with the seller's name,
// city and state: a silver table fed by a join (kQ3Pipeline below; --pipeline is ignored).
//
// The batch runtime runs authoritative (it counts late records), the streaming one does not.
//
// Prints events/s by wall clock and per CPU-second (getrusage of the process), median of R
// runs, with min and max.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "api/order_generator.h"
#include "common/clock.h"
#include "exec/join.h"
#include "format/json_lines.h"
#include "runtime/runner.h"

namespace strata {
namespace {

void Check(const Status& s, const char* what) {
  if (s.ok()) return;
  std::fprintf(stderr, "pipeline_bench: %s: %s\n", what, s.ToString().c_str());
  std::exit(1);
}

double CpuSeconds() {
  struct rusage ru;
  ::getrusage(RUSAGE_SELF, &ru);
  auto s = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return s(ru.ru_utime) + s(ru.ru_stime);
}

constexpr char kBidsPipeline[] = R"sql(
CREATE TABLE bronze.bids (auction text, bidder bigint, price bigint, date_time timestamp)
WITH (layer = 'bronze', key = 'auction', partitions = 4, watermark = 'date_time - 2 seconds');
CREATE TABLE silver.bids (
  auction text NOT NULL, bidder bigint, price bigint, date_time timestamp NOT NULL
) WITH (layer = 'silver');
INSERT INTO silver.bids SELECT auction, bidder, price, date_time FROM bronze.bids;
CREATE MATERIALIZED VIEW gold.hot_items AS
SELECT auction, window_start, window_end, count(*) AS bids
FROM silver.bids GROUP BY auction, hop(date_time, '10 seconds', '2 seconds');
)sql";

constexpr char kEnrichPipeline[] = R"sql(
CREATE TABLE bronze.orders (order_id text, customer_id text, amount numeric(18,2), status text,
                            email text, event_ts timestamp)
WITH (layer = 'bronze', key = 'order_id', partitions = 4);
CREATE TABLE bronze.customers (id text, region text, segment text)
WITH (layer = 'bronze', key = 'id', partitions = 4);
CREATE TABLE silver.orders (order_id text NOT NULL, customer_id text, amount numeric(18,2),
                            status text, PRIMARY KEY (order_id))
WITH (layer = 'silver');
INSERT INTO silver.orders SELECT order_id, customer_id, amount, status FROM bronze.orders;
CREATE TABLE silver.customers (id text NOT NULL, region text, segment text, PRIMARY KEY (id))
WITH (layer = 'silver');
INSERT INTO silver.customers SELECT id, region, segment FROM bronze.customers;
CREATE MATERIALIZED VIEW gold.revenue_by_region AS
SELECT c.region, c.segment, count(*) AS orders, sum(o.amount) AS revenue
FROM silver.orders o JOIN silver.customers c ON o.customer_id = c.id
GROUP BY c.region, c.segment;
)sql";

constexpr char kQ3Pipeline[] = R"sql(
CREATE TABLE bronze.persons (id bigint, name text, city text, state text)
WITH (layer = 'bronze', key = 'id', partitions = 4);
CREATE TABLE bronze.auctions (id bigint, seller bigint, category bigint, initial_bid bigint)
WITH (layer = 'bronze', key = 'id', partitions = 4);
CREATE TABLE silver.persons (id bigint NOT NULL, name text, city text, state text,
                             PRIMARY KEY (id))
WITH (layer = 'silver');
INSERT INTO silver.persons SELECT id, name, city, state FROM bronze.persons;
CREATE TABLE silver.auctions (id bigint NOT NULL, seller bigint, category bigint,
                              PRIMARY KEY (id))
WITH (layer = 'silver');
INSERT INTO silver.auctions SELECT id, seller, category FROM bronze.auctions;
CREATE TABLE silver.q3 (name text, city text, state text, auction_id bigint NOT NULL,
                        PRIMARY KEY (auction_id))
WITH (layer = 'silver');
INSERT INTO silver.q3
SELECT p.name, p.city, p.state, a.id
FROM silver.auctions a JOIN silver.persons p ON a.seller = p.id
WHERE a.category = 10 AND p.state IN ('OR', 'ID', 'CA');
)sql";

constexpr uint32_t kEnrichCustomers = 100000;

// Nexmark's persons and auctions (see --workload q3): person i is new; an auction's seller
// is one of the last 1,000 persons.
void NextPerson(std::mt19937_64& rng, uint64_t id, std::string* out) {
  static const char* const kStates[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
  static const char* const kCities[] = {"Phoenix",  "Los Angeles", "San Francisco", "Boise",
                                        "Portland", "Bend",        "Redmond",       "Seattle",
                                        "Kent",     "Cheyenne"};
  char line[160];
  std::snprintf(line, sizeof(line),
                "{\"id\":%llu,\"name\":\"person %llu\",\"city\":\"%s\",\"state\":\"%s\"}\n",
                static_cast<unsigned long long>(id), static_cast<unsigned long long>(id),
                kCities[rng() % 10], kStates[rng() % 6]);
  *out += line;
}

void NextAuction(std::mt19937_64& rng, uint64_t id, uint64_t persons, std::string* out) {
  const uint64_t seller = persons - 1 - rng() % std::min<uint64_t>(persons, 1000);
  char line[160];
  std::snprintf(line, sizeof(line),
                "{\"id\":%llu,\"seller\":%llu,\"category\":%llu,\"initial_bid\":%llu}\n",
                static_cast<unsigned long long>(id), static_cast<unsigned long long>(seller),
                static_cast<unsigned long long>(10 + rng() % 5),
                static_cast<unsigned long long>(1 + rng() % 1000));
  *out += line;
}

// One customer record as a JSON line (see --workload enrich).
void NextCustomer(std::mt19937_64& rng, std::string* out) {
  static const char* const kRegions[] = {"EU", "US", "APAC", "LATAM", "MEA"};
  static const char* const kSegments[] = {"consumer", "smb", "enterprise"};
  char line[128];
  std::snprintf(line, sizeof(line), "{\"id\":\"c-%06llu\",\"region\":\"%s\",\"segment\":\"%s\"}\n",
                static_cast<unsigned long long>(rng() % kEnrichCustomers), kRegions[rng() % 5],
                kSegments[rng() % 3]);
  *out += line;
}

// One bid as a JSON line (see --workload bids).
void NextBid(std::mt19937_64& rng, uint64_t i, std::string* out) {
  const uint64_t auction = rng() % 10 < 8 ? rng() % 100 : rng() % 10000;
  Micros ts =
      1'795'000'000'000'000 + static_cast<Micros>(i) * 1000 - static_cast<Micros>(rng() % 100'000);
  if (rng() % 100 == 0) ts -= static_cast<Micros>(rng() % 30'000'000);
  *out += "{\"auction\":\"a" + std::to_string(auction) +
          "\",\"bidder\":" + std::to_string(rng() % 100000) +
          ",\"price\":" + std::to_string(100 + rng() % 100000) + ",\"date_time\":\"" +
          FormatTimestamp(ts) + "\"}\n";
}

struct Figure {
  std::vector<double> wall, cpu;
};

void Report(const char* name, const Figure& f) {
  auto stats = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return std::vector<double>{v[v.size() / 2], v.front(), v.back()};
  };
  auto w = stats(f.wall), c = stats(f.cpu);
  std::printf(
      "%-10s events/s %12.0f (min %.0f, max %.0f)   per CPU-second %12.0f (min %.0f, max %.0f)\n",
      name, w[0], w[1], w[2], c[0], c[1], c[2]);
  std::printf(
      "{\"bench\":\"pipeline\",\"runtime\":\"%s\",\"events_per_s\":%.0f,\"events_per_cpu_s\":%.0f}"
      "\n",
      name, w[0], c[0]);
}

}  // namespace
}  // namespace strata

int main(int argc, char** argv) {
  using namespace strata;
  uint64_t events = 1000000;
  int runs = 3;
  size_t batch_size = 1024;
  std::string pipeline_file = "examples/orders.sql";
  std::string only_view;
  std::string workload = "orders";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--events")
      events = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--runs")
      runs = std::atoi(argv[i + 1]);
    else if (flag == "--batch-size")
      batch_size = std::strtoull(argv[i + 1], nullptr, 10);
    else if (flag == "--pipeline")
      pipeline_file = argv[i + 1];
    else if (flag == "--only-view")
      only_view = argv[i + 1];
    else if (flag == "--workload")
      workload = argv[i + 1];
  }
  if (workload != "orders" && workload != "bids" && workload != "enrich" && workload != "q3") {
    Check(Status::InvalidArgument("--workload is orders, bids, enrich or q3, not " + workload),
          "flags");
  }
  std::string text = workload == "enrich" ? kEnrichPipeline
                     : workload == "q3"   ? kQ3Pipeline
                                          : kBidsPipeline;
  if (workload != "orders") {
    pipeline_file = workload;
  } else {
    Check(FileSystem::Default()->ReadFile(pipeline_file, &text), "reading the pipeline");
  }
  auto plan = runtime::LoadPipeline(text, pipeline_file);
  Check(plan.status(), "binding the pipeline");
  if (!only_view.empty()) {
    std::erase_if(plan->gold, [&](const sql::GoldView& g) { return g.name != only_view; });
    if (plan->gold.empty()) Check(Status::NotFound(only_view), "--only-view");
  }

  char tmpl[] = "/tmp/strata-pipeline-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  std::string dir = tmpl;
  auto store = log::Store::Open(dir, log::StoreOptions{});
  Check(store.status(), "opening the store");
  Check(runtime::EnsureBronzeTables(store->get(), *plan), "creating bronze tables");
  // Order events with about 10 % updates of earlier orders (the generator's ids repeat
  // when the seed repeats: a second generator over the first tenth gives the updates).
  // The first bronze table's events, and (enrich) the customers' in the second.
  std::vector<log::Table*> bronze;
  for (const auto& b : plan->bronze)
    bronze.push_back(*(*store)->GetTable(b.name));
  api::OrderGeneratorOptions order_options;
  if (workload == "enrich") order_options.customers = kEnrichCustomers;
  api::OrderGenerator gen(order_options);
  std::mt19937_64 rng(42);
  std::vector<std::string> chunks(bronze.size());
  uint64_t bytes = 0;
  auto flush = [&](size_t t) {
    std::string& chunk = chunks[t];
    size_t size = chunk.size();
    chunk.append(format::kPadding, '\0');
    const log::TableConfig& c = bronze[t]->config();
    format::LineBatcher batcher(c.key_field, c.partitions, "bench", "", c.payload_format);
    batcher.AddLines(std::string_view(chunk.data(), size), 1);
    log::AppendAck ack;
    Check(bronze[t]->Append(batcher.records(), &ack), "ingest");
    bytes += size;
    chunk.clear();
  };
  uint64_t persons = 0, auctions = 0;
  for (uint64_t i = 0; i < events; ++i) {
    size_t t = 0;
    if (workload == "q3") {
      // bronze.persons first (the plan's order), then bronze.auctions.
      if (i % 4 == 0 || persons == 0) {
        NextPerson(rng, persons++, &chunks[0]);
      } else {
        t = 1;
        NextAuction(rng, auctions++, persons, &chunks[1]);
      }
    } else if (workload == "bids") {
      NextBid(rng, i, &chunks[0]);
    } else if (workload == "enrich" && i % 10 == 9) {
      t = 1;
      NextCustomer(rng, &chunks[1]);
    } else {
      gen.Next(&chunks[0]);
    }
    if (chunks[t].size() > (4u << 20)) flush(t);
  }
  for (size_t t = 0; t < chunks.size(); ++t) {
    if (!chunks[t].empty()) flush(t);
  }
  std::printf(
      "pipeline %s (%zu gold views): %llu events (%.1f MB) in bronze; batch size %zu "
      "(streaming)\n",
      pipeline_file.c_str(), plan->gold.size(), static_cast<unsigned long long>(events),
      bytes / 1e6, batch_size);

  Figure streaming, batch;
  for (int run = 0; run < runs; ++run) {
    for (bool is_batch : {false, true}) {
      auto executor = runtime::PipelineExecutor::Make(*plan);
      Check(executor.status(), "executor");
      (*executor)->set_include_late(is_batch);
      Micros start = MonotonicMicros();
      double cpu0 = CpuSeconds();
      auto n =
          runtime::CatchUp(store->get(), executor->get(), *plan, is_batch ? 65536 : batch_size);
      Check(n.status(), "run");
      double wall = (MonotonicMicros() - start) / 1e6, cpu = CpuSeconds() - cpu0;
      Figure& f = is_batch ? batch : streaming;
      f.wall.push_back(*n / wall);
      f.cpu.push_back(*n / cpu);
      if (run == 0 && !is_batch) {
        for (const auto& g : plan->gold) {
          const runtime::LateCounters* late = (*executor)->late_counters(g.name);
          if (late == nullptr) continue;
          std::printf("%s: %llu windowed rows, %llu late (%.3f %%)\n", g.name.c_str(),
                      static_cast<unsigned long long>(late->rows),
                      static_cast<unsigned long long>(late->late),
                      late->rows ? 100.0 * late->late / late->rows : 0.0);
        }
        std::vector<std::string> nodes;
        for (const auto& s : plan->silver)
          nodes.push_back(s.name);
        for (const auto& g : plan->gold)
          nodes.push_back(g.name);
        for (const std::string& node : nodes) {
          std::optional<exec::JoinStats> join = (*executor)->join_stats(node);
          if (!join) continue;
          std::printf("%s: join state %llu keys, %llu rows, %.1f MB (%.1f bytes per row)\n",
                      node.c_str(), static_cast<unsigned long long>(join->keys),
                      static_cast<unsigned long long>(join->rows), join->bytes / 1e6,
                      join->rows ? static_cast<double>(join->bytes) / join->rows : 0.0);
        }
        if (workload == "q3") {
          const runtime::SilverCounters* q3 = (*executor)->counters("silver.q3");
          std::printf("silver.q3: %llu joined rows, %llu kept\n",
                      static_cast<unsigned long long>(q3->records),
                      static_cast<unsigned long long>(q3->records - q3->filtered));
        }
      }
    }
  }
  Report("streaming", streaming);
  Report("batch", batch);
  store->reset();
  std::filesystem::remove_all(dir);
  return 0;
}
