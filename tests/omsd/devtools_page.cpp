#include "devtools_page.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace oms::omsd::test {

DevToolsPage::DevToolsPage(const std::string& url) {
  int in[2], out[2];  // in: we write, the browser reads (its fd 3); out: the reverse (its fd 4)
  if (::pipe(in) != 0 || ::pipe(out) != 0) throw std::runtime_error("devtools: pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("devtools: fork failed");
  if (pid_ == 0) {
    ::dup2(in[0], 3);
    ::dup2(out[1], 4);
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    for (int fd = 5; fd < 1024; ++fd) ::close(fd);
    const char* argv[] = {"/usr/bin/chromium",
                          "--headless",
                          "--no-sandbox",
                          "--disable-gpu",
                          "--remote-debugging-pipe",
                          "--window-size=1200,1600",
                          "about:blank",
                          nullptr};
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  to_browser_ = in[1];
  from_browser_ = out[0];
  const auto target = call("Target.createTarget", {{"url", url}}, false);
  const auto attached = call("Target.attachToTarget",
                             {{"targetId", target.at("targetId")}, {"flatten", true}}, false);
  session_ = attached.at("sessionId").get<std::string>();
}

DevToolsPage::~DevToolsPage() {
  if (to_browser_ >= 0) ::close(to_browser_);
  if (from_browser_ >= 0) ::close(from_browser_);
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

nlohmann::json DevToolsPage::evaluate(const std::string& expression) {
  const auto r =
      call("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}}, true);
  if (r.contains("exceptionDetails"))
    throw std::runtime_error("devtools: " + expression + ": " + r.dump());
  return r.at("result").value("value", nlohmann::json());
}

nlohmann::json DevToolsPage::call(const std::string& method, const nlohmann::json& params,
                                  bool in_page) {
  const int id = next_id_++;
  nlohmann::json msg{{"id", id}, {"method", method}, {"params", params}};
  if (in_page) msg["sessionId"] = session_;
  std::string text = msg.dump();
  text.push_back('\0');
  std::string_view rest(text);
  while (!rest.empty()) {
    const auto n = ::write(to_browser_, rest.data(), rest.size());
    if (n <= 0) throw std::runtime_error("devtools: the browser is gone (" + method + ")");
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (;;) {
    const auto reply = nlohmann::json::parse(read_message(deadline));
    if (reply.value("id", 0) != id) continue;  // events and other answers
    if (reply.contains("error"))
      throw std::runtime_error("devtools: " + method + ": " + reply.at("error").dump());
    return reply.at("result");
  }
}

std::string DevToolsPage::read_message(std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    if (const auto end = buffer_.find('\0'); end != std::string::npos) {
      std::string m = buffer_.substr(0, end);
      buffer_.erase(0, end + 1);
      return m;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("devtools: no answer within 10 s");
    pollfd p{from_browser_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[65536];
    const auto n = ::read(from_browser_, buf, sizeof buf);
    if (n <= 0) throw std::runtime_error("devtools: the browser closed its pipe");
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace oms::omsd::test
