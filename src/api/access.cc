#include "api/access.h"

#include <algorithm>
#include <cctype>

namespace strata::api {
namespace {

bool Has(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string Caller(const auth::TokenInfo& t) {
  return "token " + t.id + " (" + t.name + ": " + t.grants.ToString() + ")";
}

std::string_view Strip(std::string_view name, std::string_view suffix) {
  if (name.ends_with(suffix)) name.remove_suffix(suffix.size());
  return name;
}

}  // namespace

Result<auth::TokenInfo> Access::Authenticate(std::string_view authorization) {
  constexpr std::string_view kScheme = "bearer ";  // the scheme is case-insensitive
  if (authorization.empty()) {
    return Status::Unauthenticated(
        "this server requires a token: send Authorization: Bearer <token> (an admin makes one "
        "with strata token create)");
  }
  std::string scheme(authorization.substr(0, kScheme.size()));
  for (char& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (scheme != "bearer ") {
    return Status::Unauthenticated("the Authorization header must read Bearer <token>");
  }
  return tokens_.Authenticate(authorization.substr(kScheme.size()));
}

Status Access::MayIngest(const auth::TokenInfo& caller, std::string_view table) {
  if (caller.grants.admin || Has(caller.grants.ingest, table)) return Status::OK();
  return Status::PermissionDenied(Caller(caller) + " may not ingest into " + std::string(table) +
                                  ": it needs an ingest grant for it (strata token create "
                                  "--ingest " +
                                  std::string(table) + ") or admin");
}

Status Access::MayAdminister(const auth::TokenInfo& caller, std::string_view what) {
  if (caller.grants.admin) return Status::OK();
  return Status::PermissionDenied(Caller(caller) + " may not " + std::string(what) +
                                  ": it needs an admin token (strata token create --role admin)");
}

Status Access::MayRead(const auth::TokenInfo& caller, std::string_view table,
                       const sql::Pipeline& plan) {
  if (caller.grants.admin) return Status::OK();
  const std::string name(table);
  const std::string view(Strip(table, sql::kLateSuffix));
  if (const sql::GoldView* g = plan.FindGold(view)) {
    if (Has(caller.grants.read, g->name) || (!g->owner.empty() && g->owner == caller.name)) {
      return Status::OK();
    }
    return Status::PermissionDenied(Caller(caller) + " may not read " + name +
                                    ": it needs a read grant for " + g->name +
                                    " (strata token create --read " + g->name + ") or admin");
  }
  const std::string silver(Strip(table, sql::kQuarantineSuffix));
  if (plan.FindSilver(silver) != nullptr) {
    std::string owners;
    for (const sql::GoldView& g : plan.gold) {
      if (g.owner.empty() || !Has(plan.Upstream(g.name), silver)) continue;
      if (g.owner == caller.name) return Status::OK();
      owners += (owners.empty() ? "" : ", ") + g.owner + " (" + g.name + ")";
    }
    return Status::PermissionDenied(
        Caller(caller) + " may not read " + name + ": a silver table is for admins" +
        (owners.empty() ? std::string(" (no product built on it names an owner)")
                        : " and the owners of the products built on it: " + owners));
  }
  return Status::PermissionDenied(Caller(caller) + " may not read " + name +
                                  ": bronze tables are for admins");
}

bool IsLoopback(std::string_view host) {
  if (host.size() > 1 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

}  // namespace strata::api
