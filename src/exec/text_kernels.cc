// Text functions with PostgreSQL's semantics for UTF-8 text in the C locale: lengths and
// positions count characters (code points), case mapping is ASCII only, comparisons and
// LIKE are bytewise. regexp_replace uses RE2 syntax with PostgreSQL's replacement rules
// (\1..\9, \& and \\) and flags (g: every match; i / c: case-insensitive / sensitive).
#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "exec/kernel.h"
#include "exec/like.h"

namespace strata::exec::internal {
namespace {

using sql::Func;
using Text = std::string_view;

// --- Helpers on one value

void AsciiCase(Text s, bool upper, std::string* out) {
  out->assign(s);
  for (char& c : *out) {
    if (upper ? (c >= 'a' && c <= 'z') : (c >= 'A' && c <= 'Z')) c ^= 0x20;
  }
}

int64_t CharCount(Text s) {
  int64_t n = 0;
  for (size_t i = 0; i < s.size(); i += CharAt(s, i))
    ++n;
  return n;
}

bool IsAscii(Text s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

bool CharInSet(Text ch, Text set) {
  for (size_t i = 0; i < set.size(); i += CharAt(set, i)) {
    if (set.substr(i, CharAt(set, i)) == ch) return true;
  }
  return false;
}

// Strips characters found in `set` from the left and/or right end of s.
Text Trim(Text s, Text set, bool left, bool right) {
  size_t b = 0;
  size_t e = s.size();
  if (IsAscii(set)) {  // bytes of multibyte characters are never in an ASCII set
    while (left && b < e && set.find(s[b]) != Text::npos)
      ++b;
    while (right && e > b && set.find(s[e - 1]) != Text::npos)
      --e;
    return s.substr(b, e - b);
  }
  while (left && b < e && CharInSet(s.substr(b, CharAt(s, b)), set))
    b += CharAt(s, b);
  if (right) {
    size_t keep = b;  // end of the last character not in the set
    for (size_t i = b; i < e; i += CharAt(s, i)) {
      if (!CharInSet(s.substr(i, CharAt(s, i)), set)) keep = i + CharAt(s, i);
    }
    e = keep;
  }
  return s.substr(b, e - b);
}

// PostgreSQL's text_substr: characters [max(start, 1), start + count), to the end
// without a count (or when start + count overflows).
Text Substring(Text s, int64_t start, int64_t count, bool has_count) {
  int64_t begin = std::max<int64_t>(start, 1);
  int64_t end = INT64_MAX;
  int64_t sum;
  if (has_count && !__builtin_add_overflow(start, count, &sum)) end = sum;
  if (end <= begin) return {};
  size_t i = 0;
  for (int64_t k = 1; k < begin && i < s.size(); ++k)
    i += CharAt(s, i);
  size_t j = i;
  for (int64_t k = begin; k < end && j < s.size(); ++k)
    j += CharAt(s, j);
  return s.substr(i, j - i);
}

// --- Regular expressions

struct RegexFlags {
  bool global = false;
  bool ignore_case = false;
};

Result<RegexFlags> ParseRegexFlags(Text flags) {
  RegexFlags f;
  for (char c : flags) {
    if (c == 'g') {
      f.global = true;
    } else if (c == 'i' || c == 'c') {
      f.ignore_case = c == 'i';
    } else {
      return Status::InvalidArgument("invalid regular expression option: \"" + std::string(1, c) +
                                     "\" (supported: g, i, c)");
    }
  }
  return f;
}

Result<std::shared_ptr<const re2::RE2>> CompileRegex(Text pattern, const RegexFlags& flags) {
  re2::RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!flags.ignore_case);
  options.set_dot_nl(true);  // PostgreSQL's default: . matches a newline
  auto re = std::make_shared<const re2::RE2>(re2::StringPiece(pattern), options);
  if (!re->ok()) return Status::InvalidArgument("invalid regular expression: " + re->error());
  return re;
}

// PostgreSQL's replacement text: \1..\9 a group (nothing if it did not take part), \& the
// whole match, \\ a backslash; any other backslash is copied as is.
void AppendReplacement(Text replacement, const re2::StringPiece* groups, int ngroups,
                       std::string* out) {
  for (size_t i = 0; i < replacement.size(); ++i) {
    char c = replacement[i];
    if (c != '\\' || i + 1 == replacement.size()) {
      out->push_back(c);
      continue;
    }
    char next = replacement[i + 1];
    int group = next == '&' ? 0 : (next >= '1' && next <= '9' ? next - '0' : -1);
    if (group < 0) {
      out->push_back('\\');
      if (next == '\\') ++i;
      continue;
    }
    ++i;
    if (group < ngroups && groups[group].data() != nullptr) {
      out->append(groups[group].data(), groups[group].size());
    }
  }
}

// PostgreSQL's replace_text_regexp: the first match, or every match with `global`; after
// an empty match the search resumes one character later.
void RegexReplace(const re2::RE2& re, bool global, Text text, Text replacement, std::string* out) {
  constexpr int kMaxGroups = 10;  // \0 .. \9
  re2::StringPiece groups[kMaxGroups];
  int ngroups = std::min(re.NumberOfCapturingGroups() + 1, kMaxGroups);
  re2::StringPiece whole(text);
  size_t copied = 0;  // text before this is in out
  size_t search = 0;
  while (search <= text.size() &&
         re.Match(whole, search, text.size(), re2::RE2::UNANCHORED, groups, ngroups)) {
    size_t begin = groups[0].data() - text.data();
    size_t end = begin + groups[0].size();
    out->append(text.substr(copied, begin - copied));
    AppendReplacement(replacement, groups, ngroups, out);
    copied = end;
    if (!global) break;
    search = end;
    if (begin == end) {
      if (search == text.size()) break;
      search += CharAt(text, search);
    }
  }
  out->append(text.substr(copied));
}

// The last pattern compiled for per-row patterns (usually the same on every row).
class RegexCache {
 public:
  Status Get(Text pattern, Text flags, const re2::RE2** re, bool* global) {
    if (!re_ || pattern != pattern_ || flags != flags_) {
      pattern_.assign(pattern);
      flags_.assign(flags);
      re_.reset();
      Result<RegexFlags> f = ParseRegexFlags(flags);
      if (!f.ok()) return f.status();
      global_ = f->global;
      Result<std::shared_ptr<const re2::RE2>> compiled = CompileRegex(pattern, *f);
      if (!compiled.ok()) return compiled.status();
      re_ = *compiled;
    }
    *re = re_.get();
    *global = global_;
    return Status::OK();
  }

 private:
  std::string pattern_;
  std::string flags_;
  std::shared_ptr<const re2::RE2> re_;
  bool global_ = false;
};

// --- Kernels

void ConcatKernel(const Node&, const Args& args, const uint8_t* mask, EvalContext* ctx,
                  Column* out) {
  std::string s;
  MapBinary<Text, Text, Text>(args[0], args[1], mask, ctx->rows(), out,
                              [&](Text a, Text b, size_t, Text* r) {
                                s.assign(a);
                                s.append(b);
                                *r = s;
                                return true;
                              });
}

// concat(...): NULL arguments are skipped. Not strict.
void ConcatFunctionKernel(const Node&, const Args& args, const uint8_t* mask, EvalContext* ctx,
                          Column* out) {
  std::string s;
  std::vector<View<Text>> views;
  for (size_t i = 0; i < args.size(); ++i)
    views.emplace_back(args[i]);
  out->Reserve(ctx->rows());
  for (size_t r = 0; r < ctx->rows(); ++r) {
    if (!mask[r]) {
      out->AppendNull();
      continue;
    }
    s.clear();
    for (const View<Text>& arg : views) {
      if (!arg.is_null(r)) s.append(arg[r]);
    }
    out->AppendString(s);
  }
}

template <bool kIgnoreCase>
void LikeKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                Column* out) {
  Failer f{node, ctx};
  std::string text;
  std::string pattern;
  MapBinary<Text, Text, uint8_t>(
      args[0], args[1], mask, ctx->rows(), out, [&](Text t, Text p, size_t row, uint8_t* r) {
        if constexpr (kIgnoreCase) {
          AsciiCase(t, false, &text);
          AsciiCase(p, false, &pattern);
          t = text;
          p = pattern;
        }
        LikeResult m = Like(t, p);
        if (m == LikeResult::kBadEscape) {
          return f.Fail(row, "LIKE pattern must not end with escape character");
        }
        *r = m == LikeResult::kTrue ? 1 : 0;
        return true;
      });
}

template <bool kUpper>
void CaseKernel(const Node&, const Args& args, const uint8_t* mask, EvalContext* ctx, Column* out) {
  std::string s;
  MapUnary<Text, Text>(args[0], mask, ctx->rows(), out, [&](Text a, size_t, Text* r) {
    AsciiCase(a, kUpper, &s);
    *r = s;
    return true;
  });
}

template <bool kLeft, bool kRight>
void TrimKernel(const Node&, const Args& args, const uint8_t* mask, EvalContext* ctx, Column* out) {
  auto trim = [](Text a, Text set, size_t, Text* r) {
    *r = Trim(a, set, kLeft, kRight);
    return true;
  };
  if (args.size() == 2) {
    MapBinary<Text, Text, Text>(args[0], args[1], mask, ctx->rows(), out, trim);
    return;
  }
  MapUnary<Text, Text>(args[0], mask, ctx->rows(), out,
                       [&](Text a, size_t row, Text* r) { return trim(a, " ", row, r); });
}

void LengthKernel(const Node&, const Args& args, const uint8_t* mask, EvalContext* ctx,
                  Column* out) {
  MapUnary<Text, int64_t>(args[0], mask, ctx->rows(), out, [](Text a, size_t, int64_t* r) {
    *r = CharCount(a);
    return true;
  });
}

void SubstringKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                     Column* out) {
  Failer f{node, ctx};
  View<Text> text(args[0]);
  View<int64_t> start(args[1]);
  bool has_count = args.size() > 2;
  View<int64_t> count(args[has_count ? 2 : 1]);  // unused without a count
  out->Reserve(ctx->rows());
  for (size_t r = 0; r < ctx->rows(); ++r) {
    if (!mask[r]) {
      out->AppendNull();
    } else if (has_count && count[r] < 0) {
      f.Fail(r, "negative substring length not allowed");
      out->AppendNull();
    } else {
      out->AppendString(Substring(text[r], start[r], has_count ? count[r] : 0, has_count));
    }
  }
}

void RegexpReplaceKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                         Column* out) {
  Failer f{node, ctx};
  View<Text> text(args[0]);
  View<Text> pattern(args[1]);
  View<Text> replacement(args[2]);
  std::optional<View<Text>> flags;
  if (args.size() > 3) flags.emplace(args[3]);
  RegexCache cache;
  std::string s;
  out->Reserve(ctx->rows());
  for (size_t r = 0; r < ctx->rows(); ++r) {
    const re2::RE2* re = node.regex.get();
    bool global = node.regex_global;
    if (!mask[r]) {
      out->AppendNull();
      continue;
    }
    if (re == nullptr) {
      Status st = cache.Get(pattern[r], flags ? (*flags)[r] : Text(), &re, &global);
      if (!st.ok()) {
        f.Fail(r, st.message());
        out->AppendNull();
        continue;
      }
    }
    s.clear();
    RegexReplace(*re, global, text[r], replacement[r], &s);
    out->AppendString(s);
  }
}

// --- Preparation

Status ExpectText(const Node& n, size_t min_args, size_t max_args, TypeId result) {
  size_t argc = n.children.size();
  bool ok = argc >= min_args && argc <= max_args && n.type.id == result;
  for (size_t i = 0; ok && i < argc; ++i)
    ok = n.arg_type(i).id == TypeId::kText;
  if (ok) return Status::OK();
  std::string args = min_args == max_args
                         ? std::to_string(min_args)
                         : std::to_string(min_args) + " to " + std::to_string(max_args);
  return Unsupported(
      n, "expected " + args + " text argument(s) and a " + Type{result, {}}.ToString() + " result");
}

// Compiles a literal pattern (with literal flags) once, for every row.
Status PrepareRegex(Node* n) {
  bool has_flags = n->children.size() > 3;
  if (!n->literal_arg(1) || (has_flags && !n->literal_arg(3))) return Status::OK();
  const Value& pattern = n->children[1].literal;
  if (pattern.is_null() || (has_flags && n->children[3].literal.is_null())) return Status::OK();
  Result<RegexFlags> flags = ParseRegexFlags(has_flags ? n->children[3].literal.as_string() : "");
  if (!flags.ok()) return Status::InvalidArgument(n->where + flags.status().message());
  Result<std::shared_ptr<const re2::RE2>> re = CompileRegex(pattern.as_string(), *flags);
  if (!re.ok()) return Status::InvalidArgument(n->where + re.status().message());
  n->regex = *re;
  n->regex_global = flags->global;
  return Status::OK();
}

Status PrepareSubstring(Node* n) {
  size_t argc = n->children.size();
  bool ok =
      (argc == 2 || argc == 3) && n->type.id == TypeId::kText && n->arg_type(0).id == TypeId::kText;
  for (size_t i = 1; ok && i < argc; ++i)
    ok = n->arg_type(i).id == TypeId::kBigint;
  if (!ok) return Unsupported(*n, "expected substring(text, bigint[, bigint]) returning text");
  n->kernel = &SubstringKernel;
  return Status::OK();
}

}  // namespace

Status PrepareText(Node* n) {
  constexpr size_t kAny = SIZE_MAX;
  switch (n->func) {
    case Func::kConcat:
      RETURN_IF_ERROR(ExpectText(*n, 2, 2, TypeId::kText));
      n->kernel = &ConcatKernel;
      return Status::OK();
    case Func::kConcatFunction:
      RETURN_IF_ERROR(ExpectText(*n, 1, kAny, TypeId::kText));
      n->kernel = &ConcatFunctionKernel;
      n->strict = false;
      return Status::OK();
    case Func::kLike:
    case Func::kILike:
      RETURN_IF_ERROR(ExpectText(*n, 2, 2, TypeId::kBoolean));
      n->kernel = n->func == Func::kLike ? &LikeKernel<false> : &LikeKernel<true>;
      return Status::OK();
    case Func::kLower:
    case Func::kUpper:
      RETURN_IF_ERROR(ExpectText(*n, 1, 1, TypeId::kText));
      n->kernel = n->func == Func::kUpper ? &CaseKernel<true> : &CaseKernel<false>;
      return Status::OK();
    case Func::kBtrim:
    case Func::kLtrim:
    case Func::kRtrim:
      RETURN_IF_ERROR(ExpectText(*n, 1, 2, TypeId::kText));
      n->kernel = n->func == Func::kBtrim   ? &TrimKernel<true, true>
                  : n->func == Func::kLtrim ? &TrimKernel<true, false>
                                            : &TrimKernel<false, true>;
      return Status::OK();
    case Func::kLength:
      RETURN_IF_ERROR(ExpectText(*n, 1, 1, TypeId::kBigint));
      n->kernel = &LengthKernel;
      return Status::OK();
    case Func::kSubstring:
      return PrepareSubstring(n);
    case Func::kRegexpReplace:
      RETURN_IF_ERROR(ExpectText(*n, 3, 4, TypeId::kText));
      n->kernel = &RegexpReplaceKernel;
      return PrepareRegex(n);
    default:
      return Unsupported(*n, "not a text function");
  }
}

}  // namespace strata::exec::internal
