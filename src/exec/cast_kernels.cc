// CAST between strata's types, as PostgreSQL allows and performs them:
//   text → bigint, numeric, double, boolean, timestamp, date (parsing; failures name the
//          text and the type)
//   any  → text (PostgreSQL's text forms: true/false, numeric at its scale, the shortest
//          double that reads back, '2026-11-22 10:00:00')
//   bigint ↔ numeric, bigint ↔ double, numeric ↔ double, numeric → numeric (rescale and
//          precision check), double → bigint (round half to even, as rint), numeric →
//          bigint (round half away from zero), bigint ↔ boolean (as PostgreSQL's integer
//          ↔ boolean), timestamp ↔ date, and every type to itself.
// Everything else (boolean ↔ numeric, numbers ↔ timestamps, ...) PostgreSQL rejects too,
// and so does PrepareCast, before anything is evaluated.
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "common/datetime.h"
#include "common/numeric.h"
#include "exec/kernel.h"

namespace strata::exec::internal {
namespace {

using Text = std::string_view;

constexpr std::string_view kBigintRange = "bigint out of range";

bool IsSpace(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

Text TrimSpace(Text s) {
  while (!s.empty() && IsSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

std::string InvalidSyntax(std::string_view type, Text text) {
  return "invalid input syntax for type " + std::string(type) + ": \"" + std::string(text) + "\"";
}

// --- Parsing text

enum class Parse { kOk, kSyntax, kRange };

// PostgreSQL's int8in: [space][+|-]digits[space].
Parse ParseBigint(Text text, int64_t* out) {
  Text s = TrimSpace(text);
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  if (s.empty()) return Parse::kSyntax;
  int64_t v = 0;  // accumulated negatively, so INT64_MIN fits
  for (char c : s) {
    if (c < '0' || c > '9') return Parse::kSyntax;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_sub_overflow(v, c - '0', &v)) {
      return Parse::kRange;
    }
  }
  if (!negative && __builtin_sub_overflow(int64_t{0}, v, &v)) return Parse::kRange;
  *out = v;
  return Parse::kOk;
}

bool PrefixOf(Text s, std::string_view word, size_t min_length) {
  if (s.size() < min_length || s.size() > word.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i] >= 'A' && s[i] <= 'Z' ? static_cast<char>(s[i] + 32) : s[i];
    if (c != word[i]) return false;
  }
  return true;
}

// PostgreSQL's boolin: a prefix of true/false/yes/no, on/off (two letters at least), 1/0.
bool ParseBoolean(Text text, uint8_t* out) {
  Text s = TrimSpace(text);
  if (PrefixOf(s, "true", 1) || PrefixOf(s, "yes", 1) || PrefixOf(s, "on", 2) || s == "1") {
    *out = 1;
    return true;
  }
  if (PrefixOf(s, "false", 1) || PrefixOf(s, "no", 1) || PrefixOf(s, "off", 2) || s == "0") {
    *out = 0;
    return true;
  }
  return false;
}

// PostgreSQL's float8in: strtod, plus NaN and [+-]Infinity/inf spelled any case; ERANGE
// is an error unless the result is a denormal.
Parse ParseDouble(Text text, std::string* scratch, double* out) {
  size_t skip = 0;
  while (skip < text.size() && IsSpace(text[skip]))
    ++skip;
  scratch->assign(text.substr(skip));  // strtod needs the terminating NUL
  const char* begin = scratch->c_str();
  if (*begin == '\0') return Parse::kSyntax;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(begin, &end);
  if (end == begin) return Parse::kSyntax;
  if (errno == ERANGE && (v == 0 || std::isinf(v))) return Parse::kRange;
  while (IsSpace(*end))
    ++end;
  if (end != begin + scratch->size()) return Parse::kSyntax;
  *out = v;
  return Parse::kOk;
}

// --- Formatting text

// PostgreSQL's float8out: the shortest digits that read back as the same double, in
// fixed notation for decimal exponents -4..14 and as 1.5e+20 otherwise.
Text FormatDouble(double d, char (&buf)[64]) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  auto sci = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  Text s(buf, sci.ptr - buf);
  size_t e = s.find('e');  // then a sign and at least two digits
  int exponent = 0;
  std::from_chars(s.data() + e + 2, s.data() + s.size(), exponent);
  if (s[e + 1] == '-') exponent = -exponent;
  if (exponent < -4 || exponent >= 15) return s;
  auto fixed = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::fixed);
  return Text(buf, fixed.ptr - buf);
}

// --- Kernels

template <typename From, typename To, typename Fn>
void CastLoop(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
              Column* out, Fn fn) {
  Failer f{node, ctx};
  MapUnary<From, To>(args[0], mask, ctx->rows(), out,
                     [&](From v, size_t row, To* r) { return fn(v, r, f, row); });
}

template <typename T>
void IdentityCast(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                  Column* out) {
  CastLoop<T, T>(node, args, mask, ctx, out, [](T v, T* r, const Failer&, size_t) {
    *r = v;
    return true;
  });
}

void NumericToNumeric(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                      Column* out) {
  int from = node.arg_type(0).numeric.scale;
  const NumericType& to = node.type.numeric;
  CastLoop<Int128, Int128>(
      node, args, mask, ctx, out, [&](Int128 v, Int128* r, const Failer& f, size_t row) {
        return f.Take(row, Numeric::Rescale(v, from, to.scale), r) &&
               f.Check(row, Numeric::CheckPrecision(*r, to.precision, to.scale));
      });
}

void TextToBigint(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                  Column* out) {
  CastLoop<Text, int64_t>(
      node, args, mask, ctx, out, [](Text v, int64_t* r, const Failer& f, size_t row) {
        switch (ParseBigint(v, r)) {
          case Parse::kOk:
            return true;
          case Parse::kRange:
            return f.Fail(row, "value \"" + std::string(v) + "\" is out of range for type bigint");
          default:
            return f.Fail(row, InvalidSyntax("bigint", v));
        }
      });
}

void TextToNumeric(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                   Column* out) {
  const NumericType& to = node.type.numeric;
  CastLoop<Text, Int128>(node, args, mask, ctx, out,
                         [&](Text v, Int128* r, const Failer& f, size_t row) {
                           return f.Take(row, Numeric::Parse(v, to.precision, to.scale), r);
                         });
}

void TextToDouble(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                  Column* out) {
  std::string scratch;
  CastLoop<Text, double>(node, args, mask, ctx, out,
                         [&](Text v, double* r, const Failer& f, size_t row) {
                           switch (ParseDouble(v, &scratch, r)) {
                             case Parse::kOk:
                               return true;
                             case Parse::kRange:
                               return f.Fail(row, "\"" + std::string(v) +
                                                      "\" is out of range for type double "
                                                      "precision");
                             default:
                               return f.Fail(row, InvalidSyntax("double precision", v));
                           }
                         });
}

void TextToBoolean(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                   Column* out) {
  CastLoop<Text, uint8_t>(node, args, mask, ctx, out,
                          [](Text v, uint8_t* r, const Failer& f, size_t row) {
                            return ParseBoolean(v, r) || f.Fail(row, InvalidSyntax("boolean", v));
                          });
}

void TextToTimestamp(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                     Column* out) {
  CastLoop<Text, int64_t>(node, args, mask, ctx, out,
                          [](Text v, int64_t* r, const Failer& f, size_t row) {
                            return f.Take(row, ParseSqlTimestamp(v), r);
                          });
}

void TextToDate(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                Column* out) {
  CastLoop<Text, int32_t>(
      node, args, mask, ctx, out,
      [](Text v, int32_t* r, const Failer& f, size_t row) { return f.Take(row, ParseDate(v), r); });
}

void BigintToNumeric(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                     Column* out) {
  const NumericType& to = node.type.numeric;
  CastLoop<int64_t, Int128>(node, args, mask, ctx, out,
                            [&](int64_t v, Int128* r, const Failer& f, size_t row) {
                              return f.Take(row, Numeric::FromInt64(v, to.precision, to.scale), r);
                            });
}

void BigintToDouble(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                    Column* out) {
  CastLoop<int64_t, double>(node, args, mask, ctx, out,
                            [](int64_t v, double* r, const Failer&, size_t) {
                              *r = static_cast<double>(v);
                              return true;
                            });
}

void BigintToBoolean(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                     Column* out) {
  CastLoop<int64_t, uint8_t>(node, args, mask, ctx, out,
                             [](int64_t v, uint8_t* r, const Failer&, size_t) {
                               *r = v != 0 ? 1 : 0;
                               return true;
                             });
}

void BooleanToBigint(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                     Column* out) {
  CastLoop<uint8_t, int64_t>(node, args, mask, ctx, out,
                             [](uint8_t v, int64_t* r, const Failer&, size_t) {
                               *r = v;
                               return true;
                             });
}

void NumericToBigint(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                     Column* out) {
  int scale = node.arg_type(0).numeric.scale;
  CastLoop<Int128, int64_t>(node, args, mask, ctx, out,
                            [&](Int128 v, int64_t* r, const Failer& f, size_t row) {
                              Result<Int128> whole = Numeric::Rescale(v, scale, 0);  // half away
                              if (!whole.ok() || *whole < INT64_MIN || *whole > INT64_MAX) {
                                return f.Fail(row, kBigintRange);
                              }
                              *r = static_cast<int64_t>(*whole);
                              return true;
                            });
}

void NumericToDouble(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                     Column* out) {
  int scale = node.arg_type(0).numeric.scale;
  CastLoop<Int128, double>(node, args, mask, ctx, out,
                           [&](Int128 v, double* r, const Failer&, size_t) {
                             *r = Numeric::ToDouble(v, scale);
                             return true;
                           });
}

void DoubleToBigint(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                    Column* out) {
  CastLoop<double, int64_t>(node, args, mask, ctx, out,
                            [](double v, int64_t* r, const Failer& f, size_t row) {
                              double rounded = std::nearbyint(v);  // PostgreSQL's rint()
                              // [-2^63, 2^63): NaN fails both comparisons.
                              if (!(rounded >= -0x1p63 && rounded < 0x1p63)) {
                                return f.Fail(row, kBigintRange);
                              }
                              *r = static_cast<int64_t>(rounded);
                              return true;
                            });
}

void DoubleToNumeric(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                     Column* out) {
  const NumericType& to = node.type.numeric;
  CastLoop<double, Int128>(node, args, mask, ctx, out,
                           [&](double v, Int128* r, const Failer& f, size_t row) {
                             return f.Take(row, Numeric::FromDouble(v, to.precision, to.scale), r);
                           });
}

void CastTimestampToDate(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                         Column* out) {
  CastLoop<int64_t, int32_t>(node, args, mask, ctx, out,
                             [](int64_t v, int32_t* r, const Failer&, size_t) {
                               *r = strata::TimestampToDate(v);
                               return true;
                             });
}

void CastDateToTimestamp(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                         Column* out) {
  CastLoop<int32_t, int64_t>(node, args, mask, ctx, out,
                             [](int32_t v, int64_t* r, const Failer& f, size_t row) {
                               return f.Take(row, strata::DateToTimestamp(v), r);
                             });
}

// To text: Format(value, &scratch) returns the text (in scratch or elsewhere).
template <typename From, typename Format>
void ToText(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
            Column* out) {
  std::string scratch;
  int scale = ScaleOf(node.arg_type(0));
  CastLoop<From, Text>(node, args, mask, ctx, out, [&](From v, Text* r, const Failer&, size_t) {
    *r = Format::Apply(v, scale, &scratch);
    return true;
  });
}

struct BooleanText {
  static Text Apply(uint8_t v, int, std::string*) { return v ? "true" : "false"; }
};
struct BigintText {
  static Text Apply(int64_t v, int, std::string* s) {
    char buf[24];
    auto res = std::to_chars(buf, buf + sizeof(buf), v);
    s->assign(buf, res.ptr);
    return *s;
  }
};
struct DoubleText {
  static Text Apply(double v, int, std::string* s) {
    char buf[64];
    s->assign(FormatDouble(v, buf));
    return *s;
  }
};
struct NumericText {
  static Text Apply(Int128 v, int scale, std::string* s) {
    *s = Numeric::ToString(v, scale);
    return *s;
  }
};
struct TimestampText {
  static Text Apply(int64_t v, int, std::string* s) {
    *s = FormatSqlTimestamp(v);
    return *s;
  }
};
struct DateText {
  static Text Apply(int32_t v, int, std::string* s) {
    *s = FormatDate(v);
    return *s;
  }
};

Kernel ToTextKernel(TypeId from) {
  switch (from) {
    case TypeId::kBoolean:
      return &ToText<uint8_t, BooleanText>;
    case TypeId::kBigint:
      return &ToText<int64_t, BigintText>;
    case TypeId::kDouble:
      return &ToText<double, DoubleText>;
    case TypeId::kNumeric:
      return &ToText<Int128, NumericText>;
    case TypeId::kText:
      return &IdentityCast<Text>;
    case TypeId::kTimestamp:
      return &ToText<int64_t, TimestampText>;
    case TypeId::kDate:
      return &ToText<int32_t, DateText>;
  }
  return nullptr;
}

// The kernel for a cast between different types, or nullptr where PostgreSQL has none.
Kernel SelectCast(TypeId from, TypeId to) {
  using T = TypeId;
  if (to == T::kText) return ToTextKernel(from);
  switch (from) {
    case T::kText:
      switch (to) {
        case T::kBigint:
          return &TextToBigint;
        case T::kNumeric:
          return &TextToNumeric;
        case T::kDouble:
          return &TextToDouble;
        case T::kBoolean:
          return &TextToBoolean;
        case T::kTimestamp:
          return &TextToTimestamp;
        case T::kDate:
          return &TextToDate;
        default:
          return nullptr;
      }
    case T::kBigint:
      return to == T::kNumeric   ? &BigintToNumeric
             : to == T::kDouble  ? &BigintToDouble
             : to == T::kBoolean ? &BigintToBoolean
                                 : nullptr;
    case T::kNumeric:
      return to == T::kBigint ? &NumericToBigint : to == T::kDouble ? &NumericToDouble : nullptr;
    case T::kDouble:
      return to == T::kBigint ? &DoubleToBigint : to == T::kNumeric ? &DoubleToNumeric : nullptr;
    case T::kBoolean:
      return to == T::kBigint ? &BooleanToBigint : nullptr;
    case T::kTimestamp:
      return to == T::kDate ? &CastTimestampToDate : nullptr;
    case T::kDate:
      return to == T::kTimestamp ? &CastDateToTimestamp : nullptr;
  }
  return nullptr;
}

}  // namespace

Status PrepareCast(Node* n) {
  if (n->children.size() != 1) return Unsupported(*n, "expected one argument");
  const Type& from = n->arg_type(0);
  if (from.id == TypeId::kNumeric && n->type.id == TypeId::kNumeric) {
    n->kernel = from == n->type ? &IdentityCast<Int128> : &NumericToNumeric;
    return Status::OK();
  }
  if (from.id == n->type.id) {
    VisitPhysical(from.physical(),
                  [&]<typename T>(std::type_identity<T>) { n->kernel = &IdentityCast<T>; });
    return Status::OK();
  }
  n->kernel = SelectCast(from.id, n->type.id);
  if (n->kernel == nullptr) {
    return Status::InvalidArgument(n->where + "cannot cast type " + from.ToString() + " to " +
                                   n->type.ToString());
  }
  return Status::OK();
}

}  // namespace strata::exec::internal
