
CREATE TABLE bronze.o (id text, c text, amount numeric(12,2), ts timestamp)
WITH (layer = 'bronze', key = 'id', partitions = 2, watermark = 'ts - 1 second');
CREATE TABLE silver.o (id text NOT NULL, c text, amount numeric(12,2) CHECK (amount > 0),
                       ts timestamp NOT NULL, PRIMARY KEY (id))
WITH (layer = 'silver', dedupe_order = 'ts', on_violation = 'quarantine');
INSERT INTO silver.o SELECT id, c, amount, ts FROM bronze.o;
CREATE MATERIALIZED VIEW gold.g WITH (serving = 'lambda', batch_every = '1 hour') AS
SELECT c, count(*) AS k, sum(amount) AS s, min(amount) AS lo, count(DISTINCT id) AS ids
FROM silver.o GROUP BY c;
CREATE MATERIALIZED VIEW gold.w AS
SELECT window_start, count(*) AS k FROM silver.o GROUP BY tumble(ts, '1 minute');
CREATE MATERIALIZED VIEW gold.s AS
SELECT c, window_start, window_end, count(*) AS k FROM silver.o GROUP BY c, session(ts, '5 minutes');
