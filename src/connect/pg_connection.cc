#include "connect/pg_connection.h"

#include <vector>

namespace strata::connect {
namespace {

// libpq messages end with a newline; statuses are one sentence.
std::string Trim(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

}  // namespace

PgResult& PgResult::operator=(PgResult&& other) noexcept {
  if (this != &other) {
    if (result_) PQclear(result_);
    result_ = std::exchange(other.result_, nullptr);
  }
  return *this;
}

PgResult::~PgResult() {
  if (result_) PQclear(result_);
}

Result<std::unique_ptr<PgConnection>> PgConnection::Connect(const std::string& conninfo,
                                                            bool replication) {
  // Later keywords override what `conninfo` (expanded as dbname) says.
  const char* keys[] = {"dbname", "fallback_application_name",
                        replication ? "replication" : nullptr, nullptr};
  const char* values[] = {conninfo.c_str(), "strata", "database", nullptr};
  PGconn* raw = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (raw == nullptr) return Status::IOError("connecting to PostgreSQL: out of memory");
  std::unique_ptr<PgConnection> conn(new PgConnection(raw));
  // libpq prints notices (and a server's FATAL at shutdown) on stderr by default; strata
  // reports failures as Status values instead.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  if (PQstatus(raw) != CONNECTION_OK) {
    return Status::IOError("connecting to PostgreSQL" +
                           std::string(replication ? " for replication" : "") + ": " +
                           Trim(PQerrorMessage(raw)));
  }
  RETURN_IF_ERROR(conn->Exec("SET DateStyle = ISO; SET TimeZone = 'UTC'; "
                             "SET extra_float_digits = 1; SET client_encoding = 'UTF8'",
                             "setting the session's output formats")
                      .status());
  return conn;
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

Status PgConnection::Error(std::string_view what, const PGresult* result) const {
  std::string message = Trim(result ? PQresultErrorMessage(result) : nullptr);
  if (message.empty()) message = Trim(PQerrorMessage(conn_));
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  if (state != nullptr) message += " (SQLSTATE " + std::string(state) + ")";
  std::string full = std::string(what) + ": " + message;
  if (PQstatus(conn_) != CONNECTION_OK) return Status::IOError(std::move(full));
  return Status::FailedPrecondition(std::move(full));
}

namespace {

bool Succeeded(const PGresult* result) {
  switch (PQresultStatus(result)) {
    case PGRES_COMMAND_OK:
    case PGRES_TUPLES_OK:
    case PGRES_COPY_BOTH:
      return true;
    default:
      return false;
  }
}

}  // namespace

Result<PgResult> PgConnection::Exec(std::string_view sql, std::string_view what) {
  PgResult result(PQexec(conn_, std::string(sql).c_str()));
  if (!Succeeded(result.get())) return Error(what, result.get());
  return result;
}

Result<PgResult> PgConnection::ExecParams(const char* sql,
                                          std::initializer_list<std::string> params,
                                          std::string_view what) {
  std::vector<const char*> values;
  for (const std::string& p : params)
    values.push_back(p.c_str());
  PgResult result(PQexecParams(conn_, sql, static_cast<int>(values.size()), nullptr, values.data(),
                               nullptr, nullptr, 0));
  if (!Succeeded(result.get())) return Error(what, result.get());
  return result;
}

std::string PgConnection::QuoteIdent(std::string_view name) const {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string PgConnection::QuoteLiteral(std::string_view text) const {
  // standard_conforming_strings is on since PostgreSQL 9.1: only quotes need doubling.
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

}  // namespace strata::connect
