// CREATE TABLE: bronze tables (options) and silver tables (keys, options, constraints).
#include "sql/pipeline_binder.h"

#include "sql/binder.h"

#include <algorithm>
#include <charconv>

namespace strata::sql::internal {
namespace {

constexpr uint32_t kMaxPartitions = 4096;
constexpr size_t kMaxPgIdentifier = 63;  // PostgreSQL's NAMEDATALEN - 1

// What a replication slot name may be (PostgreSQL allows lower-case letters, digits and
// '_'), and an unquoted identifier for the publication: not starting with a digit.
bool IsPgIdentifier(std::string_view name) {
  if (name.empty() || name.size() > kMaxPgIdentifier) return false;
  if (name[0] >= '0' && name[0] <= '9') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// "strata_" + the table name, '.' (and anything else an identifier cannot hold) as '_'.
std::string DefaultCdcName(std::string_view table) {
  std::string name = "strata_";
  for (char c : table) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool keep = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    name += keep ? c : '_';
  }
  if (name.size() > kMaxPgIdentifier) name.resize(kMaxPgIdentifier);
  return name;
}

// 'table' or 'schema.table', neither part empty.
bool IsSourceTable(std::string_view name) {
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos) return !name.empty();
  return dot > 0 && dot + 1 < name.size() && name.find('.', dot + 1) == std::string_view::npos;
}

constexpr std::string_view kCdcOptions[] = {"conninfo", "source_table", "slot", "publication"};

// connector = 'postgres-cdc': where the changes come from (the format is debezium).
Status BindCdcOptions(const Options& options, const ErrorSink& errors, BronzeTable* table) {
  if (table->connector != Connector::kPostgresCdc) {
    for (std::string_view key : kCdcOptions) {
      if (const Option* o = options.Get(key)) {
        return errors.At(o->location,
                         std::string(key) + " is only used with connector = 'postgres-cdc'");
      }
    }
    return Status::OK();
  }
  const Option* connector = options.Get("connector");
  if (const Option* o = options.Get("format"); o != nullptr && o->value != "debezium") {
    return errors.At(o->location,
                     "connector = 'postgres-cdc' stores change envelopes: format must be "
                     "'debezium', not " +
                         SingleQuoted(o->value));
  }
  table->format = format::PayloadFormat::kDebezium;
  const Option* conninfo = options.Get("conninfo");
  if (conninfo == nullptr || conninfo->value.empty()) {
    return errors.At(conninfo ? conninfo->location : connector->location,
                     "connector = 'postgres-cdc' needs conninfo = '<libpq connection string>' "
                     "(such as 'host=db.internal dbname=shop user=strata')");
  }
  table->conninfo = conninfo->value;
  const Option* source = options.Get("source_table");
  if (source == nullptr) {
    return errors.At(connector->location,
                     "connector = 'postgres-cdc' needs source_table = '<schema>.<table>'");
  }
  if (!IsSourceTable(source->value)) {
    return errors.At(
        source->location,
        "source_table must be '<schema>.<table>' or '<table>', not " + SingleQuoted(source->value));
  }
  table->source_table = source->value;
  for (auto [key, out] :
       {std::pair{"slot", &table->slot}, std::pair{"publication", &table->publication}}) {
    const Option* o = options.Get(key);
    if (o == nullptr) {
      *out = DefaultCdcName(table->name);
      continue;
    }
    if (!IsPgIdentifier(o->value)) {
      return errors.At(o->location,
                       std::string(key) + " must be a PostgreSQL identifier (lower-case letters, " +
                           "digits and '_', not starting with a digit, at most 63 bytes), not " +
                           SingleQuoted(o->value));
    }
    *out = o->value;
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<ColumnSchema>> PipelineBinder::BindColumns(const CreateTable& create) {
  std::vector<ColumnSchema> columns;
  for (const ColumnDefinition& def : create.columns) {
    if (FindColumn(columns, def.name) >= 0) {
      return errors_.At(def.location, "column " + Quoted(def.name) + " specified more than once");
    }
    ASSIGN_OR_RETURN(Type type, ResolveColumnType(def.type, errors_));
    columns.push_back(ColumnSchema{def.name, type, def.not_null});
  }
  if (columns.empty()) {
    return errors_.At(create.table.location, ToString(create.table) + " declares no columns");
  }
  return columns;
}

Status PipelineBinder::BindBronze(const CreateTable& create, std::string name, SourceLocation at) {
  ASSIGN_OR_RETURN(Options options,
                   Options::Read(create.options,
                                 {"layer", "connector", "location", "partitions", "key", "format",
                                  "watermark", "idle_timeout", "conninfo", "source_table", "slot",
                                  "publication", "compatibility"},
                                 "a bronze table", errors_));
  RETURN_IF_ERROR(CheckLayerOption(options, name));
  BronzeTable table;
  table.name = name;
  table.defined_at = at;
  ASSIGN_OR_RETURN(table.columns, BindColumns(create));
  constexpr std::string_view kNoConstraints =
      "bronze tables take no constraints: bronze keeps records exactly as received (declare NOT "
      "NULL and CHECK on the silver table that reads it)";
  for (const ColumnDefinition& def : create.columns) {
    if (def.not_null) return errors_.At(def.location, kNoConstraints);
    if (!def.checks.empty()) return errors_.At(def.checks[0].location, kNoConstraints);
  }
  if (!create.checks.empty()) return errors_.At(create.checks[0].location, kNoConstraints);
  if (!create.primary_key.empty()) {
    return errors_.At(create.primary_key[0].location,
                      "bronze tables have no PRIMARY KEY: WITH (key = '" +
                          create.primary_key[0].name +
                          "') partitions by a column, and a PRIMARY KEY on the silver table "
                          "deduplicates");
  }
  RETURN_IF_ERROR(BindBronzeOptions(options, &table));
  pipeline_.bronze.push_back(std::move(table));
  return Status::OK();
}

Status PipelineBinder::BindBronzeOptions(const Options& options, BronzeTable* t) {
  BronzeTable& table = *t;
  if (const Option* o = options.Get("connector")) {
    ASSIGN_OR_RETURN(size_t i, Choose(*o, {"http", "file", "postgres-cdc"}, errors_));
    table.connector = static_cast<Connector>(i);
  }
  const Option* location = options.Get("location");
  if (table.connector == Connector::kFile && (location == nullptr || location->value.empty())) {
    return errors_.At(options.Get("connector")->location,
                      "connector = 'file' needs location = '<file or directory>'");
  }
  if (table.connector != Connector::kFile && location != nullptr) {
    return errors_.At(location->location, "location is only used with connector = 'file'");
  }
  if (location != nullptr) table.location = location->value;
  if (const Option* o = options.Get("partitions")) {
    uint32_t n = 0;
    auto [end, ec] = std::from_chars(o->value.data(), o->value.data() + o->value.size(), n);
    if (ec != std::errc() || end != o->value.data() + o->value.size() || n < 1 ||
        n > kMaxPartitions) {
      return errors_.At(o->location, "partitions must be an integer from 1 to " +
                                         std::to_string(kMaxPartitions) + ", not " +
                                         SingleQuoted(o->value));
    }
    table.partitions = n;
  }
  if (const Option* o = options.Get("key")) {
    if (FindColumn(table.columns, o->value) < 0) {
      return NoSuchColumn("key", o->value, table.name, table.columns, o->location, errors_);
    }
    table.key = o->value;
  }
  if (const Option* o = options.Get("format")) {
    ASSIGN_OR_RETURN(size_t i, Choose(*o, {"json", "debezium"}, errors_));
    table.format = i == 0 ? format::PayloadFormat::kJson : format::PayloadFormat::kDebezium;
  }
  if (const Option* o = options.Get("watermark")) RETURN_IF_ERROR(BindWatermark(*o, &table));
  if (const Option* o = options.Get("idle_timeout")) {
    if (table.watermark_column < 0) {
      return errors_.At(o->location, "idle_timeout applies to a table with a watermark");
    }
    Result<Micros> d = ParseDurationOption(o->value);
    if (!d.ok()) return errors_.At(o->location, "idle_timeout: " + d.status().message());
    table.idle_timeout = *d;
  }
  if (const Option* o = options.Get("compatibility")) {
    ASSIGN_OR_RETURN(size_t i, Choose(*o, {"backward", "forward", "full", "none"}, errors_));
    table.compatibility = static_cast<catalog::Compatibility>(i);
  }
  return BindCdcOptions(options, errors_, &table);
}

// watermark = '<column>' or '<column> - <duration>'.
Status PipelineBinder::BindWatermark(const Option& option, BronzeTable* table) {
  std::string_view text = option.value;
  size_t minus = text.find('-');
  std::string column(text.substr(0, minus));
  while (!column.empty() && column.back() == ' ')
    column.pop_back();
  while (!column.empty() && column.front() == ' ')
    column.erase(column.begin());
  int index = FindColumn(table->columns, column);
  if (index < 0) {
    return NoSuchColumn("watermark column", column, table->name, table->columns, option.location,
                        errors_);
  }
  if (table->columns[index].type.id != TypeId::kTimestamp) {
    return errors_.At(option.location, "watermark column " + Quoted(column) + " is " +
                                           table->columns[index].type.ToString() +
                                           ": the watermark follows a timestamp column");
  }
  table->watermark = std::string(text);
  table->watermark_column = index;
  if (minus == std::string_view::npos) return Status::OK();
  Result<Micros> delay = ParseLatenessOption(text.substr(minus + 1));
  if (!delay.ok()) {
    return errors_.At(option.location, "watermark: expected '<column> - <duration>' (" +
                                           delay.status().message() + ")");
  }
  table->watermark_delay = *delay;
  return Status::OK();
}

Status PipelineBinder::BindSilverTable(const CreateTable& create, std::string name,
                                       SourceLocation at) {
  ASSIGN_OR_RETURN(Options options,
                   Options::Read(create.options, {"layer", "dedupe_order", "on_violation"},
                                 "a silver table", errors_));
  RETURN_IF_ERROR(CheckLayerOption(options, name));
  SilverTable table;
  table.name = name;
  table.quarantine_table = QuarantineTableName(name);
  table.defined_at = at;
  ASSIGN_OR_RETURN(table.columns, BindColumns(create));
  for (const Identifier& key : create.primary_key) {
    int i = FindColumn(table.columns, key.name);
    if (i < 0) {
      return NoSuchColumn("PRIMARY KEY column", key.name, name, table.columns, key.location,
                          errors_);
    }
    if (std::find(table.primary_key.begin(), table.primary_key.end(), i) !=
        table.primary_key.end()) {
      return errors_.At(key.location,
                        "column " + Quoted(key.name) + " appears twice in the PRIMARY KEY");
    }
    table.primary_key.push_back(i);
    table.columns[i].not_null = true;
  }
  if (const Option* o = options.Get("dedupe_order")) {
    int i = FindColumn(table.columns, o->value);
    if (i < 0)
      return NoSuchColumn("dedupe_order", o->value, name, table.columns, o->location, errors_);
    if (table.primary_key.empty()) {
      return errors_.At(o->location,
                        "dedupe_order needs a PRIMARY KEY: it orders the versions "
                        "of one key");
    }
    table.dedupe_order = i;
  }
  if (const Option* o = options.Get("on_violation")) {
    ASSIGN_OR_RETURN(size_t i, Choose(*o, {"quarantine", "drop", "fail"}, errors_));
    table.on_violation = static_cast<OnViolation>(i);
  }
  RETURN_IF_ERROR(BindConstraints(create, &table));
  pipeline_.silver.push_back(std::move(table));
  insert_at_.push_back(SourceLocation{});
  return Status::OK();
}

Status PipelineBinder::BindConstraints(const CreateTable& create, SilverTable* table) {
  const std::string& short_name = create.table.name;
  for (size_t i = 0; i < table->columns.size(); ++i) {
    const ColumnSchema& c = table->columns[i];
    if (!c.not_null) continue;
    Constraint nn;
    nn.name = short_name + "_" + c.name + "_not_null";
    nn.kind = ConstraintKind::kNotNull;
    nn.column = static_cast<int>(i);
    nn.sql = QuoteIdentifier(c.name) + " IS NOT NULL";
    table->constraints.push_back(std::move(nn));
  }
  Scope scope;
  scope.table = table->name;
  scope.qualifier = short_name;
  scope.columns = &table->columns;
  ExprBinder binder(errors_, scope, BindOptions{"check constraints", true});
  std::vector<const CheckConstraint*> checks;
  for (const ColumnDefinition& def : create.columns) {
    for (const CheckConstraint& c : def.checks)
      checks.push_back(&c);
  }
  for (const CheckConstraint& c : create.checks)
    checks.push_back(&c);
  for (const CheckConstraint* c : checks) {
    for (const Constraint& other : table->constraints) {
      if (other.name == c->name) {
        return errors_.At(c->location, "constraint " + Quoted(c->name) + " for " + table->name +
                                           " already exists");
      }
    }
    Constraint check;
    check.name = c->name;
    check.kind = ConstraintKind::kCheck;
    ASSIGN_OR_RETURN(check.check, binder.BindCondition(*c->expr, "CHECK"));
    check.sql = ToString(*c->expr);
    table->constraints.push_back(std::move(check));
  }
  return Status::OK();
}

}  // namespace strata::sql::internal
