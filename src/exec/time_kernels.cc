// date_trunc(unit, timestamp|date) → timestamp and extract(field, timestamp|date) →
// numeric, on common/datetime.h. A literal unit or field is parsed once when the
// expression is compiled (an unknown one is a compile error); otherwise on every row.
#include <type_traits>

#include "common/datetime.h"
#include "common/numeric.h"
#include "exec/kernel.h"

namespace strata::exec::internal {
namespace {

using Text = std::string_view;

// The unit or field of a row: the prepared literal, or parsed from the row's text.
template <typename Enum, typename Parse>
bool CodeOf(const Node& node, Text text, Parse parse, const Failer& f, size_t row, Enum* out) {
  if (node.code >= 0) {
    *out = static_cast<Enum>(node.code);
    return true;
  }
  return f.Take(row, parse(text), out);
}

// T is int64_t for timestamps, int32_t for dates.
template <typename T>
void DateTruncKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                     Column* out) {
  Failer f{node, ctx};
  MapBinary<Text, T, int64_t>(args[0], args[1], mask, ctx->rows(), out,
                              [&](Text unit_text, T v, size_t row, int64_t* r) {
                                DateUnit unit;
                                if (!CodeOf(node, unit_text, ParseDateUnit, f, row, &unit)) {
                                  return false;
                                }
                                Micros ts = v;
                                if constexpr (std::is_same_v<T, int32_t>) {
                                  if (!f.Take(row, DateToTimestamp(v), &ts)) return false;
                                }
                                return f.Take(row, DateTrunc(unit, ts), r);
                              });
}

template <typename T>
void ExtractKernel(const Node& node, const Args& args, const uint8_t* mask, EvalContext* ctx,
                   Column* out) {
  Failer f{node, ctx};
  const NumericType& type = node.type.numeric;
  MapBinary<Text, T, Int128>(
      args[0], args[1], mask, ctx->rows(), out, [&](Text field_text, T v, size_t row, Int128* r) {
        DateField field;
        if (!CodeOf(node, field_text, ParseDateField, f, row, &field)) return false;
        int64_t value;
        int scale = 0;
        if constexpr (std::is_same_v<T, int32_t>) {
          if (!f.Take(row, ExtractDate(field, v), &value)) return false;
        } else {
          value = Extract(field, v);
          scale = ExtractScale(field);
        }
        return f.Take(row, Numeric::Rescale(value, scale, type.scale), r) &&
               f.Check(row, Numeric::CheckPrecision(*r, type.precision, type.scale));
      });
}

}  // namespace

Status PrepareTime(Node* n) {
  bool trunc = n->func == sql::Func::kDateTrunc;
  bool ok = n->children.size() == 2 && n->arg_type(0).id == TypeId::kText &&
            (n->arg_type(1).id == TypeId::kTimestamp || n->arg_type(1).id == TypeId::kDate) &&
            n->type.id == (trunc ? TypeId::kTimestamp : TypeId::kNumeric);
  if (!ok) {
    return Unsupported(*n, trunc ? "expected date_trunc(text, timestamp|date) returning timestamp"
                                 : "expected extract(text, timestamp|date) returning numeric");
  }
  bool date = n->arg_type(1).id == TypeId::kDate;
  if (trunc) {
    n->kernel = date ? &DateTruncKernel<int32_t> : &DateTruncKernel<int64_t>;
  } else {
    n->kernel = date ? &ExtractKernel<int32_t> : &ExtractKernel<int64_t>;
  }
  if (!n->literal_arg(0) || n->children[0].literal.is_null()) return Status::OK();
  const std::string& name = n->children[0].literal.as_string();
  if (trunc) {
    Result<DateUnit> unit = ParseDateUnit(name);
    if (!unit.ok()) return Status::InvalidArgument(n->where + unit.status().message());
    n->code = static_cast<int>(*unit);
    return Status::OK();
  }
  Result<DateField> field = ParseDateField(name);
  if (!field.ok()) return Status::InvalidArgument(n->where + field.status().message());
  if (date) {
    Result<int64_t> probe = ExtractDate(*field, 0);  // time-of-day fields fail for dates
    if (!probe.ok()) return Status::InvalidArgument(n->where + probe.status().message());
  }
  n->code = static_cast<int>(*field);
  return Status::OK();
}

}  // namespace strata::exec::internal
