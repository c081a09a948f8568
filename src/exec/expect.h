// ExpectOperator: a silver table's constraints (NOT NULL and CHECK, sql::Constraint) and
// what its on_violation policy makes of a row that breaks one (DESIGN.md §2: contracts with
// quarantine).
//
// Constraints are checked in declaration order; the first broken one decides. A CHECK passes
// when TRUE or NULL (SQL's rule); a CHECK that cannot be evaluated (an error in its
// expression) is broken, with the error as its reason. A delete from bronze (weight < 0)
// carries only what identifies its key, so only the NOT NULL constraints of the primary key
// apply to it. A table fed by a silver table receives whole rows, retractions included: a
// retraction that breaks a constraint retracts a row whose insertion was rejected, and the
// operator reports it with weight -1 so that the rejection is taken back.
//
// Stateless: the same rows give the same verdicts under any cut of the input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/column.h"
#include "common/status.h"
#include "exec/expression.h"
#include "sql/plan.h"

namespace strata::exec {

// A row that broke a constraint, under on_violation = 'quarantine'.
struct Violation {
  size_t row = 0;          // its index in the pushed batch
  std::string constraint;  // the constraint's name
  std::string reason;      // e.g. "amount is NULL (NOT NULL)", "CHECK (amount > 0) failed"
  int64_t weight = 1;      // +1: rejected; -1: a retraction taking a rejection back
};

class ExpectOperator {
 public:
  // Compiles the CHECK expressions of `table`, which must outlive the operator.
  static Result<ExpectOperator> Make(const sql::SilverTable& table);

  // Decides which of `rows` to keep: `*keep` is left empty when every row meets every
  // constraint, and otherwise holds 1 for each row to keep and 0 for each that breaks one.
  // Those, per on_violation: 'quarantine' lists them in `*quarantine`; 'drop' adds +1 to
  // `*dropped` for each (-1 for a retraction of a dropped row); 'fail' returns
  // FailedPrecondition naming the first one's record (`source`: the table the rows came
  // from).
  Status Push(std::string_view source, const Batch& rows, std::vector<uint8_t>* keep,
              std::vector<Violation>* quarantine, int64_t* dropped) const;

 private:
  explicit ExpectOperator(const sql::SilverTable& table) : table_(&table) {}
  // Per row of `rows`, the name of the first constraint it breaks (empty: none) and why.
  Status Check(const Batch& rows, std::vector<std::string>* broken,
               std::vector<std::string>* reasons) const;

  const sql::SilverTable* table_;
  std::vector<std::optional<CompiledExpression>> checks_;  // per constraint; none: NOT NULL
};

}  // namespace strata::exec
