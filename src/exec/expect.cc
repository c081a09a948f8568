#include "exec/expect.h"

#include <algorithm>

namespace strata::exec {

Result<ExpectOperator> ExpectOperator::Make(const sql::SilverTable& table) {
  ExpectOperator op(table);
  for (const sql::Constraint& c : table.constraints) {
    if (c.kind == sql::ConstraintKind::kNotNull) {
      op.checks_.emplace_back();
      continue;
    }
    ASSIGN_OR_RETURN(CompiledExpression check, CompiledExpression::Compile(c.check));
    op.checks_.emplace_back(std::move(check));
  }
  return op;
}

Status ExpectOperator::Check(const Batch& rows, std::vector<std::string>* broken,
                             std::vector<std::string>* reasons) const {
  const sql::SilverTable& table = *table_;
  const bool whole_rows = table.from_silver();
  const size_t n = rows.num_rows();
  broken->assign(n, {});
  reasons->assign(n, {});
  for (size_t c = 0; c < table.constraints.size(); ++c) {
    const sql::Constraint& constraint = table.constraints[c];
    if (constraint.kind == sql::ConstraintKind::kNotNull) {
      const bool key_column = std::find(table.primary_key.begin(), table.primary_key.end(),
                                        constraint.column) != table.primary_key.end();
      const Column& col = rows.columns[constraint.column];
      for (size_t r = 0; r < n; ++r) {
        if (!(*broken)[r].empty() || !col.is_null(r)) continue;
        if (rows.weights[r] < 0 && !key_column && !whole_rows) continue;
        (*broken)[r] = constraint.name;
        (*reasons)[r] = table.columns[constraint.column].name + " is NULL (NOT NULL)";
      }
      continue;
    }
    Column result(Type::Boolean());
    RowErrors errors;
    RETURN_IF_ERROR(checks_[c]->Evaluate(rows, &result, &errors));
    std::vector<std::string> error_of(n);
    for (const auto& e : errors)
      error_of[e.row] = e.message;
    for (size_t r = 0; r < n; ++r) {
      if (!(*broken)[r].empty() || (rows.weights[r] < 0 && !whole_rows)) continue;
      const bool failed = !error_of[r].empty() || (!result.is_null(r) && result.bools()[r] == 0);
      if (!failed) continue;
      (*broken)[r] = constraint.name;
      (*reasons)[r] = error_of[r].empty() ? "CHECK (" + constraint.sql + ") failed"
                                          : "CHECK (" + constraint.sql + "): " + error_of[r];
    }
  }
  return Status::OK();
}

Status ExpectOperator::Push(std::string_view source, const Batch& rows, std::vector<uint8_t>* keep,
                            std::vector<Violation>* quarantine, int64_t* dropped) const {
  const sql::SilverTable& table = *table_;
  keep->clear();
  if (table.constraints.empty() || rows.num_rows() == 0) return Status::OK();
  std::vector<std::string> broken, reasons;
  RETURN_IF_ERROR(Check(rows, &broken, &reasons));
  for (size_t r = 0; r < rows.num_rows(); ++r) {
    if (broken[r].empty()) continue;
    if (keep->empty()) keep->assign(rows.num_rows(), 1);
    (*keep)[r] = 0;
    const int64_t weight = table.from_silver() ? rows.weights[r] : 1;
    switch (table.on_violation) {
      case sql::OnViolation::kQuarantine:
        quarantine->push_back({r, std::move(broken[r]), std::move(reasons[r]), weight});
        break;
      case sql::OnViolation::kDrop:
        *dropped += weight > 0 ? 1 : -1;
        break;
      case sql::OnViolation::kFail: {
        const RowOrigin& origin = rows.origins[r];
        return Status::FailedPrecondition(
            table.name + ": the record at " + std::string(source) + " partition " +
            std::to_string(origin.partition) + " offset " + std::to_string(origin.offset) +
            " breaks constraint " + broken[r] + ": " + reasons[r] + " (on_violation = 'fail')");
      }
    }
  }
  return Status::OK();
}

}  // namespace strata::exec
