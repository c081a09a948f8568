// WatermarkTracker: the event-time watermarks of one bronze table (DESIGN.md §4).
//
// Per partition it keeps the greatest event time seen so far. A record's "watermark at
// arrival" is that maximum over the partition's earlier records minus the table's delay: a
// function of the log alone, so every schedule (batch sizes, restarts, replays, the batch
// runtime) makes the same late decisions from it. The table's watermark, for readers, is the
// minimum over the partitions that are not idle (no record within the idle timeout, by the
// wall clock; idleness decides nothing, it tells readers which windows are final).
//
// State: the greatest time per partition (saved); when each partition last received records
// (the wall clock, not saved: a restarted tracker counts from its start).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/coding.h"
#include "common/column.h"

namespace strata::exec {

// No event time yet.
inline constexpr Micros kNoTime = std::numeric_limits<Micros>::min();

// The table's watermarks as readers see them (see above).
struct WatermarkView {
  std::vector<std::optional<Micros>> partitions;  // none before a record with an event time
  std::vector<bool> idle;
  std::optional<Micros> watermark;  // over the partitions that are not idle
};

class WatermarkTracker {
 public:
  WatermarkTracker(uint32_t partitions, Micros delay, Micros idle_timeout);

  // Records of `partition` arrived at `now`, in log order, with event times `time` (NULL: no
  // event time). `at_arrival[r]` receives row r's watermark at arrival (kNoTime: none yet).
  void Push(uint32_t partition, const Column& time, Micros now, std::vector<Micros>* at_arrival);

  // Every partition's watermark, idle ones included: none while a partition has no event
  // time yet (a function of the input consumed, unlike View's).
  std::optional<Micros> Watermark() const;
  WatermarkView View(Micros now) const;

  // The greatest time per partition, as varints.
  void Save(std::string* out) const;
  // What Save wrote; false when `d` is truncated.
  bool Load(Decoder* d);

 private:
  Micros delay_;
  Micros idle_timeout_;
  std::vector<Micros> max_time_;   // per partition, kNoTime before any
  std::vector<Micros> last_seen_;  // per partition, wall clock
};

}  // namespace strata::exec
