// Reading libpg-query's JSON parse tree (internal to the parse layer).
//
// libpg-query prints each PostgreSQL node as {"NodeType": {fields}} and lists as arrays. It
// omits every field whose value is zero, false, null or empty: a missing "location" is offset
// 0, a missing "ival" is 0 (5 is {"ival": 5}, 0 is {}), a missing "inh" is false. The getters
// below return those defaults for absent fields. A location of -1 means "unknown".
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <simdjson.h>

namespace strata::sql::internal {

using simdjson::dom::element;
using simdjson::dom::object;

// A node: its PostgreSQL type name and its fields.
struct PgNode {
  std::string_view type;
  object fields;
};

// Reads {"Type": {...}}; false if `e` is not shaped like a node.
inline bool AsNode(element e, PgNode* out) {
  object wrapper;
  if (e.get_object().get(wrapper) || wrapper.size() != 1) return false;
  for (simdjson::dom::key_value_pair kv : wrapper) {
    out->type = kv.key;
    return !kv.value.get_object().get(out->fields);
  }
  return false;
}

inline bool Has(object o, std::string_view key) {
  element e;
  return !o.at_key(key).get(e);
}

inline bool GetField(object o, std::string_view key, element* out) {
  return !o.at_key(key).get(*out);
}

inline bool GetObject(object o, std::string_view key, object* out) {
  element e;
  return GetField(o, key, &e) && !e.get_object().get(*out);
}

inline std::string_view GetString(object o, std::string_view key) {
  std::string_view s;
  element e;
  if (!GetField(o, key, &e) || e.get_string().get(s)) return {};
  return s;
}

inline int64_t GetInt(object o, std::string_view key) {
  int64_t v = 0;
  element e;
  if (!GetField(o, key, &e) || e.get_int64().get(v)) return 0;
  return v;
}

inline bool GetBool(object o, std::string_view key) {
  bool v = false;
  element e;
  if (!GetField(o, key, &e) || e.get_bool().get(v)) return false;
  return v;
}

// The elements of an array field; empty when absent or not an array.
inline std::vector<element> GetList(object o, std::string_view key) {
  std::vector<element> out;
  element e;
  simdjson::dom::array a;
  if (!GetField(o, key, &e) || e.get_array().get(a)) return out;
  for (element item : a) {
    out.push_back(item);
  }
  return out;
}

// The text of a {"String": {"sval": "..."}} node; false for any other node.
inline bool GetStringNode(element e, std::string_view* out) {
  PgNode node;
  if (!AsNode(e, &node) || node.type != "String") return false;
  *out = GetString(node.fields, "sval");
  return true;
}

}  // namespace strata::sql::internal
