-- Orders enriched with customers (README: "Joins"): order events arrive over HTTP, the
-- customers table of an operational PostgreSQL database is followed through change data
-- capture; gold joins the two, and silver keeps each order joined with its customer. A
-- customer who moves to another region moves their revenue between the region rows; a
-- deleted customer's orders fall back to region NULL.
--
-- The source table, in PostgreSQL:
--   CREATE TABLE public.customers (
--     id int PRIMARY KEY, name text NOT NULL, region text NOT NULL, segment text NOT NULL);
--
-- Run it:  strata server --data ./enrich-data --pipeline examples/enrichment.sql
-- then post orders (JSON lines with order_id, customer_id, amount, status, event_ts):
--   curl --data-binary @orders.jsonl http://127.0.0.1:7878/v1/tables/bronze.orders/events
-- and ask:  strata query --server http://127.0.0.1:7878 "SELECT * FROM gold.revenue_by_region"

-- bronze: order events as received, and every change of the customers table.
CREATE TABLE bronze.orders (
  order_id text, customer_id bigint, amount numeric(12,2), status text, event_ts timestamp
) WITH (layer = 'bronze', connector = 'http', key = 'order_id', partitions = 4);

CREATE TABLE bronze.customers (
  id bigint, name text, region text, segment text
) WITH (layer = 'bronze', connector = 'postgres-cdc', format = 'debezium',
        conninfo = 'host=127.0.0.1 port=5432 dbname=shop user=strata_cdc',
        source_table = 'public.customers', slot = 'strata_customers',
        publication = 'strata_customers', key = 'id', partitions = 2);

-- silver: the latest version of each order, and the current row of each customer.
CREATE TABLE silver.orders (
  order_id text NOT NULL,
  customer_id bigint,
  amount numeric(12,2) NOT NULL CHECK (amount >= 0),
  status text NOT NULL,
  event_ts timestamp NOT NULL,
  PRIMARY KEY (order_id)
) WITH (layer = 'silver', dedupe_order = 'event_ts', on_violation = 'quarantine');

INSERT INTO silver.orders
SELECT order_id, customer_id, amount, lower(status), event_ts FROM bronze.orders;

CREATE TABLE silver.customers (
  id bigint NOT NULL,
  name text NOT NULL,
  region text NOT NULL,
  segment text NOT NULL,
  PRIMARY KEY (id)
) WITH (layer = 'silver', on_violation = 'quarantine');

INSERT INTO silver.customers SELECT id, name, region, segment FROM bronze.customers;

-- gold: revenue per region, every order counted (a LEFT JOIN: an order whose customer is
-- unknown, or deleted, counts under region NULL). Kappa: one stream.
CREATE MATERIALIZED VIEW gold.revenue_by_region
WITH (owner = 'finance', freshness = '10 seconds', serving = 'kappa') AS
SELECT c.region, count(*) AS orders, sum(o.amount) AS revenue
FROM silver.orders o LEFT JOIN silver.customers c ON o.customer_id = c.id
WHERE o.status <> 'cancelled'
GROUP BY c.region;

-- silver: each order with its customer's region and segment, kept current as either side
-- changes (a LEFT JOIN: NULLs while the customer is unknown or after it is deleted). One row
-- per order: ON equates the customers' whole key, so an order meets one customer at most.
CREATE TABLE silver.orders_enriched (
  order_id text NOT NULL,
  customer_id bigint,
  region text,
  segment text,
  amount numeric(12,2) NOT NULL,
  status text NOT NULL,
  PRIMARY KEY (order_id)
) WITH (layer = 'silver');

INSERT INTO silver.orders_enriched
SELECT o.order_id, c.id, c.region, c.segment, o.amount, o.status
FROM silver.orders o LEFT JOIN silver.customers c ON o.customer_id = c.id;

-- gold: per segment, the customers who ordered and what they spent (the orders of known
-- customers). Lambda: batch recomputes plus the stream.
CREATE MATERIALIZED VIEW gold.segments
WITH (owner = 'growth', freshness = '1 minute', serving = 'lambda', batch_every = '10 minutes') AS
SELECT segment, count(DISTINCT customer_id) AS customers, count(*) AS orders, sum(amount) AS spent
FROM silver.orders_enriched
WHERE segment IS NOT NULL
GROUP BY segment;
