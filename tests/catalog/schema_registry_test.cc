#include "catalog/schema_registry.h"

#include "common/filename.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace strata::catalog {
namespace {

using ::testing::HasSubstr;

std::vector<SchemaColumn> Base() {
  return {{"id", "integer", false, true}, {"amount", "numeric(12,2)", false}, {"note", "text"}};
}

struct Case {
  const char* change;
  std::vector<SchemaColumn> after;
  // Expected verdict per mode: BACKWARD, FORWARD, FULL, NONE.
  bool backward, forward, full;
};

std::vector<Case> Cases() {
  auto with = [](SchemaColumn c) {
    auto v = Base();
    v.push_back(std::move(c));
    return v;
  };
  auto without = [](const char* name) {
    auto v = Base();
    std::erase_if(v, [&](const SchemaColumn& c) { return c.name == name; });
    return v;
  };
  auto retyped = Base();
  retyped[1].type = "text";
  auto widened = Base();
  widened[0].type = "bigint";
  return {
      {"add nullable", with({"region", "text", true}), true, true, true},
      {"add NOT NULL", with({"region", "text", false}), false, true, false},
      {"drop nullable", without("note"), true, true, true},
      {"drop NOT NULL", without("amount"), true, false, false},
      {"type change", retyped, false, false, false},
      {"integer to bigint", widened, false, false, false},
  };
}

TEST(SchemaRegistryTest, CompatibilityRulesForEveryModeAndChange) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(c.change);
    EXPECT_EQ(Compatible(Base(), c.after, Compatibility::kBackward).compatible, c.backward);
    EXPECT_EQ(Compatible(Base(), c.after, Compatibility::kForward).compatible, c.forward);
    EXPECT_EQ(Compatible(Base(), c.after, Compatibility::kFull).compatible, c.full);
    EXPECT_TRUE(Compatible(Base(), c.after, Compatibility::kNone).compatible);
  }
}

TEST(SchemaRegistryTest, NullabilityChangesAndMessages) {
  auto loosened = Base();
  loosened[1].nullable = true;  // amount NOT NULL -> nullable
  EXPECT_TRUE(Compatible(Base(), loosened, Compatibility::kBackward).compatible);
  EXPECT_FALSE(Compatible(Base(), loosened, Compatibility::kForward).compatible);
  auto tightened = Base();
  tightened[2].nullable = false;  // note nullable -> NOT NULL
  EXPECT_FALSE(Compatible(Base(), tightened, Compatibility::kBackward).compatible);
  EXPECT_TRUE(Compatible(Base(), tightened, Compatibility::kForward).compatible);

  EXPECT_EQ(Compatible(Base(), Base(), Compatibility::kFull).change, "");
  auto retyped = Base();
  retyped[1].type = "text";
  retyped.push_back({"region", "text", true});
  EXPECT_EQ(Compatible(Base(), retyped, Compatibility::kBackward).change,
            "column amount changed type from numeric(12,2) to text (refused by BACKWARD); "
            "added nullable column region");
}

TEST(SchemaRegistryTest, ParsesModes) {
  EXPECT_EQ(*ParseCompatibility("backward"), Compatibility::kBackward);
  EXPECT_EQ(*ParseCompatibility("FULL"), Compatibility::kFull);
  EXPECT_EQ(*ParseCompatibility("None"), Compatibility::kNone);
  EXPECT_EQ(*ParseCompatibility("forward"), Compatibility::kForward);
  EXPECT_THAT(ParseCompatibility("full_transitive").status().message(),
              HasSubstr("backward, forward, full or none"));
}

TEST(SchemaRegistryTest, ReadableTypes) {
  EXPECT_TRUE(Readable("integer", Type::Bigint()));
  EXPECT_TRUE(Readable("integer", Type::Numeric(12, 2)));
  EXPECT_TRUE(Readable("numeric(12,2)", Type::Numeric(12, 2)));
  EXPECT_FALSE(Readable("numeric(12,2)", Type::Bigint()));
  EXPECT_FALSE(Readable("text", Type::Numeric(12, 2)));
  EXPECT_FALSE(Readable("integer", Type::Text()));
  EXPECT_TRUE(Readable("character varying(20)", Type::Text()));
  EXPECT_TRUE(Readable("timestamp with time zone", Type::Timestamp()));
  EXPECT_TRUE(Readable("date", Type::Date()));
  EXPECT_TRUE(Readable("boolean", Type::Boolean()));
  EXPECT_FALSE(Readable("boolean", Type::Text()));
}

TEST(SchemaRegistryTest, AppendsVersionsWithVerdictsAndPersistsThem) {
  SchemaHistory h;
  h.table = "bronze.orders";
  h.Append(Base(), kSourcePostgresRelation, 1000);
  auto added = Base();
  added.push_back({"region", "text", true});
  h.Append(added, kSourcePostgresRelation, 2000);
  auto dropped = added;
  dropped.erase(dropped.begin() + 1);
  h.compatibility = Compatibility::kFull;
  const SchemaVersion& v3 = h.Append(dropped, kSourceDeclared, 3000);
  EXPECT_EQ(v3.version, 3u);
  EXPECT_FALSE(v3.compatible);
  EXPECT_EQ(v3.change, "dropped NOT NULL column amount (refused by FULL)");
  EXPECT_TRUE(h.versions[1].compatible);
  EXPECT_EQ(h.versions[1].change, "added nullable column region");
  ASSERT_NE(h.Find(2), nullptr);
  EXPECT_EQ(h.Find(4), nullptr);
  EXPECT_EQ(h.Find(0), nullptr);

  testing::TempDir dir;
  const std::string path = filename::SchemaHistory(dir.path(), "bronze.orders");
  EXPECT_EQ(path, dir.path() + "/catalog/bronze.orders.schemas");
  ASSERT_TRUE(SaveSchemaHistory(FileSystem::Default(), path, h).ok());
  auto loaded = LoadSchemaHistory(FileSystem::Default(), path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE(loaded->has_value());
  const SchemaHistory& back = **loaded;
  EXPECT_EQ(back.table, "bronze.orders");
  EXPECT_EQ(back.compatibility, Compatibility::kFull);
  ASSERT_EQ(back.versions.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back.versions[i].columns, h.versions[i].columns);
    EXPECT_EQ(back.versions[i].created, h.versions[i].created);
    EXPECT_EQ(back.versions[i].source, h.versions[i].source);
    EXPECT_EQ(back.versions[i].compatible, h.versions[i].compatible);
    EXPECT_EQ(back.versions[i].change, h.versions[i].change);
  }
  EXPECT_FALSE(LoadSchemaHistory(FileSystem::Default(), path + ".absent")->has_value());
}

TEST(SchemaRegistryTest, RejectsDamagedFiles) {
  for (const char* text :
       {"", "{}", "{\"table\":\"t\",\"compatibility\":\"SOME\",\"versions\":[]}",
        "{\"table\":\"t\",\"compatibility\":\"NONE\",\"versions\":[{\"version\":2,\"created\":0,"
        "\"source\":\"declared\",\"compatible\":true,\"change\":\"\",\"columns\":[]}]}",
        "{\"table\":\"t\",\"compatibility\":\"NONE\",\"versions\":[{\"version\":1,\"created\":0,"
        "\"source\":\"declared\",\"compatible\":true,\"change\":\"\",\"columns\":[{}]}]}"}) {
    SCOPED_TRACE(text);
    auto r = DecodeSchemaHistory(text, "f.schemas");
    EXPECT_TRUE(r.status().IsCorruption()) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr("f.schemas: not a schema history"));
  }
}

}  // namespace
}  // namespace strata::catalog
