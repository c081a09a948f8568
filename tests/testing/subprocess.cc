#include "testing/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>

extern char** environ;

namespace strata::testing {
namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Throw(const std::string& what, int err) {
  throw std::runtime_error(what + ": " + std::strerror(err));
}

std::chrono::microseconds Left(Clock::time_point deadline) {
  auto left = std::chrono::ceil<std::chrono::microseconds>(deadline - Clock::now());
  return std::max(left, std::chrono::microseconds(0));
}

}  // namespace

Subprocess::Subprocess(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::runtime_error("Subprocess: empty argv");
  ::signal(SIGPIPE, SIG_IGN);
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0) Throw("pipe2", errno);
  if (::pipe2(out, O_CLOEXEC) != 0) Throw("pipe2", errno);
  if (::pipe2(err, O_CLOEXEC) != 0) Throw("pipe2", errno);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  // dup2 clears close-on-exec on the child's 0, 1 and 2; every other pipe end closes on exec.
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  int rc = ::posix_spawn(&pid_, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  in_fd_ = in[1];
  out_fd_ = out[0];
  err_fd_ = err[0];
  if (rc != 0) {
    CloseFd(&in_fd_);
    CloseFd(&out_fd_);
    CloseFd(&err_fd_);
    pid_ = -1;
    Throw("posix_spawn " + argv[0], rc);
  }
  ::fcntl(in_fd_, F_SETFL, ::fcntl(in_fd_, F_GETFL) | O_NONBLOCK);
}

Subprocess::~Subprocess() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
  CloseFd(&in_fd_);
  CloseFd(&out_fd_);
  CloseFd(&err_fd_);
}

void Subprocess::CloseFd(int* fd) {
  if (*fd >= 0) ::close(*fd);
  *fd = -1;
}

void Subprocess::Write(std::string_view data) {
  in_.append(data);
  PollOnce(std::chrono::microseconds(0));
}

void Subprocess::CloseStdin() {
  close_stdin_ = true;
  PollOnce(std::chrono::microseconds(0));
}

void Subprocess::PollOnce(std::chrono::microseconds timeout) {
  if (in_fd_ >= 0 && in_written_ == in_.size() && close_stdin_) CloseFd(&in_fd_);
  pollfd fds[3];
  int n = 0;
  int in_slot = -1, out_slot = -1, err_slot = -1;
  if (in_fd_ >= 0 && in_written_ < in_.size()) {
    in_slot = n;
    fds[n++] = {in_fd_, POLLOUT, 0};
  }
  if (out_fd_ >= 0) {
    out_slot = n;
    fds[n++] = {out_fd_, POLLIN, 0};
  }
  if (err_fd_ >= 0) {
    err_slot = n;
    fds[n++] = {err_fd_, POLLIN, 0};
  }
  const timespec wait = {static_cast<time_t>(timeout.count() / 1000000),
                         static_cast<long>(timeout.count() % 1000000) * 1000};
  if (n == 0) {
    ::nanosleep(&wait, nullptr);
    return;
  }
  int ready = ::ppoll(fds, static_cast<nfds_t>(n), &wait, nullptr);
  if (ready < 0) {
    if (errno == EINTR) return;
    Throw("poll", errno);
  }
  if (in_slot >= 0 && fds[in_slot].revents != 0) {
    ssize_t w = ::write(in_fd_, in_.data() + in_written_, in_.size() - in_written_);
    if (w > 0) {
      in_written_ += static_cast<size_t>(w);
    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
      // The child closed its stdin (EPIPE): the rest of the input cannot be delivered.
      in_written_ = in_.size();
      CloseFd(&in_fd_);
    }
  }
  auto drain = [](int* fd, short revents, std::string* sink) {
    if (revents == 0) return;
    char buf[65536];
    ssize_t r = ::read(*fd, buf, sizeof(buf));
    if (r > 0) {
      sink->append(buf, static_cast<size_t>(r));
    } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
      ::close(*fd);
      *fd = -1;
    }
  };
  if (out_slot >= 0) drain(&out_fd_, fds[out_slot].revents, &out_);
  if (err_slot >= 0) drain(&err_fd_, fds[err_slot].revents, &err_);
  if (in_fd_ >= 0 && in_written_ == in_.size() && close_stdin_) CloseFd(&in_fd_);
}

bool Subprocess::ReadLine(std::string* line, std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    size_t nl = out_.find('\n');
    if (nl != std::string::npos) {
      line->assign(out_, 0, nl);
      out_.erase(0, nl + 1);
      return true;
    }
    if (out_fd_ < 0 || Clock::now() >= deadline) return false;
    PollOnce(Left(deadline));
  }
}

void Subprocess::Pump(std::chrono::microseconds duration) {
  const Clock::time_point deadline = Clock::now() + duration;
  do {
    if (out_fd_ < 0 && err_fd_ < 0) return;
    PollOnce(Left(deadline));
  } while (Clock::now() < deadline);
}

bool Subprocess::WaitClosed(std::chrono::milliseconds timeout) {
  Pump(timeout);
  return out_fd_ < 0 && err_fd_ < 0;
}

std::string Subprocess::Stacks() const {
  if (pid_ <= 0 || reaped_) return "(no child)";
  std::vector<pid_t> pids{pid_};
  std::error_code ec;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid_) + "/task", ec)) {
    std::ifstream children(task.path() / "children");
    for (pid_t child; children >> child;)
      pids.push_back(child);
  }
  std::string out;
  for (pid_t pid : pids) {
    ProcessResult r = RunProcess(
        {"/usr/bin/gdb", "-p", std::to_string(pid), "-batch", "-ex", "thread apply all bt"}, "",
        std::chrono::seconds(60));
    out += "--- process " + std::to_string(pid) + (pid == pid_ ? "" : " (a child)") + " ---\n" +
           r.out + r.err;
  }
  return out;
}

void Subprocess::Kill(int sig) {
  if (pid_ > 0 && !reaped_) ::kill(pid_, sig);
}

ProcessResult Subprocess::Wait(std::chrono::milliseconds timeout) {
  ProcessResult result;
  if (pid_ <= 0 || reaped_) throw std::runtime_error("Subprocess::Wait: no child to wait for");
  const Clock::time_point deadline = Clock::now() + timeout;
  close_stdin_ = true;
  while (out_fd_ >= 0 || err_fd_ >= 0) {
    if (!result.timed_out && Clock::now() >= deadline) {
      result.timed_out = true;
      ::kill(pid_, SIGKILL);
    }
    PollOnce(result.timed_out ? std::chrono::milliseconds(100) : Left(deadline));
  }
  CloseFd(&in_fd_);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0) {
    if (errno != EINTR) Throw("waitpid", errno);
  }
  reaped_ = true;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.term_signal = WTERMSIG(status);
  result.out = std::move(out_);
  result.err = std::move(err_);
  out_.clear();
  err_.clear();
  return result;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, std::string_view input,
                         std::chrono::milliseconds timeout) {
  Subprocess p(argv);
  p.Write(input);
  return p.Wait(timeout);
}

}  // namespace strata::testing
