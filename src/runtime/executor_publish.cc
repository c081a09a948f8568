// Publishing batch(T) into a PipelineExecutor's Lambda answers (executor.h, PublishBatch):
// in one call, or in three steps whose long middle runs beside the speed path.
#include <algorithm>

#include "runtime/executor.h"
#include "runtime/executor_nodes.h"

namespace strata::runtime {

struct PendingPublish::Impl {
  // One Lambda view's answer being built: the epochs' changes from T on (copied at
  // BeginPublish) and the answer once built (batch(T)'s aggregate plus those changes).
  struct View {
    size_t node = 0;  // index in gold_
    Batch speed;
    std::unique_ptr<exec::AggregateOperator> answer;
  };
  Offsets t;
  bool lambda = false;  // the pipeline has a Lambda view
  std::vector<View> views;
};

PendingPublish::PendingPublish() = default;
PendingPublish::PendingPublish(PendingPublish&&) noexcept = default;
PendingPublish& PendingPublish::operator=(PendingPublish&&) noexcept = default;
PendingPublish::~PendingPublish() = default;

Status PipelineExecutor::PublishBatch(const PipelineExecutor& batch) {
  ASSIGN_OR_RETURN(PendingPublish pending, BeginPublish(batch));
  if (Status built = BuildPublish(batch, &pending); !built.ok()) {
    AbortPublish();
    return built;
  }
  return FinishPublish(std::move(pending));
}

Result<PendingPublish> PipelineExecutor::BeginPublish(const PipelineExecutor& batch) {
  if (batch.logic_ != logic_) {
    return Status::FailedPrecondition(
        "the batch view was computed by a different pipeline (its SQL changed); rerun the batch");
  }
  if (publishing_) return Status::FailedPrecondition("a publish of batch(T) is under way");
  PendingPublish pending;
  pending.impl_ = std::make_unique<PendingPublish::Impl>();
  const Offsets& t = pending.impl_->t = batch.offsets_;
  // A pipeline without a Lambda view serves nothing from a batch view: there is no epoch
  // to merge, whatever T is (a checkpoint's batch lane of such a pipeline is never run).
  publishing_ = true;
  pending.impl_->lambda =
      std::any_of(gold_.begin(), gold_.end(), [](const auto& g) { return g->lambda != nullptr; });
  if (!pending.impl_->lambda) return pending;
  // The epochs that cover (T, offsets()): those starting at or after T. The first must
  // start exactly at T unless the speed path has not reached T yet.
  size_t first = 0;
  while (first < epoch_starts_.size() && !AtOrBefore(t, epoch_starts_[first]))
    ++first;
  if (first == epoch_starts_.size() ? !AtOrBefore(offsets_, t) : epoch_starts_[first] != t) {
    publishing_ = false;
    return Status::FailedPrecondition(
        "the speed path has no epoch starting at the batch view's boundary; rerun the batch "
        "(a batch run registers its boundary with the speed path first)");
  }
  for (size_t i = 0; i < gold_.size(); ++i) {
    GoldNode& node = *gold_[i];
    if (!node.lambda || !node.lambda->own_epochs()) continue;  // built at FinishPublish
    PendingPublish::Impl::View view;
    view.node = i;
    view.speed = node.lambda->Speed(first);
    pending.impl_->views.push_back(std::move(view));
    node.lambda->StartTail();
  }
  publish_t_ = t;
  publish_first_ = first;
  return pending;
}

Status PipelineExecutor::BuildPublish(const PipelineExecutor& batch,
                                      PendingPublish* pending) const {
  for (PendingPublish::Impl::View& view : pending->impl_->views) {
    const GoldNode& node = *gold_[view.node];
    auto answer = node.lambda->BuildAnswer(*batch.gold_[view.node]->aggregate, view.speed);
    if (!answer.ok()) return answer.status().WithContext(node.view->name + " (Lambda merge)");
    view.answer = std::move(answer).value();
  }
  return Status::OK();
}

Status PipelineExecutor::FinishPublish(PendingPublish pending) {
  STRATA_ASSERT(publishing_);
  std::vector<std::unique_ptr<exec::AggregateOperator>> answers(gold_.size());
  auto build = [&]() -> Status {
    for (PendingPublish::Impl::View& view : pending.impl_->views) {
      GoldNode& node = *gold_[view.node];
      RETURN_IF_ERROR(node.lambda->AddTail(view.answer.get(), node.view->name));
      answers[view.node] = std::move(view.answer);
    }
    // A Lambda view reading a Lambda view: from its source's new answer, in the graph's order.
    for (size_t i = 0; i < gold_.size(); ++i) {
      GoldNode& node = *gold_[i];
      if (!node.lambda || node.lambda->own_epochs()) continue;
      ASSIGN_OR_RETURN(answers[i], AnswerFromSource(node, answers));
    }
    return Status::OK();
  };
  Status status = pending.impl_->lambda ? build() : Status::OK();
  AbortPublish();  // the tails are used (or the publish failed)
  if (!status.ok() || !pending.impl_->lambda) return status;
  DropEpochsBefore(pending.impl_->t);
  for (size_t i = 0; i < gold_.size(); ++i) {
    if (answers[i]) gold_[i]->lambda->SetAnswer(std::move(answers[i]));
  }
  lambda_ready_ = true;
  return Status::OK();
}

void PipelineExecutor::AbortPublish() {
  publishing_ = false;
  for (auto& g : gold_) {
    if (g->lambda) g->lambda->StopTail();
  }
}

Result<std::unique_ptr<exec::AggregateOperator>> PipelineExecutor::AnswerFromSource(
    GoldNode& node, const std::vector<std::unique_ptr<exec::AggregateOperator>>& answers) {
  size_t source = 0;
  while (gold_[source]->view->name != node.view->source)
    ++source;
  STRATA_ASSERT(answers[source] != nullptr);  // a Lambda view reads a Lambda view before it
  Batch aggregated = exec::MakeBatch(answers[source]->output_types());
  RETURN_IF_ERROR(answers[source]->Snapshot(&aggregated));
  Batch rows, input;
  RETURN_IF_ERROR(ViewRows(*gold_[source], aggregated, &rows));
  RETURN_IF_ERROR(GoldInput(node, rows, &input));
  ASSIGN_OR_RETURN(auto answer, node.lambda->NewAggregate());
  Batch ignored = exec::MakeBatch(answer->output_types());
  exec::SideOutput side;
  RETURN_IF_ERROR(
      answer->Push(input, &ignored, &side).WithContext(node.view->name + " (Lambda merge)"));
  return answer;
}

}  // namespace strata::runtime
