#include "connect/change_envelope.h"

#include <utility>

#include "common/json_writer.h"
#include "connect/pg_value.h"

namespace strata::connect {

using pgoutput::Tuple;
using pgoutput::TupleValue;

RowFormat::RowFormat(std::vector<PgColumn> columns, const std::vector<std::string>& key_columns)
    : columns_(std::move(columns)) {
  for (const std::string& k : key_columns) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i].name == k) key_index_.push_back(static_cast<int>(i));
    }
  }
}

void RowFormat::AppendRow(std::string* out, const Tuple& tuple, bool key_only, const Tuple* old,
                          std::vector<std::string>* omitted) const {
  out->push_back('{');
  bool first = true;
  auto add = [&](size_t i) {
    const TupleValue* v = &tuple[i];
    if (v->kind == TupleValue::Kind::kUnchangedToast && old != nullptr && i < old->size() &&
        (*old)[i].kind == TupleValue::Kind::kText) {
      v = &(*old)[i];
    }
    if (v->kind == TupleValue::Kind::kUnchangedToast) {
      if (omitted) omitted->push_back(columns_[i].name);
      return;
    }
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(out, columns_[i].name);
    out->push_back(':');
    if (v->kind == TupleValue::Kind::kNull) {
      out->append("null");
    } else {
      AppendPgValueJson(out, columns_[i].type_oid, v->text);
    }
  };
  if (key_only) {
    for (int i : key_index_)
      add(static_cast<size_t>(i));
  } else {
    for (size_t i = 0; i < tuple.size(); ++i)
      add(i);
  }
  out->push_back('}');
}

std::string RowFormat::Key(const Tuple& tuple) const {
  std::string key;
  auto value = [&](int i, bool as_key) {
    const TupleValue& v = tuple[static_cast<size_t>(i)];
    if (v.kind != TupleValue::Kind::kText) {
      key += "null";
    } else if (as_key) {
      AppendPgValueKey(&key, columns_[static_cast<size_t>(i)].type_oid, v.text);
    } else {
      AppendPgValueJson(&key, columns_[static_cast<size_t>(i)].type_oid, v.text);
    }
  };
  if (key_index_.size() == 1) {
    value(key_index_[0], true);
  } else if (!key_index_.empty()) {
    key += '[';
    for (size_t k = 0; k < key_index_.size(); ++k) {
      if (k > 0) key += ',';
      value(key_index_[k], false);
    }
    key += ']';
  }
  return key;
}

std::string BuildEnvelope(char op, std::string_view before, std::string_view after,
                          std::string_view source, const std::vector<std::string>& omitted) {
  std::string e;
  e.reserve(before.size() + after.size() + source.size() + 48);
  e += "{\"op\":\"";
  e += op;
  e += "\",\"before\":";
  e += before;
  e += ",\"after\":";
  e += after;
  e += ",\"source\":";
  e += source;
  if (!omitted.empty()) {
    e += ",\"unchanged_toast\":[";
    for (size_t i = 0; i < omitted.size(); ++i) {
      if (i > 0) e += ',';
      AppendJsonString(&e, omitted[i]);
    }
    e += ']';
  }
  e += '}';
  return e;
}

// {"connector":"postgres-cdc","lsn":"...",<middle>"schema":"...","table":"..."}
std::string BuildSource(Lsn lsn, std::string_view middle, std::string_view schema,
                        std::string_view table) {
  std::string s = "{\"connector\":\"postgres-cdc\",\"lsn\":\"" + FormatLsn(lsn) + "\",";
  s += middle;
  s += "\"schema\":";
  AppendJsonString(&s, schema);
  s += ",\"table\":";
  AppendJsonString(&s, table);
  return s + "}";
}

}  // namespace strata::connect
