// Randomized differential test of the expression evaluator: thousands of random bound
// expressions over random batches (with NULLs and hostile values), evaluated by the
// vectorized evaluator and by a naive row-at-a-time reference written here over
// strata::Value. The reference is independent code: it uses only common/numeric.h,
// common/datetime.h, RE2 and the C++ library, never the evaluator's helpers. Both must agree
// on every row: the same value, or an error raised by the same node (same line:column).
#include <gtest/gtest.h>
#include <re2/re2.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/datetime.h"
#include "common/numeric.h"
#include "exec/expression.h"

namespace strata::exec {
namespace {

using sql::BoundExpr;
using sql::BoundKind;
using sql::Func;
using Row = std::vector<Value>;

constexpr Int128 kInt64Min = std::numeric_limits<int64_t>::min();
constexpr Int128 kInt64Max = std::numeric_limits<int64_t>::max();

// ============================== Reference evaluator ==============================

struct Ref {
  Value v;
  std::string error;  // "line:column" of the node that failed; empty if the row succeeded
};

std::string LocationOf(const BoundExpr& e) {
  return std::to_string(e.location.line) + ":" + std::to_string(e.location.column);
}
Ref Fail(const BoundExpr& e) {
  return {Value(), LocationOf(e)};
}
Ref Ok(Value v) {
  return {std::move(v), ""};
}

Ref Eval(const BoundExpr& e, const Row& row);

// A numeric result of node e: an error, or a value that must fit e's type.
Ref FitNumeric(const BoundExpr& e, const Result<Int128>& r) {
  if (!r.ok()) return Fail(e);
  const NumericType& t = e.type.numeric;
  if (!Numeric::CheckPrecision(*r, t.precision, t.scale).ok()) return Fail(e);
  return Ok(Value::Int128(*r));
}

// A result of one of several arguments (CASE, COALESCE, GREATEST, LEAST) in the parent's
// type: numeric arguments of another scale or precision are converted; failures are the
// parent's.
Ref Coerce(Ref r, const Type& from, const BoundExpr& parent) {
  if (!r.error.empty() || r.v.is_null() || from == parent.type) return r;
  return FitNumeric(
      parent, Numeric::Rescale(r.v.as_int128(), from.numeric.scale, parent.type.numeric.scale));
}

int Sign(int c) {
  return (c > 0) - (c < 0);
}

int RefCompare(const Value& a, const Type& ta, const Value& b, const Type& tb) {
  switch (ta.id) {
    case TypeId::kBoolean:
      return Sign(int{a.as_bool()} - int{b.as_bool()});
    case TypeId::kBigint:
    case TypeId::kTimestamp:
      return a.as_int64() < b.as_int64() ? -1 : a.as_int64() > b.as_int64();
    case TypeId::kDate:
      return a.as_int32() < b.as_int32() ? -1 : a.as_int32() > b.as_int32();
    case TypeId::kDouble: {
      double x = a.as_double();
      double y = b.as_double();
      if (std::isnan(x) || std::isnan(y)) return int{std::isnan(x)} - int{std::isnan(y)};
      return x < y ? -1 : x > y;
    }
    case TypeId::kNumeric:
      return Numeric::Compare(a.as_int128(), ta.numeric.scale, b.as_int128(), tb.numeric.scale);
    case TypeId::kText:
      return Sign(a.as_string().compare(b.as_string()));
  }
  return 0;
}

// --- UTF-8 text as a list of characters

std::vector<std::string> Chars(const std::string& s) {
  std::vector<std::string> out;
  for (unsigned char c : s) {
    if ((c & 0xc0) == 0x80 && !out.empty()) {
      out.back().push_back(static_cast<char>(c));
    } else {
      out.emplace_back(1, static_cast<char>(c));
    }
  }
  return out;
}

std::string Join(const std::vector<std::string>& chars, size_t begin, size_t end) {
  std::string s;
  for (size_t i = begin; i < end && i < chars.size(); ++i)
    s += chars[i];
  return s;
}

std::string AsciiLower(std::string s) {
  for (char& c : s)
    c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return s;
}
std::string AsciiUpper(std::string s) {
  for (char& c : s)
    c = (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return s;
}

// LIKE by dynamic programming over characters; nullopt for a trailing escape.
std::optional<bool> RefLike(const std::string& text, const std::string& pattern) {
  enum Kind { kChar, kOne, kAny };
  std::vector<std::pair<Kind, std::string>> tokens;
  std::vector<std::string> p = Chars(pattern);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == "\\") {
      if (i + 1 == p.size()) return std::nullopt;
      tokens.push_back({kChar, p[++i]});
    } else {
      tokens.push_back({p[i] == "%" ? kAny : (p[i] == "_" ? kOne : kChar), p[i]});
    }
  }
  std::vector<std::string> t = Chars(text);
  // m[j][i]: the first j tokens match the first i characters.
  std::vector<std::vector<bool>> m(tokens.size() + 1, std::vector<bool>(t.size() + 1, false));
  m[0][0] = true;
  for (size_t j = 1; j <= tokens.size(); ++j) {
    for (size_t i = 0; i <= t.size(); ++i) {
      const auto& [kind, ch] = tokens[j - 1];
      if (kind == kAny) {
        m[j][i] = m[j - 1][i] || (i > 0 && m[j][i - 1]);
      } else if (i > 0) {
        m[j][i] = m[j - 1][i - 1] && (kind == kOne || ch == t[i - 1]);
      }
    }
  }
  return m[tokens.size()][t.size()];
}

std::string RefRegexpReplace(const std::string& text, const std::string& pattern,
                             const std::string& replacement, const std::string& flags) {
  bool global = flags.find('g') != std::string::npos;
  bool ignore_case = false;
  for (char c : flags) {
    if (c == 'i') ignore_case = true;
    if (c == 'c') ignore_case = false;
  }
  RE2::Options options;
  options.set_log_errors(false);
  options.set_dot_nl(true);
  options.set_case_sensitive(!ignore_case);
  RE2 re(pattern, options);
  EXPECT_TRUE(re.ok()) << pattern;
  int n = std::min(re.NumberOfCapturingGroups() + 1, 10);
  re2::StringPiece m[10];
  std::string out;
  size_t last = 0;
  size_t pos = 0;
  while (pos <= text.size() && re.Match(text, pos, text.size(), RE2::UNANCHORED, m, n)) {
    size_t begin = m[0].data() - text.data();
    size_t end = begin + m[0].size();
    out += text.substr(last, begin - last);
    for (size_t i = 0; i < replacement.size(); ++i) {
      char c = replacement[i];
      char d = i + 1 < replacement.size() ? replacement[i + 1] : '\0';
      if (c != '\\' || d == '\0') {
        out += c;
      } else if (d >= '1' && d <= '9') {
        if (d - '0' < n && m[d - '0'].data() != nullptr) out += std::string(m[d - '0']);
        ++i;
      } else if (d == '&') {
        out += std::string(m[0]);
        ++i;
      } else if (d == '\\') {
        out += '\\';
        ++i;
      } else {
        out += '\\';
      }
    }
    last = end;
    if (!global) break;
    if (end > begin) {
      pos = end;
    } else if (end >= text.size()) {
      break;
    } else {
      pos = end + Chars(text.substr(end))[0].size();
    }
  }
  return out + text.substr(last);
}

// --- Casts

bool IsSpaceChar(char c) {
  return c != '\0' && std::strchr(" \t\n\v\f\r", c) != nullptr;
}

std::string Trimmed(const std::string& s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && IsSpaceChar(s[b]))
    ++b;
  while (e > b && IsSpaceChar(s[e - 1]))
    --e;
  return s.substr(b, e - b);
}

Ref RefTextToBigint(const BoundExpr& e, const std::string& text) {
  std::string s = Trimmed(text);
  size_t i = 0;
  bool negative = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
  size_t first_digit = i;
  Int128 magnitude = 0;
  for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) {
    magnitude = magnitude * 10 + (s[i] - '0');
    if (magnitude > -kInt64Min) return Fail(e);  // overflow while reading digits
  }
  if (i == first_digit || i != s.size()) return Fail(e);
  Int128 v = negative ? -magnitude : magnitude;
  if (v > kInt64Max) return Fail(e);
  return Ok(Value::Int64(static_cast<int64_t>(v)));
}

Ref RefTextToDouble(const BoundExpr& e, const std::string& text) {
  size_t skip = 0;
  while (skip < text.size() && IsSpaceChar(text[skip]))
    ++skip;
  std::string s = text.substr(skip);
  if (s.empty()) return Fail(e);
  char* end;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return Fail(e);
  if (errno == ERANGE && (v == 0 || std::isinf(v))) return Fail(e);
  std::string rest(end);
  if (!Trimmed(rest).empty()) return Fail(e);
  return Ok(Value::Double(v));
}

Ref RefTextToBoolean(const BoundExpr& e, const std::string& text) {
  static const char* kTrue[] = {"t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"};
  static const char* kFalse[] = {"f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0"};
  std::string s = AsciiLower(Trimmed(text));
  for (const char* t : kTrue) {
    if (s == t) return Ok(Value::Bool(true));
  }
  for (const char* f : kFalse) {
    if (s == f) return Ok(Value::Bool(false));
  }
  return Fail(e);
}

// PostgreSQL's float8out, by searching the shortest %e precision that reads back.
std::string RefDoubleText(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*e", precision - 1, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  std::string s = buf;
  std::string sign = s[0] == '-' ? "-" : "";
  if (!sign.empty()) s.erase(0, 1);
  size_t e_at = s.find('e');
  int exponent = std::atoi(s.c_str() + e_at + 1);
  std::string digits = s.substr(0, e_at);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  while (digits.size() > 1 && digits.back() == '0')
    digits.pop_back();
  if (exponent < -4 || exponent >= 15) {
    std::string mantissa = digits.substr(0, 1);
    if (digits.size() > 1) mantissa += "." + digits.substr(1);
    char exp[16];
    std::snprintf(exp, sizeof(exp), "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return sign + mantissa + exp;
  }
  if (exponent < 0) return sign + "0." + std::string(-exponent - 1, '0') + digits;
  if (static_cast<int>(digits.size()) <= exponent + 1) {
    return sign + digits + std::string(exponent + 1 - digits.size(), '0');
  }
  return sign + digits.substr(0, exponent + 1) + "." + digits.substr(exponent + 1);
}

std::string RefText(const Value& v, const Type& t) {
  switch (t.id) {
    case TypeId::kBoolean:
      return v.as_bool() ? "true" : "false";
    case TypeId::kBigint:
      return std::to_string(v.as_int64());
    case TypeId::kDouble:
      return RefDoubleText(v.as_double());
    case TypeId::kNumeric:
      return Numeric::ToString(v.as_int128(), t.numeric.scale);
    case TypeId::kText:
      return v.as_string();
    case TypeId::kTimestamp:
      return FormatSqlTimestamp(v.as_int64());
    case TypeId::kDate:
      return FormatDate(v.as_int32());
  }
  return "";
}

Ref RefCast(const BoundExpr& e, const Value& v, const Type& from) {
  const Type& to = e.type;
  if (to.id == TypeId::kText) return Ok(Value::String(RefText(v, from)));
  if (from == to) return Ok(v);
  const NumericType& nt = to.numeric;
  switch (from.id) {
    case TypeId::kText: {
      const std::string& s = v.as_string();
      switch (to.id) {
        case TypeId::kBigint:
          return RefTextToBigint(e, s);
        case TypeId::kDouble:
          return RefTextToDouble(e, s);
        case TypeId::kBoolean:
          return RefTextToBoolean(e, s);
        case TypeId::kNumeric: {
          Result<Int128> r = Numeric::Parse(s, nt.precision, nt.scale);
          return r.ok() ? Ok(Value::Int128(*r)) : Fail(e);
        }
        case TypeId::kTimestamp: {
          Result<Micros> r = ParseSqlTimestamp(s);
          return r.ok() ? Ok(Value::Int64(*r)) : Fail(e);
        }
        case TypeId::kDate: {
          Result<int32_t> r = ParseDate(s);
          return r.ok() ? Ok(Value::Int32(*r)) : Fail(e);
        }
        default:
          break;
      }
      break;
    }
    case TypeId::kBigint:
      if (to.id == TypeId::kDouble) return Ok(Value::Double(static_cast<double>(v.as_int64())));
      if (to.id == TypeId::kBoolean) return Ok(Value::Bool(v.as_int64() != 0));
      if (to.id == TypeId::kNumeric) {
        Result<Int128> r = Numeric::FromInt64(v.as_int64(), nt.precision, nt.scale);
        return r.ok() ? Ok(Value::Int128(*r)) : Fail(e);
      }
      break;
    case TypeId::kBoolean:
      if (to.id == TypeId::kBigint) return Ok(Value::Int64(v.as_bool() ? 1 : 0));
      break;
    case TypeId::kNumeric:
      if (to.id == TypeId::kDouble) {
        return Ok(Value::Double(Numeric::ToDouble(v.as_int128(), from.numeric.scale)));
      }
      if (to.id == TypeId::kNumeric) {
        return FitNumeric(e, Numeric::Rescale(v.as_int128(), from.numeric.scale, nt.scale));
      }
      if (to.id == TypeId::kBigint) {
        Result<Int128> rounded = Numeric::Round(v.as_int128(), from.numeric.scale, 0);
        if (!rounded.ok()) return Fail(e);
        Result<Int128> whole = Numeric::Rescale(*rounded, from.numeric.scale, 0);
        if (!whole.ok() || *whole < kInt64Min || *whole > kInt64Max) return Fail(e);
        return Ok(Value::Int64(static_cast<int64_t>(*whole)));
      }
      break;
    case TypeId::kDouble:
      if (to.id == TypeId::kBigint) {
        double r = std::rint(v.as_double());
        if (std::isnan(r) || r < -9223372036854775808.0 || r >= 9223372036854775808.0) {
          return Fail(e);
        }
        return Ok(Value::Int64(static_cast<int64_t>(r)));
      }
      if (to.id == TypeId::kNumeric) {
        Result<Int128> r = Numeric::FromDouble(v.as_double(), nt.precision, nt.scale);
        return r.ok() ? Ok(Value::Int128(*r)) : Fail(e);
      }
      break;
    case TypeId::kTimestamp:
      if (to.id == TypeId::kDate) return Ok(Value::Int32(TimestampToDate(v.as_int64())));
      break;
    case TypeId::kDate:
      if (to.id == TypeId::kTimestamp) {
        Result<Micros> r = DateToTimestamp(v.as_int32());
        return r.ok() ? Ok(Value::Int64(*r)) : Fail(e);
      }
      break;
  }
  ADD_FAILURE() << "reference has no cast from " << from.ToString() << " to " << to.ToString();
  return Fail(e);
}

// --- Arithmetic

Ref RefArithmetic(const BoundExpr& e, const Value& a, const Value& b) {
  const Type& ta = e.children[0].type;
  const Type& tb = e.children[1].type;
  switch (ta.id) {
    case TypeId::kBigint: {
      Int128 x = a.as_int64();
      Int128 y = b.as_int64();
      Int128 r = 0;
      switch (e.func) {
        case Func::kAdd:
          r = x + y;
          break;
        case Func::kSubtract:
          r = x - y;
          break;
        case Func::kMultiply:
          r = x * y;
          break;
        case Func::kDivide:
          if (y == 0) return Fail(e);
          r = x / y;
          break;
        default:
          if (y == 0) return Fail(e);
          r = x % y;
      }
      if (r < kInt64Min || r > kInt64Max) return Fail(e);
      return Ok(Value::Int64(static_cast<int64_t>(r)));
    }
    case TypeId::kDouble: {
      double x = a.as_double();
      double y = b.as_double();
      bool infinite_input = std::isinf(x) || std::isinf(y);
      double r = 0;
      switch (e.func) {
        case Func::kAdd:
          r = x + y;
          break;
        case Func::kSubtract:
          r = x - y;
          break;
        case Func::kMultiply:
          r = x * y;
          if (r == 0 && x != 0 && y != 0) return Fail(e);
          break;
        case Func::kDivide:
          if (y == 0 && !std::isnan(x)) return Fail(e);
          r = x / y;
          infinite_input = std::isinf(x);
          if (r == 0 && x != 0 && !std::isinf(y)) return Fail(e);
          break;
        default:
          if (y == 0 && !std::isnan(x)) return Fail(e);
          return Ok(Value::Double(std::fmod(x, y)));
      }
      if (std::isinf(r) && !infinite_input) return Fail(e);
      return Ok(Value::Double(r));
    }
    default: {  // numeric
      Int128 x = a.as_int128();
      Int128 y = b.as_int128();
      int sa = ta.numeric.scale;
      int sb = tb.numeric.scale;
      int rs = e.type.numeric.scale;
      switch (e.func) {
        case Func::kAdd:
          return FitNumeric(e, Numeric::Add(x, sa, y, sb));
        case Func::kSubtract:
          return FitNumeric(e, Numeric::Sub(x, sa, y, sb));
        case Func::kMultiply:
          return FitNumeric(e, Numeric::Mul(x, sa, y, sb, rs));
        case Func::kDivide:
          if (y == 0) return Fail(e);
          return FitNumeric(e, Numeric::Div(x, sa, y, sb, rs));
        default: {
          if (y == 0) return Fail(e);
          int s = std::max(sa, sb);
          Result<Int128> x2 = Numeric::Rescale(x, sa, s);
          Result<Int128> y2 = Numeric::Rescale(y, sb, s);
          if (!x2.ok() || !y2.ok()) return Fail(e);
          return FitNumeric(e, *x2 % *y2);
        }
      }
    }
  }
}

Ref RefUnaryNumber(const BoundExpr& e, const std::vector<Value>& args) {
  const Type& t = e.children[0].type;
  const Value& a = args[0];
  bool negate = e.func == Func::kNegate;
  if (t.id == TypeId::kBigint) {
    Int128 x = a.as_int64();
    Int128 r = negate ? -x : (x < 0 ? -x : x);
    if (r > kInt64Max) return Fail(e);
    return Ok(Value::Int64(static_cast<int64_t>(r)));
  }
  if (t.id == TypeId::kDouble) {
    double x = a.as_double();
    if (e.func == Func::kRound) return Ok(Value::Double(std::round(x)));
    return Ok(Value::Double(negate ? -x : std::fabs(x)));
  }
  int s = t.numeric.scale;
  if (e.func == Func::kRound) {
    int64_t digits = args.size() > 1 ? args[1].as_int64() : 0;
    digits = std::clamp<int64_t>(digits, std::numeric_limits<int>::min() + 1,
                                 std::numeric_limits<int>::max());
    Result<Int128> r = Numeric::Round(a.as_int128(), s, static_cast<int>(digits));
    if (!r.ok()) return Fail(e);
    return FitNumeric(e, Numeric::Rescale(*r, s, e.type.numeric.scale));
  }
  return FitNumeric(e, negate ? Numeric::Neg(a.as_int128(), s) : Numeric::Abs(a.as_int128(), s));
}

// --- Calls

Ref RefText(const BoundExpr& e, const std::vector<Value>& args) {
  auto text = [&](size_t i) -> const std::string& { return args[i].as_string(); };
  switch (e.func) {
    case Func::kConcat:
      return Ok(Value::String(text(0) + text(1)));
    case Func::kLike:
    case Func::kILike: {
      bool fold = e.func == Func::kILike;
      std::optional<bool> m =
          RefLike(fold ? AsciiLower(text(0)) : text(0), fold ? AsciiLower(text(1)) : text(1));
      if (!m.has_value()) {
        ADD_FAILURE() << "generated a pattern with a trailing escape";
        return Fail(e);
      }
      return Ok(Value::Bool(*m));
    }
    case Func::kLower:
      return Ok(Value::String(AsciiLower(text(0))));
    case Func::kUpper:
      return Ok(Value::String(AsciiUpper(text(0))));
    case Func::kBtrim:
    case Func::kLtrim:
    case Func::kRtrim: {
      std::vector<std::string> s = Chars(text(0));
      std::vector<std::string> set = Chars(args.size() > 1 ? text(1) : " ");
      auto in_set = [&](const std::string& c) {
        return std::find(set.begin(), set.end(), c) != set.end();
      };
      size_t b = 0;
      size_t end = s.size();
      if (e.func != Func::kRtrim) {
        while (b < end && in_set(s[b]))
          ++b;
      }
      if (e.func != Func::kLtrim) {
        while (end > b && in_set(s[end - 1]))
          --end;
      }
      return Ok(Value::String(Join(s, b, end)));
    }
    case Func::kLength:
      return Ok(Value::Int64(static_cast<int64_t>(Chars(text(0)).size())));
    case Func::kSubstring: {
      std::vector<std::string> s = Chars(text(0));
      Int128 start = args[1].as_int64();
      Int128 end = std::numeric_limits<int64_t>::max();  // exclusive, 1-based
      if (args.size() > 2) {
        if (args[2].as_int64() < 0) return Fail(e);
        Int128 sum = start + args[2].as_int64();
        if (sum <= kInt64Max) end = sum;
      }
      std::string out;
      for (size_t i = 0; i < s.size(); ++i) {
        Int128 position = static_cast<Int128>(i) + 1;
        if (position >= start && position < end) out += s[i];
      }
      return Ok(Value::String(out));
    }
    case Func::kRegexpReplace:
      return Ok(Value::String(
          RefRegexpReplace(text(0), text(1), text(2), args.size() > 3 ? text(3) : "")));
    default:
      break;
  }
  ADD_FAILURE() << "reference has no text function " << static_cast<int>(e.func);
  return Fail(e);
}

Ref RefTime(const BoundExpr& e, const std::vector<Value>& args) {
  const std::string& name = args[0].as_string();
  bool date = e.children[1].type.id == TypeId::kDate;
  if (e.func == Func::kDateTrunc) {
    Micros ts = 0;
    if (date) {
      Result<Micros> midnight = DateToTimestamp(args[1].as_int32());
      if (!midnight.ok()) return Fail(e);
      ts = *midnight;
    } else {
      ts = args[1].as_int64();
    }
    Result<Micros> r = DateTrunc(name, ts);
    return r.ok() ? Ok(Value::Int64(*r)) : Fail(e);
  }
  Result<DateField> field = ParseDateField(name);
  if (!field.ok()) return Fail(e);
  int64_t value = 0;
  int scale = 0;
  if (date) {
    Result<int64_t> r = ExtractDate(*field, args[1].as_int32());
    if (!r.ok()) return Fail(e);
    value = *r;
  } else {
    value = Extract(*field, args[1].as_int64());
    scale = ExtractScale(*field);
  }
  return FitNumeric(e, Numeric::Rescale(value, scale, e.type.numeric.scale));
}

Ref RefCall(const BoundExpr& e, const Row& row) {
  bool coerce = e.func == Func::kGreatest || e.func == Func::kLeast;
  std::vector<Value> args;
  for (const BoundExpr& child : e.children) {
    Ref a = Eval(child, row);
    if (coerce) a = Coerce(a, child.type, e);
    if (!a.error.empty()) return a;
    args.push_back(a.v);
  }
  switch (e.func) {
    case Func::kConcatFunction: {
      std::string s;
      for (const Value& v : args)
        s += v.is_null() ? "" : v.as_string();
      return Ok(Value::String(s));
    }
    case Func::kNullIf:
      if (args[0].is_null()) return Ok(Value());
      if (!args[1].is_null() &&
          RefCompare(args[0], e.children[0].type, args[1], e.children[1].type) == 0) {
        return Ok(Value());
      }
      return Ok(args[0]);
    case Func::kGreatest:
    case Func::kLeast: {
      Value best;
      for (const Value& v : args) {
        if (v.is_null()) continue;
        int c = best.is_null() ? 0 : RefCompare(v, e.type, best, e.type);
        if (best.is_null() || (e.func == Func::kGreatest ? c > 0 : c < 0)) best = v;
      }
      return Ok(best);
    }
    default:
      break;
  }
  for (const Value& v : args) {
    if (v.is_null()) return Ok(Value());
  }
  switch (e.func) {
    case Func::kAdd:
    case Func::kSubtract:
    case Func::kMultiply:
    case Func::kDivide:
    case Func::kModulo:
      return RefArithmetic(e, args[0], args[1]);
    case Func::kNegate:
    case Func::kAbs:
    case Func::kRound:
      return RefUnaryNumber(e, args);
    case Func::kEqual:
    case Func::kNotEqual:
    case Func::kLess:
    case Func::kLessEqual:
    case Func::kGreater:
    case Func::kGreaterEqual: {
      int c = RefCompare(args[0], e.children[0].type, args[1], e.children[1].type);
      bool r = e.func == Func::kEqual       ? c == 0
               : e.func == Func::kNotEqual  ? c != 0
               : e.func == Func::kLess      ? c < 0
               : e.func == Func::kLessEqual ? c <= 0
               : e.func == Func::kGreater   ? c > 0
                                            : c >= 0;
      return Ok(Value::Bool(r));
    }
    case Func::kDateTrunc:
    case Func::kExtract:
      return RefTime(e, args);
    default:
      return RefText(e, args);
  }
}

Ref Eval(const BoundExpr& e, const Row& row) {
  switch (e.kind) {
    case BoundKind::kColumn:
      return Ok(row[e.column]);
    case BoundKind::kLiteral:
      return Ok(e.literal);
    case BoundKind::kCall:
      return RefCall(e, row);
    case BoundKind::kCast: {
      Ref a = Eval(e.children[0], row);
      if (!a.error.empty() || a.v.is_null()) return a;
      return RefCast(e, a.v, e.children[0].type);
    }
    case BoundKind::kAnd:
    case BoundKind::kOr: {
      bool is_or = e.kind == BoundKind::kOr;
      bool saw_null = false;
      for (const BoundExpr& child : e.children) {
        Ref a = Eval(child, row);
        if (!a.error.empty()) return a;
        if (a.v.is_null()) {
          saw_null = true;
        } else if (a.v.as_bool() == is_or) {
          return Ok(Value::Bool(is_or));
        }
      }
      return saw_null ? Ok(Value()) : Ok(Value::Bool(!is_or));
    }
    case BoundKind::kNot: {
      Ref a = Eval(e.children[0], row);
      if (!a.error.empty() || a.v.is_null()) return a;
      return Ok(Value::Bool(!a.v.as_bool()));
    }
    case BoundKind::kIsNull: {
      Ref a = Eval(e.children[0], row);
      if (!a.error.empty()) return a;
      return Ok(Value::Bool(a.v.is_null() != e.negated));
    }
    case BoundKind::kIn: {
      std::vector<Value> values;
      for (const BoundExpr& child : e.children) {
        Ref a = Eval(child, row);
        if (!a.error.empty()) return a;
        values.push_back(a.v);
      }
      if (values[0].is_null()) return Ok(Value());
      bool saw_null = false;
      for (size_t i = 1; i < values.size(); ++i) {
        if (values[i].is_null()) {
          saw_null = true;
        } else if (RefCompare(values[0], e.children[0].type, values[i], e.children[i].type) == 0) {
          return Ok(Value::Bool(!e.negated));
        }
      }
      return saw_null ? Ok(Value()) : Ok(Value::Bool(e.negated));
    }
    case BoundKind::kCase: {
      size_t pairs = (e.children.size() - (e.has_else ? 1 : 0)) / 2;
      for (size_t i = 0; i < pairs; ++i) {
        Ref when = Eval(e.children[2 * i], row);
        if (!when.error.empty()) return when;
        if (!when.v.is_null() && when.v.as_bool()) {
          const BoundExpr& then = e.children[2 * i + 1];
          return Coerce(Eval(then, row), then.type, e);
        }
      }
      if (!e.has_else) return Ok(Value());
      const BoundExpr& otherwise = e.children.back();
      return Coerce(Eval(otherwise, row), otherwise.type, e);
    }
    case BoundKind::kCoalesce:
      for (const BoundExpr& child : e.children) {
        Ref a = Eval(child, row);
        if (!a.error.empty()) return a;
        if (!a.v.is_null()) return Coerce(a, child.type, e);
      }
      return Ok(Value());
  }
  return Fail(e);
}

// ============================== Random expressions ==============================

const std::vector<Type>& Schema() {
  static const std::vector<Type> schema = {
      Type::Boolean(),      Type::Bigint(), Type::Bigint(), Type::Double(),    Type::Numeric(10, 2),
      Type::Numeric(20, 6), Type::Text(),   Type::Text(),   Type::Timestamp(), Type::Date(),
  };
  return schema;
}

const std::vector<std::string> kTextPieces = {"a", "b", "A",  "B", "é", "É", "ß", " ",
                                              "%", "_", "\\", "x", "1", "-", ".", "€"};
const std::vector<std::string> kCastTexts = {"42",
                                             " -17 ",
                                             "9223372036854775807",
                                             "9223372036854775808",
                                             "-9223372036854775808",
                                             "12.345",
                                             "1e3",
                                             "abc",
                                             "",
                                             "true",
                                             "f",
                                             "yes",
                                             "off",
                                             "o",
                                             "2026-11-22 10:00:00",
                                             "2024-02-29",
                                             "1969-12-31 23:59:59.5",
                                             "2024-13-01",
                                             "NaN",
                                             "-Infinity",
                                             "1e400",
                                             "0.1",
                                             " 7.5e-3 ",
                                             "+3",
                                             "99999999999999999999x",
                                             "0x1A"};
const std::vector<std::string> kLikePatterns = {"%",    "a%",   "%a",    "_",     "__", "%a%b%",
                                                "a\\%", "\\_%", "%é_",   "A_b",   "",   "%%_",
                                                "\\\\", "é%",   "%\\%%", "_%_%_", "b"};
const std::vector<std::string> kRegexps = {
    "a", "[aé]", "(a)(b)?", "x*", "^a", "b$", "\\s+", "é.", "", "(é|b)+", "[[:digit:]]+", "A"};
const std::vector<std::string> kReplacements = {"X", "\\1",    "<\\&>", "\\\\", "\\9",
                                                "é", "\\2\\1", "\\",    "",     "\\q"};
const std::vector<std::string> kFlags = {"", "g", "i", "gi", "c", "ic"};
const std::vector<std::string> kUnits = {
    "microseconds", "millisecond", "second", "minute", "hour",    "day",       "week",
    "month",        "quarter",     "year",   "decade", "century", "millennium"};
const std::vector<std::string> kTimestampFields = {
    "year",        "quarter", "month",   "week",   "day",     "dow",
    "isodow",      "doy",     "hour",    "minute", "second",  "milliseconds",
    "microsecond", "epoch",   "isoyear", "decade", "century", "millennium"};
const std::vector<std::string> kDateFields = {"year",   "quarter", "month",     "week",  "day",
                                              "dow",    "isodow",  "doy",       "epoch", "isoyear",
                                              "decade", "century", "millennium"};

class Generator {
 public:
  explicit Generator(uint64_t seed) : rng_(seed) {}

  Batch MakeBatch(size_t rows) {
    Batch b;
    for (const Type& t : Schema())
      b.columns.emplace_back(t);
    for (size_t r = 0; r < rows; ++r) {
      for (size_t c = 0; c < b.columns.size(); ++c)
        b.columns[c].AppendValue(RandomValue(c));
      b.weights.push_back(1);
    }
    return b;
  }

  TypeId AnyType() {
    static const TypeId kTypes[] = {
        TypeId::kBoolean, TypeId::kBigint, TypeId::kBigint, TypeId::kDouble,    TypeId::kNumeric,
        TypeId::kNumeric, TypeId::kText,   TypeId::kText,   TypeId::kTimestamp, TypeId::kDate};
    return kTypes[Uniform(0, 9)];
  }

  void Reset() { id_ = 0; }

  BoundExpr Expr(TypeId want, int depth) {
    if (depth <= 0 || Chance(0.2)) return Leaf(want);
    if (Chance(0.15)) return Generic(want, depth);
    switch (want) {
      case TypeId::kBoolean:
        return BooleanExpr(depth);
      case TypeId::kBigint:
        return BigintExpr(depth);
      case TypeId::kDouble:
        return DoubleExpr(depth);
      case TypeId::kNumeric:
        return NumericExpr(depth);
      case TypeId::kText:
        return TextExpr(depth);
      case TypeId::kTimestamp:
        return TimestampExpr(depth);
      case TypeId::kDate:
        return DateExpr(depth);
    }
    return Leaf(want);
  }

 private:
  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[Uniform(0, static_cast<int>(v.size()) - 1)];
  }
  int64_t Random64() { return static_cast<int64_t>(rng_()); }

  // --- Values

  Int128 RandomNumeric(int precision) {
    int digits = Uniform(1, precision);
    Int128 v = 0;
    for (int i = 0; i < digits; ++i)
      v = v * 10 + Uniform(0, 9);
    return Chance(0.5) ? -v : v;
  }

  std::string RandomText() {
    std::string s;
    int n = Uniform(0, 6);
    for (int i = 0; i < n; ++i)
      s += Pick(kTextPieces);
    if (!s.empty() && s.back() == '\\') s += "a";  // a LIKE pattern never ends in an escape
    return s;
  }

  Value RandomValue(size_t column) {
    if (Chance(0.15)) return Value();
    switch (column) {
      case 0:
        return Value::Bool(Chance(0.5));
      case 1:
        return Value::Int64(Uniform(-20, 20));
      case 2: {
        static const int64_t kEdges[] = {std::numeric_limits<int64_t>::max(),
                                         std::numeric_limits<int64_t>::min(),
                                         int64_t{1} << 62,
                                         -(int64_t{1} << 62),
                                         3037000499,
                                         0,
                                         -1};
        if (Chance(0.5)) return Value::Int64(kEdges[Uniform(0, 6)]);
        return Value::Int64(Chance(0.5) ? Random64() : Uniform(-1000000, 1000000));
      }
      case 3:
        return Value::Double(RandomDouble());
      case 4:
        return Value::Int128(RandomNumeric(10));
      case 5:
        return Value::Int128(RandomNumeric(20));
      case 6:
        return Value::String(RandomText());
      case 7:
        return Value::String(Chance(0.7) ? Pick(kCastTexts) : RandomText());
      case 8:
        return Value::Int64(RandomTimestamp());
      default:
        return Value::Int32(Uniform(-40000, 40000));
    }
  }

  double RandomDouble() {
    static const double kEdges[] = {0.0,
                                    -0.0,
                                    1.5,
                                    -2.5,
                                    0.1,
                                    2.5,
                                    3.5,
                                    1e308,
                                    -1e308,
                                    1e-300,
                                    5e-324,
                                    1e15,
                                    123456.789,
                                    std::numeric_limits<double>::quiet_NaN(),
                                    std::numeric_limits<double>::infinity(),
                                    -std::numeric_limits<double>::infinity()};
    if (Chance(0.5)) return kEdges[Uniform(0, 15)];
    if (Chance(0.5)) return std::uniform_real_distribution<double>(-1e6, 1e6)(rng_);
    return std::ldexp(std::uniform_real_distribution<double>(-1, 1)(rng_), Uniform(-1000, 1000));
  }

  Micros RandomTimestamp() {
    Micros ts = std::uniform_int_distribution<int64_t>(-3000000000000000, 3000000000000000)(rng_);
    if (Chance(0.3)) ts -= ts % kMicrosPerSecond;
    return ts;
  }

  Type RandomNumericType() {
    int p = Uniform(1, 38);
    return Type::Numeric(p, Uniform(0, std::min(p, 8)));
  }

  // --- Nodes

  BoundExpr Node(BoundKind kind, Type t, std::vector<BoundExpr> children) {
    BoundExpr e;
    e.kind = kind;
    e.type = t;
    e.children = std::move(children);
    e.location = {1, ++id_};
    return e;
  }
  BoundExpr Call(Func f, Type t, std::vector<BoundExpr> args) {
    BoundExpr e = Node(BoundKind::kCall, t, std::move(args));
    e.func = f;
    return e;
  }
  BoundExpr Cast(BoundExpr a, Type t) { return Node(BoundKind::kCast, t, {std::move(a)}); }
  BoundExpr Literal(Value v, Type t) {
    BoundExpr e = Node(BoundKind::kLiteral, t, {});
    e.literal = std::move(v);
    return e;
  }
  BoundExpr Text(std::string s) { return Literal(Value::String(std::move(s)), Type::Text()); }
  BoundExpr Column(int index) {
    BoundExpr e = Node(BoundKind::kColumn, Schema()[index], {});
    e.column = index;
    return e;
  }

  BoundExpr Leaf(TypeId want) {
    bool null = Chance(0.08);
    bool column = Chance(0.6);
    switch (want) {
      case TypeId::kBoolean:
        if (column) return Column(0);
        return Literal(null ? Value() : Value::Bool(Chance(0.5)), Type::Boolean());
      case TypeId::kBigint:
        if (column) return Column(Chance(0.6) ? 1 : 2);
        return Literal(null ? Value() : RandomValue(Chance(0.7) ? 1 : 2), Type::Bigint());
      case TypeId::kDouble:
        if (column) return Column(3);
        return Literal(null ? Value() : Value::Double(RandomDouble()), Type::Double());
      case TypeId::kNumeric: {
        if (column) return Column(Chance(0.5) ? 4 : 5);
        Type t = RandomNumericType();
        return Literal(null ? Value() : Value::Int128(RandomNumeric(t.numeric.precision)), t);
      }
      case TypeId::kText:
        if (column) return Column(Chance(0.5) ? 6 : 7);
        return Literal(null ? Value() : Value::String(RandomText()), Type::Text());
      case TypeId::kTimestamp:
        if (column) return Column(8);
        return Literal(null ? Value() : Value::Int64(RandomTimestamp()), Type::Timestamp());
      case TypeId::kDate:
        if (column) return Column(9);
        return Literal(null ? Value() : Value::Int32(Uniform(-40000, 40000)), Type::Date());
    }
    return Column(0);
  }

  // CASE, COALESCE, NULLIF, GREATEST, LEAST of any type.
  BoundExpr Generic(TypeId want, int depth) {
    std::vector<BoundExpr> args;
    switch (Uniform(0, 4)) {
      case 0: {
        int pairs = Uniform(1, 2);
        for (int i = 0; i < pairs; ++i) {
          args.push_back(Expr(TypeId::kBoolean, depth - 1));
          args.push_back(Expr(want, depth - 1));
        }
        bool has_else = Chance(0.6);
        if (has_else) args.push_back(Expr(want, depth - 1));
        Type t = args[1].type;
        BoundExpr e = Node(BoundKind::kCase, t, std::move(args));
        e.has_else = has_else;
        return e;
      }
      case 1: {
        int n = Uniform(1, 3);
        for (int i = 0; i < n; ++i)
          args.push_back(Expr(want, depth - 1));
        Type t = args[0].type;
        return Node(BoundKind::kCoalesce, t, std::move(args));
      }
      case 2: {
        args.push_back(Expr(want, depth - 1));
        args.push_back(Expr(want, depth - 1));
        Type t = args[0].type;
        return Call(Func::kNullIf, t, std::move(args));
      }
      default: {
        int n = Uniform(1, 3);
        for (int i = 0; i < n; ++i)
          args.push_back(Expr(want, depth - 1));
        Type t = args[0].type;
        return Call(Chance(0.5) ? Func::kGreatest : Func::kLeast, t, std::move(args));
      }
    }
  }

  BoundExpr BooleanExpr(int depth) {
    switch (Uniform(0, 7)) {
      case 0: {
        static const Func kCmp[] = {Func::kEqual,     Func::kNotEqual, Func::kLess,
                                    Func::kLessEqual, Func::kGreater,  Func::kGreaterEqual};
        TypeId t = AnyType();
        return Call(kCmp[Uniform(0, 5)], Type::Boolean(), {Expr(t, depth - 1), Expr(t, depth - 1)});
      }
      case 1: {
        std::vector<BoundExpr> args;
        int n = Uniform(2, 3);
        for (int i = 0; i < n; ++i)
          args.push_back(Expr(TypeId::kBoolean, depth - 1));
        return Node(Chance(0.5) ? BoundKind::kAnd : BoundKind::kOr, Type::Boolean(),
                    std::move(args));
      }
      case 2:
        return Node(BoundKind::kNot, Type::Boolean(), {Expr(TypeId::kBoolean, depth - 1)});
      case 3: {
        BoundExpr e = Node(BoundKind::kIsNull, Type::Boolean(), {Expr(AnyType(), depth - 1)});
        e.negated = Chance(0.5);
        return e;
      }
      case 4: {
        TypeId t = AnyType();
        std::vector<BoundExpr> args = {Expr(t, depth - 1)};
        int n = Uniform(1, 3);
        for (int i = 0; i < n; ++i)
          args.push_back(Expr(t, depth - 2));
        BoundExpr e = Node(BoundKind::kIn, Type::Boolean(), std::move(args));
        e.negated = Chance(0.4);
        return e;
      }
      case 5: {
        BoundExpr pattern = Chance(0.6) ? Text(Pick(kLikePatterns)) : Column(6);
        return Call(Chance(0.7) ? Func::kLike : Func::kILike, Type::Boolean(),
                    {Expr(TypeId::kText, depth - 1), std::move(pattern)});
      }
      case 6:
        if (Chance(0.7))
          return Cast(Chance(0.5) ? Column(7) : Expr(TypeId::kText, depth - 1), Type::Boolean());
        return Cast(Expr(TypeId::kBigint, depth - 1), Type::Boolean());
      default:
        return Generic(TypeId::kBoolean, depth);
    }
  }

  BoundExpr Arithmetic(TypeId t, int depth) {
    static const Func kOps[] = {Func::kAdd, Func::kSubtract, Func::kMultiply, Func::kDivide,
                                Func::kModulo};
    Func f = kOps[Uniform(0, 4)];
    BoundExpr a = Expr(t, depth - 1);
    BoundExpr b = Expr(t, depth - 1);
    Type result = a.type;
    if (t == TypeId::kNumeric) {
      NumericType na = a.type.numeric;
      NumericType nb = b.type.numeric;
      NumericType r = f == Func::kMultiply ? NumericMulResultType(na, nb)
                      : f == Func::kDivide ? NumericDivResultType(na, nb)
                                           : NumericAddResultType(na, nb);
      result = Type::Numeric(r.precision, r.scale);
    }
    return Call(f, result, {std::move(a), std::move(b)});
  }

  BoundExpr Unary(TypeId t, int depth) {
    BoundExpr a = Expr(t, depth - 1);
    Type type = a.type;
    return Call(Chance(0.5) ? Func::kNegate : Func::kAbs, type, {std::move(a)});
  }

  BoundExpr BigintExpr(int depth) {
    switch (Uniform(0, 4)) {
      case 0:
      case 1:
        return Arithmetic(TypeId::kBigint, depth);
      case 2:
        return Unary(TypeId::kBigint, depth);
      case 3:
        return Call(Func::kLength, Type::Bigint(), {Expr(TypeId::kText, depth - 1)});
      default: {
        static const TypeId kFrom[] = {TypeId::kNumeric, TypeId::kDouble, TypeId::kText,
                                       TypeId::kBoolean};
        TypeId from = kFrom[Uniform(0, 3)];
        if (from == TypeId::kText && Chance(0.6)) return Cast(Column(7), Type::Bigint());
        return Cast(Expr(from, depth - 1), Type::Bigint());
      }
    }
  }

  BoundExpr DoubleExpr(int depth) {
    switch (Uniform(0, 4)) {
      case 0:
      case 1:
        return Arithmetic(TypeId::kDouble, depth);
      case 2:
        return Unary(TypeId::kDouble, depth);
      case 3:
        return Call(Func::kRound, Type::Double(), {Expr(TypeId::kDouble, depth - 1)});
      default: {
        static const TypeId kFrom[] = {TypeId::kBigint, TypeId::kNumeric, TypeId::kText};
        TypeId from = kFrom[Uniform(0, 2)];
        if (from == TypeId::kText && Chance(0.6)) return Cast(Column(7), Type::Double());
        return Cast(Expr(from, depth - 1), Type::Double());
      }
    }
  }

  BoundExpr NumericExpr(int depth) {
    switch (Uniform(0, 6)) {
      case 0:
      case 1:
        return Arithmetic(TypeId::kNumeric, depth);
      case 2:
        return Unary(TypeId::kNumeric, depth);
      case 3: {
        BoundExpr a = Expr(TypeId::kNumeric, depth - 1);
        int scale = Uniform(0, a.type.numeric.scale);
        Type t = Type::Numeric(Uniform(std::max(scale, 1), 38), scale);
        if (Chance(0.3)) return Call(Func::kRound, t, {std::move(a)});
        BoundExpr digits = Chance(0.5) ? Leaf(TypeId::kBigint)
                                       : Literal(Value::Int64(Uniform(-4, 4)), Type::Bigint());
        return Call(Func::kRound, t, {std::move(a), std::move(digits)});
      }
      case 4: {
        bool date = Chance(0.3);
        if (date) {
          return Call(Func::kExtract, Type::Numeric(38, Uniform(0, 2)),
                      {Text(Pick(kDateFields)), Expr(TypeId::kDate, depth - 1)});
        }
        std::string field = Pick(kTimestampFields);
        int scale = ExtractScale(*ParseDateField(field));
        return Call(Func::kExtract, Type::Numeric(Chance(0.8) ? 38 : 12, scale),
                    {Text(field), Expr(TypeId::kTimestamp, depth - 1)});
      }
      default: {
        static const TypeId kFrom[] = {TypeId::kBigint, TypeId::kDouble, TypeId::kText,
                                       TypeId::kNumeric};
        TypeId from = kFrom[Uniform(0, 3)];
        if (from == TypeId::kText && Chance(0.6)) return Cast(Column(7), RandomNumericType());
        return Cast(Expr(from, depth - 1), RandomNumericType());
      }
    }
  }

  BoundExpr TextExpr(int depth) {
    switch (Uniform(0, 8)) {
      case 0:
        return Call(Func::kConcat, Type::Text(),
                    {Expr(TypeId::kText, depth - 1), Expr(TypeId::kText, depth - 1)});
      case 1: {
        std::vector<BoundExpr> args;
        int n = Uniform(1, 3);
        for (int i = 0; i < n; ++i)
          args.push_back(Expr(TypeId::kText, depth - 1));
        return Call(Func::kConcatFunction, Type::Text(), std::move(args));
      }
      case 2:
        return Call(Chance(0.5) ? Func::kLower : Func::kUpper, Type::Text(),
                    {Expr(TypeId::kText, depth - 1)});
      case 3: {
        static const Func kTrims[] = {Func::kBtrim, Func::kLtrim, Func::kRtrim};
        static const std::vector<std::string> kSets = {" ", "a", "é", "aé", "", "xyz", "€ "};
        std::vector<BoundExpr> args = {Expr(TypeId::kText, depth - 1)};
        if (Chance(0.6)) args.push_back(Chance(0.7) ? Text(Pick(kSets)) : Column(6));
        return Call(kTrims[Uniform(0, 2)], Type::Text(), std::move(args));
      }
      case 4: {
        std::vector<BoundExpr> args = {Expr(TypeId::kText, depth - 1), Leaf(TypeId::kBigint)};
        if (Chance(0.6)) args.push_back(Leaf(TypeId::kBigint));
        return Call(Func::kSubstring, Type::Text(), std::move(args));
      }
      case 5: {
        std::vector<BoundExpr> args = {Expr(TypeId::kText, depth - 1), Text(Pick(kRegexps)),
                                       Text(Pick(kReplacements))};
        if (Chance(0.6)) args.push_back(Text(Pick(kFlags)));
        return Call(Func::kRegexpReplace, Type::Text(), std::move(args));
      }
      case 6:
      case 7:
        return Cast(Expr(AnyType(), depth - 1), Type::Text());
      default:
        return Generic(TypeId::kText, depth);
    }
  }

  BoundExpr TimestampExpr(int depth) {
    switch (Uniform(0, 3)) {
      case 0:
      case 1:
        return Call(Func::kDateTrunc, Type::Timestamp(),
                    {Text(Pick(kUnits)),
                     Expr(Chance(0.7) ? TypeId::kTimestamp : TypeId::kDate, depth - 1)});
      case 2:
        return Cast(Expr(TypeId::kDate, depth - 1), Type::Timestamp());
      default:
        return Cast(Chance(0.7) ? Column(7) : Expr(TypeId::kText, depth - 1), Type::Timestamp());
    }
  }

  BoundExpr DateExpr(int depth) {
    if (Chance(0.6)) return Cast(Expr(TypeId::kTimestamp, depth - 1), Type::Date());
    return Cast(Chance(0.7) ? Column(7) : Expr(TypeId::kText, depth - 1), Type::Date());
  }

  std::mt19937_64 rng_;
  int id_ = 0;
};

// A readable form of an expression for failure messages.
std::string Describe(const BoundExpr& e) {
  std::string s;
  switch (e.kind) {
    case BoundKind::kColumn:
      return "$" + std::to_string(e.column);
    case BoundKind::kLiteral: {
      std::string v = e.literal.ToString(e.type);
      return e.type.id == TypeId::kText && !e.literal.is_null() ? "'" + v + "'"
                                                                : v + "::" + e.type.ToString();
    }
    case BoundKind::kCall:
      s = "call" + std::to_string(static_cast<int>(e.func));
      break;
    case BoundKind::kCast:
      s = "cast";
      break;
    case BoundKind::kAnd:
      s = "and";
      break;
    case BoundKind::kOr:
      s = "or";
      break;
    case BoundKind::kNot:
      s = "not";
      break;
    case BoundKind::kIsNull:
      s = e.negated ? "isnotnull" : "isnull";
      break;
    case BoundKind::kIn:
      s = e.negated ? "notin" : "in";
      break;
    case BoundKind::kCase:
      s = e.has_else ? "case_else" : "case";
      break;
    case BoundKind::kCoalesce:
      s = "coalesce";
      break;
  }
  s += "@" + LocationOf(e) + "<" + e.type.ToString() + ">(";
  for (size_t i = 0; i < e.children.size(); ++i) {
    s += (i > 0 ? ", " : "") + Describe(e.children[i]);
  }
  return s + ")";
}

std::string ShowRef(const Ref& r, const Type& t) {
  return r.error.empty() ? r.v.ToString(t) : "error at " + r.error;
}

// "1:23" from "1:23: division by zero".
std::string ErrorLocation(const std::string& message) {
  size_t first = message.find(':');
  size_t second = message.find(':', first + 1);
  return message.substr(0, second);
}

// Evaluates e over `batch` and returns, per row, the value or the failing location.
std::vector<Ref> Vectorized(const CompiledExpression& c, const Batch& batch) {
  Column out(c.type());
  RowErrors errors;
  Status st = c.Evaluate(batch, &out, &errors);
  EXPECT_TRUE(st.ok()) << st.ToString();
  std::vector<Ref> rows(batch.num_rows());
  for (size_t r = 0; r < rows.size() && r < out.size(); ++r)
    rows[r].v = out.GetValue(r);
  for (const RowError& e : errors) {
    EXPECT_TRUE(out.is_null(e.row));
    rows[e.row].error = ErrorLocation(e.message);
  }
  return rows;
}

Batch RowOf(const Batch& batch, size_t row) {
  Batch one;
  for (const Column& c : batch.columns)
    one.columns.emplace_back(c.type());
  one.AppendRow(batch, row, 1);
  return one;
}

TEST(ExpressionDifferentialTest, MatchesRowAtATimeReference) {
  constexpr int kBatches = 150;
  constexpr int kExpressionsPerBatch = 60;
  constexpr size_t kRows = 40;
  Generator gen(20261122);
  int expressions = 0;
  int failures = 0;
  std::map<std::string, int> outcomes;
  for (int b = 0; b < kBatches && failures < 5; ++b) {
    Batch batch = gen.MakeBatch(kRows);
    std::vector<Row> rows;
    for (size_t r = 0; r < kRows; ++r)
      rows.push_back(batch.Row(r));
    for (int k = 0; k < kExpressionsPerBatch && failures < 5; ++k) {
      gen.Reset();
      BoundExpr e = gen.Expr(gen.AnyType(), 1 + k % 4);
      Result<CompiledExpression> compiled = CompiledExpression::Compile(e);
      ASSERT_TRUE(compiled.ok()) << compiled.status().ToString() << "\n" << Describe(e);
      std::vector<Ref> got = Vectorized(*compiled, batch);
      ++expressions;
      for (size_t r = 0; r < kRows; ++r) {
        Ref want = Eval(e, rows[r]);
        if (e.type.id == TypeId::kDouble && !want.v.is_null() && std::isnan(want.v.as_double())) {
          want.v = Value::Double(std::numeric_limits<double>::quiet_NaN());  // one NaN
        }
        bool same =
            want.error == got[r].error && (!want.error.empty() || Compare(want.v, got[r].v) == 0);
        ++outcomes[!want.error.empty() ? "error" : (want.v.is_null() ? "null" : "value")];
        if (!same) {
          ADD_FAILURE() << "row " << r << ": reference " << ShowRef(want, e.type) << ", evaluator "
                        << ShowRef(got[r], e.type) << "\n"
                        << Describe(e);
          ++failures;
          break;
        }
      }
      // Batch boundaries must not matter: every 8th expression again, one row at a time.
      for (size_t r = 0; k % 8 == 0 && r < kRows; r += 5) {
        Ref single = Vectorized(*compiled, RowOf(batch, r))[0];
        EXPECT_EQ(ShowRef(single, e.type), ShowRef(got[r], e.type)) << Describe(e);
      }
    }
  }
  EXPECT_GE(expressions, 5000);
  // The generator must exercise all three outcomes substantially.
  EXPECT_GT(outcomes["error"], 5000);
  EXPECT_GT(outcomes["null"], 20000);
  EXPECT_GT(outcomes["value"], 50000);
  std::printf("%d expressions; rows: %d values, %d NULLs, %d errors\n", expressions,
              outcomes["value"], outcomes["null"], outcomes["error"]);
}

}  // namespace
}  // namespace strata::exec
