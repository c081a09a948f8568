// PipelineBinder: the statements of a pipeline file → Pipeline (internal to the sql layer;
// binder.h is the entry point and states the rules). binder.cc drives it; bind_tables.cc
// binds CREATE TABLE, bind_insert.cc INSERT ... SELECT, bind_view.cc CREATE MATERIALIZED VIEW.
#pragma once

#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "sql/ast.h"
#include "sql/bind_types.h"
#include "sql/expr_binder.h"
#include "sql/plan.h"

namespace strata::sql::internal {

enum class Layer : uint8_t { kBronze, kSilver, kGold };
const char* LayerName(Layer layer);
// Moves the conditions of `where` (over the joined row of `spec`) that can run before the
// join into spec's left_filter and right_filter (bind_join.cc).
void PushDownFilters(std::optional<BoundExpr>* where, JoinSpec* spec);

inline std::string Quoted(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}
inline std::string SingleQuoted(std::string_view s) {
  return "'" + std::string(s) + "'";
}

// The WITH (...) options of one statement: only known keys, each at most once.
class Options {
 public:
  // `what` names the statement's kind in errors ("a bronze table").
  static Result<Options> Read(const std::vector<Option>& options,
                              std::initializer_list<std::string_view> known, std::string_view what,
                              const ErrorSink& errors);
  // Null when the option was not given. Points into the statement.
  const Option* Get(std::string_view key) const;

 private:
  std::vector<const Option*> options_;
};

// The index of `option`'s value in `choices`; an error listing them otherwise.
Result<size_t> Choose(const Option& option, std::initializer_list<std::string_view> choices,
                      const ErrorSink& errors);
// The index of the column `name`, or -1.
int FindColumn(const std::vector<ColumnSchema>& columns, std::string_view name);
// "<what> \"x\" is not a column of <table> (did you mean \"y\"?)" at `at`.
Status NoSuchColumn(std::string_view what, std::string_view name, std::string_view table,
                    const std::vector<ColumnSchema>& columns, SourceLocation at,
                    const ErrorSink& errors);
// "line:column".
std::string LineColumn(SourceLocation at);

class PipelineBinder {
 public:
  explicit PipelineBinder(std::string_view file) : errors_(file) {}

  // Binds every statement; call once.
  Result<Pipeline> Bind(const std::vector<Statement>& statements);

 private:
  struct Declared {
    Layer layer;
    size_t index;  // into the pipeline's vector of that layer (bronze, silver)
    SourceLocation at;
    size_t order = 0;  // its place among the declarations: a node reads only earlier ones
  };

  // binder.cc
  Result<std::string> Declare(const TableName& name, bool view, SourceLocation at);
  Status CheckLayerOption(const Options& options, std::string_view table);
  // The table `from` reads, which must be of layer `want` or a table of the reader's own
  // layer declared before the reader (a cycle or a read of a later node is an error naming
  // the place); `reader` names who reads it.
  Result<const Declared*> ResolveSource(const TableRef& from, Layer want, std::string_view reader);
  // "silver.a → silver.b → silver.a" when the statements make `from` read `to` through
  // nodes of the graph; empty otherwise.
  std::string PathBetween(const std::string& from, const std::string& to) const;
  Status RejectClauses(const Select& select, std::string_view where, SourceLocation at,
                       bool allow_grouping);
  // bind_tables.cc
  Result<std::vector<ColumnSchema>> BindColumns(const CreateTable& create);
  Status BindBronze(const CreateTable& create, std::string name, SourceLocation at);
  Status BindBronzeOptions(const Options& options, BronzeTable* table);  // after its columns
  Status BindWatermark(const Option& option, BronzeTable* table);
  Status BindSilverTable(const CreateTable& create, std::string name, SourceLocation at);
  Status BindConstraints(const CreateTable& create, SilverTable* table);
  // bind_insert.cc
  Status BindInsert(const InsertSelect& insert, SourceLocation at);
  // The index of the silver table the INSERT fills.
  Result<size_t> ResolveInsertTarget(const InsertSelect& insert, SourceLocation at);
  // `items`: the SELECT's expressions, `*` expanded.
  Status MapInsertColumns(const InsertSelect& insert, const SilverTable& target, size_t items,
                          std::vector<int>* target_of_item);
  Status CheckRowForRow(const SilverTable& source, const SilverTable& target,
                        const SilverInput& input, SourceLocation at);
  Status CheckJoinRowForRow(const JoinSpec& join, const SilverTable& target,
                            const SilverInput& input, SourceLocation at);
  Result<BoundExpr> Assign(Typed value, const ColumnSchema& column, SourceLocation at);
  // bind_view.cc
  Status BindView(const CreateMaterializedView& view, SourceLocation at);
  Status BindViewOptions(const CreateMaterializedView& view, GoldView* gold);
  Status CheckViewOfView(const Select& select, const GoldView& gold);
  // bind_join.cc: FROM source JOIN right ON ... into gold->join.
  Status BindJoin(const Select& select, GoldView* gold);
  // The join of `select` (FROM left_name JOIN ...), read by `reader` (a view or a silver
  // table), whose left input is a silver table.
  Result<JoinSpec> BindJoinSpec(const Select& select, const std::string& reader,
                                const std::string& left_name);
  // The window of a GROUP BY item tumble(...), hop(...) or session(...) (see WindowSpec).
  static bool IsWindowed(const Select& select);
  Result<WindowSpec> BindWindow(const Expr& call, ExprBinder& input, int silver_columns);
  // `source`: the silver table's or the gold view's name; `columns`: its row.
  Status BindViewSelect(const Select& select, const std::string& source,
                        const std::vector<ColumnSchema>& columns, GoldView* gold);
  // The window of the view's GROUP BY (at most one) into gold->window, its call in
  // *window_item (null without one), and the windowed row's columns: `columns`, then
  // window_start and window_end with a window.
  Result<std::vector<ColumnSchema>> BindViewWindow(const Select& select, const std::string& source,
                                                   const std::vector<ColumnSchema>& columns,
                                                   const Scope& scope, GoldView* gold,
                                                   const Expr** window_item);
  // With session(): the other group keys and the aggregate arguments read no window column.
  Status CheckSessionGrouping(const GoldView& gold, const Expr& window_item);

  ErrorSink errors_;
  Pipeline pipeline_;
  std::map<std::string, Declared> tables_;
  std::vector<SourceLocation> insert_at_;  // per silver table; line 0 until its INSERT
  // Every node's sources as the statements name them (before binding): for cycle messages.
  std::map<std::string, std::vector<std::string>> reads_;
};

}  // namespace strata::sql::internal
