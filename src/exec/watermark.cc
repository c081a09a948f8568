#include "exec/watermark.h"

#include <algorithm>

namespace strata::exec {

WatermarkTracker::WatermarkTracker(uint32_t partitions, Micros delay, Micros idle_timeout)
    : delay_(delay),
      idle_timeout_(idle_timeout),
      max_time_(partitions, kNoTime),
      last_seen_(partitions, NowMicros()) {}

void WatermarkTracker::Push(uint32_t partition, const Column& time, Micros now,
                            std::vector<Micros>* at_arrival) {
  last_seen_[partition] = now;
  Micros& max_time = max_time_[partition];
  at_arrival->assign(time.size(), kNoTime);
  for (size_t r = 0; r < time.size(); ++r) {
    if (max_time != kNoTime) {
      (*at_arrival)[r] = max_time < kNoTime + delay_ ? kNoTime : max_time - delay_;
    }
    if (!time.is_null(r)) max_time = std::max(max_time, time.int64s()[r]);
  }
}

std::optional<Micros> WatermarkTracker::Watermark() const {
  Micros low = std::numeric_limits<Micros>::max();
  for (Micros t : max_time_) {
    if (t == kNoTime) return std::nullopt;
    low = std::min(low, t);
  }
  return low - delay_;
}

WatermarkView WatermarkTracker::View(Micros now) const {
  WatermarkView view;
  for (size_t p = 0; p < max_time_.size(); ++p) {
    std::optional<Micros> w;
    if (max_time_[p] != kNoTime) w = max_time_[p] - delay_;
    view.partitions.push_back(w);
    view.idle.push_back(now - last_seen_[p] > idle_timeout_);
  }
  // The minimum over active partitions (over all when every one is idle); an active
  // partition without a time yet holds it back.
  const bool all_idle = std::find(view.idle.begin(), view.idle.end(), false) == view.idle.end();
  bool unknown = false;
  for (size_t p = 0; p < view.partitions.size(); ++p) {
    if (view.idle[p] && !all_idle) continue;
    const std::optional<Micros>& w = view.partitions[p];
    if (!w) {
      unknown = unknown || !all_idle;
      continue;
    }
    view.watermark = view.watermark ? std::min(*view.watermark, *w) : *w;
  }
  if (unknown) view.watermark.reset();
  return view;
}

void WatermarkTracker::Save(std::string* out) const {
  for (Micros t : max_time_)
    PutVarint64(out, static_cast<uint64_t>(t));
}

bool WatermarkTracker::Load(Decoder* d) {
  for (Micros& t : max_time_) {
    uint64_t v;
    if (!d->GetVarint64(&v)) return false;
    t = static_cast<Micros>(v);
  }
  return true;
}

}  // namespace strata::exec
