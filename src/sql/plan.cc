#include "sql/plan.h"

#include <algorithm>

#include "common/assert.h"
#include "common/datetime.h"

namespace strata::sql {
namespace {

std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

std::string LiteralText(const BoundExpr& e) {
  const Value& v = e.literal;
  if (v.is_null()) return "NULL";
  switch (e.type.id) {
    case TypeId::kBoolean:
      return v.as_bool() ? "TRUE" : "FALSE";
    case TypeId::kText:
      return Quote(v.as_string());
    case TypeId::kTimestamp:
      return "timestamp " + Quote(FormatSqlTimestamp(v.as_int64()));
    case TypeId::kDate:
      return "date " + Quote(FormatDate(v.as_int32()));
    default:
      return v.ToString(e.type);
  }
}

const char* Infix(Func f) {
  switch (f) {
    case Func::kAdd:
      return "+";
    case Func::kSubtract:
      return "-";
    case Func::kMultiply:
      return "*";
    case Func::kDivide:
      return "/";
    case Func::kModulo:
      return "%";
    case Func::kEqual:
      return "=";
    case Func::kNotEqual:
      return "<>";
    case Func::kLess:
      return "<";
    case Func::kLessEqual:
      return "<=";
    case Func::kGreater:
      return ">";
    case Func::kGreaterEqual:
      return ">=";
    case Func::kConcat:
      return "||";
    case Func::kLike:
      return "LIKE";
    case Func::kILike:
      return "ILIKE";
    default:
      return nullptr;
  }
}

const char* FunctionName(Func f) {
  switch (f) {
    case Func::kConcatFunction:
      return "concat";
    case Func::kLower:
      return "lower";
    case Func::kUpper:
      return "upper";
    case Func::kBtrim:
      return "btrim";
    case Func::kLtrim:
      return "ltrim";
    case Func::kRtrim:
      return "rtrim";
    case Func::kLength:
      return "length";
    case Func::kSubstring:
      return "substring";
    case Func::kRegexpReplace:
      return "regexp_replace";
    case Func::kRound:
      return "round";
    case Func::kAbs:
      return "abs";
    case Func::kDateTrunc:
      return "date_trunc";
    case Func::kExtract:
      return "extract";
    case Func::kNullIf:
      return "nullif";
    case Func::kGreatest:
      return "greatest";
    case Func::kLeast:
      return "least";
    default:
      return "?";
  }
}

// Column names for printing: quoted as identifiers, or as given (already SQL).
struct Names {
  std::span<const std::string> list;
  bool quote = true;
};

void Append(const BoundExpr& e, const Names& names, bool top, std::string* out);

void AppendList(const std::vector<BoundExpr>& list, size_t from, const Names& names,
                std::string* out) {
  for (size_t i = from; i < list.size(); ++i) {
    if (i > from) *out += ", ";
    Append(list[i], names, true, out);
  }
}

void AppendCall(const BoundExpr& e, const Names& names, bool top, std::string* out) {
  const auto& c = e.children;
  if (e.func == Func::kNegate) {
    *out += "-";
    Append(c[0], names, false, out);
    return;
  }
  if (const char* op = Infix(e.func)) {
    if (!top) *out += '(';
    Append(c[0], names, false, out);
    *out += std::string(" ") + op + " ";
    Append(c[1], names, false, out);
    if (!top) *out += ')';
    return;
  }
  if (e.func == Func::kExtract) {
    *out += "extract(" + c[0].literal.as_string() + " FROM ";
    Append(c[1], names, true, out);
    *out += ')';
    return;
  }
  *out += std::string(FunctionName(e.func)) + "(";
  AppendList(c, 0, names, out);
  *out += ')';
}

void Append(const BoundExpr& e, const Names& names, bool top, std::string* out) {
  const auto& c = e.children;
  auto open = [&]() {
    if (!top) *out += '(';
  };
  auto close = [&]() {
    if (!top) *out += ')';
  };
  switch (e.kind) {
    case BoundKind::kColumn:
      if (e.column >= 0 && static_cast<size_t>(e.column) < names.list.size()) {
        const std::string& name = names.list[e.column];
        *out += names.quote ? QuoteIdentifier(name) : name;
      } else {
        *out += "#" + std::to_string(e.column);
      }
      return;
    case BoundKind::kLiteral:
      *out += LiteralText(e);
      return;
    case BoundKind::kCall:
      return AppendCall(e, names, top, out);
    case BoundKind::kCast:
      *out += "CAST(";
      Append(c[0], names, true, out);
      *out += " AS " + e.type.ToString() + ")";
      return;
    case BoundKind::kAnd:
    case BoundKind::kOr:
      open();
      for (size_t i = 0; i < c.size(); ++i) {
        if (i > 0) *out += e.kind == BoundKind::kAnd ? " AND " : " OR ";
        Append(c[i], names, false, out);
      }
      return close();
    case BoundKind::kNot:
      open();
      *out += "NOT ";
      Append(c[0], names, false, out);
      return close();
    case BoundKind::kIsNull:
      open();
      Append(c[0], names, false, out);
      *out += e.negated ? " IS NOT NULL" : " IS NULL";
      return close();
    case BoundKind::kIn:
      open();
      Append(c[0], names, false, out);
      *out += e.negated ? " NOT IN (" : " IN (";
      AppendList(c, 1, names, out);
      *out += ')';
      return close();
    case BoundKind::kCase: {
      *out += "CASE";
      size_t pairs = (c.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; ++i) {
        *out += " WHEN ";
        Append(c[2 * i], names, true, out);
        *out += " THEN ";
        Append(c[2 * i + 1], names, true, out);
      }
      if (e.has_else) {
        *out += " ELSE ";
        Append(c.back(), names, true, out);
      }
      *out += " END";
      return;
    }
    case BoundKind::kCoalesce:
      *out += "coalesce(";
      AppendList(c, 0, names, out);
      *out += ')';
      return;
  }
}

}  // namespace

// bound_expr.h: count(*) and count(x) are both "count".
const char* AggregateName(AggregateKind kind) {
  switch (kind) {
    case AggregateKind::kCountStar:
    case AggregateKind::kCount:
      return "count";
    case AggregateKind::kSum:
      return "sum";
    case AggregateKind::kAvg:
      return "avg";
    case AggregateKind::kMin:
      return "min";
    case AggregateKind::kMax:
      return "max";
  }
  return "?";
}

const char* ConnectorName(Connector connector) {
  switch (connector) {
    case Connector::kHttp:
      return "http";
    case Connector::kFile:
      return "file";
    case Connector::kPostgresCdc:
      return "postgres-cdc";
  }
  return "?";
}

namespace {

constexpr std::string_view kMask = "***";

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// libpq's keyword = value form: a value is 'quoted' (backslash escapes) or runs to the next
// white space (backslash escapes too). Stops at the first thing that is not a setting, and
// copies the rest as it is (libpq refuses such a string anyway).
std::string MaskKeywordValue(std::string_view c) {
  std::string out;
  size_t copied = 0, i = 0;
  auto skip_space = [&] {
    while (i < c.size() && IsSpace(c[i]))
      ++i;
  };
  while (true) {
    skip_space();
    const size_t key_start = i;
    while (i < c.size() && c[i] != '=' && !IsSpace(c[i]))
      ++i;
    const std::string_view key = c.substr(key_start, i - key_start);
    skip_space();
    if (key.empty() || i >= c.size() || c[i] != '=') break;
    ++i;
    skip_space();
    const size_t value_start = i;
    const bool quoted = i < c.size() && c[i] == '\'';
    if (quoted) ++i;
    while (i < c.size()) {
      if (c[i] == '\\' && i + 1 < c.size()) {
        i += 2;
        continue;
      }
      if (quoted ? c[i] == '\'' : IsSpace(c[i])) break;
      ++i;
    }
    if (quoted && i < c.size()) ++i;  // the closing quote
    if (key == "password" && i > value_start) {
      out.append(c.substr(copied, value_start - copied)).append(kMask);
      copied = i;
    }
  }
  return out.append(c.substr(copied));
}

// postgresql://[user[:password]@][hosts][/dbname][?param=value&...]
std::string MaskUri(std::string_view c, size_t authority_start) {
  std::string out;
  size_t copied = 0;
  const size_t authority_end = std::min(c.find_first_of("/?", authority_start), c.size());
  const size_t at = c.substr(0, authority_end).rfind('@');
  if (at != std::string_view::npos && at >= authority_start) {
    const size_t colon = c.substr(0, at).find(':', authority_start);
    if (colon != std::string_view::npos) {
      out.append(c.substr(0, colon + 1)).append(kMask);
      copied = at;
    }
  }
  size_t i = c.find('?', authority_end);
  while (i != std::string_view::npos && i < c.size()) {
    const size_t start = i + 1;
    const size_t end = std::min(c.find('&', start), c.size());
    const std::string_view param = c.substr(start, end - start);
    if (param.starts_with("password=")) {
      const size_t value_start = start + std::string_view("password=").size();
      out.append(c.substr(copied, value_start - copied)).append(kMask);
      copied = end;
    }
    i = end;
  }
  return out.append(c.substr(copied));
}

}  // namespace

std::vector<Type> ColumnTypes(const std::vector<ColumnSchema>& columns) {
  std::vector<Type> types;
  for (const ColumnSchema& c : columns)
    types.push_back(c.type);
  return types;
}

std::vector<std::string> ColumnNames(const std::vector<ColumnSchema>& columns) {
  std::vector<std::string> names;
  for (const ColumnSchema& c : columns)
    names.push_back(c.name);
  return names;
}

std::string MaskConninfo(std::string_view conninfo) {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (conninfo.starts_with(scheme)) return MaskUri(conninfo, scheme.size());
  }
  return MaskKeywordValue(conninfo);
}

const char* OnViolationName(OnViolation v) {
  switch (v) {
    case OnViolation::kQuarantine:
      return "quarantine";
    case OnViolation::kDrop:
      return "drop";
    case OnViolation::kFail:
      return "fail";
  }
  return "?";
}

const char* ServingName(Serving s) {
  return s == Serving::kKappa ? "kappa" : "lambda";
}

// bound_expr.h: the SQL spelling, "+" for kAdd, "-" for kNegate, "round" for kRound.
const char* FuncName(Func f) {
  if (f == Func::kNegate) return "-";
  if (const char* op = Infix(f)) return op;
  return FunctionName(f);
}

const std::vector<ColumnSchema>& QuarantineColumns() {
  static const std::vector<ColumnSchema> kColumns = {
      {"reason", Type::Text(), true},       {"constraint_name", Type::Text(), false},
      {"source_table", Type::Text(), true}, {"partition", Type::Bigint(), true},
      {"offset", Type::Bigint(), true},     {"schema_version", Type::Bigint(), true},
      {"payload", Type::Text(), false},
  };
  return kColumns;
}

const std::vector<ColumnSchema>& LateColumns() {
  static const std::vector<ColumnSchema> kColumns = {
      {"reason", Type::Text(), true},
      {"source_table", Type::Text(), true},
      {"partition", Type::Bigint(), true},
      {"offset", Type::Bigint(), true},
      {"event_time", Type::Timestamp(), true},
      {"watermark", Type::Timestamp(), false},
      {"window_start", Type::Timestamp(), false},
      {"window_end", Type::Timestamp(), false},
  };
  return kColumns;
}

const char* WindowKindName(WindowKind kind) {
  switch (kind) {
    case WindowKind::kTumble:
      return "tumble";
    case WindowKind::kHop:
      return "hop";
    case WindowKind::kSession:
      return "session";
  }
  return "?";
}

std::string QuarantineTableName(std::string_view silver_table) {
  return std::string(silver_table) + std::string(kQuarantineSuffix);
}

const BronzeTable* Pipeline::FindBronze(std::string_view name) const {
  for (const BronzeTable& t : bronze) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const SilverTable* Pipeline::FindSilver(std::string_view name) const {
  for (const SilverTable& t : silver) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

const GoldView* Pipeline::FindGold(std::string_view name) const {
  for (const GoldView& v : gold) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

const std::vector<ColumnSchema>* Pipeline::FindColumns(std::string_view name) const {
  if (const BronzeTable* t = FindBronze(name)) return &t->columns;
  if (const SilverTable* t = FindSilver(name)) return &t->columns;
  if (const GoldView* v = FindGold(name)) return &v->columns;
  for (const SilverTable& t : silver) {
    if (t.quarantine_table == name) return &QuarantineColumns();
  }
  for (const GoldView& v : gold) {
    if (!v.late_table.empty() && v.late_table == name) return &LateColumns();
  }
  return nullptr;
}

const std::vector<ColumnSchema>* Pipeline::FindNodeColumns(std::string_view name) const {
  if (const SilverTable* t = FindSilver(name)) return &t->columns;
  if (const GoldView* v = FindGold(name)) return &v->columns;
  return nullptr;
}

std::vector<std::string> Pipeline::Upstream(std::string_view table) const {
  std::vector<std::string> reached{std::string(table)};
  auto reached_has = [&](std::string_view name) {
    return std::find(reached.begin(), reached.end(), name) != reached.end();
  };
  auto reach = [&](const std::string& name) {
    if (!reached_has(name)) reached.push_back(name);
  };
  // The graph is in dependency order: walking it backwards meets every reader before what
  // it reads.
  for (size_t i = gold.size(); i-- > 0;) {
    if (!reached_has(gold[i].name)) continue;
    reach(gold[i].source);
    if (gold[i].join) reach(gold[i].join->right);
  }
  for (size_t i = silver.size(); i-- > 0;) {
    if (!reached_has(silver[i].name)) continue;
    for (const SilverInput& in : silver[i].inputs) {
      reach(in.source);
      if (in.join) reach(in.join->right);
    }
  }
  return reached;
}

std::vector<std::string> JoinSpec::QualifiedNames() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < columns.size(); ++i) {
    out.push_back(QuoteIdentifier(i < left_columns ? left_qualifier : right_qualifier) + "." +
                  QuoteIdentifier(columns[i].name));
  }
  return out;
}

const std::vector<ColumnSchema>& Pipeline::InputColumns(const GoldView& view) const {
  if (view.join) return view.join->columns;
  const std::vector<ColumnSchema>* columns = FindNodeColumns(view.source);
  STRATA_ASSERT(columns != nullptr);  // the binder resolved it
  return *columns;
}

const std::vector<ColumnSchema>& Pipeline::InputColumns(const SilverInput& input) const {
  if (input.join) return input.join->columns;
  if (const BronzeTable* b = FindBronze(input.source)) return b->columns;
  const std::vector<ColumnSchema>* columns = FindNodeColumns(input.source);
  STRATA_ASSERT(columns != nullptr);  // the binder resolved it
  return *columns;
}

const SilverTable* Pipeline::JoinedUpstream(std::string_view table) const {
  const std::vector<std::string> upstream = Upstream(table);
  for (const SilverTable& s : silver) {
    if (s.from_silver() && s.inputs[0].join &&
        std::find(upstream.begin(), upstream.end(), s.name) != upstream.end()) {
      return &s;
    }
  }
  return nullptr;
}

std::vector<std::string> Pipeline::BronzeSources(std::string_view table) const {
  const std::vector<std::string> upstream = Upstream(table);
  std::vector<std::string> out;
  for (const BronzeTable& b : bronze) {
    if (b.name != table && std::find(upstream.begin(), upstream.end(), b.name) != upstream.end()) {
      out.push_back(b.name);
    }
  }
  return out;
}

std::string FormatBoundExpr(const BoundExpr& expr, std::span<const std::string> column_names,
                            bool quote_names) {
  std::string out;
  Append(expr, Names{column_names, quote_names}, true, &out);
  return out;
}

std::string FormatBoundAggregate(const BoundAggregate& agg,
                                 std::span<const std::string> column_names, bool quote_names) {
  std::string out = std::string(AggregateName(agg.kind)) + "(";
  if (agg.kind == AggregateKind::kCountStar) return out + "*)";
  if (agg.distinct) out += "DISTINCT ";
  return out + FormatBoundExpr(agg.arg, column_names, quote_names) + ")";
}

}  // namespace strata::sql
