// ExplainPipeline: the plan as text for `strata check`.
#include <string>
#include <vector>

#include "sql/binder.h"

namespace strata::sql {
namespace {

std::vector<std::string> Names(const std::vector<ColumnSchema>& columns) {
  std::vector<std::string> names;
  for (const ColumnSchema& c : columns)
    names.push_back(c.name);
  return names;
}

std::string Schema(const std::vector<ColumnSchema>& columns) {
  std::string out;
  for (const ColumnSchema& c : columns) {
    if (!out.empty()) out += ", ";
    out += QuoteIdentifier(c.name) + " " + c.type.ToString();
    if (c.not_null) out += " NOT NULL";
  }
  return out;
}

// "1 minute", "90 seconds", "1500 milliseconds".
std::string FormatDuration(Micros micros) {
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

// Lines after the first of a labelled block are indented under the first.
void Block(std::string_view label, const std::vector<std::string>& lines, std::string* out) {
  std::string pad(2 + 11, ' ');
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i == 0) {
      std::string head = "  " + std::string(label) + ":";
      head.resize(pad.size(), ' ');
      *out += head;
    } else {
      *out += pad;
    }
    *out += lines[i] + "\n";
  }
}

void ExplainBronze(const BronzeTable& t, std::string* out) {
  *out += t.name + "  [" + format::PayloadFormatName(t.format) + ", connector " +
          ConnectorName(t.connector);
  if (!t.location.empty()) *out += " '" + t.location + "'";
  *out += ", " + std::to_string(t.partitions) + (t.partitions == 1 ? " partition" : " partitions");
  if (!t.key.empty()) *out += ", key " + QuoteIdentifier(t.key);
  if (!t.watermark.empty()) *out += ", watermark '" + t.watermark + "'";
  *out += "]\n";
  if (t.connector == Connector::kPostgresCdc) {
    Block("source",
          {t.source_table + ", slot " + t.slot + ", publication " + t.publication,
           "conninfo '" + MaskConninfo(t.conninfo) + "'"},
          out);
  }
  Block("columns", {Schema(t.columns)}, out);
}

void ExplainSilver(const SilverTable& t, const Pipeline& p, std::string* out) {
  std::string sources;
  for (const SilverInput& in : t.inputs)
    sources += (sources.empty() ? "" : ", ") + in.source;
  *out += t.name + "  <- " + sources + "  [on_violation " + OnViolationName(t.on_violation);
  if (t.on_violation == OnViolation::kQuarantine) *out += " -> " + t.quarantine_table;
  *out += "]\n";
  std::vector<std::string> lines;
  for (const SilverInput& in : t.inputs) {
    const std::vector<ColumnSchema>* columns = p.FindColumns(in.source);
    std::vector<std::string> input = columns ? Names(*columns) : std::vector<std::string>{};
    if (t.inputs.size() > 1) Block("input", {in.source}, out);
    if (in.where) Block("filter", {FormatBoundExpr(*in.where, input)}, out);
    lines.clear();
    for (size_t i = 0; i < t.columns.size(); ++i) {
      const ColumnSchema& c = t.columns[i];
      lines.push_back(QuoteIdentifier(c.name) + " " + c.type.ToString() +
                      " := " + FormatBoundExpr(in.projections[i], input));
    }
    Block("project", lines, out);
  }
  lines.clear();
  std::vector<std::string> own = Names(t.columns);
  for (const Constraint& c : t.constraints) {
    std::string text =
        c.kind == ConstraintKind::kCheck ? "CHECK (" + FormatBoundExpr(c.check, own) + ")" : c.sql;
    lines.push_back(c.name + ": " + text);
  }
  if (!lines.empty()) Block("expect", lines, out);
  if (t.primary_key.empty()) {
    Block("append", {"no PRIMARY KEY: every row is kept"}, out);
  } else {
    std::string keys;
    for (int k : t.primary_key)
      keys += (keys.empty() ? "" : ", ") + QuoteIdentifier(own[k]);
    std::string order = t.dedupe_order >= 0 ? "latest by " + QuoteIdentifier(own[t.dedupe_order])
                                            : "latest in log order";
    Block("upsert", {"key (" + keys + "), " + order}, out);
  }
  Block("schema", {Schema(t.columns)}, out);
}

void ExplainGold(const GoldView& v, const Pipeline& p, std::string* out) {
  *out += v.name + "  <- " + v.source + "  [serving " + ServingName(v.serving);
  if (v.serving == Serving::kLambda) *out += ", batch every " + FormatDuration(v.batch_every);
  if (!v.owner.empty()) *out += ", owner " + v.owner;
  if (v.freshness > 0) *out += ", freshness " + FormatDuration(v.freshness);
  *out += "]\n";
  const std::vector<ColumnSchema>* columns = p.FindNodeColumns(v.source);
  std::vector<std::string> input = columns ? Names(*columns) : std::vector<std::string>{};
  if (v.where) Block("filter", {FormatBoundExpr(*v.where, input)}, out);
  if (v.window) {
    std::string late = v.allowed_lateness > 0 ? FormatDuration(v.allowed_lateness) : "0 s";
    Block("window",
          {v.window->sql + " -> window_start, window_end; allowed lateness " + late +
           "; late records to " + v.late_table},
          out);
    input.push_back("window_start");
    input.push_back("window_end");
  }
  std::vector<std::string> lines;
  for (size_t i = 0; i < v.group_keys.size(); ++i) {
    lines.push_back("#" + std::to_string(i) + " " + FormatBoundExpr(v.group_keys[i], input) + "  " +
                    v.group_keys[i].type.ToString());
  }
  Block("group by", lines.empty() ? std::vector<std::string>{"(one group)"} : lines, out);
  lines.clear();
  for (size_t i = 0; i < v.aggregates.size(); ++i) {
    size_t column = v.group_keys.size() + i;
    lines.push_back("#" + std::to_string(column) + " " +
                    FormatBoundAggregate(v.aggregates[i], input) + "  " +
                    v.aggregates[i].type.ToString());
  }
  if (!lines.empty()) Block("aggregate", lines, out);
  lines.clear();
  for (const OutputColumn& o : v.outputs) {
    lines.push_back(QuoteIdentifier(o.name) + " " + o.type.ToString() +
                    " := " + FormatBoundExpr(o.expr, {}));
  }
  Block("output", lines, out);
}

}  // namespace

std::string ExplainPipeline(const Pipeline& pipeline) {
  std::string out;
  auto separate = [&]() {
    if (!out.empty()) out += "\n";
  };
  for (const BronzeTable& t : pipeline.bronze) {
    separate();
    ExplainBronze(t, &out);
  }
  for (const SilverTable& t : pipeline.silver) {
    separate();
    ExplainSilver(t, pipeline, &out);
  }
  for (const GoldView& v : pipeline.gold) {
    separate();
    ExplainGold(v, pipeline, &out);
  }
  return out;
}

}  // namespace strata::sql
