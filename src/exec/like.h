// SQL LIKE matching as PostgreSQL does it for UTF-8 text: `%` matches any sequence of
// characters, `_` exactly one character (one code point, however many bytes), a backslash
// makes the next character literal, and the pattern must match the whole text. Matching is
// bytewise otherwise (C collation); ILIKE lowercases text and pattern (ASCII) first.
//
// A pattern that ends in an unescaped backslash is an error, reported (as PostgreSQL's
// matcher does) only when matching reaches that backslash: 'abc' LIKE 'x\' is false,
// 'xbc' LIKE 'x\' is an error. Pure and thread-safe.
#pragma once

#include <string_view>

namespace strata::exec {

enum class LikeResult { kFalse, kTrue, kBadEscape };

LikeResult Like(std::string_view text, std::string_view pattern);

}  // namespace strata::exec
