// A child process for integration tests (omsd, venue-sim, omsctl): spawned with argv, stdout
// read line by line with a bound, stderr to a file (the test greps it), stopped with SIGTERM
// (then SIGKILL) or killed with SIGKILL; always reaped in the destructor.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace oms::testkit {

class ChildProcess {
 public:
  // Throws std::runtime_error when the spawn fails. stderr_file empty: inherited.
  explicit ChildProcess(std::vector<std::string> argv, std::filesystem::path stderr_file = {},
                        std::vector<std::string> extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next stdout line within the bound; nullopt-like "" with timed_out() on timeout or EOF.
  std::string line(std::chrono::milliseconds bound = std::chrono::seconds(10));
  // Reads stdout lines until one starts with `prefix` (returned), within the bound; throws
  // std::runtime_error naming the prefix and the stderr file's tail otherwise.
  std::string wait_for_line(const std::string& prefix,
                            std::chrono::milliseconds bound = std::chrono::seconds(30));
  // Everything left on stdout until EOF (the process exits) within the bound.
  std::string rest(std::chrono::milliseconds bound = std::chrono::seconds(30));

  int stop(std::chrono::milliseconds grace = std::chrono::seconds(15));  // SIGTERM; exit code
  void kill();                                                            // SIGKILL, reaped
  // Waits for the exit within the bound: the exit code (128 + signal), or -1 on timeout.
  int wait(std::chrono::milliseconds bound);
  [[nodiscard]] bool running();
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  [[nodiscard]] std::string stderr_tail(std::size_t bytes = 4000) const;

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int status_ = -1;
  std::filesystem::path stderr_file_;
  std::string buffer_;
};

// Runs argv to completion (bounded): exit code, stdout, stderr.
struct RunResult {
  int code = -1;
  std::string out;
  std::string err;
};
RunResult run_process(std::vector<std::string> argv, std::chrono::milliseconds bound,
                      std::vector<std::string> extra_env = {});

}  // namespace oms::testkit
