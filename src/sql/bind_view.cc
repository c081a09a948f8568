// CREATE MATERIALIZED VIEW gold.x WITH (...) AS SELECT ... FROM silver.y: options, grouping
// and outputs.
#include "sql/bind_select.h"
#include "sql/binder.h"
#include "sql/pipeline_binder.h"

namespace strata::sql::internal {

Status PipelineBinder::BindView(const CreateMaterializedView& view, SourceLocation at) {
  GoldView gold;
  gold.name = ToString(view.view);
  gold.defined_at = at;
  RETURN_IF_ERROR(BindViewOptions(view, &gold));
  const Select& select = view.select;
  RETURN_IF_ERROR(RejectClauses(select, "a materialized view yet", view.view.location, true));
  ASSIGN_OR_RETURN(const Declared* source, ResolveSource(select.from, Layer::kSilver, gold.name));
  const SilverTable& silver = pipeline_.silver[source->index];
  gold.source = silver.name;
  gold.sql = NormalizedSelect(select);
  bool aggregates = false;
  for (const SelectItem& item : select.items)
    aggregates = aggregates || FindAggregate(*item.expr) != nullptr;
  if (select.group_by.empty() && !aggregates) {
    return errors_.At(view.view.location,
                      gold.name +
                          " must aggregate (GROUP BY or an aggregate function such as "
                          "count(*)): a gold view is keyed by its groups");
  }
  RETURN_IF_ERROR(BindViewSelect(select, silver, &gold));
  pipeline_.gold.push_back(std::move(gold));
  return Status::OK();
}

Status PipelineBinder::BindViewOptions(const CreateMaterializedView& view, GoldView* gold) {
  ASSIGN_OR_RETURN(
      Options options,
      Options::Read(view.options, {"layer", "owner", "freshness", "serving", "batch_every"},
                    "a gold view", errors_));
  RETURN_IF_ERROR(CheckLayerOption(options, gold->name));
  if (const Option* o = options.Get("owner")) gold->owner = o->value;
  if (const Option* o = options.Get("freshness")) {
    Result<Micros> d = ParseDurationOption(o->value);
    if (!d.ok()) return errors_.At(o->location, "freshness: " + d.status().message());
    gold->freshness = *d;
  }
  if (const Option* o = options.Get("serving")) {
    ASSIGN_OR_RETURN(size_t i, Choose(*o, {"kappa", "lambda"}, errors_));
    gold->serving = i == 0 ? Serving::kKappa : Serving::kLambda;
  }
  const Option* batch_every = options.Get("batch_every");
  if (gold->serving == Serving::kLambda && batch_every == nullptr) {
    return errors_.At(options.Get("serving")->location,
                      "serving = 'lambda' needs batch_every (how often the batch view is "
                      "recomputed), e.g. batch_every = '1 hour'");
  }
  if (gold->serving == Serving::kKappa && batch_every != nullptr) {
    return errors_.At(batch_every->location,
                      "batch_every applies only to serving = 'lambda' (a kappa view has no batch "
                      "path)");
  }
  if (batch_every != nullptr) {
    Result<Micros> d = ParseDurationOption(batch_every->value);
    if (!d.ok()) return errors_.At(batch_every->location, "batch_every: " + d.status().message());
    gold->batch_every = *d;
  }
  return Status::OK();
}

Status PipelineBinder::BindViewSelect(const Select& select, const SilverTable& silver,
                                      GoldView* gold) {
  Scope scope = MakeScope(select.from, silver.name, &silver.columns);
  ExprBinder input(errors_, scope, BindOptions{"WHERE", true});
  ASSIGN_OR_RETURN(ExpandedItems items, ExpandItems(select.items, input, scope));
  if (select.where) {
    ASSIGN_OR_RETURN(BoundExpr w, input.BindCondition(*select.where, "WHERE"));
    gold->where = std::move(w);
  }
  Grouping grouping(errors_, scope, true);
  RETURN_IF_ERROR(BindGroupBy(select, items.outputs, errors_, true, &grouping));
  ExprBinder output(errors_, scope, BindOptions{"the select list", true}, &grouping);
  for (size_t i = 0; i < items.outputs.size(); ++i) {
    const SelectOutput& o = items.outputs[i];
    if (o.name == kUnnamed) {
      return errors_.At(o.expr->location, "output column " + std::to_string(i + 1) + " of " +
                                              gold->name + " needs a name: add AS <name>");
    }
    for (const OutputColumn& other : gold->outputs) {
      if (other.name == o.name) {
        return errors_.At(o.expr->location, "column " + Quoted(o.name) +
                                                " specified more than once in " + gold->name +
                                                " (rename one with AS)");
      }
    }
    ASSIGN_OR_RETURN(BoundExpr e, output.Bind(*o.expr));
    Type type = e.type;
    gold->outputs.push_back(OutputColumn{o.name, std::move(e), type});
    gold->columns.push_back(ColumnSchema{o.name, type, false});
  }
  gold->group_keys = std::move(grouping.keys());
  gold->aggregates = std::move(grouping.aggregates());
  return Status::OK();
}

}  // namespace strata::sql::internal
