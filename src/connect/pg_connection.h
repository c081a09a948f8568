// A thin RAII layer over libpq for the PostgreSQL connector (internal to connect).
//
// Errors: a connection that cannot be made or is lost is kIOError (retrying later may
// succeed: the server restarts, the network comes back); an error the server reports for a
// statement is kFailedPrecondition with PostgreSQL's message and SQLSTATE. Messages name
// what was being done ("creating publication strata_pub: ...").
//
// Thread safety: none; a connection is used by one thread at a time.
#pragma once

#include <libpq-fe.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "common/status.h"

namespace strata::connect {

// Owns one PGresult.
class PgResult {
 public:
  PgResult() = default;
  explicit PgResult(PGresult* result) : result_(result) {}
  PgResult(PgResult&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}
  PgResult& operator=(PgResult&& other) noexcept;
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
  ~PgResult();

  PGresult* get() const { return result_; }
  int rows() const { return result_ ? PQntuples(result_) : 0; }
  int columns() const { return result_ ? PQnfields(result_) : 0; }
  bool IsNull(int row, int col) const { return PQgetisnull(result_, row, col) != 0; }
  std::string_view Value(int row, int col) const {
    return {PQgetvalue(result_, row, col), static_cast<size_t>(PQgetlength(result_, row, col))};
  }

 private:
  PGresult* result_ = nullptr;
};

class PgConnection {
 public:
  // Connects with `conninfo` (a libpq key=value string or a URI). `replication` opens a
  // logical replication connection (replication=database), which also accepts SQL. The
  // session is set to DateStyle ISO, TimeZone UTC, extra_float_digits 1 (shortest exact
  // floats) and client_encoding UTF8, so that values print the same way on every server.
  // Server notices are dropped (failures arrive as Status values).
  static Result<std::unique_ptr<PgConnection>> Connect(const std::string& conninfo,
                                                       bool replication);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  PGconn* get() const { return conn_; }

  // Runs `sql` (the simple query protocol) and expects it to succeed (command OK, rows,
  // or COPY BOTH for START_REPLICATION). `what` prefixes error messages.
  Result<PgResult> Exec(std::string_view sql, std::string_view what);
  // Runs one statement with text parameters $1, $2, ...
  Result<PgResult> ExecParams(const char* sql, std::initializer_list<std::string> params,
                              std::string_view what);

  // "ident" and 'literal' quoted for SQL (and replication commands).
  std::string QuoteIdent(std::string_view name) const;
  std::string QuoteLiteral(std::string_view text) const;

  // The error for a failed call on this connection: kIOError when the connection is gone,
  // kFailedPrecondition otherwise. `result` (may be null) supplies the SQLSTATE and message.
  Status Error(std::string_view what, const PGresult* result) const;

 private:
  explicit PgConnection(PGconn* conn) : conn_(conn) {}
  PGconn* conn_;
};

}  // namespace strata::connect
