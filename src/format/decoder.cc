#include "format/decoder.h"

#include <simdjson.h>

#include <algorithm>
#include <cstring>

#include "common/datetime.h"
#include "format/iso_datetime.h"
#include "format/json_number.h"
#include "format/json_walk.h"

namespace strata::format {
namespace {

using simdjson::error_code;

// The earliest timestamp and date the text parsers accept (4713-01-01 BC) and the latest
// date (294246-12-31); integers from Debezium are held to the same range.
const Micros kMinTimestamp = DaysFromCivil(-4712, 1, 1) * kMicrosPerDay;
const int64_t kMinDate = DaysFromCivil(-4712, 1, 1);
const int64_t kMaxDate = DaysFromCivil(294246, 12, 31);

// At most 40 bytes of a value for a message.
std::string Excerpt(std::string_view s) {
  return s.size() <= 40 ? std::string(s) : std::string(s.substr(0, 40)) + "...";
}

enum class SlotState : uint8_t { kMissing, kNull, kValue };

// One column's value staged while its object is read: appended only once the whole payload
// has decoded, so a failing record leaves the batch untouched.
struct Slot {
  Int128 numeric = 0;
  int64_t integer = 0;  // bigint, timestamp, date
  double real = 0;
  std::string_view text;  // in the padded payload or the parser's string buffer: valid
                          // until the next document
  bool boolean = false;
  SlotState state = SlotState::kMissing;
};

enum class Presence : uint8_t { kAbsent, kNull, kObject, kOther };

// The columns read from one object (the payload, or an envelope's before/after).
struct Side {
  std::vector<Slot> slots;
  Presence presence = Presence::kAbsent;
  const char* found = "";  // the JSON kind when presence is kOther
  bool has_error = false;  // the first conversion error, reported if this side is used
  RowError error;
};

// A Debezium envelope as read.
struct Envelope {
  bool has_op = false;
  char op = 0;                      // 'c', 'u', 'd', 'r', or 0 when "op" is not one of them
  std::string op_found;             // what "op" held when it is not valid
  const char* duplicate = nullptr;  // an envelope field that appeared twice
  bool has_payload = false;
  Side before, after;

  void Reset() {
    has_op = false;
    op = 0;
    duplicate = nullptr;
    has_payload = false;
    before.presence = after.presence = Presence::kAbsent;
  }
};

enum EnvelopeField { kOp, kBefore, kAfter, kPayload };

}  // namespace

const char* PayloadFormatName(PayloadFormat format) {
  return format == PayloadFormat::kJson ? "json" : "debezium";
}

Result<PayloadFormat> ParsePayloadFormat(std::string_view name) {
  if (name == "json") return PayloadFormat::kJson;
  if (name == "debezium") return PayloadFormat::kDebezium;
  return Status::InvalidArgument("unknown payload format \"" + std::string(name) +
                                 "\" (expected json or debezium)");
}

class PayloadDecoder::Impl {
 public:
  Impl(std::vector<ColumnSpec> columns, PayloadFormat format)
      : columns_(std::move(columns)),
        format_(format),
        columns_matcher_(Names(columns_)),
        envelope_matcher_({"op", "before", "after", "payload"}) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      for (size_t j = 0; j < i; ++j)
        STRATA_ASSERT(columns_[i].name != columns_[j].name);
    }
    for (Side* side : {&row_, &top_.before, &top_.after, &wrapped_.before, &wrapped_.after}) {
      side->slots.resize(columns_.size());
    }
  }

  const std::vector<ColumnSpec>& columns() const { return columns_; }
  PayloadFormat format() const { return format_; }

  void Decode(std::span<const RecordInput> records, Batch* batch, std::vector<RowError>* errors) {
    STRATA_ASSERT(batch->columns.size() == columns_.size());
    for (size_t c = 0; c < columns_.size(); ++c) {
      STRATA_ASSERT(batch->columns[c].type() == columns_[c].type);
    }
    STRATA_ASSERT(batch->origins.size() == batch->num_rows());
    if (batch->num_rows() == 0) {
      for (Column& column : batch->columns)
        column.Reserve(records.size());
      batch->weights.reserve(records.size());
      batch->origins.reserve(records.size());
    }
    RowError error;
    for (size_t i = 0; i < records.size(); ++i) {
      const RecordInput& record = records[i];
      const Side* side = nullptr;
      int64_t weight = 0;
      if (!DecodeRecord(record, &side, &weight, &error)) {
        error.index = i;
        errors->push_back(std::move(error));
        error = RowError();
        continue;
      }
      Append(*side, batch);
      batch->weights.push_back(weight);
      batch->origins.push_back(RowOrigin{record.partition, record.offset, record.payload});
    }
  }

 private:
  static std::vector<std::string_view> Names(const std::vector<ColumnSpec>& columns) {
    std::vector<std::string_view> names;
    for (const ColumnSpec& c : columns)
      names.push_back(c.name);
    return names;
  }

  // Decodes one record into a staged side and its weight, or fills *error.
  bool DecodeRecord(const RecordInput& record, const Side** side, int64_t* weight,
                    RowError* error) {
    if (record.flags & log::kFlagMalformed) {
      error->message = "malformed JSON (flagged at ingest)";
      return false;
    }
    od::document doc;
    error_code e = Load(record.payload, &doc);
    od::json_type type = od::json_type::null;
    if (!e) e = doc.type().get(type);
    if (!e && type != od::json_type::object) {
      e = ValidateRoot(doc, type, doc_end_);
      if (!e) {
        error->expected = "object";
        error->message = std::string("payload is not a JSON object: found ") + JsonKindName(type);
        return false;
      }
    }
    od::object object;
    if (!e) e = doc.get_object().get(object);
    if (!e) {
      if (format_ == PayloadFormat::kJson) {
        e = DecodeObject(object, &row_, 1);
      } else {
        top_.Reset();
        wrapped_.Reset();
        e = DecodeEnvelope(object, &top_, &wrapped_, 1);
      }
    }
    if (!e && !AtDocumentEnd(doc)) e = simdjson::TRAILING_CONTENT;
    if (e) {
      error->message = MalformedJsonMessage(e);
      return false;
    }
    if (format_ == PayloadFormat::kJson) {
      *side = &row_;
      *weight = record.op == log::Operation::kDelete ? -1 : 1;
    } else if (!ResolveEnvelope(side, weight, error)) {
      return false;
    }
    if ((*side)->has_error) {
      *error = (*side)->error;
      return false;
    }
    return true;
  }

  // Copies the payload into the padded buffer simdjson needs and starts iterating it.
  error_code Load(std::string_view payload, od::document* doc) {
    const size_t need = payload.size() + simdjson::SIMDJSON_PADDING;
    if (need > buf_capacity_) {
      buf_capacity_ = std::max({need, 2 * buf_capacity_, size_t{4096}});
      buf_ = std::make_unique<char[]>(buf_capacity_);
    }
    if (!payload.empty()) std::memcpy(buf_.get(), payload.data(), payload.size());
    std::memset(buf_.get() + payload.size(), 0, simdjson::SIMDJSON_PADDING);
    doc_end_ = buf_.get() + payload.size();
    if (payload.size() > parser_.capacity()) {
      // Grow geometrically: simdjson would otherwise reallocate for every longer payload.
      STRATA_JSON_TRY(parser_.allocate(
          std::max({payload.size(), 2 * parser_.capacity(), size_t{65536}}), parser_.max_depth()));
    }
    return parser_.iterate(buf_.get(), payload.size(), buf_capacity_).get(*doc);
  }

  // Reads the fields of `object` into side's slots, validating the fields it ignores.
  error_code DecodeObject(od::object& object, Side* side, int depth) {
    if (depth > kMaxJsonDepth) return simdjson::DEPTH_ERROR;
    for (Slot& slot : side->slots)
      slot.state = SlotState::kMissing;
    side->has_error = false;
    for (auto result : object) {
      STRATA_JSON_TRY(result.error());
      od::field&& field = std::move(result).value_unsafe();
      error_code e = simdjson::SUCCESS;
      int c = columns_matcher_.Match(field, doc_end_, &e);
      STRATA_JSON_TRY(e);
      if (c < 0) {
        STRATA_JSON_TRY(ValidateValue(field.value(), doc_end_, depth + 1));
      } else if (side->slots[c].state != SlotState::kMissing) {
        SetError(side, c, "appears more than once");
        STRATA_JSON_TRY(ValidateValue(field.value(), doc_end_, depth + 1));
      } else {
        STRATA_JSON_TRY(DecodeValue(field.value(), static_cast<size_t>(c), side, depth + 1));
      }
    }
    return simdjson::SUCCESS;
  }

  // Converts one value to column c's type into its slot. A value of the wrong kind or that
  // does not convert sets the side's error (the first one wins) and is still validated.
  error_code DecodeValue(od::value value, size_t c, Side* side, int depth) {
    od::json_type type;
    STRATA_JSON_TRY(value.type().get(type));
    Slot& slot = side->slots[c];
    if (type == od::json_type::null) {
      bool is_null = false;
      STRATA_JSON_TRY(value.is_null().get(is_null));
      if (!is_null) return simdjson::N_ATOM_ERROR;
      slot.state = SlotState::kNull;
      return simdjson::SUCCESS;
    }
    const TypeId id = columns_[c].type.id;
    if (id == TypeId::kBoolean && type == od::json_type::boolean) {
      STRATA_JSON_TRY(value.get_bool().get(slot.boolean));
      slot.state = SlotState::kValue;
      return simdjson::SUCCESS;
    }
    if (id == TypeId::kText && type == od::json_type::string) {
      // Without escapes the text is the raw bytes (stage 1 checked UTF-8 and control
      // characters), viewed in place.
      const char* begin = value.raw_json_token().data() + 1;
      const char* p = FindQuoteOrBackslash(begin, doc_end_);
      if (p < doc_end_ && *p == '"') {
        STRATA_JSON_TRY(ConsumeString(value));
        slot.text = std::string_view(begin, static_cast<size_t>(p - begin));
      } else {
        STRATA_JSON_TRY(value.get_string().get(slot.text));
      }
      slot.state = SlotState::kValue;
      return simdjson::SUCCESS;
    }
    if (id == TypeId::kDouble && type == od::json_type::number) return DecodeDouble(value, c, side);
    if (id == TypeId::kBigint || id == TypeId::kNumeric || id == TypeId::kTimestamp ||
        id == TypeId::kDate) {
      if (type == od::json_type::number) return DecodeNumber(value, c, side);
      if (type == od::json_type::string && id != TypeId::kBigint) {
        return DecodeString(value, c, side);
      }
    }
    SetError(side, c, std::string(", found ") + JsonKindName(type), /*detail=*/false);
    return ValidateValue(value, doc_end_, depth);
  }

  error_code DecodeDouble(od::value& value, size_t c, Side* side) {
    JsonNumber number;
    if (!ScanJsonNumber(value.raw_json_token(), &number)) return simdjson::NUMBER_ERROR;
    Slot& slot = side->slots[c];
    if (value.get_double().get(slot.real)) {
      SetError(side, c, "value out of range for double precision: " + Excerpt(number.text));
      return simdjson::SUCCESS;
    }
    slot.state = SlotState::kValue;
    return simdjson::SUCCESS;
  }

  // A number for bigint, numeric, or (debezium) timestamp and date.
  error_code DecodeNumber(od::value& value, size_t c, Side* side) {
    JsonNumber number;
    if (!ScanJsonNumber(value.raw_json_token(), &number)) return simdjson::NUMBER_ERROR;
    const Type& type = columns_[c].type;
    Slot& slot = side->slots[c];
    if (type.id == TypeId::kNumeric) {
      Result<Int128> v = JsonNumberToNumeric(number, type.numeric);
      if (v.ok()) {
        slot.numeric = *v;
        slot.state = SlotState::kValue;
      } else {
        SetError(side, c, v.status().message());
      }
      return simdjson::SUCCESS;
    }
    if (type.id != TypeId::kBigint && format_ != PayloadFormat::kDebezium) {
      SetError(
          side, c,
          ", found a number (only debezium payloads encode " + type.ToString() + " as an integer)",
          false);
      return simdjson::SUCCESS;
    }
    if (!number.integral()) {
      SetError(side, c, ", found a non-integer number " + Excerpt(number.text), false);
      return simdjson::SUCCESS;
    }
    Result<int64_t> v = JsonNumberToInt64(number);
    if (!v.ok()) {
      SetError(side, c, v.status().message());
      return simdjson::SUCCESS;
    }
    if (type.id == TypeId::kTimestamp && *v < kMinTimestamp) {
      SetError(side, c, "timestamp out of range: " + Excerpt(number.text) + " microseconds");
      return simdjson::SUCCESS;
    }
    if (type.id == TypeId::kDate && (*v < kMinDate || *v > kMaxDate)) {
      SetError(side, c, "date out of range: " + Excerpt(number.text) + " days");
      return simdjson::SUCCESS;
    }
    slot.integer = *v;
    slot.state = SlotState::kValue;
    return simdjson::SUCCESS;
  }

  // A string for numeric, timestamp or date.
  error_code DecodeString(od::value& value, size_t c, Side* side) {
    std::string_view text;
    STRATA_JSON_TRY(value.get_string().get(text));
    const Type& type = columns_[c].type;
    Slot& slot = side->slots[c];
    Status status;
    if (type.id == TypeId::kNumeric) {
      Result<Int128> v = Numeric::Parse(text, type.numeric.precision, type.numeric.scale);
      if (v.ok()) slot.numeric = *v;
      status = v.status();
    } else if (type.id == TypeId::kTimestamp) {
      if (!ParseIsoTimestampFast(text, &slot.integer)) {
        Result<Micros> v = ParseSqlTimestamp(text);
        if (v.ok()) slot.integer = *v;
        status = v.status();
      }
    } else {
      int32_t days;
      if (ParseIsoDateFast(text, &days)) {
        slot.integer = days;
      } else {
        Result<int32_t> v = ParseDate(text);
        if (v.ok()) slot.integer = *v;
        status = v.status();
      }
    }
    if (!status.ok()) {
      SetError(side, c, status.message());
    } else {
      slot.state = SlotState::kValue;
    }
    return simdjson::SUCCESS;
  }

  // Records the side's first error for column c: "<name>: expected <type><what>" when
  // `detail` is false (what is ", found ..."), else "<name>: expected <type>: <what>".
  void SetError(Side* side, size_t c, const std::string& what, bool detail = true) {
    // The slot counts as present, so a duplicate after a bad value is not reported instead.
    if (side->slots[c].state == SlotState::kMissing) side->slots[c].state = SlotState::kNull;
    if (side->has_error) return;
    side->has_error = true;
    side->error.field = columns_[c].name;
    side->error.expected = columns_[c].type.ToString();
    side->error.message =
        columns_[c].name + ": expected " + side->error.expected + (detail ? ": " : "") + what;
  }

  // Reads a Debezium envelope: op, before and after (and payload, at the top level, for
  // the {"schema", "payload"} wrapping); everything else is validated and ignored.
  error_code DecodeEnvelope(od::object& object, Envelope* env, Envelope* inner, int depth) {
    if (depth > kMaxJsonDepth) return simdjson::DEPTH_ERROR;
    for (auto result : object) {
      STRATA_JSON_TRY(result.error());
      od::field&& field = std::move(result).value_unsafe();
      error_code e = simdjson::SUCCESS;
      int k = envelope_matcher_.Match(field, doc_end_, &e);
      STRATA_JSON_TRY(e);
      if (k == kOp) {
        if (env->has_op) env->duplicate = "op";
        env->has_op = true;
        STRATA_JSON_TRY(ReadOp(field.value(), env, depth + 1));
      } else if (k == kBefore || k == kAfter) {
        Side* side = k == kBefore ? &env->before : &env->after;
        if (side->presence != Presence::kAbsent) env->duplicate = k == kBefore ? "before" : "after";
        STRATA_JSON_TRY(ReadSide(field.value(), side, depth + 1));
      } else if (k == kPayload && inner != nullptr) {
        od::value value = field.value();
        od::json_type type;
        STRATA_JSON_TRY(value.type().get(type));
        if (type != od::json_type::object || env->has_payload) {
          STRATA_JSON_TRY(ValidateValue(value, doc_end_, depth + 1));
          continue;
        }
        env->has_payload = true;
        od::object payload;
        STRATA_JSON_TRY(value.get_object().get(payload));
        STRATA_JSON_TRY(DecodeEnvelope(payload, inner, nullptr, depth + 1));
      } else {
        STRATA_JSON_TRY(ValidateValue(field.value(), doc_end_, depth + 1));
      }
    }
    return simdjson::SUCCESS;
  }

  error_code ReadOp(od::value value, Envelope* env, int depth) {
    od::json_type type;
    STRATA_JSON_TRY(value.type().get(type));
    if (type != od::json_type::string) {
      env->op = 0;
      env->op_found = JsonKindName(type);
      return ValidateValue(value, doc_end_, depth);
    }
    std::string_view op;
    STRATA_JSON_TRY(value.get_string().get(op));
    if (op.size() == 1 && (op[0] == 'c' || op[0] == 'u' || op[0] == 'd' || op[0] == 'r')) {
      env->op = op[0];
    } else {
      env->op = 0;
      env->op_found = "\"" + Excerpt(op) + "\"";
    }
    return simdjson::SUCCESS;
  }

  error_code ReadSide(od::value value, Side* side, int depth) {
    od::json_type type;
    STRATA_JSON_TRY(value.type().get(type));
    if (type == od::json_type::object) {
      od::object object;
      STRATA_JSON_TRY(value.get_object().get(object));
      side->presence = Presence::kObject;
      return DecodeObject(object, side, depth);
    }
    side->presence = type == od::json_type::null ? Presence::kNull : Presence::kOther;
    side->found = JsonKindName(type);
    return ValidateValue(value, doc_end_, depth);
  }

  // Picks the side and weight of a decoded envelope, or explains why there is none.
  bool ResolveEnvelope(const Side** side, int64_t* weight, RowError* error) {
    const Envelope& env = !top_.has_op && top_.has_payload ? wrapped_ : top_;
    auto fail = [&](std::string field, std::string expected, std::string message) {
      error->field = std::move(field);
      error->expected = std::move(expected);
      error->message = std::move(message);
      return false;
    };
    const char* kOps = "\"c\", \"u\", \"d\" or \"r\"";
    if (env.duplicate != nullptr) {
      return fail(env.duplicate, "",
                  std::string(env.duplicate) + ": appears more than once in the debezium envelope");
    }
    if (!env.has_op) return fail("op", kOps, "op: missing from the debezium envelope");
    if (env.op == 0) {
      return fail("op", kOps, std::string("op: expected ") + kOps + ", found " + env.op_found);
    }
    const bool is_delete = env.op == 'd';
    const Side& s = is_delete ? env.before : env.after;
    const char* name = is_delete ? "before" : "after";
    if (s.presence != Presence::kObject) {
      const char* found = s.presence == Presence::kAbsent ? "no such field"
                          : s.presence == Presence::kNull ? "null"
                                                          : s.found;
      return fail(
          name, "object",
          std::string(name) + ": expected an object for op \"" + env.op + "\", found " + found);
    }
    *side = &s;
    *weight = is_delete ? -1 : 1;
    return true;
  }

  void Append(const Side& side, Batch* batch) {
    for (size_t c = 0; c < columns_.size(); ++c) {
      const Slot& slot = side.slots[c];
      Column& column = batch->columns[c];
      if (slot.state != SlotState::kValue) {
        column.AppendNull();
        continue;
      }
      switch (columns_[c].type.id) {
        case TypeId::kBoolean:
          column.AppendBool(slot.boolean);
          break;
        case TypeId::kBigint:
        case TypeId::kTimestamp:
          column.AppendInt64(slot.integer);
          break;
        case TypeId::kDate:
          column.AppendInt32(static_cast<int32_t>(slot.integer));
          break;
        case TypeId::kDouble:
          column.AppendDouble(slot.real);
          break;
        case TypeId::kNumeric:
          column.AppendInt128(slot.numeric);
          break;
        case TypeId::kText:
          column.AppendString(slot.text);
          break;
      }
    }
  }

  const std::vector<ColumnSpec> columns_;
  const PayloadFormat format_;
  KeyMatcher columns_matcher_;
  KeyMatcher envelope_matcher_;
  od::parser parser_;
  std::unique_ptr<char[]> buf_;  // the payload being parsed, with simdjson's padding
  size_t buf_capacity_ = 0;
  const char* doc_end_ = nullptr;
  Side row_;                // json format
  Envelope top_, wrapped_;  // debezium format
};

PayloadDecoder::PayloadDecoder(std::vector<ColumnSpec> columns, PayloadFormat format)
    : impl_(std::make_unique<Impl>(std::move(columns), format)) {}
PayloadDecoder::~PayloadDecoder() = default;
PayloadDecoder::PayloadDecoder(PayloadDecoder&&) noexcept = default;
PayloadDecoder& PayloadDecoder::operator=(PayloadDecoder&&) noexcept = default;

const std::vector<ColumnSpec>& PayloadDecoder::columns() const {
  return impl_->columns();
}
PayloadFormat PayloadDecoder::format() const {
  return impl_->format();
}

Batch PayloadDecoder::MakeBatch() const {
  Batch batch;
  for (const ColumnSpec& spec : impl_->columns())
    batch.columns.emplace_back(spec.type);
  return batch;
}

void PayloadDecoder::Decode(std::span<const RecordInput> records, Batch* batch,
                            std::vector<RowError>* errors) {
  impl_->Decode(records, batch, errors);
}

}  // namespace strata::format
