// Turning SIGINT and SIGTERM into a flag that long-running commands poll or wait on.
#pragma once

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace strata::api {

// Blocks SIGINT and SIGTERM in the calling thread (and so in every thread it starts
// afterwards: construct it before starting any) and has a thread wait for them. Not
// copyable; one per command.
class StopSignal {
 public:
  StopSignal() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGINT);
    sigaddset(&set_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    thread_ = std::thread([this] {
      int sig = 0;
      sigwait(&set_, &sig);
      Notify();
    });
  }
  ~StopSignal() {
    pthread_kill(thread_.native_handle(), SIGTERM);
    thread_.join();
  }
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Stops as a signal would.
  void Notify() {
    absl::MutexLock lock(&mu_);
    stop_ = true;
    cv_.SignalAll();
  }
  // True when a signal (or Notify) came within `timeout`.
  bool WaitFor(std::chrono::milliseconds timeout) {
    absl::MutexLock lock(&mu_);
    const auto end = std::chrono::steady_clock::now() + timeout;
    for (std::chrono::steady_clock::duration left = timeout; !stop_.load() && left > left.zero();
         left = end - std::chrono::steady_clock::now())
      cv_.WaitWithTimeout(&mu_, absl::FromChrono(left));
    return stop_.load();
  }
  // Set once a signal came; for loops that poll.
  const std::atomic<bool>* flag() const { return &stop_; }

 private:
  sigset_t set_;
  std::thread thread_;
  absl::Mutex mu_;
  absl::CondVar cv_;  // signalled when stop_ is set
  std::atomic<bool> stop_{false};
};

}  // namespace strata::api
