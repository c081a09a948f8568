#include "api/token_commands.h"

#include <cstdio>

#include "api/command_output.h"
#include "auth/audit.h"
#include "auth/tokens.h"
#include "common/json_writer.h"

namespace strata::api {
namespace {

// A token as `list --json` and `create --json` show it: never its hash.
JsonObject TokenJson(const auth::TokenInfo& t) {
  JsonObject o;
  o.Add("id", t.id)
      .Add("name", t.name)
      .Add("admin", t.grants.admin)
      .AddRaw("ingest", JsonStrings(t.grants.ingest))
      .AddRaw("read", JsonStrings(t.grants.read))
      .Add("created", FormatTimestamp(t.created));
  if (t.revoked != 0) {
    o.Add("revoked", FormatTimestamp(t.revoked));
  } else {
    o.AddRaw("revoked", "null");
  }
  return o;
}

// "gold.x" for "x": a product is a gold view.
std::string Product(const std::string& name) {
  return name.find('.') == std::string::npos ? "gold." + name : name;
}

Status Audit(const std::string& data, const std::string& what) {
  return auth::AuditLog(data).Record(auth::LocalUser(), "", what, 0);
}

}  // namespace

int RunTokenCreate(const TokenArgs& a) {
  auth::Grants grants;
  grants.admin = a.role == "admin";
  grants.ingest = a.ingest;
  for (const std::string& p : a.read)
    grants.read.push_back(Product(p));
  if (!grants.admin && grants.ingest.empty() && grants.read.empty() && a.name.empty()) {
    return Fail(Status::InvalidArgument(
        "a token must grant something: --role admin, --ingest TABLE, --read PRODUCT, or --name "
        "OWNER (reads the products whose owner is OWNER)"));
  }
  const std::string name = a.name.empty() ? grants.ToString() : a.name;
  auth::TokenStore tokens(a.data);
  auto created = tokens.Create(name, grants);
  if (!created.ok()) return Fail(created.status());
  Status s = Audit(
      a.data, "token create " + created->info.id + " (" + name + ": " + grants.ToString() + ")");
  if (!s.ok()) return Fail(s);
  if (a.json) {
    Print(TokenJson(created->info).Add("token", created->token).Finish() + "\n");
  } else {
    Print(created->token + "\n");
    std::fprintf(stderr,
                 "strata: token %s (%s: %s) created; it is shown this once, strata keeps only "
                 "its hash\n",
                 created->info.id.c_str(), name.c_str(), grants.ToString().c_str());
  }
  return 0;
}

int RunTokenList(const TokenArgs& a) {
  auth::TokenStore tokens(a.data);
  auto list = tokens.List();
  if (!list.ok()) return Fail(list.status());
  if (a.json) {
    std::string out = "{\"tokens\": [";
    for (size_t i = 0; i < list->size(); ++i)
      out += (i > 0 ? ", " : "") + TokenJson((*list)[i]).Finish();
    Print(out + "]}\n");
    return 0;
  }
  constexpr const char* kRow = "%-12s  %-27s  %-27s  %-20s  %s\n";
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), kRow, "ID", "CREATED", "REVOKED", "NAME", "GRANTS");
  out += line;
  for (const auth::TokenInfo& t : *list) {
    std::snprintf(line, sizeof(line), kRow, t.id.c_str(), FormatTimestamp(t.created).c_str(),
                  t.revoked ? FormatTimestamp(t.revoked).c_str() : "-", t.name.c_str(),
                  t.grants.ToString().c_str());
    out += line;
  }
  Print(out);
  return 0;
}

int RunTokenRevoke(const TokenArgs& a) {
  auth::TokenStore tokens(a.data);
  auto revoked = tokens.Revoke(a.id);
  if (!revoked.ok()) return Fail(revoked.status());
  Status s = Audit(a.data, "token revoke " + a.id + " (" + revoked->name + ")");
  if (!s.ok()) return Fail(s);
  Print("revoked " + a.id + " (" + revoked->name + ") at " + FormatTimestamp(revoked->revoked) +
        "\n");
  return 0;
}

}  // namespace strata::api
