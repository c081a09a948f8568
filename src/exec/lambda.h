// LambdaOperator: the speed side of one gold view served by Lambda (DESIGN.md §4).
//
// The runtime cuts the input at boundaries T (runtime/executor.h, "Lambda epochs"); from each
// boundary on, the operator records the view's aggregate input in an epoch (a consolidated
// changelog, exec/changelog.h), which therefore holds exactly the effect of the input after
// that boundary. Its answer is batch(T) ⊕ the epochs from T on: a copy of the batch
// runtime's aggregate over [0, T) into which those epochs are pushed (BuildAnswer), and every
// later push goes into it too, so a query reads it without merging anything. The answer
// equals a full recompute over the whole input by construction: the same aggregate computed
// both parts over a partition of the same input.
//
// A publish builds the new answer while the speed path goes on: it copies the epochs from T
// on (Speed), then records the pushes that belong to them (a tail: StartTail) until it
// swaps the answer in (AddTail, then SetAnswer).
//
// A view that reads a Lambda view has no epochs of its own: its answer follows its source's
// answer (the runtime pushes the source answer's changes into it, and rebuilds it from the
// source's new answer at a publish).
//
// State: the epochs (saved); the answer is derived (rebuilt at the first publish after a
// load). Not thread-safe; BuildAnswer reads nothing that changes and may run beside Push.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/coding.h"
#include "common/column.h"
#include "common/status.h"
#include "exec/aggregate.h"
#include "exec/changelog.h"

namespace strata::exec {

class LambdaOperator {
 public:
  // `input_types`, `group_columns`, `specs`: the view's aggregate. `own_epochs`: false for a
  // view reading a Lambda view. One epoch is open from the start (before any batch run the
  // speed path covers everything) and the answer is the speed path's alone.
  static Result<std::unique_ptr<LambdaOperator>> Make(std::vector<Type> input_types,
                                                      std::vector<int> group_columns,
                                                      std::vector<AggregateSpec> specs,
                                                      bool own_epochs);

  bool own_epochs() const { return own_epochs_; }
  // Epochs, oldest first (parallel to the runtime's epoch starts).
  size_t epochs() const { return epochs_.size(); }
  void OpenEpoch();
  void DropOldest(size_t n);

  // A push of the view's aggregate input: into the newest epoch, into the publish's tail
  // while one records and `in_tail`, and, when `to_answer`, into the answer (its changes
  // appended to `*changes`, shaped like the aggregate's output).
  Status Push(const Batch& input, bool in_tail, bool to_answer, Batch* changes);

  // The net input of the epochs from `first` on.
  Batch Speed(size_t first) const;
  // Records pushes (those with `in_tail`) until FinishAnswer or StopTail.
  void StartTail();
  void StopTail() { tail_.reset(); }
  // batch(T) ⊕ `speed`: a copy of `batch` (the same view's aggregate over [0, T)) into which
  // `speed` is pushed.
  Result<std::unique_ptr<AggregateOperator>> BuildAnswer(const AggregateOperator& batch,
                                                         const Batch& speed) const;
  // An empty aggregate like the view's (the answer of a view reading a view is built on it).
  Result<std::unique_ptr<AggregateOperator>> NewAggregate() const;
  // Pushes the recorded tail (if one records) into `answer`; `view` names it in errors.
  Status AddTail(AggregateOperator* answer, std::string_view view) const;
  void SetAnswer(std::unique_ptr<AggregateOperator> answer) { answer_ = std::move(answer); }
  const AggregateOperator& answer() const { return *answer_; }
  AggregateOperator* mutable_answer() { return answer_.get(); }

  // Each epoch as its own length-prefixed changelog; Load expects `n` of them.
  void Save(std::string* out) const;
  Status Load(size_t n, Decoder* d);

 private:
  LambdaOperator(std::vector<Type> input_types, std::vector<int> group_columns,
                 std::vector<AggregateSpec> specs, bool own_epochs);

  std::vector<Type> input_types_;
  std::vector<int> group_columns_;
  std::vector<AggregateSpec> specs_;
  bool own_epochs_;
  std::vector<ConsolidatedChanges> epochs_;
  std::optional<ConsolidatedChanges> tail_;
  std::unique_ptr<AggregateOperator> answer_;
};

}  // namespace strata::exec
