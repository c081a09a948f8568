#include "format/decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/datetime.h"
#include "common/numeric.h"

namespace strata::format {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The outcome of decoding payloads: the batch and the errors.
struct Decoded {
  Batch batch;
  std::vector<RowError> errors;
};

Decoded DecodeAll(PayloadDecoder& decoder, const std::vector<std::string>& payloads,
                  log::Operation op = log::Operation::kInsert) {
  std::vector<RecordInput> records;
  for (size_t i = 0; i < payloads.size(); ++i) {
    records.push_back({payloads[i], 3, 100 + i, 0, op});
  }
  Decoded out{decoder.MakeBatch(), {}};
  decoder.Decode(records, &out.batch, &out.errors);
  return out;
}

// Decodes {"x": <json>} into one column of `type`: the value, or the error.
struct One {
  std::optional<Value> value;
  RowError error;
};

One DecodeValue(Type type, std::string_view json, PayloadFormat format = PayloadFormat::kJson) {
  PayloadDecoder decoder({{"x", type}}, format);
  std::string payload = std::string(R"({"x":)") + std::string(json) + "}";
  if (format == PayloadFormat::kDebezium) {
    payload = std::string(R"({"op":"c","before":null,"after":)") + payload + "}";
  }
  Decoded d = DecodeAll(decoder, {payload});
  One one;
  if (d.errors.empty()) {
    EXPECT_EQ(d.batch.num_rows(), 1u);
    one.value = d.batch.columns[0].GetValue(0);
  } else {
    EXPECT_EQ(d.batch.num_rows(), 0u);
    one.error = d.errors[0];
  }
  return one;
}

Value Ok(Type type, std::string_view json, PayloadFormat format = PayloadFormat::kJson) {
  One one = DecodeValue(type, json, format);
  EXPECT_TRUE(one.value.has_value()) << json << ": " << one.error.message;
  return one.value.value_or(Value::Null());
}

RowError Err(Type type, std::string_view json, PayloadFormat format = PayloadFormat::kJson) {
  One one = DecodeValue(type, json, format);
  EXPECT_FALSE(one.value.has_value()) << json << " decoded";
  return one.error;
}

// A type error names the field and the type, and says what was found.
void ExpectTypeError(Type type, std::string_view json, std::string_view found) {
  RowError e = Err(type, json);
  EXPECT_EQ(e.field, "x") << json;
  EXPECT_EQ(e.expected, type.ToString()) << json;
  EXPECT_EQ(e.message, "x: expected " + type.ToString() + ", found " + std::string(found)) << json;
}

Micros Ts(std::string_view text) {
  Result<Micros> t = ParseSqlTimestamp(text);
  EXPECT_TRUE(t.ok()) << text;
  return t.ok() ? *t : 0;
}

Int128 Num(std::string_view text, int precision, int scale) {
  Result<Int128> v = Numeric::Parse(text, precision, scale);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : 0;
}

// --- Every type from every JSON kind ---

TEST(DecoderTypeTest, Boolean) {
  EXPECT_EQ(Ok(Type::Boolean(), "true"), Value::Bool(true));
  EXPECT_EQ(Ok(Type::Boolean(), "false"), Value::Bool(false));
  ExpectTypeError(Type::Boolean(), "1", "a number");
  ExpectTypeError(Type::Boolean(), R"("true")", "a string");
  ExpectTypeError(Type::Boolean(), "{}", "an object");
  ExpectTypeError(Type::Boolean(), "[true]", "an array");
}

TEST(DecoderTypeTest, Bigint) {
  EXPECT_EQ(Ok(Type::Bigint(), "12"), Value::Int64(12));
  EXPECT_EQ(Ok(Type::Bigint(), "-0"), Value::Int64(0));
  EXPECT_EQ(Ok(Type::Bigint(), "9223372036854775807"), Value::Int64(INT64_MAX));
  EXPECT_EQ(Ok(Type::Bigint(), "-9223372036854775808"), Value::Int64(INT64_MIN));
  EXPECT_EQ(Err(Type::Bigint(), "9223372036854775808").message,
            "x: expected bigint: bigint out of range: 9223372036854775808");
  EXPECT_THAT(Err(Type::Bigint(), "-9223372036854775809").message, HasSubstr("out of range"));
  EXPECT_THAT(Err(Type::Bigint(), "123456789012345678901234567890").message,
              HasSubstr("out of range"));
  ExpectTypeError(Type::Bigint(), "12.0", "a non-integer number 12.0");
  ExpectTypeError(Type::Bigint(), "1e3", "a non-integer number 1e3");
  ExpectTypeError(Type::Bigint(), R"("12")", "a string");
  ExpectTypeError(Type::Bigint(), "true", "a boolean");
  ExpectTypeError(Type::Bigint(), "[]", "an array");
}

TEST(DecoderTypeTest, Double) {
  EXPECT_EQ(Ok(Type::Double(), "12"), Value::Double(12));
  EXPECT_EQ(Ok(Type::Double(), "-2.5"), Value::Double(-2.5));
  EXPECT_EQ(Ok(Type::Double(), "0.1"), Value::Double(0.1));
  EXPECT_EQ(Ok(Type::Double(), "1E-2"), Value::Double(0.01));
  EXPECT_EQ(Ok(Type::Double(), "123456789012345678901234567890"),
            Value::Double(123456789012345678901234567890.0));
  EXPECT_EQ(Ok(Type::Double(), "-9223372036854775809"), Value::Double(-9223372036854775809.0));
  EXPECT_EQ(Err(Type::Double(), "1e400").message,
            "x: expected double precision: value out of range for double precision: 1e400");
  ExpectTypeError(Type::Double(), R"("1.5")", "a string");
  ExpectTypeError(Type::Double(), "false", "a boolean");
}

TEST(DecoderTypeTest, NumericIsExactFromJsonNumbers) {
  const Type t = Type::Numeric(18, 2);
  EXPECT_EQ(Ok(t, "0.1"), Value::Int128(10));
  EXPECT_EQ(Ok(t, "1e-2"), Value::Int128(1));
  EXPECT_EQ(Ok(t, "1E+2"), Value::Int128(10000));
  EXPECT_EQ(Ok(t, "12"), Value::Int128(1200));
  EXPECT_EQ(Ok(t, "-12.5"), Value::Int128(-1250));
  EXPECT_EQ(Ok(t, "-0"), Value::Int128(0));
  EXPECT_EQ(Ok(t, "0.30000000000000004"), Value::Int128(30));
  EXPECT_EQ(Ok(t, "1e-100"), Value::Int128(0));
  // Rounding half away from zero.
  EXPECT_EQ(Ok(t, "0.005"), Value::Int128(1));
  EXPECT_EQ(Ok(t, "-0.005"), Value::Int128(-1));
  EXPECT_EQ(Ok(t, "0.0049999"), Value::Int128(0));
  EXPECT_EQ(Ok(t, "2.675"), Value::Int128(268));  // 2.67499999... as a double
  EXPECT_EQ(Ok(t, "9999999999999999.994"), Value::Int128(Num("9999999999999999.99", 18, 2)));
  // Every digit of a value no double holds.
  const Type wide = Type::Numeric(20, 2);
  EXPECT_EQ(Ok(wide, "123456789012345678.12"), Value::Int128(Num("123456789012345678.12", 20, 2)));
  EXPECT_EQ(Ok(wide, "-123456789012345678.125"),
            Value::Int128(-Num("123456789012345678.13", 20, 2)));
  EXPECT_EQ(Ok(Type::Numeric(38, 0), "12345678901234567890123456789012345678"),
            Value::Int128(Num("12345678901234567890123456789012345678", 38, 0)));
  // Overflow.
  RowError e = Err(wide, "1234567890123456789.12");
  EXPECT_EQ(e.field, "x");
  EXPECT_EQ(e.expected, "numeric(20,2)");
  EXPECT_THAT(e.message, StartsWith("x: expected numeric(20,2): "));
  EXPECT_THAT(e.message, HasSubstr("out of range"));
  EXPECT_THAT(Err(Type::Numeric(5, 2), "999.995").message, HasSubstr("out of range"));
  EXPECT_EQ(Ok(Type::Numeric(5, 2), "999.994"), Value::Int128(99999));
  EXPECT_THAT(Err(t, "1e100").message, HasSubstr("out of range"));
}

TEST(DecoderTypeTest, NumericFromStrings) {
  const Type t = Type::Numeric(18, 2);
  EXPECT_EQ(Ok(t, R"("12.345")"), Value::Int128(1235));
  EXPECT_EQ(Ok(t, R"(" -12.345 ")"), Value::Int128(-1235));
  EXPECT_EQ(Ok(t, R"("1.5e3")"), Value::Int128(150000));
  EXPECT_EQ(Ok(t, R"(".5")"), Value::Int128(50));
  RowError e = Err(t, R"("abc")");
  EXPECT_EQ(e.field, "x");
  EXPECT_EQ(e.expected, "numeric(18,2)");
  EXPECT_THAT(e.message, StartsWith("x: expected numeric(18,2): invalid input"));
  EXPECT_THAT(Err(t, R"("NaN")").message, StartsWith("x: expected numeric(18,2): "));
  ExpectTypeError(t, "true", "a boolean");
  ExpectTypeError(t, "{\"v\":1}", "an object");
  ExpectTypeError(t, "[1]", "an array");
}

TEST(DecoderTypeTest, Text) {
  EXPECT_EQ(Ok(Type::Text(), R"("plain")"), Value::String("plain"));
  EXPECT_EQ(Ok(Type::Text(), R"("")"), Value::String(""));
  EXPECT_EQ(Ok(Type::Text(), R"("a\"b\\c\/\u00e9\n\ud83d\ude00")"),
            Value::String("a\"b\\c/\xc3\xa9\n\xf0\x9f\x98\x80"));
  ExpectTypeError(Type::Text(), "12", "a number");
  ExpectTypeError(Type::Text(), "true", "a boolean");
  ExpectTypeError(Type::Text(), "{}", "an object");
  ExpectTypeError(Type::Text(), "[\"a\"]", "an array");
}

TEST(DecoderTypeTest, TimestampFromIsoAndSqlText) {
  const Type t = Type::Timestamp();
  const Micros ten = Ts("2026-11-17 10:00:00");
  EXPECT_EQ(Ok(t, R"("2026-11-17 10:00:00")"), Value::Int64(ten));
  EXPECT_EQ(Ok(t, R"("2026-11-17T10:00:00")"), Value::Int64(ten));
  EXPECT_EQ(Ok(t, R"("2026-11-17T10:00:00Z")"), Value::Int64(ten));
  EXPECT_EQ(Ok(t, R"("2026-11-17T10:00:00.000000z")"), Value::Int64(ten));
  EXPECT_EQ(Ok(t, R"("2026-11-17T12:00:00+02:00")"), Value::Int64(ten));
  EXPECT_EQ(Ok(t, R"("2026-11-17T12:00:00+02")"), Value::Int64(ten));
  EXPECT_EQ(Ok(t, R"("2026-11-17 15:30:00 +0530")"), Value::Int64(ten));
  EXPECT_EQ(Ok(t, R"("2026-11-17T02:00:00-08:00")"), Value::Int64(ten));
  EXPECT_EQ(Ok(t, R"("2026-11-17T10:00:00.123456Z")"), Value::Int64(ten + 123456));
  EXPECT_EQ(Ok(t, R"("2026-11-17T10:00:00.5Z")"), Value::Int64(ten + 500000));
  EXPECT_EQ(Ok(t, R"("2026-11-17")"), Value::Int64(Ts("2026-11-17 00:00:00")));
  EXPECT_EQ(Ok(t, R"("1969-12-31T23:59:59.999999Z")"), Value::Int64(-1));
  EXPECT_EQ(Ok(t, R"("0044-03-15 12:00:00 BC")"), Value::Int64(Ts("0044-03-15 12:00:00 BC")));
  RowError e = Err(t, R"("2026-13-01 00:00:00")");
  EXPECT_EQ(e.field, "x");
  EXPECT_EQ(e.expected, "timestamp");
  EXPECT_THAT(e.message, StartsWith("x: expected timestamp: invalid timestamp"));
  EXPECT_THAT(e.message, HasSubstr("month 13 out of range"));
  EXPECT_THAT(Err(t, R"("yesterday")").message, StartsWith("x: expected timestamp: "));
  // An integer's unit would be a guess in plain JSON.
  EXPECT_THAT(Err(t, "1795000000000000").message,
              StartsWith("x: expected timestamp, found a number"));
  ExpectTypeError(t, "true", "a boolean");
  ExpectTypeError(t, "[]", "an array");
}

TEST(DecoderTypeTest, Date) {
  const Type t = Type::Date();
  EXPECT_EQ(Ok(t, R"("1970-01-02")"), Value::Int32(1));
  EXPECT_EQ(Ok(t, R"("2026-11-17")"), Value::Int32(*ParseDate("2026-11-17")));
  EXPECT_EQ(Ok(t, R"("1969-12-31")"), Value::Int32(-1));
  EXPECT_THAT(Err(t, R"("2026-02-30")").message, StartsWith("x: expected date: invalid date"));
  // As in PostgreSQL, a time (and zone) after the date is accepted: the date as written.
  EXPECT_EQ(Ok(t, R"("2026-11-17 10:00:00")"), Value::Int32(*ParseDate("2026-11-17")));
  EXPECT_EQ(Ok(t, R"("2026-11-17T23:30:00-05:00")"), Value::Int32(*ParseDate("2026-11-17")));
  EXPECT_THAT(Err(t, R"("2026-11-17 25:00")").message, StartsWith("x: expected date: "));
  EXPECT_THAT(Err(t, "20000").message, StartsWith("x: expected date, found a number"));
  ExpectTypeError(t, "false", "a boolean");
  ExpectTypeError(t, "{}", "an object");
}

TEST(DecoderTypeTest, DebeziumEncodesTimestampsAndDatesAsIntegers) {
  const auto dbz = PayloadFormat::kDebezium;
  EXPECT_EQ(Ok(Type::Timestamp(), "1795000000123456", dbz), Value::Int64(1795000000123456));
  EXPECT_EQ(Ok(Type::Timestamp(), "-1", dbz), Value::Int64(-1));
  EXPECT_EQ(Ok(Type::Timestamp(), R"("2026-11-17T10:00:00Z")", dbz),
            Value::Int64(Ts("2026-11-17 10:00:00")));
  EXPECT_THAT(Err(Type::Timestamp(), "-9223372036854775808", dbz).message,
              HasSubstr("timestamp out of range"));
  EXPECT_THAT(Err(Type::Timestamp(), "1.5", dbz).message,
              StartsWith("x: expected timestamp, found a non-integer number 1.5"));
  EXPECT_EQ(Ok(Type::Date(), "20409", dbz), Value::Int32(20409));
  EXPECT_EQ(Ok(Type::Date(), "-719528", dbz), Value::Int32(-719528));  // 0000-01-01
  EXPECT_THAT(Err(Type::Date(), "2147483647", dbz).message, HasSubstr("date out of range"));
  EXPECT_EQ(Ok(Type::Numeric(10, 3), "1.5", dbz), Value::Int128(1500));
  EXPECT_EQ(Ok(Type::Numeric(10, 3), R"("1.5")", dbz), Value::Int128(1500));
}

// --- NULL handling ---

TEST(DecoderNullTest, MissingFieldsAndJsonNullAreNullForEveryType) {
  std::vector<ColumnSpec> columns = {{"b", Type::Boolean()}, {"i", Type::Bigint()},
                                     {"d", Type::Double()},  {"n", Type::Numeric(18, 2)},
                                     {"t", Type::Text()},    {"ts", Type::Timestamp()},
                                     {"dt", Type::Date()}};
  PayloadDecoder decoder(columns, PayloadFormat::kJson);
  Decoded d = DecodeAll(
      decoder, {"{}", R"({"b":null,"i":null,"d":null,"n":null,"t":null,"ts":null,"dt":null})",
                R"({"other":1,"b":true})"});
  ASSERT_TRUE(d.errors.empty()) << d.errors[0].message;
  ASSERT_EQ(d.batch.num_rows(), 3u);
  for (size_t row = 0; row < 2; ++row) {
    for (size_t c = 0; c < columns.size(); ++c) {
      EXPECT_TRUE(d.batch.columns[c].is_null(row)) << row << " " << columns[c].name;
    }
  }
  EXPECT_EQ(d.batch.Row(2)[0], Value::Bool(true));
  for (size_t c = 1; c < columns.size(); ++c)
    EXPECT_TRUE(d.batch.columns[c].is_null(2));
}

TEST(DecoderNullTest, ExtraFieldsAreIgnoredButValidated) {
  PayloadDecoder decoder({{"a", Type::Bigint()}}, PayloadFormat::kJson);
  Decoded d = DecodeAll(
      decoder, {R"({"x":{"y":[1,{"z":null}],"w":"\u00e9"},"a":1,"A":2})", R"({"x":tru,"a":1})",
                R"({"x":[1,2,],"a":1})", R"({"x":01,"a":1})", R"({"x":"\q","a":1})"});
  ASSERT_EQ(d.batch.num_rows(), 1u);
  EXPECT_EQ(d.batch.Row(0)[0], Value::Int64(1));
  ASSERT_EQ(d.errors.size(), 4u);
  for (const RowError& e : d.errors)
    EXPECT_THAT(e.message, StartsWith("malformed JSON: "));
}

// --- Keys ---

TEST(DecoderKeyTest, EscapedKeysMatchAndDuplicatesAreErrors) {
  PayloadDecoder decoder({{"order_id", Type::Text()}, {"a\"b", Type::Bigint()}},
                         PayloadFormat::kJson);
  Decoded d = DecodeAll(decoder, {R"({"order\u005fid":"x","a\"b":5})", R"({"a\u0022b":6})",
                                  R"({"order_id":"x","order_id":"y"})", R"({"Order_id":"x"})"});
  ASSERT_EQ(d.batch.num_rows(), 3u);
  EXPECT_EQ(d.batch.Row(0), (std::vector<Value>{Value::String("x"), Value::Int64(5)}));
  EXPECT_EQ(d.batch.Row(1), (std::vector<Value>{Value::Null(), Value::Int64(6)}));
  EXPECT_EQ(d.batch.Row(2), (std::vector<Value>{Value::Null(), Value::Null()}));  // case matters
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].index, 2u);
  EXPECT_EQ(d.errors[0].field, "order_id");
  EXPECT_EQ(d.errors[0].message, "order_id: expected text: appears more than once");
}

TEST(DecoderKeyTest, FieldsInAnyOrder) {
  PayloadDecoder decoder({{"a", Type::Bigint()}, {"b", Type::Text()}, {"c", Type::Boolean()}},
                         PayloadFormat::kJson);
  Decoded d = DecodeAll(decoder, {R"({"c":true,"b":"x","a":1})", R"({"b":"y","a":2,"c":false})",
                                  R"({"a":3,"b":"z","c":null})"});
  ASSERT_TRUE(d.errors.empty());
  EXPECT_EQ(d.batch.Row(0),
            (std::vector<Value>{Value::Int64(1), Value::String("x"), Value::Bool(true)}));
  EXPECT_EQ(d.batch.Row(1),
            (std::vector<Value>{Value::Int64(2), Value::String("y"), Value::Bool(false)}));
  EXPECT_EQ(d.batch.Row(2),
            (std::vector<Value>{Value::Int64(3), Value::String("z"), Value::Null()}));
}

// --- Malformed and non-object payloads ---

TEST(DecoderMalformedTest, MalformedPayloadsAreRowErrors) {
  PayloadDecoder decoder({{"a", Type::Bigint()}, {"s", Type::Text()}}, PayloadFormat::kJson);
  const std::vector<std::string> payloads = {
      "", "   ", "{", R"({"a":1)", R"({"a":1,})", R"({"a" 1})", R"({"a":1 "b":2})", R"({"a":1} x)",
      R"({"a":1}{})", R"({"a":01})", R"({"a":1x})", R"({"a":"\u12"})", "{\"a\":\"\x01\"}",
      "{\"a\":\"\xff\"}", R"({a:1})", R"({"a":nul})", R"({"a":-})", R"([1,)", "\"abc",
      R"({"a":1}})",
      // A string followed by ':' must not be skipped as if it were a key.
      R"({"a":1,"x":"n":1}})", R"({"s":"n":1}})", R"({"a":1:2}})", R"({"x":["n":1]})"};
  Decoded d = DecodeAll(decoder, payloads);
  EXPECT_EQ(d.batch.num_rows(), 0u);
  ASSERT_EQ(d.errors.size(), payloads.size());
  for (size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(d.errors[i].index, i);
    EXPECT_EQ(d.errors[i].field, "") << payloads[i];
    EXPECT_THAT(d.errors[i].message, StartsWith("malformed JSON: ")) << payloads[i];
  }
}

TEST(DecoderMalformedTest, MalformedOutranksTypeErrors) {
  PayloadDecoder decoder({{"a", Type::Bigint()}, {"b", Type::Text()}}, PayloadFormat::kJson);
  Decoded d = DecodeAll(decoder, {R"({"a":"x","b":tru})", R"({"a":"x","b":1})"});
  ASSERT_EQ(d.errors.size(), 2u);
  EXPECT_THAT(d.errors[0].message, StartsWith("malformed JSON"));
  EXPECT_EQ(d.errors[1].message, "a: expected bigint, found a string");  // the first one wins
}

TEST(DecoderMalformedTest, FlaggedAtIngestIsNotParsed) {
  PayloadDecoder decoder({{"a", Type::Bigint()}}, PayloadFormat::kJson);
  const std::string valid = R"({"a":1})";
  RecordInput records[] = {
      {valid, 0, 1, log::kFlagMalformed}, {valid, 0, 2, 0}, {valid, 0, 3, log::kFlagMissingKey}};
  Batch batch = decoder.MakeBatch();
  std::vector<RowError> errors;
  decoder.Decode(records, &batch, &errors);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].index, 0u);
  EXPECT_EQ(errors[0].message, "malformed JSON (flagged at ingest)");
  ASSERT_EQ(batch.num_rows(), 2u);
  EXPECT_EQ(batch.origins[0].offset, 2u);
  EXPECT_EQ(batch.origins[1].offset, 3u);
}

TEST(DecoderMalformedTest, NonObjectPayloads) {
  PayloadDecoder decoder({{"a", Type::Bigint()}}, PayloadFormat::kJson);
  Decoded d = DecodeAll(decoder, {"[1,2]", R"("a")", "12", "true", "null", " [] ", "1e999"});
  ASSERT_EQ(d.errors.size(), 7u);
  const char* found[] = {"an array", "a string", "a number", "a boolean",
                         "null",     "an array", "a number"};
  for (size_t i = 0; i < d.errors.size(); ++i) {
    EXPECT_EQ(d.errors[i].expected, "object");
    EXPECT_EQ(d.errors[i].message, std::string("payload is not a JSON object: found ") + found[i]);
  }
  // A broken non-object is malformed, not merely not an object.
  d = DecodeAll(decoder, {"[1,", "tru", "12 13", R"(["a" "b"])", "1.", "nulll"});
  ASSERT_EQ(d.errors.size(), 6u);
  for (const RowError& e : d.errors)
    EXPECT_THAT(e.message, StartsWith("malformed JSON: "));
}

TEST(DecoderMalformedTest, DeepNestingIsMalformedNotACrash) {
  PayloadDecoder decoder({{"a", Type::Bigint()}}, PayloadFormat::kJson);
  std::string deep = R"({"x":)" + std::string(100000, '[') + std::string(100000, ']') + "}";
  std::string ok = R"({"x":)" + std::string(500, '[') + std::string(500, ']') + R"(,"a":1})";
  Decoded d = DecodeAll(decoder, {deep, ok});
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].index, 0u);
  EXPECT_THAT(d.errors[0].message, StartsWith("malformed JSON"));
  EXPECT_EQ(d.batch.num_rows(), 1u);
}

// --- Weights, origins, batches ---

TEST(DecoderBatchTest, WeightsAndOriginsAndFailedRowsAppendNothing) {
  PayloadDecoder decoder({{"a", Type::Bigint()}, {"s", Type::Text()}}, PayloadFormat::kJson);
  const std::vector<std::string> payloads = {R"({"a":1,"s":"one"})", R"({"a":"bad","s":"two"})",
                                             R"({"a":3,"s":"three"})"};
  std::vector<RecordInput> records = {{payloads[0], 1, 10, 0, log::Operation::kInsert},
                                      {payloads[1], 1, 11, 0, log::Operation::kInsert},
                                      {payloads[2], 2, 7, 0, log::Operation::kDelete}};
  Batch batch = decoder.MakeBatch();
  std::vector<RowError> errors;
  decoder.Decode(records, &batch, &errors);
  ASSERT_EQ(batch.num_rows(), 2u);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].index, 1u);
  for (const Column& c : batch.columns)
    EXPECT_EQ(c.size(), 2u);
  EXPECT_EQ(batch.weights, (std::vector<int64_t>{1, -1}));  // a json delete retracts
  ASSERT_EQ(batch.origins.size(), 2u);
  EXPECT_EQ(batch.origins[0].partition, 1u);
  EXPECT_EQ(batch.origins[0].offset, 10u);
  EXPECT_EQ(batch.origins[0].payload.data(), payloads[0].data());  // a view of the caller's
  EXPECT_EQ(batch.origins[1].partition, 2u);
  EXPECT_EQ(batch.origins[1].offset, 7u);
  EXPECT_EQ(batch.Row(1), (std::vector<Value>{Value::Int64(3), Value::String("three")}));
  // Decoding again appends to the same batch.
  decoder.Decode(std::span(records).subspan(0, 1), &batch, &errors);
  EXPECT_EQ(batch.num_rows(), 3u);
  EXPECT_EQ(batch.Row(2), (std::vector<Value>{Value::Int64(1), Value::String("one")}));
}

TEST(DecoderBatchTest, StringsOutliveTheParser) {
  PayloadDecoder decoder({{"s", Type::Text()}}, PayloadFormat::kJson);
  std::vector<std::string> payloads;
  for (int i = 0; i < 300; ++i) {
    payloads.push_back(R"({"s":")" + std::string(i * 7 % 200, 'a' + i % 26) + R"(\n"})");
  }
  Decoded d = DecodeAll(decoder, payloads);
  ASSERT_EQ(d.batch.num_rows(), 300u);
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(d.batch.columns[0].strings()[i], std::string(i * 7 % 200, 'a' + i % 26) + "\n");
  }
}

TEST(DecoderBatchTest, FormatNames) {
  EXPECT_EQ(*ParsePayloadFormat("json"), PayloadFormat::kJson);
  EXPECT_EQ(*ParsePayloadFormat("debezium"), PayloadFormat::kDebezium);
  EXPECT_THAT(ParsePayloadFormat("csv").status().message(), HasSubstr("json or debezium"));
  EXPECT_STREQ(PayloadFormatName(PayloadFormat::kDebezium), "debezium");
}

// --- Debezium ---

class DebeziumTest : public ::testing::Test {
 protected:
  PayloadDecoder decoder_{{{"id", Type::Bigint()}, {"name", Type::Text()}},
                          PayloadFormat::kDebezium};
  static constexpr std::string_view kSource =
      R"("source":{"version":"2.5.0","connector":"postgresql","name":"db","ts_ms":1,)"
      R"("snapshot":"false","db":"shop","schema":"public","table":"t","lsn":123,"xmin":null})";
};

TEST_F(DebeziumTest, OpsTakeTheirSideAndWeight) {
  const std::string src(kSource);
  Decoded d =
      DecodeAll(decoder_,
                {R"({"before":null,"after":{"id":1,"name":"a"},)" + src + R"(,"op":"c","ts_ms":5})",
                 R"({"before":{"id":1,"name":"a"},"after":{"id":1,"name":"b"},"op":"u"})",
                 R"({"op":"d","before":{"id":1,"name":"b"},"after":null})",
                 R"({"op":"r","after":{"id":2,"name":"s"}})",
                 R"({"op":"d","before":{"id":3}})",  // REPLICA IDENTITY DEFAULT: only the key
                 R"({"after":{"id":4,"name":"late op"},"op":"c"})"},
                log::Operation::kDelete);  // the record's own op does not matter
  ASSERT_TRUE(d.errors.empty()) << d.errors[0].message;
  ASSERT_EQ(d.batch.num_rows(), 6u);
  EXPECT_EQ(d.batch.weights, (std::vector<int64_t>{1, 1, -1, 1, -1, 1}));
  EXPECT_EQ(d.batch.Row(0), (std::vector<Value>{Value::Int64(1), Value::String("a")}));
  EXPECT_EQ(d.batch.Row(1), (std::vector<Value>{Value::Int64(1), Value::String("b")}));
  EXPECT_EQ(d.batch.Row(2), (std::vector<Value>{Value::Int64(1), Value::String("b")}));
  EXPECT_EQ(d.batch.Row(3), (std::vector<Value>{Value::Int64(2), Value::String("s")}));
  EXPECT_EQ(d.batch.Row(4), (std::vector<Value>{Value::Int64(3), Value::Null()}));
  EXPECT_EQ(d.batch.Row(5), (std::vector<Value>{Value::Int64(4), Value::String("late op")}));
}

TEST_F(DebeziumTest, SchemaPayloadWrapping) {
  Decoded d =
      DecodeAll(decoder_, {R"({"schema":{"type":"struct","fields":[{"field":"op"}]},)"
                           R"("payload":{"op":"u","before":null,"after":{"id":9,"name":"w"}}})",
                           R"({"schema":{},"payload":{"op":"d","before":{"id":9}}})",
                           R"({"schema":{},"payload":{"before":{"id":9}}})"});
  ASSERT_EQ(d.batch.num_rows(), 2u);
  EXPECT_EQ(d.batch.weights, (std::vector<int64_t>{1, -1}));
  EXPECT_EQ(d.batch.Row(0), (std::vector<Value>{Value::Int64(9), Value::String("w")}));
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_EQ(d.errors[0].message, "op: missing from the debezium envelope");
}

TEST_F(DebeziumTest, InconsistentEnvelopesAreErrors) {
  struct Case {
    std::string payload;
    std::string field;
    std::string message;
  };
  const Case cases[] = {
      {R"({"after":{"id":1}})", "op", "op: missing from the debezium envelope"},
      {R"({"op":"t","after":{"id":1}})", "op", R"(op: expected "c", "u", "d" or "r", found "t")"},
      {R"({"op":"create","after":{"id":1}})", "op",
       R"(op: expected "c", "u", "d" or "r", found "create")"},
      {R"({"op":1,"after":{"id":1}})", "op",
       R"(op: expected "c", "u", "d" or "r", found a number)"},
      {R"({"op":null,"after":{"id":1}})", "op", R"(op: expected "c", "u", "d" or "r", found null)"},
      {R"({"op":"c","before":{"id":1},"after":null})", "after",
       R"(after: expected an object for op "c", found null)"},
      {R"({"op":"u","before":{"id":1}})", "after",
       R"(after: expected an object for op "u", found no such field)"},
      {R"({"op":"d","after":{"id":1}})", "before",
       R"(before: expected an object for op "d", found no such field)"},
      {R"({"op":"d","before":null,"after":null})", "before",
       R"(before: expected an object for op "d", found null)"},
      {R"({"op":"c","after":[{"id":1}]})", "after",
       R"(after: expected an object for op "c", found an array)"},
      {R"({"op":"c","op":"c","after":{"id":1}})", "op",
       "op: appears more than once in the debezium envelope"},
      {R"({"op":"c","after":{"id":1},"after":{"id":2}})", "after",
       "after: appears more than once in the debezium envelope"},
      {R"({"op":"c","after":{"id":"one"}})", "id", "id: expected bigint, found a string"},
  };
  for (const Case& c : cases) {
    Decoded d = DecodeAll(decoder_, {c.payload});
    ASSERT_EQ(d.errors.size(), 1u) << c.payload;
    EXPECT_EQ(d.batch.num_rows(), 0u);
    EXPECT_EQ(d.errors[0].field, c.field) << c.payload;
    EXPECT_EQ(d.errors[0].message, c.message) << c.payload;
  }
}

TEST_F(DebeziumTest, OnlyTheUsedSideMustConvertButAllMustBeWellFormed) {
  Decoded d = DecodeAll(decoder_, {R"({"op":"c","before":{"id":"x"},"after":{"id":1}})",
                                   R"({"op":"d","before":{"id":2},"after":{"id":[]}})",
                                   R"({"op":"c","before":{"id":tru},"after":{"id":1}})",
                                   R"({"op":"c","after":{"id":1},"source":{"x":[}})",
                                   R"([{"op":"c","after":{"id":1}}])"});
  ASSERT_EQ(d.batch.num_rows(), 2u);
  EXPECT_EQ(d.batch.weights, (std::vector<int64_t>{1, -1}));
  ASSERT_EQ(d.errors.size(), 3u);
  EXPECT_THAT(d.errors[0].message, StartsWith("malformed JSON"));
  EXPECT_THAT(d.errors[1].message, StartsWith("malformed JSON"));
  EXPECT_EQ(d.errors[2].message, "payload is not a JSON object: found an array");
}

// --- Randomized: generated records decode to what was generated; corruptions never crash ---

class RandomRecords {
 public:
  explicit RandomRecords(uint64_t seed) : rng_(seed) {}

  std::vector<ColumnSpec> Schema() {
    static const Type kTypes[] = {Type::Boolean(),      Type::Bigint(),       Type::Double(),
                                  Type::Numeric(18, 2), Type::Numeric(38, 6), Type::Numeric(5, 0),
                                  Type::Text(),         Type::Timestamp(),    Type::Date()};
    std::vector<ColumnSpec> columns;
    size_t n = 1 + rng_() % 8;
    for (size_t i = 0; i < n; ++i) {
      columns.push_back({"c" + std::to_string(i) + (i % 3 == 0 ? "_\xc3\xa9" : ""),
                         kTypes[rng_() % std::size(kTypes)]});
    }
    return columns;
  }

  // One payload for the columns (an envelope for debezium) and the values it holds.
  std::string Payload(const std::vector<ColumnSpec>& columns, bool debezium,
                      std::vector<Value>* values, int64_t* weight) {
    std::vector<std::string> fields;
    values->clear();
    for (const ColumnSpec& c : columns) {
      int kind = static_cast<int>(rng_() % 10);
      if (kind == 0) {  // missing
        values->push_back(Value::Null());
        continue;
      }
      std::string json = kind == 1 ? "null" : ValueJson(c.type, debezium, values);
      if (kind == 1) values->push_back(Value::Null());
      fields.push_back(Key(c.name) + Space() + ":" + Space() + json);
    }
    for (int extra = static_cast<int>(rng_() % 3); extra > 0; --extra) {
      fields.push_back(R"("extra_)" + std::to_string(rng_() % 100) + R"(":{"n":[1,-2.5e3,"x"]})");
    }
    std::shuffle(fields.begin(), fields.end(), rng_);
    std::string object = "{" + Space();
    for (size_t i = 0; i < fields.size(); ++i) {
      object += (i ? "," + Space() : "") + fields[i];
    }
    object += Space() + "}";
    *weight = 1;
    if (!debezium) return object;
    const char op = "cudr"[rng_() % 4];
    *weight = op == 'd' ? -1 : 1;
    std::string other = rng_() % 2 ? "null" : R"({"c0":"ignored"})";
    return std::string(R"({"op":")") + op + R"(","before":)" + (op == 'd' ? object : other) +
           R"(,"after":)" + (op == 'd' ? other : object) +
           R"(,"source":{"lsn":12,"snapshot":"false"},"ts_ms":1})";
  }

  std::mt19937_64& rng() { return rng_; }

 private:
  std::string Space() {
    static const char* kSpaces[] = {"", "", "", " ", "\n", "\t ", "\r\n"};
    return kSpaces[rng_() % std::size(kSpaces)];
  }

  // A JSON string for `s`, escaping some characters that need no escape.
  std::string Quote(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
      auto c = static_cast<unsigned char>(ch);
      char buf[8];
      if (c == '"' || c == '\\') {
        out += '\\';
        out += ch;
      } else if (c < 0x20 || (c < 0x80 && rng_() % 8 == 0)) {
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += ch;
      }
    }
    return out + "\"";
  }

  std::string Key(std::string_view name) { return Quote(name); }

  std::string RandomText() {
    static const char* kPieces[] = {
        "a",  "Z",  " ",    "\"",       "\\",           "/",
        "\n", "\t", "\x01", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
        "0"};
    std::string s;
    for (int n = static_cast<int>(rng_() % 12); n > 0; --n)
      s += kPieces[rng_() % std::size(kPieces)];
    return s;
  }

  std::string ValueJson(const Type& type, bool debezium, std::vector<Value>* values) {
    switch (type.id) {
      case TypeId::kBoolean: {
        bool b = rng_() % 2;
        values->push_back(Value::Bool(b));
        return b ? "true" : "false";
      }
      case TypeId::kBigint: {
        auto v = static_cast<int64_t>(rng_());
        if (rng_() % 2) v %= 1000;
        values->push_back(Value::Int64(v));
        return std::to_string(v);
      }
      case TypeId::kDouble: {
        double d = std::ldexp(static_cast<double>(static_cast<int64_t>(rng_())),
                              static_cast<int>(rng_() % 200) - 100);
        if (rng_() % 4 == 0) d = static_cast<double>(static_cast<int64_t>(rng_() % 100000));
        char buf[40];
        std::snprintf(buf, sizeof(buf), rng_() % 2 ? "%.17g" : "%.17e", d);
        values->push_back(Value::Double(std::strtod(buf, nullptr)));
        return buf;
      }
      case TypeId::kNumeric: {
        const int p = type.numeric.precision, s = type.numeric.scale;
        Int128 v = 0;
        int digits = 1 + static_cast<int>(rng_() % p);
        for (int i = 0; i < digits; ++i)
          v = v * 10 + static_cast<Int128>(rng_() % 10);
        if (rng_() % 2) v = -v;
        values->push_back(Value::Int128(v));
        std::string text = Numeric::ToString(v, s);
        switch (rng_() % 4) {
          case 0:
            return Quote(text);
          case 1:  // trailing zeros beyond the scale
            if (s == 0) text += ".";
            return text + "000";
          case 2: {  // scientific: digits E-scale
            std::string digits_text = Numeric::ToString(v, 0);
            return digits_text + "e-" + std::to_string(s);
          }
          default:
            return text;
        }
      }
      case TypeId::kText: {
        std::string s = RandomText();
        values->push_back(Value::String(s));
        return Quote(s);
      }
      case TypeId::kTimestamp: {
        // Years 1..9999, shown with a random zone offset.
        Micros lo = *ParseSqlTimestamp("0001-01-02 00:00:00");
        Micros hi = *ParseSqlTimestamp("9999-12-30 00:00:00");
        Micros ts = lo + static_cast<Micros>(rng_() % static_cast<uint64_t>(hi - lo));
        if (rng_() % 3 == 0) ts -= ts % kMicrosPerSecond;
        values->push_back(Value::Int64(ts));
        if (debezium && rng_() % 2) return std::to_string(ts);
        int offset_minutes = static_cast<int>(rng_() % 1800) - 900;
        if (rng_() % 2) offset_minutes = 0;
        std::string local = FormatSqlTimestamp(ts + offset_minutes * 60 * kMicrosPerSecond);
        if (rng_() % 2) local[10] = 'T';
        char zone[16];
        int a = std::abs(offset_minutes);
        switch (rng_() % 3) {
          case 0:
            std::snprintf(zone, sizeof(zone), "%c%02d:%02d", offset_minutes < 0 ? '-' : '+', a / 60,
                          a % 60);
            break;
          case 1:
            std::snprintf(zone, sizeof(zone), "%c%02d%02d", offset_minutes < 0 ? '-' : '+', a / 60,
                          a % 60);
            break;
          default:
            if (offset_minutes == 0) {
              std::snprintf(zone, sizeof(zone), "Z");
            } else {
              std::snprintf(zone, sizeof(zone), "%c%02d:%02d", offset_minutes < 0 ? '-' : '+',
                            a / 60, a % 60);
            }
        }
        return Quote(local + zone);
      }
      case TypeId::kDate: {
        auto days = static_cast<int32_t>(static_cast<int64_t>(rng_() % 3000000) - 719162);
        values->push_back(Value::Int32(days));
        if (debezium && rng_() % 2) return std::to_string(days);
        return Quote(FormatDate(days));
      }
    }
    return "null";
  }

  std::mt19937_64 rng_;
};

TEST(DecoderRandomTest, GeneratedRecordsDecodeToTheirValues) {
  RandomRecords gen(20261122);
  for (int round = 0; round < 200; ++round) {
    const bool debezium = round % 2 == 1;
    std::vector<ColumnSpec> columns = gen.Schema();
    PayloadDecoder decoder(columns, debezium ? PayloadFormat::kDebezium : PayloadFormat::kJson);
    std::vector<std::string> payloads;
    std::vector<std::vector<Value>> expected;
    std::vector<int64_t> weights;
    for (int i = 0; i < 50; ++i) {
      std::vector<Value> values;
      int64_t weight;
      payloads.push_back(gen.Payload(columns, debezium, &values, &weight));
      expected.push_back(values);
      weights.push_back(weight);
    }
    Decoded d = DecodeAll(decoder, payloads);
    ASSERT_TRUE(d.errors.empty()) << payloads[d.errors[0].index] << "\n" << d.errors[0].message;
    ASSERT_EQ(d.batch.num_rows(), payloads.size());
    EXPECT_EQ(d.batch.weights, weights);
    for (size_t i = 0; i < payloads.size(); ++i) {
      ASSERT_EQ(d.batch.Row(i), expected[i]) << payloads[i];
      EXPECT_EQ(d.batch.origins[i].payload, payloads[i]);
    }
  }
}

// Whether the text holds a run of 19 or more digits or a 3-digit exponent.
bool HasHugeNumber(std::string_view s) {
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    run = (s[i] >= '0' && s[i] <= '9') ? run + 1 : 0;
    if (run >= 19) return true;
    if ((s[i] == 'e' || s[i] == 'E') && i + 3 < s.size()) {
      size_t j = i + 1 + (s[i + 1] == '+' || s[i + 1] == '-' ? 1 : 0);
      size_t digits = 0;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
        ++j;
        ++digits;
      }
      if (digits >= 3) return true;
    }
  }
  return false;
}

TEST(DecoderRandomTest, CorruptionsNeverCrashAndMalformedIsAlwaysAnError) {
  RandomRecords gen(7);
  std::mt19937_64& rng = gen.rng();
  simdjson::dom::parser dom;
  size_t rows = 0, errors = 0;
  for (int round = 0; round < 300; ++round) {
    const bool debezium = round % 2 == 1;
    std::vector<ColumnSpec> columns = gen.Schema();
    PayloadDecoder decoder(columns, debezium ? PayloadFormat::kDebezium : PayloadFormat::kJson);
    std::vector<std::string> payloads;
    for (int i = 0; i < 100; ++i) {
      std::vector<Value> values;
      int64_t weight;
      std::string p = gen.Payload(columns, debezium, &values, &weight);
      for (int edits = 1 + static_cast<int>(rng() % 3); edits > 0 && !p.empty(); --edits) {
        size_t at = rng() % p.size();
        static const char kBytes[] = "{}[]\":,\\0-.eE tfn\x01\xff";
        switch (rng() % 4) {
          case 0:
            p[at] = kBytes[rng() % (sizeof(kBytes) - 1)];
            break;
          case 1:
            p.erase(at, 1 + rng() % 4);
            break;
          case 2:
            p.insert(at, 1, kBytes[rng() % (sizeof(kBytes) - 1)]);
            break;
          default:
            p.resize(at);
            break;  // truncated
        }
      }
      payloads.push_back(p);
    }
    Decoded d = DecodeAll(decoder, payloads);
    ASSERT_EQ(d.batch.num_rows() + d.errors.size(), payloads.size());
    for (const Column& c : d.batch.columns)
      ASSERT_EQ(c.size(), d.batch.num_rows());
    ASSERT_EQ(d.batch.origins.size(), d.batch.num_rows());
    size_t next_error = 0;
    for (size_t i = 0; i < payloads.size(); ++i) {
      const bool failed = next_error < d.errors.size() && d.errors[next_error].index == i;
      next_error += failed ? 1 : 0;
      simdjson::padded_string padded(payloads[i]);
      simdjson::dom::element element;
      const bool valid = dom.parse(padded).get(element) == simdjson::SUCCESS;
      const bool malformed =
          failed && d.errors[next_error - 1].message.starts_with("malformed JSON");
      if (!valid && !malformed) {
        // simdjson's DOM (ingest's validation) also rejects numbers a double cannot hold;
        // the decoder takes them as JSON defines them (a 38-digit numeric is valid).
        ASSERT_TRUE(HasHugeNumber(payloads[i])) << "invalid JSON decoded: " << payloads[i];
      }
      if (valid) {
        EXPECT_FALSE(malformed) << payloads[i];
      }
    }
    rows += d.batch.num_rows();
    errors += d.errors.size();
  }
  EXPECT_GT(rows, 0u);
  EXPECT_GT(errors, 0u);
}

}  // namespace
}  // namespace strata::format
