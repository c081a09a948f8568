// A throwaway PostgreSQL 15 on 127.0.0.1 for the tests that need a real one, started and
// stopped by scripts/pg_test_server.sh (initdb into a temporary directory, logical
// replication enabled). A failed start is not a skip: ok() is false and error() says why,
// and the test must fail with it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>

#include "testing/subprocess.h"
#include "testing/temp_dir.h"

namespace strata::testing {

// A loopback TCP port that was free a moment ago.
inline int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

class PgServer {
 public:
  PgServer() : port_(std::to_string(FreePort())) {
    // The script's watchdog removes the server if this process dies before ~PgServer.
    ::setenv("PG_TEST_OWNER_PID", std::to_string(::getpid()).c_str(), 1);
    auto r = Script("start");
    if (r.exit_code == 0 && !r.out.empty()) {
      conninfo_ = r.out.substr(0, r.out.find('\n'));
    } else {
      error_ = "exit " + std::to_string(r.exit_code) + ": " + r.err + r.out;
    }
  }
  ~PgServer() { Script("stop"); }

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  const std::string& conninfo() const { return conninfo_; }
  // pg_ctl restart -m fast; returns the script's stderr on failure.
  std::string Restart() {
    auto r = Script("restart");
    return r.exit_code == 0 ? "" : r.err + r.out;
  }

 private:
  ProcessResult Script(const std::string& command) {
    return RunProcess({"/bin/bash", std::string(STRATA_SOURCE_DIR) + "/scripts/pg_test_server.sh",
                       command, dir_.path(), port_},
                      {}, std::chrono::seconds(60));
  }

  TempDir dir_;
  std::string port_, conninfo_, error_;
};

}  // namespace strata::testing
