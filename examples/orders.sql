-- The orders pipeline of the design: raw order events land in bronze, silver validates and
-- deduplicates them, gold aggregates revenue per hour.

-- bronze: immutable, source-faithful landing of raw events
CREATE TABLE bronze.orders (
  order_id text, customer_id text, amount numeric(18,2), status text,
  email text, event_ts timestamp
) WITH (layer = 'bronze', connector = 'http', partitions = 4, key = 'order_id',
        watermark = 'event_ts - 5 seconds');

-- silver: a contract. NOT NULL / CHECK are expectations; PRIMARY KEY is the business key
-- (upsert: the latest version by dedupe_order wins, earlier versions are retracted).
CREATE TABLE silver.orders (
  order_id text NOT NULL,
  customer_id text NOT NULL,
  amount numeric(18,2) CHECK (amount > 0),
  status text, email text, event_ts timestamp NOT NULL,
  PRIMARY KEY (order_id)
) WITH (layer = 'silver', dedupe_order = 'event_ts', on_violation = 'quarantine');

INSERT INTO silver.orders
SELECT order_id, customer_id, round(amount, 2), lower(status), lower(trim(email)), event_ts
FROM bronze.orders WHERE status <> 'test';

-- gold: a data product with an owner, a freshness objective and a serving mode
CREATE MATERIALIZED VIEW gold.revenue_hourly
WITH (owner = 'finance', freshness = '1 minute', serving = 'lambda', batch_every = '1 hour') AS
SELECT date_trunc('hour', event_ts) AS hour, sum(amount) AS revenue,
       count(*) AS orders, count(DISTINCT customer_id) AS customers
FROM silver.orders WHERE status = 'completed' GROUP BY 1;

-- gold: per-customer totals, served by one stream (Kappa): a fix ships as a replay into a new
-- version, validated, then cut over atomically (rollback keeps the previous one)
CREATE MATERIALIZED VIEW gold.customer_totals
WITH (owner = 'growth', freshness = '10 seconds', serving = 'kappa') AS
SELECT customer_id, count(*) AS orders, sum(amount) AS spent, max(event_ts) AS last_order
FROM silver.orders WHERE status <> 'cancelled' GROUP BY customer_id;

-- gold: orders per minute of event time (a tumbling window). The watermark trails the newest
-- order of a partition by 5 seconds; an order arriving after its minute closed (its end plus
-- allowed_lateness at or before the watermark) is late: it goes to gold.orders_per_minute__late
-- instead of the live view, the authoritative batch recompute counts it, and `strata drift`
-- explains the difference between the two by those records
CREATE MATERIALIZED VIEW gold.orders_per_minute
WITH (owner = 'ops', freshness = '10 seconds', serving = 'kappa', allowed_lateness = '2 seconds') AS
SELECT window_start, window_end, count(*) AS orders, sum(amount) AS revenue
FROM silver.orders GROUP BY tumble(event_ts, '1 minute');
