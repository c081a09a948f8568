// Runs a program as a child process with its stdin, stdout and stderr on pipes, for tests
// that drive the real `strata` binary (CLI contract, crash loop). No shell is involved, so
// arguments (paths with spaces included) reach the program unchanged.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace strata::testing {

struct ProcessResult {
  int exit_code = -1;      // the exit status, when the process exited
  int term_signal = 0;     // the signal that ended it, when one did
  bool timed_out = false;  // it was killed because it outlived the timeout
  std::string out, err;    // everything it wrote to stdout and stderr
};

class Subprocess {
 public:
  // Starts argv[0] (a path) with `argv` and the parent's environment. Throws
  // std::runtime_error if it cannot be started. SIGPIPE is ignored in the calling process
  // from then on, so writing to a child that has gone away fails instead of killing it.
  explicit Subprocess(const std::vector<std::string>& argv);
  // Kills (SIGKILL) and reaps the child if Wait() was not called.
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }

  // Queues `data` for the child's stdin; it is written while the other calls wait.
  void Write(std::string_view data);
  // Closes the child's stdin once the queued input is written.
  void CloseStdin();

  // Waits up to `timeout` for one more complete line on stdout and moves it (without its
  // '\n') into *line. False at end of output or on timeout.
  bool ReadLine(std::string* line, std::chrono::milliseconds timeout);
  // Collects output (and feeds queued input) for `duration`, or until both stdout and
  // stderr are closed.
  void Pump(std::chrono::microseconds duration);

  // Sends `sig` to the child.
  void Kill(int sig);

  // Collects output until the child closes stdout and stderr (it exited) or `timeout`
  // passes; true in the first case.
  bool WaitClosed(std::chrono::milliseconds timeout);
  // What every thread of the child, and of each process it started, is doing now: gdb's
  // backtraces, for a test to say why a child did not exit.
  std::string Stacks() const;

  // Closes stdin (after the queued input), collects the output until the child closes
  // stdout and stderr, and reaps it. A child still running after `timeout` is killed with
  // SIGKILL and reported as timed out. Output already taken by ReadLine is not repeated.
  ProcessResult Wait(std::chrono::milliseconds timeout = std::chrono::seconds(120));

  // stdout and stderr collected so far and not yet taken by ReadLine.
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  // One round of ppoll(2) over the open pipes, waiting at most `timeout`.
  void PollOnce(std::chrono::microseconds timeout);
  void CloseFd(int* fd);

  pid_t pid_ = -1;
  bool reaped_ = false;
  int in_fd_ = -1, out_fd_ = -1, err_fd_ = -1;
  bool close_stdin_ = false;
  std::string in_, out_, err_;
  size_t in_written_ = 0;
};

// Runs argv to completion with `input` on its stdin (closed afterwards).
ProcessResult RunProcess(const std::vector<std::string>& argv, std::string_view input = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(120));

}  // namespace strata::testing
