// The pipeline of DESIGN.md section 1, as the SQL tests parse and bind it.
#pragma once

#include <string_view>

namespace strata::sql::testing {

inline constexpr std::string_view kDesignPipeline =
    R"sql(-- bronze: immutable, source-faithful landing of raw events or CDC records
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
)sql";

}  // namespace strata::sql::testing
