#include "format/json_walk.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>

#include "format/json_number.h"

namespace strata::format {
namespace {

using simdjson::error_code;

uint64_t Load8(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// raw[0, n) == name[0, n), 8 bytes at a time; both may be read up to 7 bytes past n.
bool Equal(const char* raw, const char* name, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    if (Load8(raw + i) != Load8(name + i)) return false;
  }
  if (i == n) return true;
  const size_t tail_bits = 8 * (n - i);
  const uint64_t mask = std::endian::native == std::endian::little
                            ? ~uint64_t{0} >> (64 - tail_bits)
                            : ~uint64_t{0} << (64 - tail_bits);
  return ((Load8(raw + i) ^ Load8(name + i)) & mask) == 0;
}

// A key with escapes is unescaped to check them.
error_code ValidateKey(od::field& field, const char* end) {
  const char* p = FindQuoteOrBackslash(field.key().raw(), end);
  if (p < end && *p == '"') return simdjson::SUCCESS;
  std::string_view key;
  return field.unescaped_key().get(key);
}

error_code ValidateString(od::value& value, const char* end) {
  const char* p = FindQuoteOrBackslash(value.raw_json_token().data() + 1, end);
  if (p < end && *p == '"') return ConsumeString(value);
  std::string_view s;
  return value.get_string().get(s);  // checks the escapes
}

}  // namespace

const char* JsonKindName(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "?";
}

std::string MalformedJsonMessage(error_code error) {
  const char* why = simdjson::error_message(error);
  switch (error) {
    case simdjson::TAPE_ERROR:
      why = "improper structure (a missing or superfluous comma, colon, brace or key)";
      break;
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT:
      why = "an unclosed object or array";
      break;
    case simdjson::UNCLOSED_STRING:
      why = "an unclosed string";
      break;
    case simdjson::UTF8_ERROR:
      why = "invalid UTF-8";
      break;
    case simdjson::UNESCAPED_CHARS:
      why = "an unescaped control character in a string";
      break;
    case simdjson::STRING_ERROR:
      why = "an invalid escape in a string";
      break;
    case simdjson::NUMBER_ERROR:
      why = "an invalid number";
      break;
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR:
    case simdjson::INCORRECT_TYPE:
      why = "an invalid literal";
      break;
    case simdjson::EMPTY:
      why = "no value";
      break;
    case simdjson::DEPTH_ERROR:
      why = "nesting deeper than 1024 levels";
      break;
    case simdjson::TRAILING_CONTENT:
      why = "content after the end of the value";
      break;
    default:
      break;
  }
  return std::string("malformed JSON: ") + why;
}

bool AtDocumentEnd(od::document& doc) {
  const char* location;
  return doc.current_location().get(location) != simdjson::SUCCESS;
}

error_code ValidateValue(od::value value, const char* end, int depth) {
  if (depth > kMaxJsonDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  STRATA_JSON_TRY(value.type().get(type));
  switch (type) {
    case od::json_type::object: {
      od::object object;
      STRATA_JSON_TRY(value.get_object().get(object));
      for (auto result : object) {
        STRATA_JSON_TRY(result.error());
        od::field&& field = std::move(result).value_unsafe();
        STRATA_JSON_TRY(ValidateKey(field, end));
        STRATA_JSON_TRY(ValidateValue(field.value(), end, depth + 1));
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array array;
      STRATA_JSON_TRY(value.get_array().get(array));
      for (auto result : array) {
        od::value element;
        STRATA_JSON_TRY(std::move(result).get(element));
        STRATA_JSON_TRY(ValidateValue(element, end, depth + 1));
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::number: {
      // Left unconsumed: simdjson steps over an unconsumed number as exactly one token.
      JsonNumber number;
      return ScanJsonNumber(value.raw_json_token(), &number) ? simdjson::SUCCESS
                                                             : simdjson::NUMBER_ERROR;
    }
    case od::json_type::string:
      return ValidateString(value, end);
    case od::json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    case od::json_type::null: {
      bool is_null = false;
      STRATA_JSON_TRY(value.is_null().get(is_null));
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

error_code ValidateRoot(od::document& doc, od::json_type type, const char* end) {
  switch (type) {
    case od::json_type::array: {
      od::array array;
      STRATA_JSON_TRY(doc.get_array().get(array));
      for (auto result : array) {
        od::value element;
        STRATA_JSON_TRY(std::move(result).get(element));
        STRATA_JSON_TRY(ValidateValue(element, end, 2));
      }
      break;
    }
    case od::json_type::number: {
      // Checked as text (a double may not hold it): the token and its trailing whitespace
      // must reach the end of the document.
      std::string_view token;
      STRATA_JSON_TRY(doc.raw_json_token().get(token));
      JsonNumber number;
      if (!ScanJsonNumber(token, &number)) return simdjson::NUMBER_ERROR;
      return token.data() + token.size() == end ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
    }
    case od::json_type::string: {
      std::string_view s;
      STRATA_JSON_TRY(doc.get_string().get(s));
      break;
    }
    case od::json_type::boolean: {
      bool b;
      STRATA_JSON_TRY(doc.get_bool().get(b));
      break;
    }
    case od::json_type::null: {
      bool is_null = false;
      STRATA_JSON_TRY(doc.is_null().get(is_null));
      if (!is_null) return simdjson::N_ATOM_ERROR;
      break;
    }
    case od::json_type::object:
      return simdjson::TAPE_ERROR;
  }
  return AtDocumentEnd(doc) ? simdjson::SUCCESS : simdjson::TRAILING_CONTENT;
}

KeyMatcher::KeyMatcher(std::vector<std::string_view> names) : names_(std::move(names)) {
  for (std::string_view n : names_) {
    padded_.push_back(std::string(n) + std::string(8, '\0'));
    // A name holding '"', '\' or a control character never appears raw in a key.
    raw_ok_.push_back(std::none_of(n.begin(), n.end(), [](char c) {
      return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
    }));
  }
}

int KeyMatcher::Match(od::field& field, const char* end, error_code* error) {
  const char* raw = field.key().raw();
  const size_t n = names_.size();
  for (size_t k = 0, i = hint_; k < n; ++k, i = (i + 1 == n ? 0 : i + 1)) {
    const size_t size = names_[i].size();
    // raw[size] == '"' ends the key: the name has no backslash to escape it.
    if (raw_ok_[i] && static_cast<size_t>(end - raw) > size && raw[size] == '"' &&
        Equal(raw, padded_[i].data(), size)) {
      hint_ = i + 1 == n ? 0 : i + 1;
      return static_cast<int>(i);
    }
  }
  const char* p = FindQuoteOrBackslash(raw, end);
  if (p == end || *p == '"') return -1;
  std::string_view key;
  if ((*error = field.unescaped_key().get(key))) return -1;
  for (size_t i = 0; i < n; ++i) {
    if (names_[i] == key) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace strata::format
