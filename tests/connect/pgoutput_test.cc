// The pure parts of the PostgreSQL connector: LSNs and positions, the pgoutput wire format
// (with every truncation of a message rejected, never read past), value mapping and the
// schema history file. postgres_cdc_test.cc drives the same code against a real server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "connect/cdc_schema.h"

#include "common/filename.h"
#include "connect/lsn.h"
#include "connect/pg_value.h"
#include "connect/pgoutput.h"
#include "testing/temp_dir.h"

namespace strata::connect {
namespace {

using pgoutput::MessageType;
using pgoutput::TupleValue;

TEST(LsnTest, FormatsAndParses) {
  EXPECT_EQ(FormatLsn(0x16B3748), "0/16B3748");
  EXPECT_EQ(FormatLsn((uint64_t{0xA} << 32) | 0xFF), "A/FF");
  EXPECT_EQ(*ParseLsn("0/16b3748"), 0x16B3748u);
  EXPECT_EQ(*ParseLsn("A/FF"), (uint64_t{0xA} << 32) | 0xFF);
  for (const char* bad : {"", "0", "/1", "1/", "x/1", "1/2/3", "123456789/0"}) {
    EXPECT_FALSE(ParseLsn(bad).ok()) << bad;
  }
}

TEST(LsnTest, PositionsOrderSnapshotBeforeChangesAtTheSameLsn) {
  const CdcPosition snap{0x100, true, 7}, change0{0x100, false, 0}, change1{0x100, false, 1},
      later{0x101, false, 0};
  EXPECT_LT(snap, change0);
  EXPECT_LT(change0, change1);
  EXPECT_LT(change1, later);
  EXPECT_EQ(snap.ToString(), "0/100/r7");
  EXPECT_EQ(change1.ToString(), "0/100/1");
  EXPECT_EQ(*CdcPosition::Parse("0/100/r7"), snap);
  EXPECT_EQ(*CdcPosition::Parse("0/100/1"), change1);
  for (const char* bad : {"0/100", "0/100/", "0/100/x", "0/100/r", "line:12"}) {
    EXPECT_FALSE(CdcPosition::Parse(bad).ok()) << bad;
  }
}

// Big-endian message builder.
struct Bytes {
  std::string s;
  Bytes& U(uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i)
      s += static_cast<char>(v >> (8 * i));
    return *this;
  }
  Bytes& C(char c) {
    s += c;
    return *this;
  }
  Bytes& Str(const std::string& v) {
    s += v;
    s += '\0';
    return *this;
  }
  Bytes& Text(const std::string& v) { return C('t').U(v.size(), 4).Raw(v); }
  Bytes& Raw(const std::string& v) {
    s += v;
    return *this;
  }
};

std::string RelationMessage() {
  return Bytes()
      .C('R')
      .U(16384, 4)
      .Str("public")
      .Str("orders")
      .C('d')
      .U(2, 2)
      .C(1)
      .Str("id")
      .U(23, 4)
      .U(0xFFFFFFFF, 4)
      .C(0)
      .Str("note")
      .U(25, 4)
      .U(0xFFFFFFFF, 4)
      .s;
}

std::string UpdateMessage() {
  return Bytes()
      .C('U')
      .U(16384, 4)
      .C('K')
      .U(2, 2)
      .Text("7")
      .C('n')
      .C('N')
      .U(2, 2)
      .Text("8")
      .C('u')
      .s;
}

TEST(PgoutputTest, DecodesMessages) {
  pgoutput::Message m;
  ASSERT_TRUE(pgoutput::Decode(Bytes().C('B').U(0x16B3748, 8).U(5, 8).U(741, 4).s, &m).ok());
  EXPECT_EQ(m.type, MessageType::kBegin);
  EXPECT_EQ(m.begin.final_lsn, 0x16B3748u);
  EXPECT_EQ(m.begin.xid, 741u);

  ASSERT_TRUE(pgoutput::Decode(RelationMessage(), &m).ok());
  EXPECT_EQ(m.type, MessageType::kRelation);
  EXPECT_EQ(m.relation.relname, "orders");
  ASSERT_EQ(m.relation.columns.size(), 2u);
  EXPECT_TRUE(m.relation.columns[0].replica_identity);
  EXPECT_EQ(m.relation.columns[1].name, "note");
  EXPECT_EQ(m.relation.columns[1].type_oid, 25u);
  EXPECT_EQ(m.relation.columns[1].type_modifier, -1);

  const std::string update = UpdateMessage();  // tuples view into the message
  ASSERT_TRUE(pgoutput::Decode(update, &m).ok());
  EXPECT_EQ(m.type, MessageType::kUpdate);
  EXPECT_EQ(m.change.old_kind, 'K');
  ASSERT_EQ(m.change.new_tuple.size(), 2u);
  EXPECT_EQ(m.change.old_tuple[0].text, "7");
  EXPECT_EQ(m.change.old_tuple[1].kind, TupleValue::Kind::kNull);
  EXPECT_EQ(m.change.new_tuple[0].text, "8");
  EXPECT_EQ(m.change.new_tuple[1].kind, TupleValue::Kind::kUnchangedToast);

  ASSERT_TRUE(pgoutput::Decode(Bytes().C('D').U(1, 4).C('O').U(1, 2).Text("x").s, &m).ok());
  EXPECT_EQ(m.type, MessageType::kDelete);
  EXPECT_EQ(m.change.old_kind, 'O');

  ASSERT_TRUE(pgoutput::Decode(Bytes().C('T').U(2, 4).C(1).U(5, 4).U(6, 4).s, &m).ok());
  EXPECT_EQ(m.type, MessageType::kTruncate);
  EXPECT_THAT(m.truncate.relation_oids, ::testing::ElementsAre(5u, 6u));

  ASSERT_TRUE(pgoutput::Decode(Bytes().C('C').C(0).U(1, 8).U(2, 8).U(3, 8).s, &m).ok());
  EXPECT_EQ(m.commit.end_lsn, 2u);
}

TEST(PgoutputTest, RejectsEveryTruncationAndUnknownTypes) {
  pgoutput::Message m;
  for (const std::string& full : {RelationMessage(), UpdateMessage()}) {
    for (size_t n = 0; n < full.size(); ++n) {
      Status st = pgoutput::Decode(full.substr(0, n), &m);
      EXPECT_TRUE(st.IsCorruption()) << n << ": " << st.ToString();
    }
    EXPECT_TRUE(pgoutput::Decode(full + "x", &m).IsCorruption());  // trailing bytes
  }
  Status st = pgoutput::Decode("Z", &m);
  EXPECT_THAT(st.message(), ::testing::HasSubstr("unknown message type"));
  // A binary tuple value ('b') is never requested and is refused.
  EXPECT_TRUE(pgoutput::Decode(Bytes().C('I').U(1, 4).C('N').U(1, 2).C('b').U(1, 4).C('x').s, &m)
                  .IsCorruption());
}

TEST(PgoutputTest, StreamFraming) {
  pgoutput::XLogData x;
  const std::string w = Bytes().C('w').U(10, 8).U(20, 8).U(0, 8).Raw("B...").s;
  ASSERT_TRUE(pgoutput::ParseXLogData(w, &x).ok());
  EXPECT_EQ(x.start, 10u);
  EXPECT_EQ(x.wal_end, 20u);
  EXPECT_EQ(x.payload, "B...");
  pgoutput::Keepalive k;
  ASSERT_TRUE(pgoutput::ParseKeepalive(Bytes().C('k').U(30, 8).U(0, 8).C(1).s, &k).ok());
  EXPECT_EQ(k.wal_end, 30u);
  EXPECT_TRUE(k.reply_requested);
  EXPECT_TRUE(pgoutput::ParseKeepalive("k", &k).IsCorruption());
  const std::string r = pgoutput::EncodeStandbyStatus(1, 2, 3, 4, false);
  EXPECT_EQ(r, Bytes().C('r').U(1, 8).U(2, 8).U(3, 8).U(4, 8).C(0).s);
}

std::string Json(uint32_t oid, std::string_view text) {
  std::string out;
  AppendPgValueJson(&out, oid, text);
  return out;
}

TEST(PgValueTest, MapsTypes) {
  EXPECT_EQ(Json(pg_type::kInt8, "-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(Json(pg_type::kNumeric, "1.50"), "1.50");
  EXPECT_EQ(Json(pg_type::kNumeric, "NaN"), "\"NaN\"");
  EXPECT_EQ(Json(pg_type::kFloat8, "-Infinity"), "\"-Infinity\"");
  EXPECT_EQ(Json(pg_type::kFloat8, "1e+100"), "1e+100");
  EXPECT_EQ(Json(pg_type::kBool, "t"), "true");
  EXPECT_EQ(Json(pg_type::kBool, "f"), "false");
  EXPECT_EQ(Json(pg_type::kTimestamp, "2026-11-17 10:00:00.5"), "\"2026-11-17T10:00:00.5\"");
  EXPECT_EQ(Json(pg_type::kTimestamp, "infinity"), "\"infinity\"");
  EXPECT_EQ(Json(pg_type::kTimestamp, "0044-03-15 12:00:00 BC"), "\"0044-03-15 12:00:00 BC\"");
  EXPECT_EQ(Json(pg_type::kTimestamptz, "2026-11-17 10:00:00+00"), "\"2026-11-17T10:00:00Z\"");
  EXPECT_EQ(Json(pg_type::kTimestamptz, "2026-11-17 10:00:00.25-02:30"),
            "\"2026-11-17T12:30:00.25Z\"");
  EXPECT_EQ(Json(pg_type::kDate, "2026-11-17"), "\"2026-11-17\"");
  EXPECT_EQ(Json(pg_type::kJsonb, "{\"a\": 1}"), "\"{\\\"a\\\": 1}\"");
  EXPECT_EQ(Json(pg_type::kText, "tab\there"), "\"tab\\there\"");
  EXPECT_EQ(Json(2950 /* uuid */, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"),
            "\"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11\"");
  std::string key;
  AppendPgValueKey(&key, pg_type::kText, "a\"b");
  EXPECT_EQ(key, "a\"b");
}

TEST(CdcSchemaTest, HistoryRoundTripsThroughTheRegistry) {
  std::vector<SchemaVersion> versions = {
      {1, {{"id", 23, -1, true, false}, {"qty", 23, -1, false, false}}},
      {2,
       {{"id", 23, -1, true, false},
        {"qty", 23, -1, false, false},
        {"n\"ote", 1043, 24, false, true}}},
  };
  testing::TempDir dir;
  const std::string path = filename::SchemaHistory(dir.path(), "bronze.t");
  FileSystem* fs = FileSystem::Default();
  ASSERT_TRUE(
      SaveSchemaHistory(fs, path, "bronze.t", {versions[0]}, catalog::Compatibility::kBackward)
          .ok());
  ASSERT_TRUE(
      SaveSchemaHistory(fs, path, "bronze.t", versions, catalog::Compatibility::kFull).ok());
  auto decoded = LoadSchemaHistory(fs, path);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_TRUE(decoded->has_value());
  EXPECT_EQ(**decoded, versions);
  auto registry = catalog::LoadSchemaHistory(fs, path);
  ASSERT_TRUE(registry.ok() && registry->has_value());
  EXPECT_EQ((*registry)->compatibility, catalog::Compatibility::kFull);
  EXPECT_EQ((*registry)->versions[1].columns[2].type, "character varying(20)");
  EXPECT_EQ((*registry)->versions[1].change, "added nullable column n\"ote");
  EXPECT_EQ((*registry)->versions[1].source, "postgres relation");
  // The file never holds more versions than the connector knows.
  EXPECT_TRUE(SaveSchemaHistory(fs, path, "bronze.t", {versions[0]}, catalog::Compatibility::kFull)
                  .code() == StatusCode::kFailedPrecondition);
  EXPECT_TRUE(SameColumns(versions[0].columns, versions[0].columns));
  EXPECT_FALSE(SameColumns(versions[0].columns, versions[1].columns));
  EXPECT_EQ(PgTypeName(1700, ((12 << 16) | 2) + 4), "numeric(12,2)");
  EXPECT_EQ(PgTypeName(23, -1), "integer");
  EXPECT_EQ(PgTypeName(600, -1), "oid 600");
}

}  // namespace
}  // namespace strata::connect
