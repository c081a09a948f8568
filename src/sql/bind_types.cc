#include "sql/bind_types.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>

#include "common/datetime.h"
#include "common/numeric.h"

namespace strata::sql::internal {
namespace {

std::string_view Trim(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; };
  while (!s.empty() && space(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && space(s.back()))
    s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

Status InvalidSyntax(std::string_view type, std::string_view text) {
  return Status::InvalidArgument("invalid input syntax for type " + std::string(type) + ": " +
                                 Quoted(text));
}

int DecimalDigits(unsigned __int128 v) {
  int digits = 0;
  while (v != 0) {
    v /= 10;
    ++digits;
  }
  return digits;
}

unsigned __int128 Magnitude(Int128 v) {
  return v < 0 ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(v)
               : static_cast<unsigned __int128>(v);
}

Result<bool> ParseBool(std::string_view text) {
  std::string s = Lower(Trim(text));
  for (std::string_view t : {"t", "true", "y", "yes", "on", "1"}) {
    if (s == t) return true;
  }
  for (std::string_view f : {"f", "false", "n", "no", "off", "0"}) {
    if (s == f) return false;
  }
  return InvalidSyntax("boolean", text);
}

Result<int64_t> ParseBigint(std::string_view text) {
  std::string_view s = Trim(text);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec == std::errc::result_out_of_range) {
    return Status::InvalidArgument("value " + Quoted(text) + " is out of range for type bigint");
  }
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) {
    return InvalidSyntax("bigint", text);
  }
  return v;
}

Result<double> ParseDouble(std::string_view text) {
  std::string s = Lower(Trim(text));
  bool negative = !s.empty() && s.front() == '-';
  std::string_view body = s;
  if (!body.empty() && (body.front() == '+' || body.front() == '-')) body.remove_prefix(1);
  if (body == "infinity" || body == "inf") {
    double inf = std::numeric_limits<double>::infinity();
    return negative ? -inf : inf;
  }
  if (body == "nan" && s == body) return std::numeric_limits<double>::quiet_NaN();
  std::string_view digits = s;
  if (!digits.empty() && digits.front() == '+') digits.remove_prefix(1);
  double v = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec == std::errc::result_out_of_range) {
    return Status::InvalidArgument(Quoted(text) + " is out of range for type double precision");
  }
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return InvalidSyntax("double precision", text);
  }
  return v;
}

// A decimal number's own scale: the digits after its point, less its exponent. False when
// the text is not [+-]digits[.digits][e[+-]digits].
bool NaturalScale(std::string_view s, int64_t* scale) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  int64_t integer = 0, fraction = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    ++i;
    ++integer;
  }
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      ++i;
      ++fraction;
    }
  }
  if (integer + fraction == 0) return false;
  int64_t exponent = 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool negative = i < s.size() && s[i] == '-';
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (exponent < 100000) exponent = exponent * 10 + (s[i] - '0');
      ++i;
    }
    if (i == start) return false;
    if (negative) exponent = -exponent;
  }
  if (i != s.size()) return false;
  *scale = std::max<int64_t>(0, fraction - exponent);
  return true;
}

// A decimal constant at its own precision and scale.
Result<BoundExpr> NaturalNumeric(std::string_view text, SourceLocation at,
                                 const ErrorSink& errors) {
  std::string_view s = Trim(text);
  int64_t scale = 0;
  if (!NaturalScale(s, &scale)) return errors.At(at, InvalidSyntax("numeric", text));
  std::string range = "numeric constant " + std::string(s) +
                      " is out of range: strata's numeric holds at most 38 digits";
  if (scale > kNumericMaxPrecision) return errors.At(at, range);
  Result<Int128> v = Numeric::Parse(s, kNumericMaxPrecision, static_cast<int>(scale));
  if (!v.ok()) return errors.At(at, range);
  int digits = DecimalDigits(Magnitude(*v));
  int precision = std::max({digits, static_cast<int>(scale), 1});
  if (precision > kNumericMaxPrecision) return errors.At(at, range);
  return MakeLiteral(Value::Int128(*v), Type::Numeric(precision, static_cast<int>(scale)), at);
}

constexpr std::string_view kSupportedTypes =
    "strata's types are boolean, bigint, double precision, numeric(p,s), text, timestamp and "
    "date";

Result<Value> FoldCast(const Value& v, const Type& from, const Type& to) {
  TypeId a = from.id, b = to.id;
  if (a == TypeId::kBigint && b == TypeId::kNumeric) {
    ASSIGN_OR_RETURN(Int128 n,
                     Numeric::FromInt64(v.as_int64(), to.numeric.precision, to.numeric.scale));
    return Value::Int128(n);
  }
  if (a == TypeId::kBigint && b == TypeId::kDouble) {
    return Value::Double(static_cast<double>(v.as_int64()));
  }
  if (a == TypeId::kNumeric && b == TypeId::kNumeric) {
    ASSIGN_OR_RETURN(Int128 n,
                     Numeric::Rescale(v.as_int128(), from.numeric.scale, to.numeric.scale));
    RETURN_IF_ERROR(Numeric::CheckPrecision(n, to.numeric.precision, to.numeric.scale));
    return Value::Int128(n);
  }
  if (a == TypeId::kNumeric && b == TypeId::kDouble) {
    return Value::Double(Numeric::ToDouble(v.as_int128(), from.numeric.scale));
  }
  if (a == TypeId::kDate && b == TypeId::kTimestamp) {
    ASSIGN_OR_RETURN(Micros ts, DateToTimestamp(v.as_int32()));
    return Value::Int64(ts);
  }
  return Status::NotFound("");  // not folded: cast at run time
}

}  // namespace

Status ErrorSink::At(SourceLocation at, std::string_view message) const {
  if (at.line == 0) return Status::InvalidArgument(file_ + ": " + std::string(message));
  return Status::InvalidArgument(file_ + ":" + std::to_string(at.line) + ":" +
                                 std::to_string(at.column) + ": " + std::string(message));
}

Result<WrittenType> ResolveTypeName(const TypeName& name, const ErrorSink& errors) {
  const std::string& n = name.name;
  const auto& mods = name.modifiers;
  SourceLocation at = name.location;
  std::string written = ToString(name);
  if (n == "numeric") {
    if (mods.empty()) return WrittenType{Type::Numeric(kNumericMaxPrecision, 0), true};
    if (mods.size() > 2) return errors.At(at, "numeric takes a precision and a scale");
    Result<NumericType> t = NumericType::Make(mods[0], mods.size() == 2 ? mods[1] : 0);
    if (!t.ok()) return errors.At(at, t.status());
    return WrittenType{Type::Numeric(t->precision, t->scale)};
  }
  if (n == "text" && !mods.empty()) {
    return errors.At(at, "type " + written +
                             " is not supported: use text (a CHECK (length(column) <= n) "
                             "enforces a length)");
  }
  if (n == "timestamptz") {
    return errors.At(at,
                     "type timestamp with time zone is not supported: strata's timestamp is "
                     "UTC (offsets in input are converted); use timestamp");
  }
  if (!mods.empty() && n != "double") {
    return errors.At(at,
                     "type " + written + " is not supported: write " + n + " without modifiers");
  }
  if (n == "boolean") return WrittenType{Type::Boolean()};
  if (n == "bigint") return WrittenType{Type::Bigint()};
  if (n == "double") return WrittenType{Type::Double()};
  if (n == "text") return WrittenType{Type::Text()};
  if (n == "timestamp") return WrittenType{Type::Timestamp()};
  if (n == "date") return WrittenType{Type::Date()};
  if (n == "interval") {
    return errors.At(at,
                     "type interval is not supported yet (date/time arithmetic is out of "
                     "scope)");
  }
  return errors.At(at, "type " + written + " is not supported: " + std::string(kSupportedTypes));
}

Result<Type> ResolveColumnType(const TypeName& name, const ErrorSink& errors) {
  ASSIGN_OR_RETURN(WrittenType t, ResolveTypeName(name, errors));
  if (t.bare_numeric) {
    return errors.At(name.location,
                     "numeric needs a precision and scale here, e.g. numeric(18,2): strata's "
                     "numeric is exact fixed point");
  }
  return t.type;
}

BoundExpr MakeLiteral(Value value, Type type, SourceLocation at) {
  BoundExpr e;
  e.kind = BoundKind::kLiteral;
  e.type = type;
  e.literal = std::move(value);
  e.location = at;
  return e;
}

BoundExpr MakeColumn(int index, Type type, SourceLocation at) {
  BoundExpr e;
  e.kind = BoundKind::kColumn;
  e.type = type;
  e.column = index;
  e.location = at;
  return e;
}

BoundExpr MakeNode(BoundKind kind, Type type, std::vector<BoundExpr> children, SourceLocation at) {
  BoundExpr e;
  e.kind = kind;
  e.type = type;
  e.children = std::move(children);
  e.location = at;
  return e;
}

BoundExpr MakeCall(Func func, Type type, std::vector<BoundExpr> children, SourceLocation at) {
  BoundExpr e = MakeNode(BoundKind::kCall, type, std::move(children), at);
  e.func = func;
  return e;
}

Result<BoundExpr> NumberLiteral(std::string_view text, bool integer, SourceLocation at,
                                const ErrorSink& errors) {
  if (integer) {
    Result<int64_t> v = ParseBigint(text);
    if (v.ok()) return MakeLiteral(Value::Int64(*v), Type::Bigint(), at);
  }
  return NaturalNumeric(text, at, errors);
}

Result<BoundExpr> ReadLiteral(std::string_view text, WrittenType type, SourceLocation at,
                              const ErrorSink& errors) {
  const Type& t = type.type;
  auto make = [&](const auto& result, auto to_value) -> Result<BoundExpr> {
    if (!result.ok()) return errors.At(at, result.status());
    return MakeLiteral(to_value(*result), t, at);
  };
  switch (t.id) {
    case TypeId::kBoolean:
      return make(ParseBool(text), Value::Bool);
    case TypeId::kBigint:
      return make(ParseBigint(text), Value::Int64);
    case TypeId::kDouble:
      return make(ParseDouble(text), Value::Double);
    case TypeId::kNumeric:
      if (type.bare_numeric) return NaturalNumeric(text, at, errors);
      return make(Numeric::Parse(text, t.numeric.precision, t.numeric.scale), Value::Int128);
    case TypeId::kText:
      return MakeLiteral(Value::String(std::string(text)), t, at);
    case TypeId::kTimestamp:
      return make(ParseSqlTimestamp(text), Value::Int64);
    case TypeId::kDate:
      return make(ParseDate(text), Value::Int32);
  }
  return errors.At(at, "unexpected type");
}

bool IsNumber(TypeId id) {
  return id == TypeId::kBigint || id == TypeId::kNumeric || id == TypeId::kDouble;
}

bool CanCast(const Type& from, const Type& to, CastKind kind) {
  TypeId a = from.id, b = to.id;
  if (a == b) return true;
  bool implicit = (a == TypeId::kBigint && (b == TypeId::kNumeric || b == TypeId::kDouble)) ||
                  (a == TypeId::kNumeric && b == TypeId::kDouble) ||
                  (a == TypeId::kDate && b == TypeId::kTimestamp);
  if (implicit) return true;
  if (kind == CastKind::kImplicit) return false;
  bool assignment = (IsNumber(a) && IsNumber(b)) ||
                    (a == TypeId::kTimestamp && b == TypeId::kDate) || b == TypeId::kText;
  if (assignment) return true;
  if (kind == CastKind::kAssignment) return false;
  return a == TypeId::kText || (a == TypeId::kBigint && b == TypeId::kBoolean) ||
         (a == TypeId::kBoolean && b == TypeId::kBigint);
}

Result<BoundExpr> CastTo(BoundExpr expr, const Type& to, const ErrorSink& errors) {
  if (expr.type == to) return expr;
  if (expr.kind == BoundKind::kLiteral) {
    if (expr.literal.is_null()) return MakeLiteral(Value::Null(), to, expr.location);
    Result<Value> folded = FoldCast(expr.literal, expr.type, to);
    if (folded.ok()) return MakeLiteral(*folded, to, expr.location);
    if (!folded.status().IsNotFound()) return errors.At(expr.location, folded.status());
  }
  SourceLocation at = expr.location;
  std::vector<BoundExpr> children;
  children.push_back(std::move(expr));
  return MakeNode(BoundKind::kCast, to, std::move(children), at);
}

std::optional<TypeId> CommonKind(TypeId a, TypeId b) {
  if (a == b) return a;
  if (IsNumber(a) && IsNumber(b)) {
    auto rank = [](TypeId t) { return t == TypeId::kBigint ? 0 : t == TypeId::kNumeric ? 1 : 2; };
    return rank(a) > rank(b) ? a : b;
  }
  if ((a == TypeId::kDate && b == TypeId::kTimestamp) ||
      (a == TypeId::kTimestamp && b == TypeId::kDate)) {
    return TypeId::kTimestamp;
  }
  return std::nullopt;
}

Type PromotedType(const BoundExpr& expr, TypeId id) {
  if (expr.type.id == id) return expr.type;
  switch (id) {
    case TypeId::kNumeric:
      STRATA_ASSERT(expr.type.id == TypeId::kBigint);
      if (expr.kind == BoundKind::kLiteral && !expr.literal.is_null()) {
        int digits = DecimalDigits(Magnitude(expr.literal.as_int64()));
        return Type::Numeric(std::max(digits, 1), 0);
      }
      return Type::Numeric(19, 0);
    case TypeId::kDouble:
      return Type::Double();
    case TypeId::kTimestamp:
      return Type::Timestamp();
    default:
      STRATA_ASSERT(false);
      return expr.type;
  }
}

NumericType NumericUnion(NumericType a, NumericType b) {
  int scale = std::max(a.scale, b.scale);
  int integer = std::max(a.precision - a.scale, b.precision - b.scale);
  return {std::min(kNumericMaxPrecision, integer + scale), scale};
}

}  // namespace strata::sql::internal
