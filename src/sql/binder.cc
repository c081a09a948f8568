// BindPipeline: CREATE TABLE (bronze, silver), INSERT ... SELECT (silver) and CREATE
// MATERIALIZED VIEW (gold) → Pipeline. The statement kinds are bound in bind_tables.cc,
// bind_insert.cc and bind_view.cc.
#include "sql/binder.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include "sql/pipeline_binder.h"

namespace strata::sql {
namespace internal {

const char* LayerName(Layer layer) {
  switch (layer) {
    case Layer::kBronze:
      return "bronze";
    case Layer::kSilver:
      return "silver";
    case Layer::kGold:
      return "gold";
  }
  return "?";
}

Result<Options> Options::Read(const std::vector<Option>& options,
                              std::initializer_list<std::string_view> known, std::string_view what,
                              const ErrorSink& errors) {
  Options out;
  for (const Option& o : options) {
    if (std::find(known.begin(), known.end(), o.key) == known.end()) {
      std::string list;
      for (std::string_view k : known)
        list += (list.empty() ? "" : ", ") + std::string(k);
      return errors.At(o.location, "unknown option " + Quoted(o.key) + " for " + std::string(what) +
                                       " (known options: " + list + ")");
    }
    if (out.Get(o.key) != nullptr) {
      return errors.At(o.location, "option " + Quoted(o.key) + " is given more than once");
    }
    out.options_.push_back(&o);
  }
  return out;
}

const Option* Options::Get(std::string_view key) const {
  for (const Option* o : options_) {
    if (o->key == key) return o;
  }
  return nullptr;
}

// Checks `value` against `choices`; returns its index.
Result<size_t> Choose(const Option& option, std::initializer_list<std::string_view> choices,
                      const ErrorSink& errors) {
  std::string list;
  size_t i = 0;
  for (std::string_view c : choices) {
    if (option.value == c) return i;
    ++i;
    list += (list.empty() ? "" : i == choices.size() ? " or " : ", ") + SingleQuoted(c);
  }
  return errors.At(option.location,
                   option.key + " must be " + list + ", not " + SingleQuoted(option.value));
}

int FindColumn(const std::vector<ColumnSchema>& columns, std::string_view name) {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (columns[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

// `name` is not a column of `table`: the error, with a "did you mean".
Status NoSuchColumn(std::string_view what, std::string_view name, std::string_view table,
                    const std::vector<ColumnSchema>& columns, SourceLocation at,
                    const ErrorSink& errors) {
  std::string message =
      std::string(what) + " " + Quoted(name) + " is not a column of " + std::string(table);
  std::string closest = ClosestName(name, ColumnNames(columns));
  if (!closest.empty()) message += " (did you mean " + Quoted(closest) + "?)";
  return errors.At(at, message);
}

std::string LineColumn(SourceLocation at) {
  return std::to_string(at.line) + ":" + std::to_string(at.column);
}

Result<Pipeline> PipelineBinder::Bind(const std::vector<Statement>& statements) {
  for (const Statement& s : statements) {
    const Select* select = nullptr;
    std::string reader;
    if (const auto* insert = std::get_if<InsertSelect>(&s.node)) {
      select = &insert->select;
      reader = ToString(insert->target);
    } else if (const auto* view = std::get_if<CreateMaterializedView>(&s.node)) {
      select = &view->select;
      reader = ToString(view->view);
    }
    if (select == nullptr) continue;
    reads_[reader].push_back(ToString(select->from.table));
    if (select->join) reads_[reader].push_back(ToString(select->join->right.table));
  }
  // Tables first, so that statements may come in any order.
  for (const Statement& s : statements) {
    if (const auto* create = std::get_if<CreateTable>(&s.node)) {
      ASSIGN_OR_RETURN(std::string name, Declare(create->table, false, s.location));
      if (create->table.schema == "bronze") {
        RETURN_IF_ERROR(BindBronze(*create, std::move(name), s.location));
      } else {
        RETURN_IF_ERROR(BindSilverTable(*create, std::move(name), s.location));
      }
    } else if (const auto* view = std::get_if<CreateMaterializedView>(&s.node)) {
      RETURN_IF_ERROR(Declare(view->view, true, s.location).status());
    }
  }
  for (const Statement& s : statements) {
    if (const auto* insert = std::get_if<InsertSelect>(&s.node)) {
      RETURN_IF_ERROR(BindInsert(*insert, s.location));
    }
  }
  for (size_t i = 0; i < pipeline_.silver.size(); ++i) {
    const SilverTable& t = pipeline_.silver[i];
    if (insert_at_[i].line == 0) {
      return errors_.At(t.defined_at, t.name + " has no INSERT INTO " + t.name +
                                          " SELECT ... FROM bronze.<table> to fill it");
    }
    if (t.inputs.size() > 1 && std::any_of(t.inputs.begin(), t.inputs.end(),
                                           [](const SilverInput& in) { return in.from_silver; })) {
      const SilverInput& in = *std::find_if(t.inputs.begin(), t.inputs.end(),
                                            [](const SilverInput& i) { return i.from_silver; });
      return errors_.At(in.defined_at,
                        t.name + " reads " + in.source +
                            " and has other INSERTs: a silver table fed by a silver table has "
                            "exactly that one INSERT (several INSERTs may each read a bronze "
                            "table)");
    }
  }
  for (const Statement& s : statements) {
    if (const auto* view = std::get_if<CreateMaterializedView>(&s.node)) {
      RETURN_IF_ERROR(BindView(*view, s.location));
    }
  }
  return std::move(pipeline_);
}

Result<std::string> PipelineBinder::Declare(const TableName& table, bool view, SourceLocation at) {
  const std::string& schema = table.schema;
  const std::string& name = table.name;
  if (schema.empty()) {
    return errors_.At(table.location,
                      "table name " + Quoted(name) + " needs its layer as schema: " +
                          (view ? "gold." + name : "bronze." + name + " or silver." + name));
  }
  if (schema != "bronze" && schema != "silver" && schema != "gold") {
    return errors_.At(table.location, "schema " + Quoted(schema) +
                                          " is not a layer: name tables bronze.<name>, "
                                          "silver.<name> or gold.<name>");
  }
  std::string full = ToString(table);
  if (!view && schema == "gold") {
    return errors_.At(table.location, full +
                                          ": gold tables are materialized views (CREATE "
                                          "MATERIALIZED VIEW " +
                                          full + " AS SELECT ...)");
  }
  if (view && schema != "gold") {
    return errors_.At(table.location, "materialized views belong to the gold layer: name it gold." +
                                          QuoteIdentifier(name));
  }
  if (name.size() >= kQuarantineSuffix.size() &&
      name.compare(name.size() - kQuarantineSuffix.size(), std::string::npos, kQuarantineSuffix) ==
          0) {
    return errors_.At(table.location, "table names ending in " + std::string(kQuarantineSuffix) +
                                          " are reserved for quarantine tables");
  }
  auto it = tables_.find(full);
  if (it != tables_.end()) {
    return errors_.At(table.location,
                      full + " is already defined (at line " + LineColumn(it->second.at) + ")");
  }
  Layer layer = schema == "bronze"   ? Layer::kBronze
                : schema == "silver" ? Layer::kSilver
                                     : Layer::kGold;
  // Gold views are looked up by name only: their index is not needed.
  size_t index = layer == Layer::kBronze   ? pipeline_.bronze.size()
                 : layer == Layer::kSilver ? pipeline_.silver.size()
                                           : 0;
  const size_t order = tables_.size();
  tables_[full] = Declared{layer, index, at, order};
  return full;
}

Status PipelineBinder::CheckLayerOption(const Options& options, std::string_view table) {
  const Option* layer = options.Get("layer");
  if (layer == nullptr) return Status::OK();
  std::string_view schema = table.substr(0, table.find('.'));
  if (layer->value == schema) return Status::OK();
  return errors_.At(layer->location,
                    "layer = " + SingleQuoted(layer->value) +
                        " does not match the table's schema: " + std::string(table) +
                        " is in the " + std::string(schema) + " layer");
}

Result<const PipelineBinder::Declared*> PipelineBinder::ResolveSource(const TableRef& from,
                                                                      Layer want,
                                                                      std::string_view reader) {
  const Declared& me = tables_.at(std::string(reader));
  std::string name = ToString(from.table);
  auto it = tables_.find(name);
  if (it == tables_.end()) {
    std::vector<std::string> names;
    for (const auto& [n, d] : tables_) {
      if (d.layer == want || (d.layer == me.layer && d.order < me.order)) names.push_back(n);
    }
    std::string message = "table " + Quoted(name) + " does not exist";
    std::string closest = ClosestName(name, names);
    if (from.table.schema.empty()) {
      std::string qualified = std::string(LayerName(want)) + "." + name;
      if (tables_.count(qualified)) closest = qualified;
    }
    if (!closest.empty()) message += " (did you mean " + closest + "?)";
    return errors_.At(from.table.location, message);
  }
  const Declared& source = it->second;
  if (source.layer == want) return &source;
  std::string reads = std::string(reader) + " reads " + name;
  if (source.layer == me.layer && name == reader) {
    return errors_.At(from.table.location,
                      reads + ", itself: a node cannot read its own rows (a cycle)");
  }
  if (source.layer == me.layer && source.order > me.order) {
    std::string cycle = PathBetween(name, std::string(reader));
    if (!cycle.empty()) {
      return errors_.At(from.table.location, "cycle: " + std::string(reader) + " → " + cycle +
                                                 " (a pipeline is a graph without cycles)");
    }
    return errors_.At(from.table.location, reads + ", which is defined later (at line " +
                                               LineColumn(source.at) +
                                               "): a node reads only nodes defined before it");
  }
  if (source.layer == me.layer) return &source;
  std::string what = want == Layer::kBronze
                         ? "a silver table reads from a bronze table or an earlier silver table"
                         : "a gold view reads from a silver table or an earlier gold view (bronze "
                           "holds raw records; clean them in silver first)";
  return errors_.At(from.table.location,
                    reads + ", a " + LayerName(source.layer) + " table: " + what);
}

std::string PipelineBinder::PathBetween(const std::string& from, const std::string& to) const {
  // Depth-first over the statements' reads; `seen` keeps it finite on other cycles.
  std::vector<std::string> seen;
  std::function<std::string(const std::string&)> walk = [&](const std::string& at) -> std::string {
    if (at == to) return at;
    if (std::find(seen.begin(), seen.end(), at) != seen.end()) return "";
    seen.push_back(at);
    auto it = reads_.find(at);
    if (it == reads_.end()) return "";
    for (const std::string& next : it->second) {
      std::string rest = walk(next);
      if (!rest.empty()) return at + " → " + rest;
    }
    return "";
  };
  return walk(from);
}

Status PipelineBinder::RejectClauses(const Select& select, std::string_view where,
                                     SourceLocation at, bool allow_grouping) {
  auto reject = [&](std::string_view clause, SourceLocation loc) {
    return errors_.At(loc.line ? loc : at,
                      std::string(clause) + " is not supported in " + std::string(where));
  };
  if (select.distinct) return reject("SELECT DISTINCT", at);
  if (!allow_grouping && !select.group_by.empty()) {
    return reject("GROUP BY", select.group_by[0]->location);
  }
  if (select.having) return reject("HAVING", select.having->location);
  if (!select.order_by.empty()) return reject("ORDER BY", select.order_by[0].expr->location);
  if (select.limit) return reject("LIMIT", select.limit->location);
  if (select.offset) return reject("OFFSET", select.offset->location);
  return Status::OK();
}

}  // namespace internal

using internal::PipelineBinder;
using internal::SingleQuoted;

Result<Pipeline> BindPipeline(const std::vector<Statement>& statements,
                              std::string_view file_name) {
  PipelineBinder binder(file_name);
  return binder.Bind(statements);
}

Result<Micros> ParseDurationOption(std::string_view text) {
  std::string_view s = text;
  while (!s.empty() && s.front() == ' ')
    s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ')
    s.remove_suffix(1);
  auto bad = [&]() {
    return Status::InvalidArgument(
        "expected a duration like '1 minute', '30 seconds' or '15m', "
        "not " +
        SingleQuoted(text));
  };
  Micros micros = 0;
  if (ParseDuration(s, &micros)) {
    if (micros <= 0)
      return Status::InvalidArgument("a duration must be positive, not " + SingleQuoted(text));
    return micros;
  }
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec != std::errc() || end == s.data()) return bad();
  std::string unit(end, s.data() + s.size());
  unit.erase(0, unit.find_first_not_of(' '));
  for (char& c : unit) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  static constexpr std::pair<std::string_view, Micros> kUnits[] = {
      {"microsecond", 1},      {"millisecond", 1000},   {"second", 1000000},
      {"sec", 1000000},        {"minute", 60'000'000},  {"min", 60'000'000},
      {"hour", 3'600'000'000}, {"day", 86'400'000'000}, {"week", 7 * 86'400'000'000},
  };
  for (const auto& [name, unit_micros] : kUnits) {
    if (unit != name && unit != std::string(name) + "s") continue;
    if (n <= 0)
      return Status::InvalidArgument("a duration must be positive, not " + SingleQuoted(text));
    if (n > INT64_MAX / unit_micros)
      return Status::InvalidArgument("duration " + SingleQuoted(text) + " is too long");
    return n * unit_micros;
  }
  return bad();
}

Result<Micros> ParseLatenessOption(std::string_view text) {
  size_t first = text.find_first_not_of(' ');
  if (first != std::string_view::npos && text[first] == '0') {
    // "0 seconds": a zero duration, when the same text with 1 is one.
    std::string one(text);
    one[first] = '1';
    size_t digits = first + 1;
    while (digits < one.size() && one[digits] == '0')
      one.erase(digits, 1);
    if (digits == one.size() || one[digits] < '0' || one[digits] > '9') {
      RETURN_IF_ERROR(ParseDurationOption(one).status());
      return 0;
    }
  }
  return ParseDurationOption(text);
}

}  // namespace strata::sql
