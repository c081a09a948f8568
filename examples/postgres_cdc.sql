-- Change data capture from PostgreSQL (README: "Change data capture from PostgreSQL"): the
-- orders table of an operational database followed through logical replication. bronze keeps
-- every change (the initial snapshot, then inserts, updates and deletes) as a change envelope
-- with its source position and schema version; silver keeps the current row of each order;
-- gold aggregates them.
--
-- The source table, in PostgreSQL:
--   CREATE TABLE public.orders (
--     order_id int PRIMARY KEY, customer text NOT NULL, amount numeric(12,2) NOT NULL,
--     status text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
--
-- Run it:  strata server --data ./cdc-data --pipeline examples/postgres_cdc.sql

-- bronze: one record per row change, keyed (and partitioned) by the source's primary key.
-- The publication and the replication slot are created on the source if absent.
CREATE TABLE bronze.orders (
  order_id bigint, customer text, amount numeric(12,2), status text, updated_at timestamp
) WITH (layer = 'bronze', connector = 'postgres-cdc', format = 'debezium',
        conninfo = 'host=127.0.0.1 port=5432 dbname=shop user=strata_cdc',
        source_table = 'public.orders', slot = 'strata_orders', publication = 'strata_orders',
        key = 'order_id', partitions = 4);

-- silver: the current row of each order. No dedupe_order: the later change of a key wins, and
-- for a CDC table that is the later commit (the changes of one key stay in commit order in
-- one partition). A delete removes the order; it carries only the primary key (the whole old
-- row with REPLICA IDENTITY FULL), so the contract's other columns are not checked on it.
-- A change that breaks the contract is quarantined, and the order keeps its previous row.
CREATE TABLE silver.orders (
  order_id bigint NOT NULL,
  customer text NOT NULL,
  amount numeric(12,2) NOT NULL CHECK (amount >= 0),
  status text NOT NULL,
  updated_at timestamp NOT NULL,
  PRIMARY KEY (order_id)
) WITH (layer = 'silver', on_violation = 'quarantine');

INSERT INTO silver.orders
SELECT order_id, customer, amount, status, updated_at FROM bronze.orders;

-- gold: orders, revenue and customers per status (Lambda: batch recomputes plus the stream)
CREATE MATERIALIZED VIEW gold.orders_by_status
WITH (owner = 'finance', freshness = '10 seconds', serving = 'lambda',
      batch_every = '10 minutes') AS
SELECT status, count(*) AS orders, sum(amount) AS revenue, count(DISTINCT customer) AS customers
FROM silver.orders GROUP BY status;

-- gold: per-customer totals of orders not cancelled (Kappa: one stream)
CREATE MATERIALIZED VIEW gold.customer_totals
WITH (owner = 'growth', freshness = '10 seconds', serving = 'kappa') AS
SELECT customer, count(*) AS orders, sum(amount) AS spent, max(amount) AS largest
FROM silver.orders WHERE status <> 'cancelled' GROUP BY customer;
