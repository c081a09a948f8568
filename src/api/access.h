// Who may do what over HTTP, when authentication is on (`strata server --auth on`; the
// default when the server listens beyond loopback). Every route but GET /healthz needs
// `Authorization: Bearer <token>` (auth/tokens.h); then:
//
//   POST /v1/tables/{t}/events          an ingest grant for t, or admin
//   POST /v1/query                      the table the query reads: a gold view (or its late
//   GET  /v1/views/{v}/versions, drift  table) granted to the token by --read or owned by its
//                                       name; a silver or quarantine table only for admins
//                                       and the owners of a product built on it
//   GET  /v1/views, /v1/products,       any valid token (names, serving modes and counts; no
//        /metrics                       rows)
//   POST replay, validate, cutover,     admin; each attempt, allowed or not, is written to
//        rollback                       the audit log (auth/audit.h)
//   GET  /v1/status                     admin
//
// A missing, malformed, unknown or revoked token is 401 (with WWW-Authenticate: Bearer); a
// known token without the grant is 403. Both answers say what is missing.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "auth/audit.h"
#include "auth/tokens.h"
#include "common/status.h"
#include "sql/plan.h"

namespace strata::api {

class Access {
 public:
  // The tokens and audit log of data directory `data_dir`.
  explicit Access(const std::string& data_dir) : tokens_(data_dir), audit_(data_dir) {}

  // The holder of an Authorization header's bearer token; Unauthenticated otherwise.
  Result<auth::TokenInfo> Authenticate(std::string_view authorization);

  static Status MayIngest(const auth::TokenInfo& caller, std::string_view table);
  static Status MayAdminister(const auth::TokenInfo& caller, std::string_view what);
  // `table` as a query names it, qualified: gold.x, gold.x__late, silver.y,
  // silver.y__quarantine, bronze.z.
  static Status MayRead(const auth::TokenInfo& caller, std::string_view table,
                        const sql::Pipeline& plan);

  auth::TokenStore& tokens() { return tokens_; }
  auth::AuditLog& audit() { return audit_; }

 private:
  auth::TokenStore tokens_;
  auth::AuditLog audit_;
};

// True for an address only this machine reaches: 127.0.0.0/8, ::1, localhost.
bool IsLoopback(std::string_view host);

}  // namespace strata::api
