// Grouping: the group keys and aggregates of a SELECT, which form its aggregate row.
#include <algorithm>

#include "sql/expr_binder.h"

namespace strata::sql::internal {

int Grouping::AddKey(BoundExpr key, const Expr& source) {
  int found = FindKey(key);
  if (found >= 0) return found;
  STRATA_ASSERT(aggregates_.empty());
  keys_.push_back(std::move(key));
  key_sizes_.push_back(NodeCount(source));
  return static_cast<int>(keys_.size()) - 1;
}

bool Grouping::MayBeKey(size_t size) const {
  return std::find(key_sizes_.begin(), key_sizes_.end(), size) != key_sizes_.end();
}

int Grouping::FindKey(const BoundExpr& expr) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (SameExpr(keys_[i], expr)) return static_cast<int>(i);
  }
  return -1;
}

Result<BoundExpr> Grouping::BindAggregate(const Expr& call) {
  const std::string& name = call.name;
  BoundAggregate agg;
  agg.location = call.location;
  agg.distinct = call.distinct;
  if (call.star) {
    if (name != "count") {
      return errors_.At(call.location, name + "(*) does not exist: only count takes *");
    }
    agg.kind = AggregateKind::kCountStar;
    agg.type = Type::Bigint();
  } else {
    if (call.children.empty() && name == "count") {
      return errors_.At(call.location, "count() needs an argument: count(*) counts rows");
    }
    if (call.children.size() != 1) {
      return errors_.At(call.location, "function " + name + " takes exactly one argument");
    }
    BindOptions options{"", pipeline_, true};
    ExprBinder binder(errors_, input_, options);
    ASSIGN_OR_RETURN(agg.arg, binder.Bind(*call.children[0]));
    const Type& t = agg.arg.type;
    auto does_not_exist = [&]() {
      return errors_.At(call.location, "function " + name + "(" + t.ToString() +
                                           ") does not exist (" + name +
                                           " takes bigint, numeric or double precision)");
    };
    if (name == "count") {
      agg.kind = AggregateKind::kCount;
      agg.type = Type::Bigint();
    } else if (name == "sum" || name == "avg") {
      bool sum = name == "sum";
      agg.kind = sum ? AggregateKind::kSum : AggregateKind::kAvg;
      if (t.id == TypeId::kBigint) {
        agg.type = Type::Numeric(kNumericMaxPrecision, sum ? 0 : 6);
      } else if (t.id == TypeId::kNumeric) {
        int scale = sum ? t.numeric.scale : std::max(t.numeric.scale, 6);
        agg.type = Type::Numeric(kNumericMaxPrecision, scale);
      } else if (t.id == TypeId::kDouble) {
        agg.type = Type::Double();
      } else {
        return does_not_exist();
      }
    } else {
      agg.kind = name == "min" ? AggregateKind::kMin : AggregateKind::kMax;
      agg.type = t;
    }
  }
  size_t base = keys_.size();
  for (size_t i = 0; i < aggregates_.size(); ++i) {
    const BoundAggregate& other = aggregates_[i];
    if (other.kind == agg.kind && other.distinct == agg.distinct &&
        (agg.kind == AggregateKind::kCountStar || SameExpr(other.arg, agg.arg))) {
      return MakeColumn(static_cast<int>(base + i), other.type, call.location);
    }
  }
  Type type = agg.type;
  aggregates_.push_back(std::move(agg));
  return MakeColumn(static_cast<int>(base + aggregates_.size() - 1), type, call.location);
}

}  // namespace strata::sql::internal
