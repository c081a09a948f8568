#include "sql/parser.h"

#include <pg_query.h>
#include <pthread.h>

#include <cctype>
#include <cstring>
#include <functional>
#include <optional>
#include <string>

#include <simdjson.h>

#include "common/clock.h"
#include "sql/source_text.h"
#include "sql/transformer.h"

namespace strata::sql {
namespace {

using internal::element;
using internal::object;

// Enough JSON nesting for kMaxExprDepth expression levels (up to 5 JSON levels each, as in
// A_Expr → rexpr → List → items → item) plus the statement around them, so the
// transformer's own, located, depth check fires first.
constexpr size_t kMaxJsonDepth = 6 * internal::kMaxExprDepth + 256;
// The stack of the parsing thread: room for kMaxExprDepth levels of the transformer (about
// 1.5 KiB each, 10 KiB under AddressSanitizer) plus libpg-query's own recursion.
constexpr size_t kBaseStackBytes = 32 << 20;
// Texts this short nest at most 256 levels (every level takes at least two bytes, as in
// 1+1+1), ~0.4 MiB of stack (2.5 MiB under AddressSanitizer): parsed on the calling thread.
constexpr size_t kCallerStackTextBytes = 512;

// A statement's bytes in the text: [begin, end). `begin` is where libpg-query says the
// statement starts (right after the previous ';', comments included).
struct Range {
  size_t begin;
  size_t end;
};

// Owners of libpg-query results.
struct ParseResult {
  explicit ParseResult(const char* text) : result(pg_query_parse(text)) {}
  ~ParseResult() { pg_query_free_parse_result(result); }
  PgQueryParseResult result;
};

struct SplitResult {
  explicit SplitResult(const char* text) : result(pg_query_split_with_parser(text)) {}
  ~SplitResult() { pg_query_free_split_result(result); }
  PgQuerySplitResult result;
};

// Returns the offset of the first NUL byte or malformed UTF-8 sequence, or npos.
size_t FindBadEncoding(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c == 0) return i;
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || c == 0xC0 || c == 0xC1 || c > 0xF4 || i + n > text.size()) return i;
    uint32_t code = c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      auto d = static_cast<unsigned char>(text[i + k]);
      if ((d & 0xC0) != 0x80) return i;
      code = (code << 6) | (d & 0x3F);
    }
    bool overlong = (n == 3 && code < 0x800) || (n == 4 && code < 0x10000);
    if (overlong || (code >= 0xD800 && code <= 0xDFFF) || code > 0x10FFFF) return i;
    i += n;
  }
  return std::string_view::npos;
}

Status CheckEncoding(const SourceText& source) {
  size_t bad = FindBadEncoding(source.text());
  if (bad == std::string_view::npos) return Status::OK();
  return source.Error(bad, source.text()[bad] == '\0' ? "NUL character in SQL text"
                                                      : "invalid UTF-8 byte sequence");
}

// A libpg-query error for the text that starts at byte `base`. Its cursor position counts
// characters from `base`, 1-based; 0 means it has none, and `fallback` is blamed.
Status PgError(const SourceText& source, size_t base, const PgQueryError& error, size_t fallback) {
  if (error.cursorpos <= 0) return source.Error(fallback, error.message);
  return source.Error(source.AdvanceChars(base, static_cast<size_t>(error.cursorpos - 1)),
                      error.message);
}

// An error without a cursor position ("WITH TIES cannot be specified without ORDER BY
// clause", "invalid byte sequence for encoding" from an E'\xff' escape) is blamed on the
// first token of its statement: the shortest prefix of the text ending at a ';' (or the end)
// that fails with the same message ends with that statement, which starts where the longest
// good prefix before it ends. Slow (a parse per ';'), but only ever run on this error path.
Status LocateError(const SourceText& source, const std::string& input, const char* message) {
  size_t last_good = 0;
  for (size_t end = 0; end < input.size();) {
    size_t semicolon = input.find(';', end);
    end = semicolon == std::string::npos ? input.size() : semicolon + 1;
    std::string prefix = input.substr(0, end);
    SplitResult split(prefix.c_str());
    if (!split.result.error) {
      last_good = end;
    } else if (std::strcmp(split.result.error->message, message) == 0) {
      return source.Error(source.SkipSpaceAndComments(last_good), message);
    }
  }
  return source.ErrorWithoutPosition(message);
}

// Splits the text into statements with PostgreSQL's parser, which reports any syntax error.
Result<std::vector<Range>> Split(const SourceText& source, const std::string& input) {
  SplitResult split(input.c_str());
  if (const PgQueryError* error = split.result.error) {
    if (error->cursorpos > 0) return PgError(source, 0, *error, 0);
    return LocateError(source, input, error->message);
  }
  std::vector<Range> ranges;
  for (int i = 0; i < split.result.n_stmts; ++i) {
    const PgQuerySplitStmt& s = *split.result.stmts[i];
    auto begin = static_cast<size_t>(s.stmt_location);
    // A length of 0 means "to the end of the text".
    size_t end = s.stmt_len > 0 ? begin + static_cast<size_t>(s.stmt_len) : input.size();
    if (source.SkipSpaceAndComments(begin) < end) ranges.push_back({begin, end});
  }
  return ranges;
}

// Parses one statement's text into libpg-query's JSON tree and hands each statement in it
// (normally one) to `fn` with its transformer, first-token offset and end offset.
using StatementFn = std::function<Status(internal::Transformer&, element, size_t, size_t)>;

Status ParseRange(const SourceText& source, Range range, simdjson::dom::parser& json,
                  const StatementFn& fn) {
  size_t first_token = source.SkipSpaceAndComments(range.begin);
  std::string chunk(source.text().substr(range.begin, range.end - range.begin));
  ParseResult parsed(chunk.c_str());
  if (parsed.result.error) return PgError(source, range.begin, *parsed.result.error, first_token);
  const char* tree = parsed.result.parse_tree;
  element doc;
  simdjson::error_code error = json.parse(tree, std::strlen(tree)).get(doc);
  if (error == simdjson::DEPTH_ERROR) {
    return source.Error(first_token, "statement is nested too deeply");
  }
  if (error) {
    return source.Error(first_token,
                        std::string("unreadable parse tree: ") + simdjson::error_message(error));
  }
  object root;
  simdjson::dom::array stmts;
  if (doc.get_object().get(root) || root["stmts"].get_array().get(stmts)) return Status::OK();
  internal::Transformer transformer(source, range.begin);
  for (element raw : stmts) {
    object raw_stmt;
    element stmt;
    if (raw.get_object().get(raw_stmt) || !internal::GetField(raw_stmt, "stmt", &stmt)) {
      return source.Error(first_token, "unexpected parse tree");
    }
    size_t begin = range.begin + static_cast<size_t>(internal::GetInt(raw_stmt, "stmt_location"));
    int64_t len = internal::GetInt(raw_stmt, "stmt_len");
    size_t end = len > 0 ? begin + static_cast<size_t>(len) : range.end;
    RETURN_IF_ERROR(fn(transformer, stmt, source.SkipSpaceAndComments(begin), end));
  }
  return Status::OK();
}

Result<simdjson::dom::parser> NewJsonParser() {
  simdjson::dom::parser json;
  if (simdjson::error_code error = json.allocate(64 << 10, kMaxJsonDepth)) {
    return Status::InvalidArgument(std::string("cannot allocate a JSON parser: ") +
                                   simdjson::error_message(error));
  }
  return json;
}

std::string TrimTrailingSpace(std::string_view text) {
  while (!text.empty() && std::strchr(" \t\r\n\f\v", text.back()) != nullptr) {
    text.remove_suffix(1);
  }
  return std::string(text);
}

Result<std::vector<Statement>> ParseStatements(const SourceText& source) {
  RETURN_IF_ERROR(CheckEncoding(source));
  std::string input(source.text());
  ASSIGN_OR_RETURN(std::vector<Range> ranges, Split(source, input));
  ASSIGN_OR_RETURN(simdjson::dom::parser json, NewJsonParser());
  std::vector<Statement> statements;
  auto add = [&](internal::Transformer& transformer, element stmt, size_t begin,
                 size_t end) -> Status {
    ASSIGN_OR_RETURN(Statement::Node node, transformer.TransformStatement(stmt, begin));
    statements.push_back({source.Locate(begin),
                          TrimTrailingSpace(source.text().substr(begin, end - begin)),
                          std::move(node)});
    return Status::OK();
  };
  for (Range range : ranges) {
    RETURN_IF_ERROR(ParseRange(source, range, json, add));
  }
  return statements;
}

bool IsWordChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

// The word of `t` at `at`, lowercased; its end in *end.
std::string LowerWord(const std::string& t, size_t at, size_t* end) {
  size_t e = at;
  while (e < t.size() && IsWordChar(t[e]))
    ++e;
  *end = e;
  std::string w = t.substr(at, e - at);
  for (char& c : w)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return w;
}

size_t SkipSpace(const std::string& t, size_t at) {
  while (at < t.size() && std::isspace(static_cast<unsigned char>(t[at])))
    ++at;
  return at;
}

// Where the scan goes on when a literal, a quoted name or a comment starts at `i` of `t`
// (past it; for a line comment, its newline); `i` otherwise.
size_t SkipLiteralOrComment(const std::string& t, size_t i) {
  const char c = t[i];
  // A literal or a quoted name ('' and "" escape).
  if (c == '\'' || c == '"') {
    size_t j = i + 1;
    while (j < t.size() && !(t[j] == c && (j + 1 >= t.size() || t[j + 1] != c))) {
      j += t[j] == c ? 2 : 1;
    }
    return j + 1;
  }
  if (c == '-' && i + 1 < t.size() && t[i + 1] == '-') {
    while (i < t.size() && t[i] != '\n')
      ++i;
    return i;
  }
  if (c == '/' && i + 1 < t.size() && t[i + 1] == '*') {
    size_t end = t.find("*/", i + 2);
    return end == std::string::npos ? t.size() : end + 2;
  }
  return i;
}

// The value of an AS OF clause whose kind ("version" or "timestamp") ends at `kind_end`
// of `t`, into *as_of; returns where the clause ends.
Result<size_t> ParseAsOfValue(const SourceText& source, const std::string& t,
                              const std::string& kind, size_t kind_end, AsOf* as_of) {
  size_t value_at = SkipSpace(t, kind_end);
  size_t value_end = value_at;
  if (kind == "version") {
    while (value_end < t.size() && std::isdigit(static_cast<unsigned char>(t[value_end])))
      ++value_end;
    if (value_end == value_at || value_end - value_at > 18 ||
        (value_end < t.size() && IsWordChar(t[value_end]))) {
      return source.Error(value_at,
                          "AS OF VERSION expects a version number (see `strata versions`)");
    }
    as_of->version = std::stoull(t.substr(value_at, value_end - value_at));
  } else if (kind == "timestamp") {
    size_t close =
        value_at < t.size() && t[value_at] == '\'' ? t.find('\'', value_at + 1) : std::string::npos;
    Micros at = 0;
    if (close == std::string::npos ||
        !ParseTimestamp(std::string_view(t).substr(value_at + 1, close - value_at - 1), &at)) {
      return source.Error(value_at,
                          "AS OF TIMESTAMP expects a quoted UTC time such as "
                          "'2026-11-17 10:00:00'");
    }
    as_of->timestamp = at;
    value_end = close + 1;
  }
  return value_end;
}

// Time travel is not PostgreSQL grammar: `AS OF VERSION n` / `AS OF TIMESTAMP '...'` after
// the FROM table is found by a small scan that skips literals, quoted names and comments,
// recorded, and overwritten with spaces (so every position in the rest of the text, and
// in errors, stays where the user wrote it) before libpg-query parses the query.
Result<std::optional<AsOf>> ExtractAsOf(const SourceText& source, std::string* text) {
  std::string& t = *text;
  std::optional<AsOf> found;
  size_t i = 0;
  while (i < t.size()) {
    if (size_t next = SkipLiteralOrComment(t, i); next != i) {
      i = next;
      continue;
    }
    if (!IsWordChar(t[i]) || (i > 0 && IsWordChar(t[i - 1]))) {
      ++i;
      continue;
    }
    size_t end;
    std::string word = LowerWord(t, i, &end);
    size_t of_at = SkipSpace(t, end);
    size_t of_end;
    if (word != "as" || of_at == end || LowerWord(t, of_at, &of_end) != "of") {
      i = end;
      continue;
    }
    const size_t start = i;
    size_t kind_end;
    std::string kind = LowerWord(t, SkipSpace(t, of_end), &kind_end);
    if (kind != "version" && kind != "timestamp") {  // `x AS of`: an alias named "of"
      i = end;
      continue;
    }
    if (found) return source.Error(start, "a query may travel in time once (AS OF is repeated)");
    AsOf as_of;
    as_of.location = source.Locate(start);
    ASSIGN_OR_RETURN(size_t value_end, ParseAsOfValue(source, t, kind, kind_end, &as_of));
    for (size_t k = start; k < value_end; ++k) {
      if (static_cast<unsigned char>(t[k]) >= 0x80) {
        return source.Error(k, "AS OF takes ASCII text only");
      }
      if (t[k] != '\n') t[k] = ' ';
    }
    found = as_of;
    i = value_end;
  }
  return found;
}

Result<Select> ParseSelect(const SourceText& original) {
  RETURN_IF_ERROR(CheckEncoding(original));
  std::string input(original.text());
  ASSIGN_OR_RETURN(std::optional<AsOf> as_of, ExtractAsOf(original, &input));
  const std::string blanked = input;
  SourceText source(original.name(), blanked);
  ASSIGN_OR_RETURN(std::vector<Range> ranges, Split(source, input));
  if (ranges.empty()) return source.Error(0, "expected a SELECT query, found none");
  if (ranges.size() > 1) {
    return source.Error(source.SkipSpaceAndComments(ranges[1].begin),
                        "expected one query, found a second statement");
  }
  ASSIGN_OR_RETURN(simdjson::dom::parser json, NewJsonParser());
  std::optional<Select> select;
  auto take = [&](internal::Transformer& transformer, element stmt, size_t begin,
                  size_t) -> Status {
    ASSIGN_OR_RETURN(Select s, transformer.TransformQuery(stmt, begin));
    select = std::move(s);
    return Status::OK();
  };
  RETURN_IF_ERROR(ParseRange(source, ranges[0], json, take));
  if (!select) return source.Error(0, "expected a SELECT query, found none");
  select->from.as_of = as_of;
  return std::move(*select);
}

void* RunTask(void* task) {
  (*static_cast<std::function<void()>*>(task))();
  return nullptr;
}

// Runs `parse` on a helper thread whose stack is sized for the text, so that the caller's
// stack does not matter: libpg-query needs ~100 bytes of stack per nesting level (it recurses
// before strata can count levels), and a text of n bytes nests at most ~n/2 levels. The
// memory is reserved, not touched, unless the text is that deep. A thread costs ~0.3 ms
// (mostly libpg-query setting up its per-thread memory), so short texts skip it.
template <typename T>
Result<T> RunWithStackFor(size_t text_size, const std::function<Result<T>()>& parse) {
  if (text_size <= kCallerStackTextBytes) return parse();
  std::optional<Result<T>> result;
  std::function<void()> task = [&] { result.emplace(parse()); };
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, kBaseStackBytes + 128 * text_size);
  pthread_t thread;
  int rc = pthread_create(&thread, &attr, RunTask, &task);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    return Status::IOError(std::string("cannot start a parser thread: ") + std::strerror(rc));
  }
  pthread_join(thread, nullptr);
  return std::move(*result);
}

}  // namespace

Result<std::vector<Statement>> ParsePipeline(std::string_view text, std::string_view file_name) {
  SourceText source(file_name, text);
  return RunWithStackFor<std::vector<Statement>>(text.size(),
                                                 [&] { return ParseStatements(source); });
}

Result<Select> ParseQuery(std::string_view sql, std::string_view source_name) {
  SourceText source(source_name, sql);
  return RunWithStackFor<Select>(sql.size(), [&] { return ParseSelect(source); });
}

}  // namespace strata::sql
