// BuildPlanGraph: a bound pipeline as a DAG of operator nodes; its text, JSON and DOT forms.
#include "sql/graph.h"

#include <string>
#include <utility>
#include <vector>

#include "common/json_writer.h"

namespace strata::sql {
namespace {

std::string Join(const std::vector<std::string>& parts, std::string_view separator = ", ") {
  std::string out;
  for (const std::string& p : parts)
    out += (out.empty() ? "" : std::string(separator)) + p;
  return out;
}

// A column name as SQL; "#i" (a position in an aggregate row, as FormatBoundExpr prints it)
// as it is.
std::string Ident(const std::string& name) {
  return !name.empty() && name[0] == '#' ? name : QuoteIdentifier(name);
}

std::string FormatSchema(const std::vector<ColumnSchema>& columns) {
  std::string out;
  for (const ColumnSchema& c : columns) {
    if (!out.empty()) out += ", ";
    out += Ident(c.name) + " " + c.type.ToString();
    if (c.not_null) out += " NOT NULL";
  }
  return out;
}

// "1 minute", "90 seconds", "1500 milliseconds", "0 seconds".
std::string FormatDuration(Micros micros) {
  if (micros == 0) return "0 seconds";
  static constexpr std::pair<const char*, Micros> kUnits[] = {
      {"day", 86'400'000'000}, {"hour", 3'600'000'000}, {"minute", 60'000'000},
      {"second", 1'000'000},   {"millisecond", 1000},   {"microsecond", 1},
  };
  for (const auto& [name, unit] : kUnits) {
    if (micros % unit != 0) continue;
    Micros n = micros / unit;
    return std::to_string(n) + " " + name + (n == 1 ? "" : "s");
  }
  return std::to_string(micros) + " microseconds";
}

// "name type := expr", one per output column.
// `quote`: whether the input's names are to be quoted (not when they are qualified SQL).
std::vector<std::string> Assignments(const std::vector<ColumnSchema>& columns,
                                     const std::vector<const BoundExpr*>& exprs,
                                     const std::vector<std::string>& input, bool quote = true) {
  std::vector<std::string> lines;
  for (size_t i = 0; i < columns.size(); ++i) {
    lines.push_back(QuoteIdentifier(columns[i].name) + " " + columns[i].type.ToString() +
                    " := " + FormatBoundExpr(*exprs[i], input, quote));
  }
  return lines;
}

std::vector<std::string> BronzeDetail(const BronzeTable& t) {
  std::vector<std::string> d;
  d.push_back(std::string("format ") + format::PayloadFormatName(t.format));
  std::string connector = std::string("connector ") + ConnectorName(t.connector);
  if (!t.location.empty()) connector += " '" + t.location + "'";
  d.push_back(connector);
  d.push_back(std::to_string(t.partitions) + (t.partitions == 1 ? " partition" : " partitions"));
  if (!t.watermark.empty()) d.push_back("watermark '" + t.watermark + "'");
  if (t.connector == Connector::kPostgresCdc) {
    d.push_back("source " + t.source_table + ", slot " + t.slot + ", publication " + t.publication);
    d.push_back("conninfo '" + MaskConninfo(t.conninfo) + "'");
  }
  d.push_back(std::string("compatibility ") + catalog::CompatibilityName(t.compatibility));
  return d;
}

std::vector<std::string> ConstraintLines(const SilverTable& t) {
  std::vector<std::string> lines;
  std::vector<std::string> own = ColumnNames(t.columns);
  for (const Constraint& c : t.constraints) {
    std::string text =
        c.kind == ConstraintKind::kCheck ? "CHECK (" + FormatBoundExpr(c.check, own) + ")" : c.sql;
    lines.push_back(c.name + ": " + text);
  }
  std::string policy = std::string("on_violation ") + OnViolationName(t.on_violation);
  if (t.on_violation == OnViolation::kQuarantine) policy += " -> " + t.quarantine_table;
  lines.push_back(policy);
  return lines;
}

std::vector<std::string> ServingLine(const GoldView& v) {
  std::string line = std::string("serving ") + ServingName(v.serving);
  if (v.serving == Serving::kLambda) line += ", batch every " + FormatDuration(v.batch_every);
  if (!v.owner.empty()) line += ", owner " + v.owner;
  if (v.freshness > 0) line += ", freshness " + FormatDuration(v.freshness);
  return {line};
}

// Appends nodes in dependency order; every input names a node added before.
class GraphBuilder {
 public:
  explicit GraphBuilder(const Pipeline& p) : p_(p) {}

  PlanGraph Build() && {
    for (const BronzeTable& t : p_.bronze)
      AddBronze(t);
    for (const SilverTable& t : p_.silver)
      AddSilver(t);
    for (const GoldView& v : p_.gold)
      AddGold(v);
    return std::move(graph_);
  }

 private:
  // Adds `n` and returns its id.
  std::string Add(GraphNode n) {
    graph_.nodes.push_back(std::move(n));
    return graph_.nodes.back().id;
  }

  static GraphNode Node(std::string id, std::string kind, std::string table,
                        std::vector<std::string> inputs, std::vector<ColumnSchema> schema,
                        SourceLocation at) {
    GraphNode n;
    n.id = std::move(id);
    n.kind = std::move(kind);
    n.table = std::move(table);
    n.inputs = std::move(inputs);
    n.schema = std::move(schema);
    n.at = at;
    return n;
  }

  bool Decoded(const BronzeTable& t) const {
    for (const SilverTable& s : p_.silver) {
      for (const SilverInput& in : s.inputs) {
        if (!in.from_silver && in.source == t.name) return true;
      }
    }
    return false;
  }

  void AddBronze(const BronzeTable& t) {
    GraphNode source = Node(t.name, "source", t.name, {}, t.columns, t.defined_at);
    if (!t.key.empty()) source.key = {t.key};
    source.detail = BronzeDetail(t);
    Add(std::move(source));
    if (!Decoded(t)) return;
    GraphNode decode =
        Node(t.name + "/decode", "decode", t.name, {t.name}, t.columns, t.defined_at);
    decode.detail = {std::string(format::PayloadFormatName(t.format)) +
                     " payloads to typed columns; a record that fails goes to its reader's "
                     "quarantine"};
    Add(std::move(decode));
  }

  // Adds input `i` of `t` (filter, project) and returns its last node's id.
  std::string AddSilverInput(const SilverTable& t, size_t i) {
    const SilverInput& in = t.inputs[i];
    const std::string prefix = t.inputs.size() > 1 ? t.name + "/" + std::to_string(i + 1) : t.name;
    std::string from = in.from_silver ? graph_.OutputNodeId(in.source) : in.source + "/decode";
    const std::vector<ColumnSchema>& source = p_.InputColumns(in);
    const std::vector<std::string> names =
        in.join ? in.join->QualifiedNames() : ColumnNames(source);
    const bool quote = !in.join;
    if (in.join) {
      from = Add(Join(prefix, t.name, *in.join, from, graph_.OutputNodeId(in.join->right)));
    }
    if (in.where) {
      GraphNode filter = Node(prefix + "/filter", "filter", t.name, {from}, source, in.defined_at);
      filter.detail = {FormatBoundExpr(*in.where, names, quote)};
      from = Add(std::move(filter));
    }
    GraphNode project =
        Node(prefix + "/project", "project", t.name, {from}, t.columns, in.defined_at);
    std::vector<const BoundExpr*> exprs;
    for (const BoundExpr& e : in.projections)
      exprs.push_back(&e);
    project.detail = Assignments(t.columns, exprs, names, quote);
    return Add(std::move(project));
  }

  void AddSilver(const SilverTable& t) {
    std::vector<std::string> lasts;
    for (size_t i = 0; i < t.inputs.size(); ++i)
      lasts.push_back(AddSilverInput(t, i));
    std::string last = lasts.empty() ? "" : lasts[0];
    if (lasts.size() > 1) {
      GraphNode u = Node(t.name + "/union", "union", t.name, lasts, t.columns, t.defined_at);
      u.detail = {"the rows of every input, as they arrive"};
      last = Add(std::move(u));
    }
    if (!t.constraints.empty()) {
      GraphNode expect =
          Node(t.name + "/expect", "expect", t.name, {last}, t.columns, t.defined_at);
      expect.detail = ConstraintLines(t);
      last = Add(std::move(expect));
    }
    const std::string to_quarantine = last;
    Add(SilverOutput(t, last));
    GraphNode q = Node(t.quarantine_table, "quarantine", t.quarantine_table, {to_quarantine},
                       QuarantineColumns(), t.defined_at);
    q.detail = {"records that fail to decode, filter or project"};
    if (!t.constraints.empty() && t.on_violation == OnViolation::kQuarantine)
      q.detail.push_back("rows that break a constraint");
    Add(std::move(q));
  }

  static GraphNode SilverOutput(const SilverTable& t, const std::string& last) {
    const bool upsert = !t.primary_key.empty() && !t.from_silver();
    GraphNode n = Node(t.name + (upsert ? "/upsert" : "/append"), upsert ? "upsert" : "append",
                       t.name, {last}, t.columns, t.defined_at);
    for (int k : t.primary_key)
      n.key.push_back(t.columns[k].name);
    if (upsert) {
      n.detail = {t.dedupe_order >= 0
                      ? "latest by " + QuoteIdentifier(t.columns[t.dedupe_order].name)
                      : std::string("latest in log order")};
    } else if (t.from_silver()) {
      const SilverInput& in = t.inputs[0];
      n.detail = {"each change of " +
                  (in.join ? "the join of " + in.source + " and " + in.join->right : in.source) +
                  " is a change of this table"};
    } else {
      n.detail = {"no PRIMARY KEY: every row is kept"};
    }
    return n;
  }

  void AddGold(const GoldView& v) {
    std::string from = graph_.OutputNodeId(v.source);
    std::vector<ColumnSchema> row = p_.InputColumns(v);
    std::vector<std::string> names = v.join ? v.join->QualifiedNames() : ColumnNames(row);
    if (v.join) from = Add(Join(v.name, v.name, *v.join, from, graph_.OutputNodeId(v.join->right)));
    if (v.where) {
      GraphNode filter = Node(v.name + "/filter", "filter", v.name, {from}, row, v.defined_at);
      filter.detail = {FormatBoundExpr(*v.where, names, !v.join)};
      from = Add(std::move(filter));
    }
    std::string window_id;
    if (v.window) {
      row.push_back({"window_start", v.window->time.type, false});
      row.push_back({"window_end", v.window->time.type, false});
      names.insert(names.end(), {"window_start", "window_end"});
      GraphNode w = Node(v.name + "/window", "window", v.name, {from}, row, v.defined_at);
      w.detail = {v.window->sql + " -> window_start, window_end",
                  "allowed lateness " + FormatDuration(v.allowed_lateness),
                  "late records to " + v.late_table};
      from = window_id = Add(std::move(w));
    }
    from = Add(Aggregate(v, names, !v.join, from));
    GraphNode project =
        Node(v.name + "/project", "project", v.name, {from}, v.columns, v.defined_at);
    project.detail = ServingLine(v);
    std::vector<const BoundExpr*> exprs;
    for (const OutputColumn& o : v.outputs)
      exprs.push_back(&o.expr);
    for (std::string& line : Assignments(v.columns, exprs, {}))
      project.detail.push_back(std::move(line));
    Add(std::move(project));
    if (window_id.empty()) return;
    GraphNode late =
        Node(v.late_table, "late", v.late_table, {window_id}, LateColumns(), v.defined_at);
    late.detail = {
        "records whose window had closed (its end plus the allowed lateness at or "
        "before the watermark) when they arrived"};
    Add(std::move(late));
  }

  // The join node `prefix`/join of node `owner`.
  static GraphNode Join(const std::string& prefix, const std::string& owner, const JoinSpec& j,
                        const std::string& left, const std::string& right) {
    GraphNode n = Node(prefix + "/join", "join", owner, {left, right}, j.columns, j.defined_at);
    const std::vector<std::string> names = j.QualifiedNames();
    const std::vector<std::string> left_names(names.begin(), names.begin() + j.left_columns);
    const std::vector<std::string> right_names(names.begin() + j.left_columns, names.end());
    n.detail.push_back(j.sql);
    for (size_t k = 0; k < j.left_keys.size(); ++k) {
      n.key.push_back(FormatBoundExpr(j.left_keys[k], left_names, false));
      n.detail.push_back("key " + n.key.back() + " = " +
                         FormatBoundExpr(j.right_keys[k], right_names, false));
    }
    if (j.residual) n.detail.push_back("and " + FormatBoundExpr(*j.residual, names, false));
    if (j.left_filter) {
      n.detail.push_back("before the join, left: " +
                         FormatBoundExpr(*j.left_filter, left_names, false));
    }
    if (j.right_filter) {
      n.detail.push_back("before the join, right: " +
                         FormatBoundExpr(*j.right_filter, right_names, false));
    }
    n.detail.push_back("state: every row of both inputs, by key (no bound)");
    return n;
  }

  // The aggregate row: "#i" columns, the group keys then the aggregates.
  static GraphNode Aggregate(const GoldView& v, const std::vector<std::string>& input, bool quote,
                             const std::string& from) {
    GraphNode n = Node(v.name + "/aggregate", "aggregate", v.name, {from}, {}, v.defined_at);
    auto column = [&](const std::string& text, const Type& type) {
      const std::string name = "#" + std::to_string(n.schema.size());
      n.schema.push_back({name, type, false});
      n.detail.push_back(name + " " + text + "  " + type.ToString());
    };
    for (const BoundExpr& k : v.group_keys) {
      n.key.push_back(FormatBoundExpr(k, input, quote));
      column(n.key.back(), k.type);
    }
    if (v.group_keys.empty()) n.detail.push_back("one group");
    for (const BoundAggregate& a : v.aggregates)
      column(FormatBoundAggregate(a, input, quote), a.type);
    return n;
  }

  const Pipeline& p_;
  PlanGraph graph_;
};

// ---- formats ----

// A DOT string literal: quotes and backslashes escaped, a line end as DOT's "\\n".
std::string DotQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// Bronze nodes are cylinders, silver boxes, gold rounded boxes, side tables notes.
std::string DotShape(const GraphNode& n) {
  if (n.kind == "quarantine" || n.kind == "late") return "shape=note";
  if (n.table.starts_with("bronze.")) return "shape=cylinder";
  if (n.table.starts_with("gold.")) return "shape=box, style=rounded";
  return "shape=box";
}

}  // namespace

std::string SchemaJson(const std::vector<ColumnSchema>& columns) {
  std::string out = "[";
  for (const ColumnSchema& c : columns) {
    if (out.size() > 1) out += ", ";
    out += JsonObject()
               .Add("name", c.name)
               .Add("type", c.type.ToString())
               .Add("not_null", c.not_null)
               .Finish();
  }
  return out + "]";
}

const GraphNode* PlanGraph::Find(std::string_view id) const {
  for (const GraphNode& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

std::string PlanGraph::OutputNodeId(std::string_view table) const {
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    if (it->table == table) return it->id;
  }
  return "";
}

PlanGraph BuildPlanGraph(const Pipeline& pipeline) {
  return GraphBuilder(pipeline).Build();
}

std::string FormatGraphText(const PlanGraph& graph) {
  std::string out;
  for (const GraphNode& n : graph.nodes) {
    if (!out.empty()) out += "\n";
    out += n.id + "  " + n.kind;
    if (!n.inputs.empty()) out += "  <- " + Join(n.inputs);
    out += "  at " + std::to_string(n.at.line) + ":" + std::to_string(n.at.column) + "\n";
    if (!n.key.empty()) out += "  key (" + Join(n.key) + ")\n";
    for (const std::string& line : n.detail)
      out += "  " + line + "\n";
    out += "  schema: " + FormatSchema(n.schema) + "\n";
  }
  return out;
}

std::string FormatGraphJson(const PlanGraph& graph) {
  std::string nodes = "[";
  for (const GraphNode& n : graph.nodes) {
    if (nodes.size() > 1) nodes += ", ";
    nodes += JsonObject()
                 .Add("id", n.id)
                 .Add("kind", n.kind)
                 .Add("table", n.table)
                 .AddRaw("inputs", JsonStrings(n.inputs))
                 .AddRaw("schema", SchemaJson(n.schema))
                 .AddRaw("key", JsonStrings(n.key))
                 .AddRaw("detail", JsonStrings(n.detail))
                 .Add("line", n.at.line)
                 .Add("column", n.at.column)
                 .Finish();
  }
  return JsonObject().AddRaw("nodes", nodes + "]").Finish() + "\n";
}

std::string FormatGraphDot(const PlanGraph& graph) {
  std::string out = "digraph strata {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
  for (const GraphNode& n : graph.nodes) {
    // The label's line break is DOT's own escape, added after quoting the two parts.
    std::string label = DotQuote(n.kind);
    label.pop_back();
    label += "\\n" + DotQuote(n.id).substr(1);
    out += "  " + DotQuote(n.id) + " [label=" + label + ", " + DotShape(n) + "];\n";
  }
  for (const GraphNode& n : graph.nodes) {
    for (const std::string& in : n.inputs)
      out += "  " + DotQuote(in) + " -> " + DotQuote(n.id) + ";\n";
  }
  return out + "}\n";
}

}  // namespace strata::sql
