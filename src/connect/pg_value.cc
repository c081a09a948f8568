#include "connect/pg_value.h"

#include "common/datetime.h"
#include "common/json_writer.h"

namespace strata::connect {
namespace {

enum class Kind { kNumber, kBool, kString };

bool IsSpecialNumber(std::string_view text) {
  return text == "NaN" || text == "Infinity" || text == "-Infinity";
}

// "2026-11-17 10:00:00.5" → "2026-11-17T10:00:00.5"; infinity and BC stay as printed.
void AppendTimestamp(std::string* out, std::string_view text) {
  const size_t space = text.find(' ');
  if (space >= 10 && space != std::string_view::npos && !text.ends_with(" BC")) {
    out->append(text.substr(0, space));
    out->push_back('T');
    out->append(text.substr(space + 1));
  } else {
    out->append(text);
  }
}

// "2026-11-17 10:00:00.5+02" → "2026-11-17T08:00:00.5Z".
void AppendTimestamptz(std::string* out, std::string_view text) {
  auto ts = ParseSqlTimestamp(text);
  if (!ts.ok() || text.ends_with(" BC")) {
    out->append(text);  // infinity, BC: as printed
    return;
  }
  AppendTimestamp(out, FormatSqlTimestamp(*ts));
  out->push_back('Z');
}

// The JSON kind of a value and its normalized text (a string's content, unescaped).
Kind Normalize(uint32_t type_oid, std::string_view text, std::string* scratch,
               std::string_view* normalized) {
  *normalized = text;
  switch (type_oid) {
    case pg_type::kInt2:
    case pg_type::kInt4:
    case pg_type::kInt8:
    case pg_type::kOid:
      return Kind::kNumber;
    case pg_type::kFloat4:
    case pg_type::kFloat8:
    case pg_type::kNumeric:
      return IsSpecialNumber(text) ? Kind::kString : Kind::kNumber;
    case pg_type::kBool:
      *normalized = text == "t" ? "true" : "false";
      return Kind::kBool;
    case pg_type::kTimestamp:
      scratch->clear();
      AppendTimestamp(scratch, text);
      *normalized = *scratch;
      return Kind::kString;
    case pg_type::kTimestamptz:
      scratch->clear();
      AppendTimestamptz(scratch, text);
      *normalized = *scratch;
      return Kind::kString;
    default:  // date, json, jsonb, text, varchar and everything else: the text output
      return Kind::kString;
  }
}

}  // namespace

void AppendPgValueJson(std::string* out, uint32_t type_oid, std::string_view text) {
  std::string scratch;
  std::string_view normalized;
  if (Normalize(type_oid, text, &scratch, &normalized) == Kind::kString) {
    AppendJsonString(out, normalized);
  } else {
    out->append(normalized);
  }
}

void AppendPgValueKey(std::string* out, uint32_t type_oid, std::string_view text) {
  std::string scratch;
  std::string_view normalized;
  Normalize(type_oid, text, &scratch, &normalized);
  out->append(normalized);
}

}  // namespace strata::connect
