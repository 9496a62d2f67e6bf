// Headless Chromium driven over the DevTools protocol (--remote-debugging-pipe: JSON messages,
// each ended by a NUL, on fds 3 and 4): opens a page and evaluates expressions in it, in real
// time -- what --dump-dom cannot do for a page that keeps a streaming response open.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

namespace oms::omsd::test {

class DevToolsPage {
 public:
  // Starts /usr/bin/chromium and opens `url` in a new tab; throws naming what failed.
  explicit DevToolsPage(const std::string& url);
  ~DevToolsPage();  // closes the browser (SIGKILL after 5 s)
  DevToolsPage(const DevToolsPage&) = delete;
  DevToolsPage& operator=(const DevToolsPage&) = delete;

  // The expression's value (Runtime.evaluate, returnByValue); throws on a protocol error or
  // when no answer comes within 10 s.
  nlohmann::json evaluate(const std::string& expression);

 private:
  nlohmann::json call(const std::string& method, const nlohmann::json& params, bool in_page);
  std::string read_message(std::chrono::steady_clock::time_point deadline);

  pid_t pid_ = 0;
  int to_browser_ = -1, from_browser_ = -1;
  int next_id_ = 1;
  std::string session_;
  std::string buffer_;
};

}  // namespace oms::omsd::test
