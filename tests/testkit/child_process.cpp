#include "testkit/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <string_view>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace oms::testkit {
namespace {

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// The inherited environment with `extra` (NAME=value each) in place of the inherited entries of
// the same names: a variable set twice would read as its first occurrence.
std::vector<char*> env_with(std::vector<std::string>& extra) {
  std::vector<char*> env;
  const auto overridden = [&extra](std::string_view entry) {
    const auto eq = entry.find('=');
    for (const auto& x : extra) {
      if (eq != std::string_view::npos && x.size() > eq && x.compare(0, eq + 1, entry.substr(0, eq + 1)) == 0) return true;
    }
    return false;
  };
  for (char** e = environ; *e != nullptr; ++e) {
    if (!overridden(*e)) env.push_back(*e);
  }
  for (auto& x : extra) env.push_back(x.data());
  env.push_back(nullptr);
  return env;
}

}  // namespace

ChildProcess::ChildProcess(std::vector<std::string> argv, std::filesystem::path stderr_file,
                           std::vector<std::string> extra_env)
    : stderr_file_(std::move(stderr_file)) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  if (!stderr_file_.empty()) {
    posix_spawn_file_actions_addopen(&fa, 2, stderr_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0600);
  }
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  auto env = env_with(extra_env);
  const int rc = posix_spawn(&pid_, args[0], &fa, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&fa);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    throw std::runtime_error("spawn " + argv[0] + ": " + std::strerror(rc));
  }
  out_ = fds[0];
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) kill();
  if (out_ >= 0) ::close(out_);
}

std::string ChildProcess::line(std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  for (;;) {
    if (const auto nl = buffer_.find('\n'); nl != std::string::npos) {
      std::string s = buffer_.substr(0, nl);
      buffer_.erase(0, nl + 1);
      return s;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || out_ < 0) return {};
    pollfd p{out_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100))) <= 0) continue;
    char buf[4096];
    const auto n = ::read(out_, buf, sizeof buf);
    if (n <= 0) {
      ::close(out_);
      out_ = -1;
      std::string s = std::move(buffer_);
      buffer_.clear();
      return s;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

std::string ChildProcess::wait_for_line(const std::string& prefix, std::chrono::milliseconds bound) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    std::string s = line(left);
    if (s.rfind(prefix, 0) == 0) return s;
    if (out_ < 0 && buffer_.empty()) break;  // EOF
  }
  throw std::runtime_error("no line starting with '" + prefix + "'; stderr tail:\n" + stderr_tail());
}

std::string ChildProcess::rest(std::chrono::milliseconds bound) {
  std::string all;
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (out_ >= 0 && std::chrono::steady_clock::now() < deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    all += line(left);
    all += '\n';
  }
  all += buffer_;
  buffer_.clear();
  return all;
}

int ChildProcess::wait(std::chrono::milliseconds bound) {
  if (pid_ <= 0) return status_;
  const auto deadline = std::chrono::steady_clock::now() + bound;
  int status = 0;
  for (;;) {
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      status_ = exit_code(status);
      return status_;
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int ChildProcess::stop(std::chrono::milliseconds grace) {
  if (pid_ <= 0) return status_;
  ::kill(pid_, SIGTERM);
  const int code = wait(grace);
  if (code != -1) return code;
  kill();
  return -1;
}

void ChildProcess::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  status_ = exit_code(status);
  pid_ = -1;
}

bool ChildProcess::running() {
  if (pid_ <= 0) return false;
  return wait(std::chrono::milliseconds(0)) == -1;
}

std::string ChildProcess::stderr_tail(std::size_t bytes) const {
  if (stderr_file_.empty()) return "(stderr not captured)";
  std::ifstream in(stderr_file_, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string s = ss.str();
  return s.size() > bytes ? s.substr(s.size() - bytes) : s;
}

RunResult run_process(std::vector<std::string> argv, std::chrono::milliseconds bound,
                      std::vector<std::string> extra_env) {
  char tmpl[] = "/tmp/oms-run-XXXXXX";
  const int fd = ::mkstemp(tmpl);
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  RunResult r;
  {
    ChildProcess child(std::move(argv), tmpl, std::move(extra_env));
    r.out = child.rest(bound);
    r.code = child.wait(bound);
    if (r.code == -1) child.kill();
    r.err = child.stderr_tail(1 << 20);
  }
  ::unlink(tmpl);
  while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
  return r;
}

}  // namespace oms::testkit
