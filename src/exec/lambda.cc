#include "exec/lambda.h"

#include "common/coding.h"

namespace strata::exec {

LambdaOperator::LambdaOperator(std::vector<Type> input_types, std::vector<int> group_columns,
                               std::vector<AggregateSpec> specs, bool own_epochs)
    : input_types_(std::move(input_types)),
      group_columns_(std::move(group_columns)),
      specs_(std::move(specs)),
      own_epochs_(own_epochs) {}

Result<std::unique_ptr<LambdaOperator>> LambdaOperator::Make(std::vector<Type> input_types,
                                                             std::vector<int> group_columns,
                                                             std::vector<AggregateSpec> specs,
                                                             bool own_epochs) {
  std::unique_ptr<LambdaOperator> op(new LambdaOperator(
      std::move(input_types), std::move(group_columns), std::move(specs), own_epochs));
  if (own_epochs) op->OpenEpoch();
  ASSIGN_OR_RETURN(op->answer_, op->NewAggregate());
  return op;
}

Result<std::unique_ptr<AggregateOperator>> LambdaOperator::NewAggregate() const {
  return AggregateOperator::Make(input_types_, group_columns_, specs_);
}

void LambdaOperator::OpenEpoch() {
  if (own_epochs_) epochs_.emplace_back(input_types_);
}

void LambdaOperator::DropOldest(size_t n) {
  epochs_.erase(epochs_.begin(), epochs_.begin() + static_cast<std::ptrdiff_t>(n));
}

Status LambdaOperator::Push(const Batch& input, bool in_tail, bool to_answer, Batch* changes) {
  // Without an open epoch the speed path is still short of the published T: batch(T) holds
  // this input already.
  if (epochs_.empty()) return Status::OK();
  epochs_.back().Add(input);
  if (tail_ && in_tail) tail_->Add(input);
  if (!to_answer) return Status::OK();
  SideOutput side;
  return answer_->Push(input, changes, &side);
}

Batch LambdaOperator::Speed(size_t first) const {
  ConsolidatedChanges speed(input_types_);
  for (size_t e = first; e < epochs_.size(); ++e)
    speed.Add(epochs_[e]);
  Batch out = MakeBatch(input_types_);
  speed.AppendTo(&out);
  return out;
}

void LambdaOperator::StartTail() {
  tail_.emplace(input_types_);
}

Result<std::unique_ptr<AggregateOperator>> LambdaOperator::BuildAnswer(
    const AggregateOperator& batch, const Batch& speed) const {
  // A copy of batch(T)'s aggregate, through its state (the one copy mechanism an operator
  // has).
  std::string state;
  RETURN_IF_ERROR(batch.SaveState(&state));
  ASSIGN_OR_RETURN(std::unique_ptr<AggregateOperator> answer, NewAggregate());
  RETURN_IF_ERROR(answer->LoadState(state));
  Batch ignored = MakeBatch(answer->output_types());
  SideOutput side;
  RETURN_IF_ERROR(answer->Push(speed, &ignored, &side));
  return answer;
}

Status LambdaOperator::AddTail(AggregateOperator* answer, std::string_view view) const {
  if (!tail_) return Status::OK();
  Batch tail = MakeBatch(input_types_);
  tail_->AppendTo(&tail);
  Batch ignored = MakeBatch(answer->output_types());
  SideOutput side;
  return answer->Push(tail, &ignored, &side).WithContext(std::string(view) + " (Lambda merge)");
}

void LambdaOperator::Save(std::string* out) const {
  std::string state;
  for (const ConsolidatedChanges& epoch : epochs_) {
    state.clear();
    epoch.Save(&state);
    PutLengthPrefixed(out, state);
  }
}

Status LambdaOperator::Load(size_t n, Decoder* d) {
  epochs_.assign(n, ConsolidatedChanges(input_types_));
  for (ConsolidatedChanges& epoch : epochs_) {
    std::string_view state;
    if (!d->GetLengthPrefixed(&state)) {
      return Status::Corruption("pipeline state: truncated Lambda epoch");
    }
    RETURN_IF_ERROR(epoch.Load(state));
  }
  return Status::OK();
}

}  // namespace strata::exec
