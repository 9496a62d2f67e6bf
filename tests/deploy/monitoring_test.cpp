// deploy/monitoring/: the Prometheus alert rules (omsd-alerts.yml) and the Grafana dashboard
// (omsd-dashboard.json) are well formed and name only metrics a live omsd exports. The names
// come from the /metrics of an omsd started with nats-server and venue-sim (tests/omsd's
// stack), every family a `# TYPE` line announces (a family is announced also while it has no
// sample) -- with a histogram's or summary's _bucket/_sum/_count series. The stack runs with
// the kernel's memory-deny-write-execute set on this process (PR_SET_MDWE, inherited by every
// child): what omsd.service's MemoryDenyWriteExecute=yes asks of omsd, nats-server and
// venue-sim. A label matcher must name a label the metric's samples carry (when the scrape has
// samples of it), and brackets must balance (promtool is not installed: no full PromQL parse).
// A misspelled metric or label in a copy of either file is reported (the check can fail).
#include <doctest/doctest.h>
#include <sys/prctl.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "stack.hpp"
#include "testkit/wait.hpp"

using namespace oms::omsd::test;
using namespace std::chrono_literals;

namespace {

#ifndef PR_SET_MDWE
#define PR_SET_MDWE 65
#endif
#ifndef PR_MDWE_REFUSE_EXEC_GAIN
#define PR_MDWE_REFUSE_EXEC_GAIN 1UL
#endif

const std::string kMonitoring = OMS_SOURCE_DIR "/deploy/monitoring";

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// What a scrape shows: the series names it can have -- every announced family, and a
// histogram's or summary's _bucket/_sum/_count (Prometheus keeps those as names of their own)
// -- and, for the names with samples, the label names seen on them.
struct Exported {
  std::set<std::string> names;
  std::map<std::string, std::set<std::string>> labels;
};

Exported exported_names(const std::string& body) {
  Exported out;
  std::istringstream in(body);
  static const std::regex kLabel(R"(([A-Za-z_][A-Za-z0-9_]*)=")");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream w(line.substr(7));
      std::string name, type;
      w >> name >> type;
      out.names.insert(name);
      if (type == "histogram" || type == "summary") {
        out.names.insert(name + "_sum");
        out.names.insert(name + "_count");
        if (type == "histogram") out.names.insert(name + "_bucket");
      }
    } else if (!line.empty() && line[0] != '#') {
      const auto end = line.find_first_of("{ ");
      const std::string name = line.substr(0, end);
      out.names.insert(name);
      auto& labels = out.labels[name];
      if (end != std::string::npos && line[end] == '{') {
        const std::string inside = line.substr(end + 1, line.rfind('}') - end - 1);
        for (std::sregex_iterator it(inside.begin(), inside.end(), kLabel), stop; it != stop; ++it)
          labels.insert((*it)[1].str());
      }
    }
  }
  // Prometheus itself makes `up` for every scraped target (0 when the scrape failed), and adds
  // job and instance to every series it stores.
  out.names.insert("up");
  out.labels["up"] = {};
  for (auto& [name, labels] : out.labels) labels.insert({"job", "instance"});
  return out;
}

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':'; }
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) != 0; }

// The metric names a PromQL expression selects: identifiers outside strings, label matchers
// and ranges that are not a function or aggregation (followed by '(' or named below), not a
// keyword, not a label list after by/without/on/ignoring/group_left/group_right.
struct Selector {
  std::string name;
  std::vector<std::string> labels;  // the label names its matchers use
};

std::vector<Selector> selectors(const std::string& expr) {
  static const std::set<std::string> kAggregations{"sum",    "min",    "max",         "avg",
                                                   "group",  "stddev", "stdvar",      "count",
                                                   "count_values", "bottomk", "topk", "quantile"};
  static const std::set<std::string> kLabelLists{"by", "without", "on", "ignoring", "group_left",
                                                 "group_right"};
  static const std::set<std::string> kKeywords{"and", "or", "unless", "bool", "offset", "inf", "nan"};
  std::vector<Selector> out;
  std::size_t i = 0;
  const auto skip_string = [&](char q) {
    for (++i; i < expr.size() && expr[i] != q; ++i)
      if (expr[i] == '\\' && q != '`') ++i;
    ++i;
  };
  const auto skip_until = [&](char close) {
    while (i < expr.size() && expr[i] != close) {
      if (expr[i] == '"' || expr[i] == '\'' || expr[i] == '`') skip_string(expr[i]);
      else ++i;
    }
    ++i;
  };
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      skip_string(c);
    } else if (c == '{') {
      skip_until('}');
    } else if (c == '[') {
      skip_until(']');
    } else if (c == '$') {  // a Grafana variable: $__rate_interval, ${account}
      ++i;
      if (i < expr.size() && expr[i] == '{') skip_until('}');
      while (i < expr.size() && ident_char(expr[i])) ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.') {
      while (i < expr.size() && (ident_char(expr[i]) || expr[i] == '.')) ++i;  // 0.99, 1e3, 5m
    } else if (ident_start(c)) {
      const auto start = i;
      while (i < expr.size() && ident_char(expr[i])) ++i;
      const std::string word = expr.substr(start, i - start);
      auto j = i;
      while (j < expr.size() && std::isspace(static_cast<unsigned char>(expr[j])) != 0) ++j;
      const bool call = j < expr.size() && expr[j] == '(';
      if (kLabelLists.count(word) != 0) {
        if (call) {
          i = j + 1;
          skip_until(')');
        }
      } else if (word == "offset") {
        while (i < expr.size() && std::isspace(static_cast<unsigned char>(expr[i])) != 0) ++i;
        while (i < expr.size() && (ident_char(expr[i]) || expr[i] == '-')) ++i;
      } else if (!call && kAggregations.count(word) == 0 && kKeywords.count(word) == 0) {
        Selector sel{word, {}};
        if (j < expr.size() && expr[j] == '{') {  // label matchers: name op "value", ...
          i = j + 1;
          while (i < expr.size() && expr[i] != '}') {
            if (ident_start(expr[i])) {
              const auto l = i;
              while (i < expr.size() && ident_char(expr[i])) ++i;
              sel.labels.push_back(expr.substr(l, i - l));
            } else if (expr[i] == '"' || expr[i] == '\'' || expr[i] == '`') {
              skip_string(expr[i]);
            } else {
              ++i;
            }
          }
          ++i;
        }
        out.push_back(std::move(sel));
      }
    } else {
      ++i;
    }
  }
  return out;
}

std::vector<std::string> metric_names(const std::string& expr) {
  std::vector<std::string> out;
  for (const auto& s : selectors(expr)) out.push_back(s.name);
  return out;
}

// Brackets balanced outside strings (promtool is not installed here: a cheap syntax check).
bool balanced(const std::string& expr) {
  std::string open;
  for (std::size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      for (++i; i < expr.size() && expr[i] != c; ++i)
        if (expr[i] == '\\' && c != '`') ++i;
      if (i >= expr.size()) return false;
    } else if (c == '(' || c == '[' || c == '{') {
      open.push_back(c);
    } else if (c == ')' || c == ']' || c == '}') {
      const char want = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (open.empty() || open.back() != want) return false;
      open.pop_back();
    }
  }
  return open.empty();
}

void check_names(const std::string& where, const std::string& expr, const Exported& exported,
                 std::vector<std::string>& problems) {
  if (!balanced(expr)) problems.push_back(where + ": unbalanced brackets or quotes: " + expr);
  const auto found = selectors(expr);
  if (found.empty()) problems.push_back(where + ": selects no metric: " + expr);
  for (const auto& sel : found) {
    if (exported.names.count(sel.name) == 0) {
      problems.push_back(where + ": " + sel.name + " is not a metric omsd exports");
      continue;
    }
    // A label the metric's samples do not have matches nothing (=) or everything (!=): only
    // checkable when the scrape had samples of it, and a bucket has `le` besides.
    const auto seen = exported.labels.find(sel.name);
    if (seen == exported.labels.end()) continue;
    for (const auto& l : sel.labels)
      if (seen->second.count(l) == 0 && l != "__name__")
        problems.push_back(where + ": " + sel.name + " has no label '" + l + "'");
  }
}

// Every problem in a Prometheus rule file (empty: none).
std::vector<std::string> check_rules(const YAML::Node& doc, const Exported& exported) {
  std::vector<std::string> problems;
  static const std::regex kDuration("^[0-9]+(ms|s|m|h|d)$");
  static const std::regex kAlertName("^[A-Z][A-Za-z0-9]+$");
  static const std::set<std::string> kSeverities{"critical", "warning", "info"};
  if (!doc["groups"] || !doc["groups"].IsSequence() || doc["groups"].size() == 0) {
    return {"no groups: list"};
  }
  std::set<std::string> alerts;
  for (const auto& g : doc["groups"]) {
    const std::string group = g["name"] ? g["name"].as<std::string>() : "";
    if (group.empty()) problems.push_back("a group without a name");
    if (!g["rules"] || !g["rules"].IsSequence() || g["rules"].size() == 0) {
      problems.push_back("group " + group + ": no rules");
      continue;
    }
    for (const auto& r : g["rules"]) {
      const std::string alert = r["alert"] ? r["alert"].as<std::string>() : "";
      const std::string where = "group " + group + ", alert " + (alert.empty() ? "?" : alert);
      if (!std::regex_match(alert, kAlertName)) problems.push_back(where + ": alert name missing or not CamelCase");
      if (!alerts.insert(alert).second) problems.push_back(where + ": alert named twice");
      const std::string expr = r["expr"] ? r["expr"].as<std::string>() : "";
      if (expr.empty()) problems.push_back(where + ": no expr");
      else check_names(where, expr, exported, problems);
      const std::string for_ = r["for"] ? r["for"].as<std::string>() : "";
      if (!std::regex_match(for_, kDuration)) problems.push_back(where + ": 'for' missing or not a duration");
      const std::string severity = r["labels"] && r["labels"]["severity"] ? r["labels"]["severity"].as<std::string>() : "";
      if (kSeverities.count(severity) == 0) problems.push_back(where + ": labels.severity not critical|warning|info");
      const std::string summary =
          r["annotations"] && r["annotations"]["summary"] ? r["annotations"]["summary"].as<std::string>() : "";
      if (summary.empty()) problems.push_back(where + ": no annotations.summary");
      for (const auto& key : r) {
        const auto k = key.first.as<std::string>();
        if (k != "alert" && k != "expr" && k != "for" && k != "labels" && k != "annotations")
          problems.push_back(where + ": unknown key '" + k + "'");
      }
    }
  }
  return problems;
}

void check_panels(const nlohmann::json& panels, const Exported& exported,
                  std::vector<std::string>& problems, std::set<int>& ids) {
  for (const auto& p : panels) {
    const std::string title = p.value("title", "");
    const std::string where = "panel '" + title + "'";
    if (title.empty()) problems.push_back("a panel without a title");
    if (!p.contains("id") || !p["id"].is_number_integer() || !ids.insert(p["id"].get<int>()).second)
      problems.push_back(where + ": id missing or not unique");
    if (!p.contains("gridPos")) problems.push_back(where + ": no gridPos");
    if (p.value("type", "") == "row") {
      if (p.contains("panels")) check_panels(p["panels"], exported, problems, ids);
      continue;
    }
    if (!p.contains("targets") || !p["targets"].is_array() || p["targets"].empty()) {
      problems.push_back(where + ": no targets");
      continue;
    }
    for (const auto& t : p["targets"]) {
      const std::string expr = t.value("expr", "");
      if (expr.empty()) problems.push_back(where + ": a target without expr");
      else check_names(where, expr, exported, problems);
    }
  }
}

std::vector<std::string> check_dashboard(const nlohmann::json& d, const Exported& exported) {
  std::vector<std::string> problems;
  if (d.value("title", "").empty()) problems.push_back("dashboard without a title");
  if (d.value("uid", "").empty()) problems.push_back("dashboard without a uid");
  if (!d.contains("panels") || !d["panels"].is_array() || d["panels"].empty()) return {"no panels"};
  std::set<int> ids;
  check_panels(d["panels"], exported, problems, ids);
  // Query variables: label_values(SELECTOR, label) -- the selector's metric.
  if (d.contains("templating") && d["templating"].contains("list")) {
    static const std::regex kLabelValues(R"(^label_values\((.*),\s*[A-Za-z_][A-Za-z0-9_]*\)$)");
    for (const auto& v : d["templating"]["list"]) {
      if (v.value("type", "") != "query") continue;
      const std::string def = v.value("definition", "");
      std::smatch m;
      if (!std::regex_match(def, m, kLabelValues)) {
        problems.push_back("variable " + v.value("name", "?") + ": not label_values(SELECTOR, label): " + def);
        continue;
      }
      check_names("variable " + v.value("name", "?"), m[1].str(), exported, problems);
    }
  }
  return problems;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

// One live scrape per test run: the stack is started (under MDWE) the first time it is asked.
const std::string& live_metrics() {
  static const std::string body = [] {
    REQUIRE_MESSAGE(::prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0UL, 0UL, 0UL) == 0,
                    "prctl(PR_SET_MDWE) refused: the kernel has no memory-deny-write-execute (6.3+)");
    Stack s;
    s.start_omsd();
    std::pair<int, std::string> r;
    // The venues' sessions and market data come up after "omsd ready": wait for their series.
    (void)oms::testkit::eventually(
        [&] {
          std::this_thread::sleep_for(200ms);
          r = s.http_get("/metrics");
          return r.first == 200 && r.second.find("oms_market_data_age_seconds{") != std::string::npos;
        },
        20s);
    REQUIRE_MESSAGE(r.first == 200, "GET /metrics: " << r.first);
    REQUIRE(s.omsd_running());
    return r.second;
  }();
  return body;
}

}  // namespace

TEST_CASE("the PromQL reader finds the metric names and nothing else") {
  CHECK(metric_names("sum by (account) (rate(oms_fills_total{account=~\"a|b\"}[5m])) > 0.5") ==
        std::vector<std::string>{"oms_fills_total"});
  CHECK(metric_names("histogram_quantile(0.99, sum without (x) (rate(a_bucket[$__rate_interval]))) / on (le) b "
                     "offset 5m and c == bool 1") == std::vector<std::string>{"a_bucket", "b", "c"});
  CHECK(metric_names("max_over_time(oms_x{job=\"}\"}[1h:5m])") == std::vector<std::string>{"oms_x"});
  CHECK(metric_names("sum(x) by (le)") == std::vector<std::string>{"x"});
  const auto sel = selectors("rate(a{code!~\"2...\", account = \"x,y\"}[5m]) / b");
  REQUIRE(sel.size() == 2);
  CHECK(sel[0].labels == std::vector<std::string>{"code", "account"});
  CHECK(sel[1].labels.empty());
  CHECK(balanced("sum(rate(a{b=\")\"}[5m]))"));
  CHECK_FALSE(balanced("sum(rate(a[5m])"));
  CHECK_FALSE(balanced("a{b=\"c}"));
}

TEST_CASE("omsd runs under memory-deny-write-execute and exports the metrics the rules and the dashboard use") {
  const auto exported = exported_names(live_metrics());
  INFO(live_metrics());
  REQUIRE(exported.names.count("oms_health_status") == 1);

  const auto rules = YAML::LoadFile(kMonitoring + "/omsd-alerts.yml");
  const auto rule_problems = check_rules(rules, exported);
  CHECK_MESSAGE(rule_problems.empty(), joined(rule_problems));

  const auto dashboard = nlohmann::json::parse(read_file(kMonitoring + "/omsd-dashboard.json"));
  const auto dashboard_problems = check_dashboard(dashboard, exported);
  CHECK_MESSAGE(dashboard_problems.empty(), joined(dashboard_problems));
}

TEST_CASE("a misspelled metric or label, a missing severity or a panel without targets is reported") {
  const auto exported = exported_names(live_metrics());

  auto rules = YAML::LoadFile(kMonitoring + "/omsd-alerts.yml");
  auto rule = rules["groups"][0]["rules"][0];
  const std::string expr = rule["expr"].as<std::string>();
  const auto names = metric_names(expr);
  REQUIRE_FALSE(names.empty());
  const std::string wrong = names.front() + "s";  // e.g. oms_health_statuss
  rule["expr"] = std::regex_replace(expr, std::regex("\\b" + names.front() + "\\b"), wrong);
  auto problems = joined(check_rules(rules, exported));
  CHECK_MESSAGE(problems.find(wrong + " is not a metric omsd exports") != std::string::npos, problems);

  // A label the metric does not have: oms_health_status{acount="x"}.
  rules = YAML::LoadFile(kMonitoring + "/omsd-alerts.yml");
  rules["groups"][0]["rules"][1]["expr"] = "oms_health_status{acount=\"binance_main\"} == 2";
  problems = joined(check_rules(rules, exported));
  CHECK_MESSAGE(problems.find("oms_health_status has no label 'acount'") != std::string::npos, problems);

  rules = YAML::LoadFile(kMonitoring + "/omsd-alerts.yml");
  rules["groups"][0]["rules"][0]["labels"].remove("severity");
  problems = joined(check_rules(rules, exported));
  CHECK_MESSAGE(problems.find("labels.severity") != std::string::npos, problems);

  auto dashboard = nlohmann::json::parse(read_file(kMonitoring + "/omsd-dashboard.json"));
  nlohmann::json* target = nullptr;
  for (auto& p : dashboard["panels"])
    if (p.contains("targets") && !p["targets"].empty()) {
      target = &p["targets"][0];
      break;
    }
  REQUIRE(target != nullptr);
  const std::string panel_expr = (*target)["expr"].get<std::string>();
  const auto panel_names = metric_names(panel_expr);
  REQUIRE_FALSE(panel_names.empty());
  const std::string misspelled = "oms_" + panel_names.front().substr(4) + "_typo";
  (*target)["expr"] = std::regex_replace(panel_expr, std::regex("\\b" + panel_names.front() + "\\b"), misspelled);
  problems = joined(check_dashboard(dashboard, exported));
  CHECK_MESSAGE(problems.find(misspelled + " is not a metric omsd exports") != std::string::npos, problems);

  dashboard = nlohmann::json::parse(read_file(kMonitoring + "/omsd-dashboard.json"));
  for (auto& p : dashboard["panels"])
    if (p.contains("targets")) {
      p.erase("targets");
      break;
    }
  problems = joined(check_dashboard(dashboard, exported));
  CHECK_MESSAGE(problems.find("no targets") != std::string::npos, problems);
}
