#include "runtime/query.h"

#include <algorithm>
#include <numeric>

#include "common/json_writer.h"
#include "exec/aggregate.h"
#include "exec/expression.h"
#include "exec/operator.h"

namespace strata::runtime {
namespace {

// Expands weights into repeated rows (a row present n times is n rows).
Batch Expand(const Batch& in) {
  Batch out;
  for (const Column& c : in.columns)
    out.columns.emplace_back(c.type());
  for (size_t r = 0; r < in.num_rows(); ++r) {
    for (int64_t i = 0; i < in.weights[r]; ++i)
      out.AppendRow(in, r, 1);
  }
  return out;
}

// A row the query's own expressions fail on (division by zero, overflow, a bad cast): the
// error names the place in the query text, as the binder's errors do ("query:1:9: ...").
Status RowFailure(const exec::RowErrors& errors) {
  return Status::InvalidArgument("query:" + errors[0].message);
}

Result<Batch> Filter(const sql::BoundExpr& predicate, const Batch& in) {
  exec::RowErrors errors;
  ASSIGN_OR_RETURN(std::vector<uint8_t> keep, exec::EvaluatePredicate(predicate, in, &errors));
  if (!errors.empty()) return RowFailure(errors);
  return in.Select(keep);
}

Status EvaluateInto(const sql::BoundExpr& e, const Batch& in, Batch* out) {
  Column col(e.type);
  exec::RowErrors errors;
  RETURN_IF_ERROR(exec::Evaluate(e, in, &col, &errors));
  if (!errors.empty()) return RowFailure(errors);
  out->columns.push_back(std::move(col));
  return Status::OK();
}

Result<Batch> Aggregate(const sql::BoundQuery& q, const Batch& in) {
  Batch input;
  input.weights = in.weights;
  std::vector<int> groups;
  std::vector<Type> types;
  for (const auto& k : q.group_keys) {
    groups.push_back(static_cast<int>(input.columns.size()));
    types.push_back(k.type);
    RETURN_IF_ERROR(EvaluateInto(k, in, &input));
  }
  std::vector<exec::AggregateSpec> specs;
  for (const auto& a : q.aggregates) {
    exec::AggregateSpec spec{a.kind, a.distinct, -1, a.type};
    if (a.kind != sql::AggregateKind::kCountStar) {
      spec.arg = static_cast<int>(input.columns.size());
      types.push_back(a.arg.type);
      RETURN_IF_ERROR(EvaluateInto(a.arg, in, &input));
    }
    specs.push_back(spec);
  }
  ASSIGN_OR_RETURN(auto op, exec::AggregateOperator::Make(types, groups, specs));
  Batch changes = exec::MakeBatch(op->output_types());
  exec::SideOutput side;
  RETURN_IF_ERROR(op->Push(input, &changes, &side));
  Batch rows = exec::MakeBatch(op->output_types());
  RETURN_IF_ERROR(op->Snapshot(&rows));
  if (q.group_keys.empty()) AddEmptyGlobalGroup(q.aggregates, &rows);
  return rows;
}

}  // namespace

void AddEmptyGlobalGroup(const std::vector<sql::BoundAggregate>& aggregates, Batch* aggregated) {
  if (aggregated->num_rows() > 0) return;
  for (size_t i = 0; i < aggregates.size(); ++i) {
    sql::AggregateKind k = aggregates[i].kind;
    bool count = k == sql::AggregateKind::kCountStar || k == sql::AggregateKind::kCount;
    aggregated->columns[i].AppendValue(count ? Value::Int64(0) : Value::Null());
  }
  aggregated->weights.push_back(1);
}

Result<QueryResult> ExecuteQuery(const sql::BoundQuery& q, const Batch& table_rows) {
  Batch rows = Expand(table_rows);
  if (q.where) {
    ASSIGN_OR_RETURN(rows, Filter(*q.where, rows));
  }
  if (q.aggregated) {
    ASSIGN_OR_RETURN(rows, Aggregate(q, rows));
    if (q.having) {
      ASSIGN_OR_RETURN(rows, Filter(*q.having, rows));
    }
  }
  Batch outputs;
  outputs.weights = rows.weights;
  for (const auto& o : q.outputs)
    RETURN_IF_ERROR(EvaluateInto(o.expr, rows, &outputs));
  // Sort; equal keys keep the table's own order (a deterministic answer). With a LIMIT only
  // the rows up to OFFSET + LIMIT are put in order.
  const size_t n = outputs.num_rows();
  const size_t begin = std::min<size_t>(static_cast<size_t>(std::max<int64_t>(q.offset, 0)), n);
  const size_t end =
      q.limit ? std::min<size_t>(n, begin + static_cast<size_t>(std::max<int64_t>(*q.limit, 0)))
              : n;
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (!q.order_by.empty()) {
    const size_t width = q.order_by.size();
    std::vector<Value> keys(n * width);
    for (size_t r = 0; r < n; ++r) {
      for (size_t i = 0; i < width; ++i)
        keys[r * width + i] = outputs.columns[q.order_by[i].column].GetValue(r);
    }
    auto before = [&](size_t a, size_t b) {
      for (size_t i = 0; i < width; ++i) {
        const Value& x = keys[a * width + i];
        const Value& y = keys[b * width + i];
        if (x.is_null() != y.is_null()) return x.is_null() == q.order_by[i].nulls_first;
        int c = Compare(x, y);
        if (c != 0) return q.order_by[i].descending ? c > 0 : c < 0;
      }
      return a < b;
    };
    if (end < n) {
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(end),
                        order.end(), before);
    } else {
      std::sort(order.begin(), order.end(), before);
    }
  }
  QueryResult result;
  for (size_t i = 0; i < q.visible; ++i) {
    result.names.push_back(q.outputs[i].name);
    result.types.push_back(q.outputs[i].type);
    result.rows.columns.emplace_back(q.outputs[i].type);
  }
  for (size_t i = begin; i < end; ++i) {
    for (size_t c = 0; c < q.visible; ++c) {
      result.rows.columns[c].AppendFrom(outputs.columns[c], order[i]);
    }
    result.rows.weights.push_back(1);
  }
  return result;
}

namespace {

std::string Cell(const QueryResult& r, size_t row, size_t col) {
  Value v = r.rows.columns[col].GetValue(row);
  return v.is_null() ? "" : v.ToString(r.types[col]);
}

}  // namespace

std::string FormatTable(const QueryResult& r) {
  size_t n = r.names.size();
  std::vector<size_t> width(n);
  for (size_t c = 0; c < n; ++c)
    width[c] = r.names[c].size();
  for (size_t row = 0; row < r.rows.num_rows(); ++row) {
    for (size_t c = 0; c < n; ++c)
      width[c] = std::max(width[c], Cell(r, row, c).size());
  }
  auto right = [&](size_t c) {
    TypeId t = r.types[c].id;
    return t == TypeId::kBigint || t == TypeId::kDouble || t == TypeId::kNumeric;
  };
  auto line = [&](auto cell) {
    std::string s;
    for (size_t c = 0; c < n; ++c) {
      std::string v = cell(c);
      std::string pad(width[c] - std::min(width[c], v.size()), ' ');
      s += (c ? " | " : " ") + (right(c) ? pad + v : v + pad);
    }
    return s + "\n";
  };
  std::string out = line([&](size_t c) { return r.names[c]; });
  for (size_t c = 0; c < n; ++c)
    out += (c ? "-+-" : "-") + std::string(width[c], '-');
  out += "-\n";
  for (size_t row = 0; row < r.rows.num_rows(); ++row) {
    out += line([&](size_t c) { return Cell(r, row, c); });
  }
  size_t rows = r.rows.num_rows();
  return out + "(" + std::to_string(rows) + (rows == 1 ? " row)\n" : " rows)\n");
}

std::string FormatJsonLines(const QueryResult& r) {
  std::string out;
  for (size_t row = 0; row < r.rows.num_rows(); ++row) {
    JsonObject o;
    for (size_t c = 0; c < r.names.size(); ++c) {
      Value v = r.rows.columns[c].GetValue(row);
      if (v.is_null()) {
        o.AddRaw(r.names[c], "null");
        continue;
      }
      switch (r.types[c].id) {
        case TypeId::kBoolean:
          o.Add(r.names[c], v.as_bool());
          break;
        case TypeId::kBigint:
          o.Add(r.names[c], v.as_int64());
          break;
        // Exact numbers print as JSON numbers with their exact digits.
        case TypeId::kNumeric:
          o.AddRaw(r.names[c], v.ToString(r.types[c]));
          break;
        case TypeId::kDouble: {
          std::string text = v.ToString(r.types[c]);
          bool finite = text != "NaN" && text != "Infinity" && text != "-Infinity";
          if (finite) {
            o.AddRaw(r.names[c], text);
          } else {
            o.Add(r.names[c], text);
          }
          break;
        }
        default:
          o.Add(r.names[c], v.ToString(r.types[c]));
      }
    }
    out += o.Finish() + "\n";
  }
  return out;
}

std::string FormatCsv(const QueryResult& r) {
  auto quote = [](const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string q = "\"";
    for (char ch : s)
      q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return q + "\"";
  };
  std::string out;
  for (size_t c = 0; c < r.names.size(); ++c)
    out += (c ? "," : "") + quote(r.names[c]);
  out += "\n";
  for (size_t row = 0; row < r.rows.num_rows(); ++row) {
    for (size_t c = 0; c < r.names.size(); ++c)
      out += (c ? "," : "") + quote(Cell(r, row, c));
    out += "\n";
  }
  return out;
}

}  // namespace strata::runtime
