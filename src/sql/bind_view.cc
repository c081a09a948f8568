// CREATE MATERIALIZED VIEW gold.x WITH (...) AS SELECT ... FROM silver.y | gold.y: options,
// grouping and outputs.
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
  gold.source = ToString(select.from.table);
  gold.from_gold = source->layer == Layer::kGold;
  if (gold.from_gold) RETURN_IF_ERROR(CheckViewOfView(select, gold));
  if (select.join) RETURN_IF_ERROR(BindJoin(select, &gold));
  if (IsWindowed(select) && !gold.from_gold) {
    if (const SilverTable* joined = pipeline_.JoinedUpstream(gold.source)) {
      return errors_.At(select.group_by[0]->location,
                        "an event-time window over a join is not supported yet: " + gold.name +
                            " reads " + joined->name + ", which joins " + joined->inputs[0].source +
                            " and " + joined->inputs[0].join->right +
                            " (window a silver table fed without a join, or group by a time "
                            "column, e.g. date_trunc('hour', event_ts))");
    }
  }
  const std::vector<ColumnSchema>& columns = pipeline_.InputColumns(gold);
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
  RETURN_IF_ERROR(BindViewSelect(select, gold.source, columns, &gold));
  if (gold.join) PushDownFilters(&gold.where, &*gold.join);
  pipeline_.gold.push_back(std::move(gold));
  return Status::OK();
}

// A view of a view reads its source's changelog: every change of an hourly row (a
// retraction and the new value) is a change of the daily sum. Event-time windows need a
// watermark over records, which a view's rows are not; a view without GROUP BY answers one
// row even before it has input, which no change announces.
Status PipelineBinder::CheckViewOfView(const Select& select, const GoldView& gold) {
  const std::string reads = gold.name + " reads " + gold.source;
  if (IsWindowed(select)) {
    return errors_.At(select.from.table.location,
                      reads +
                          ", a gold view: event-time windows read a silver table; group "
                          "a view's rows by their columns (e.g. date_trunc('day', "
                          "window_start))");
  }
  const GoldView* source = pipeline_.FindGold(gold.source);
  if (source->serving != gold.serving) {
    return errors_.At(select.from.table.location,
                      reads + ", but " + gold.name + " is served by " + ServingName(gold.serving) +
                          " and " + gold.source + " by " + ServingName(source->serving) +
                          ": a view reads a view served the same way (its answers are then "
                          "computed from the answers its source serves)");
  }
  if (source->group_keys.empty()) {
    return errors_.At(select.from.table.location,
                      reads + ", which has no GROUP BY: a view reads only a grouped view");
  }
  return Status::OK();
}

Status PipelineBinder::BindViewOptions(const CreateMaterializedView& view, GoldView* gold) {
  ASSIGN_OR_RETURN(Options options, Options::Read(view.options,
                                                  {"layer", "owner", "description", "freshness",
                                                   "serving", "batch_every", "allowed_lateness"},
                                                  "a gold view", errors_));
  RETURN_IF_ERROR(CheckLayerOption(options, gold->name));
  if (const Option* o = options.Get("owner")) gold->owner = o->value;
  if (const Option* o = options.Get("description")) gold->description = o->value;
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
  if (const Option* o = options.Get("allowed_lateness")) {
    if (!IsWindowed(view.select)) {
      return errors_.At(o->location,
                        "allowed_lateness applies to a view with an event-time window (GROUP BY "
                        "tumble(...), hop(...) or session(...))");
    }
    Result<Micros> d = ParseLatenessOption(o->value);
    if (!d.ok()) return errors_.At(o->location, "allowed_lateness: " + d.status().message());
    gold->allowed_lateness = *d;
  }
  return Status::OK();
}

namespace {

bool IsWindowCall(const Expr& e) {
  return e.kind == ExprKind::kFunction &&
         (e.name == "tumble" || e.name == "hop" || e.name == "session");
}

// True when `e` reads column `first` or a later one (a window column).
bool ReadsColumnFrom(const BoundExpr& e, int first) {
  if (e.kind == BoundKind::kColumn && e.column >= first) return true;
  for (const BoundExpr& child : e.children) {
    if (ReadsColumnFrom(child, first)) return true;
  }
  return false;
}

}  // namespace

bool PipelineBinder::IsWindowed(const Select& select) {
  for (const ExprPtr& item : select.group_by) {
    if (IsWindowCall(*item)) return true;
  }
  return false;
}

Result<WindowSpec> PipelineBinder::BindWindow(const Expr& call, ExprBinder& input,
                                              int silver_columns) {
  WindowSpec w;
  const std::string& name = call.name;
  size_t durations = name == "hop" ? 2 : 1;
  const char* usage = name == "tumble" ? "tumble(<time>, '<size>')"
                      : name == "hop"  ? "hop(<time>, '<size>', '<slide>')"
                                       : "session(<time>, '<gap>')";
  if (call.children.size() != durations + 1 || call.distinct || call.star) {
    return errors_.At(call.location, std::string("expected ") + usage);
  }
  ASSIGN_OR_RETURN(w.time, input.Bind(*call.children[0]));
  if (w.time.type.id != TypeId::kTimestamp) {
    return errors_.At(call.children[0]->location,
                      name + "() needs a timestamp, not " + w.time.type.ToString());
  }
  std::vector<Micros> d;
  for (size_t i = 1; i < call.children.size(); ++i) {
    const Expr& arg = *call.children[i];
    if (arg.kind != ExprKind::kLiteral || arg.literal_kind != LiteralKind::kString) {
      return errors_.At(arg.location,
                        std::string("expected a duration literal such as '1 minute': ") + usage);
    }
    Result<Micros> v = ParseDurationOption(arg.text);
    if (!v.ok()) return errors_.At(arg.location, name + "(): " + v.status().message());
    d.push_back(*v);
  }
  if (name == "tumble") {
    w.kind = WindowKind::kTumble;
    w.size = d[0];
  } else if (name == "hop") {
    w.kind = WindowKind::kHop;
    w.size = d[0];
    w.slide = d[1];
    if (w.slide > w.size || w.size % w.slide != 0) {
      return errors_.At(call.children[2]->location,
                        "hop(): the size must be a multiple of the slide (each row then "
                        "belongs to size / slide windows)");
    }
  } else {
    w.kind = WindowKind::kSession;
    w.gap = d[0];
  }
  w.start_column = silver_columns;
  w.end_column = silver_columns + 1;
  w.sql = ToString(call);
  return w;
}

Result<std::vector<ColumnSchema>> PipelineBinder::BindViewWindow(
    const Select& select, const std::string& source, const std::vector<ColumnSchema>& columns,
    const Scope& scope, GoldView* gold, const Expr** window_item) {
  *window_item = nullptr;
  for (const ExprPtr& item : select.group_by) {
    if (!IsWindowCall(*item)) continue;
    if (*window_item != nullptr) {
      return errors_.At(item->location, "a view has at most one window in its GROUP BY");
    }
    *window_item = item.get();
  }
  std::vector<ColumnSchema> windowed = columns;
  if (*window_item == nullptr) return windowed;
  ExprBinder time(errors_, scope, BindOptions{"a window", true});
  ASSIGN_OR_RETURN(WindowSpec w, BindWindow(**window_item, time, static_cast<int>(columns.size())));
  for (const char* column : {"window_start", "window_end"}) {
    if (FindColumn(columns, column) >= 0) {
      return errors_.At((*window_item)->location,
                        source + " has a column " + Quoted(column) +
                            ", which a window's columns would hide: rename it in the silver "
                            "table");
    }
    windowed.push_back(ColumnSchema{column, w.time.type, false});
  }
  gold->window = std::move(w);
  gold->late_table = gold->name + std::string(kLateSuffix);
  return windowed;
}

Status PipelineBinder::BindViewSelect(const Select& select, const std::string& source,
                                      const std::vector<ColumnSchema>& columns, GoldView* gold) {
  auto scope_of = [&](const std::vector<ColumnSchema>* row) {
    if (!gold->join) return MakeScope(select.from, source, row);
    return MakeJoinScope(select, source, gold->join->right, row,
                         static_cast<int>(gold->join->left_columns));
  };
  Scope scope = scope_of(&columns);
  ExprBinder input(errors_, scope, BindOptions{"WHERE", true});
  // With a window, everything after WHERE reads the windowed row: the silver columns, then
  // window_start and window_end.
  const Expr* window_item = nullptr;
  ASSIGN_OR_RETURN(std::vector<ColumnSchema> windowed,
                   BindViewWindow(select, source, columns, scope, gold, &window_item));
  Scope windowed_scope = scope_of(&windowed);
  ExprBinder items_binder(errors_, windowed_scope, BindOptions{"WHERE", true});
  ASSIGN_OR_RETURN(ExpandedItems items, ExpandItems(select.items, items_binder, windowed_scope));
  if (select.where) {
    ASSIGN_OR_RETURN(BoundExpr w, input.BindCondition(*select.where, "WHERE"));
    gold->where = std::move(w);
  }
  Grouping grouping(errors_, windowed_scope, true);
  RETURN_IF_ERROR(BindGroupBy(select, items.outputs, errors_, true, &grouping, window_item));
  ExprBinder output(errors_, windowed_scope, BindOptions{"the select list", true}, &grouping);
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
  if (gold->window && gold->window->kind == WindowKind::kSession) {
    RETURN_IF_ERROR(CheckSessionGrouping(*gold, *window_item));
  }
  return Status::OK();
}

// A session depends on the other rows of its group: the session operator groups rows by
// the other keys before it assigns windows, so those keys and the aggregate arguments
// cannot read the window's columns.
Status PipelineBinder::CheckSessionGrouping(const GoldView& gold, const Expr& window_item) {
  const int first = gold.window->start_column;
  for (size_t k = 0; k < gold.group_keys.size(); ++k) {
    const BoundExpr& key = gold.group_keys[k];
    bool window_key = key.kind == BoundKind::kColumn && key.column >= first;
    if (!window_key && ReadsColumnFrom(key, first)) {
      return errors_.At(window_item.location,
                        "with session(), the other GROUP BY items cannot use window_start or "
                        "window_end");
    }
  }
  for (const BoundAggregate& a : gold.aggregates) {
    if (a.kind != AggregateKind::kCountStar && ReadsColumnFrom(a.arg, first)) {
      return errors_.At(a.location,
                        "with session(), aggregates cannot use window_start or window_end");
    }
  }
  return Status::OK();
}

}  // namespace strata::sql::internal
