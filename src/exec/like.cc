#include "exec/like.h"

#include "exec/kernel.h"

namespace strata::exec {
namespace {

// Also tells a caller that no later start position can match (PostgreSQL's LIKE_ABORT),
// which keeps the search polynomial for patterns with many %.
enum class Match { kFalse, kTrue, kAbort, kBadEscape };

void NextChar(std::string_view* t) {
  t->remove_prefix(internal::CharAt(*t, 0));
}

// PostgreSQL's MatchText (src/backend/utils/adt/like_match.c), on views.
Match MatchText(std::string_view t, std::string_view p) {
  if (p == "%") return Match::kTrue;
  while (!t.empty() && !p.empty()) {
    if (p[0] == '\\') {
      p.remove_prefix(1);
      if (p.empty()) return Match::kBadEscape;
      if (p[0] != t[0]) return Match::kFalse;
    } else if (p[0] == '%') {
      // Any run of % and _ after a % matches "at least as many characters as there are _".
      p.remove_prefix(1);
      while (!p.empty() && (p[0] == '%' || p[0] == '_')) {
        if (p[0] == '_') {
          if (t.empty()) return Match::kAbort;
          NextChar(&t);
        }
        p.remove_prefix(1);
      }
      if (p.empty()) return Match::kTrue;
      // The rest starts with a literal byte: try each text position that starts with it.
      char first = p[0];
      if (first == '\\') {
        if (p.size() < 2) return Match::kBadEscape;
        first = p[1];
      }
      for (; !t.empty(); NextChar(&t)) {
        if (t[0] != first) continue;
        Match m = MatchText(t, p);
        if (m != Match::kFalse) return m;
      }
      return Match::kAbort;
    } else if (p[0] == '_') {
      NextChar(&t);
      p.remove_prefix(1);
      continue;
    } else if (p[0] != t[0]) {
      return Match::kFalse;
    }
    // Bytewise advance is safe here: both sides matched the same bytes so far.
    t.remove_prefix(1);
    p.remove_prefix(1);
  }
  if (!t.empty()) return Match::kFalse;
  while (!p.empty() && p[0] == '%')
    p.remove_prefix(1);
  return p.empty() ? Match::kTrue : Match::kAbort;
}

}  // namespace

LikeResult Like(std::string_view text, std::string_view pattern) {
  switch (MatchText(text, pattern)) {
    case Match::kTrue:
      return LikeResult::kTrue;
    case Match::kBadEscape:
      return LikeResult::kBadEscape;
    default:
      return LikeResult::kFalse;
  }
}

}  // namespace strata::exec
