// The plan graph: a bound Pipeline (plan.h) as a DAG of typed operator nodes, for
// `strata check` (text, JSON or Graphviz DOT). It describes what the runtimes do with each
// record (runtime/executor.h: decode → filter → project → expect → upsert → aggregate, with
// the side tables); it is built from the plan alone and runs nothing.
//
// Nodes, by kind (GraphNode::kind), with their ids:
//   source      "bronze.x"                   a bronze table: the log. key: its key column.
//   decode      "bronze.x/decode"            payloads into typed columns; one per bronze
//                                            table that a silver input reads.
//   filter      "silver.x[/i]/filter"        a WHERE, over its input's columns;
//               "gold.x/filter"
//   project     "silver.x[/i]/project"       a silver input's projections, or a view's
//               "gold.x/project"             outputs ("name type := expr").
//   union       "silver.x/union"             a silver table with several inputs.
//   expect      "silver.x/expect"            a silver table's constraints.
//   upsert      "silver.x/upsert"            a keyed silver table fed by bronze: the latest
//                                            version of a key wins. key: the primary key.
//   append      "silver.x/append"            a silver table without a key, or fed by a silver
//                                            table: rows kept as they come.
//   join        "gold.x/join"                a view's FROM a JOIN b: inputs the two tables'
//                                            output nodes (left, right); key: the left keys.
//   window      "gold.x/window"              a view's tumble/hop/session.
//   aggregate   "gold.x/aggregate"           a view's GROUP BY. key: the group keys as SQL.
//   quarantine  "silver.x__quarantine"       the side table of silver.x.
//   late        "gold.x__late"               the side table of a windowed gold.x.
// "/i" is the input's number from 1, present only when the table has several inputs.
//
// The output of a table: a silver table's or gold view's last node is the LAST node in
// `nodes` whose `table` is its name (side tables have their own `table`): a silver table's
// upsert or append node, a view's project node. OutputNodeId() finds it. A silver input
// reading a silver table, and a view, start from their source's output node.
//
// Plain data, safe to read from several threads once built.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "sql/ast.h"
#include "sql/plan.h"

namespace strata::sql {

struct GraphNode {
  std::string id;     // unique in the graph: "silver.orders/upsert"
  std::string kind;   // one of the kinds above
  std::string table;  // the table or view it belongs to: "silver.orders", "gold.x__late"
  std::vector<std::string> inputs;   // ids of earlier nodes, in order
  std::vector<ColumnSchema> schema;  // the rows it emits
  // source: the bronze key column; upsert: the primary key columns; append: a silver
  // table's primary key when it has one; aggregate: the group key expressions as SQL.
  std::vector<std::string> key;
  std::vector<std::string> detail;  // one readable fact per line
  SourceLocation at;                // the statement that defines it
};

// Nodes in dependency order: every id in `inputs` names an earlier node. Bronze tables
// (each followed by its decode node) come first, then silver tables, then gold views, each
// in the pipeline's order, each table's side table after its output node.
struct PlanGraph {
  std::vector<GraphNode> nodes;

  const GraphNode* Find(std::string_view id) const;  // null when absent
  // The id of the last node whose `table` is `table` (see above): "silver.orders/upsert",
  // "gold.revenue/project"; for a bronze table its decode node, or its source node when no
  // silver input reads it; empty when the graph has no such table.
  std::string OutputNodeId(std::string_view table) const;
};

// `pipeline` must be bound (BindPipeline): every name it holds resolves.
PlanGraph BuildPlanGraph(const Pipeline& pipeline);

// [{"name", "type", "not_null"}, ...]: a node's schema as `--format json` and the products
// list show it.
std::string SchemaJson(const std::vector<ColumnSchema>& columns);

// One block per node, in order: "<id>  <kind>  <- <inputs>  at line:column", then indented
// lines: the key, the details, the schema. CDC conninfo is masked (MaskConninfo).
std::string FormatGraphText(const PlanGraph& graph);
// {"nodes":[{"id","kind","table","inputs":[..],"schema":[{"name","type","not_null"}],
// "key":[..],"detail":[..],"line","column"}, ...]}, one line, ending in a newline.
std::string FormatGraphJson(const PlanGraph& graph);
// Graphviz: "digraph strata {", one node statement per node (label: kind and id; the shape
// tells the layer), one `"input" -> "node";` edge per input, "}".
std::string FormatGraphDot(const PlanGraph& graph);

}  // namespace strata::sql
