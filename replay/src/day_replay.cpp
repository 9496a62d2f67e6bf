#include "oms/replay/day_replay.hpp"

#include <openssl/evp.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <set>
#include <stdexcept>

#include "oms/configs/config.hpp"
#include "oms/actors/event_log.hpp"
#include "oms/messages/codec.hpp"
#include "oms/messages/subjects.hpp"
#include "oms/replay/comparing_store.hpp"
#include "oms/replay/progress.hpp"
#include "oms/setup/engine_setup.hpp"

namespace oms::replay {

namespace {

using actors::InputRecord;
using actors::InputStep;

// SHA-256 over the range's events.
class Sha256 {
 public:
  Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~Sha256() { EVP_MD_CTX_free(ctx_); }
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void add(std::string_view s) { EVP_DigestUpdate(ctx_, s.data(), s.size()); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, md, &n);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < n; ++i) {
      out += kHex[md[i] >> 4U];
      out += kHex[md[i] & 0xFU];
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

std::string describe(const InputRecord& r, const Directory* d) {
  std::string out = "  #" + std::to_string(r.seq) + " " + std::string(to_string(r.step)) + " at " +
                    utc_text(r.now, 6);
  if (d != nullptr && r.account.valid() && r.account.index() < d->accounts.size()) {
    out += " account " + d->accounts.name(r.account);
  }
  if (r.step == InputStep::kMark) out += " mark " + r.value.to_string();
  if (d != nullptr) {
    if (const auto* c = std::get_if<Command>(&r.body)) {
      auto j = encode_json(*c, *d);
      out += ": " + (j ? *j : std::string("(does not encode: ") + j.error().message + ")");
    } else if (const auto* e = std::get_if<Event>(&r.body)) {
      auto j = encode_json(*e, *d);
      std::string text = j ? *j : std::string("(does not encode: ") + j.error().message + ")";
      // A book's levels run long: its head says which book and update it was.
      constexpr std::size_t kMarketDataShown = 400;
      if (r.step == InputStep::kMarketData && text.size() > kMarketDataShown) {
        text = text.substr(0, kMarketDataShown) + "... (" + std::to_string(text.size()) + " bytes)";
      }
      out += ": " + text;
    }
  }
  return out;
}

struct Run {
  std::uint64_t id = 0;
  EngineParts parts;
  std::unique_ptr<ComparingStore> store;
  std::unique_ptr<actors::EventLog> log;
  std::unique_ptr<actors::Engine> engine;
};

struct Start {
  std::uint64_t run = 0;
  std::map<std::string, std::uint64_t> positions;
  std::string setup;
};

Result<Start, std::string> parse_start(const std::string& text, std::uint64_t run) {
  try {
    const auto j = nlohmann::json::parse(text);
    Start s;
    s.run = j.at("run").get<std::uint64_t>();
    if (s.run != run) return Unexpected("run " + std::to_string(run) + ": its start record names run " + std::to_string(s.run));
    s.positions = j.at("streams").get<std::map<std::string, std::uint64_t>>();
    s.setup = j.at("setup").get<std::string>();
    return s;
  } catch (const nlohmann::json::exception& e) {
    return Unexpected("run " + std::to_string(run) + ": start record: " + e.what());
  }
}

}  // namespace

Result<ReplayResult, std::string> replay_range(persistence::EventStore& recording,
                                               const ReplayOptions& options,
                                               const EngineFactory& factory,
                                               const std::function<void(const ReplayProgress&)>& progress) {
  auto run0 = first_run_at(recording, options.streams.inputs, options.desk, options.from);
  if (!run0) return Unexpected(run0.error());
  if (*run0 == 0) {
    return Unexpected("no recorded input of desk " + std::to_string(options.desk) + " at or after " +
                      utc_text(options.from, 6) + " in " + options.streams.inputs);
  }

  ReplayResult result;
  Sha256 sha;
  bool counted = false;  // the record being run is in the range
  std::unique_ptr<Run> run;
  std::unique_ptr<InputReader> reader;
  std::string start_text, checkpoint_text;
  // Where the last records run are stored (stream index, sequence): a divergence's report reads
  // them back, so the hot loop copies no record.
  constexpr std::size_t kRecent = 256;
  std::array<std::pair<std::size_t, std::uint64_t>, kRecent> recent{};
  std::size_t recent_count = 0;
  const auto began = std::chrono::steady_clock::now();
  auto last_progress = began;

  // A run's engine as it was built at the run's start (its start record), over a store that
  // compares from the start's stream positions.
  const auto make_run = [&](const Start& start, TimeNs clock) -> Result<std::unique_ptr<Run>, std::string> {
    auto parts = factory(start.setup);
    if (!parts) return Unexpected("run " + std::to_string(start.run) + ": setup: " + parts.error());
    auto next = std::make_unique<Run>();
    next->id = start.run;
    next->parts = std::move(parts).value();
    auto& p = next->parts;
    // --accounts: every account's engine still runs and is compared (an account's events
    // carry the daemon-global sequence, which the others' events in the same input move);
    // only the named accounts' events are counted and hashed.
    std::set<std::string> counted_streams;
    for (const auto& a : p.accounts) {
      if (options.accounts.empty() || std::find(options.accounts.begin(), options.accounts.end(),
                                                a.name) != options.accounts.end()) {
        counted_streams.insert(a.stream);
      }
    }
    std::map<std::string, std::uint64_t> compared;
    for (const auto& a : p.accounts) {
      const auto it = start.positions.find(a.stream);
      if (it == start.positions.end()) {
        return Unexpected("run " + std::to_string(start.run) + ": its start record has no position for " + a.stream);
      }
      compared.insert(*it);
    }
    const std::string strategies(persistence::StreamLayout::kStrategies);
    if (const auto it = start.positions.find(strategies); it != start.positions.end()) compared.insert(*it);
    if (options.accounts.empty()) counted_streams.insert(strategies);
    next->store = std::make_unique<ComparingStore>(recording, p.layout, std::move(compared));
    // Daemons sharing a NATS cluster share STRATEGIES: another desk's risk and manual records,
    // and the records of strategies another daemon runs, are not this engine's.
    std::vector<std::string> elsewhere;
    for (const auto& st : p.options.strategies) {
      if (st.elsewhere) elsewhere.push_back("strategies." + escape_token(p.directory->strategies.name(st.id)) + ".");
    }
    next->store->foreign = [desk = p.options.desk, elsewhere](std::string_view subject) {
      if (actors::SubjectMap::other_desks(subject, desk)) return true;
      return std::any_of(elsewhere.begin(), elsewhere.end(),
                         [&](const std::string& prefix) { return subject.starts_with(prefix); });
    };
    next->store->on_match = [&result, &sha, &counted, &options, counted_streams,
                             layout = &next->parts.layout](const persistence::AppendRecord& rec) {
      if (!options.accounts.empty()) {
        const auto stream = layout->stream_for(rec.subject);
        if (!stream || counted_streams.count(*stream) == 0) return;
      }
      if (!counted) {
        ++result.warmup_events;
        return;
      }
      ++result.events;
      sha.add(rec.subject);
      sha.add(std::string_view("\0", 1));
      sha.add(rec.payload);
      sha.add(std::string_view("\0", 1));
    };
    next->log = std::make_unique<actors::EventLog>(*next->store, nullptr, *p.directory,
                                                   actors::Publish::kInline);
    actors::EngineOptions eo = p.options;
    eo.run_shard = false;
    eo.record_inputs = false;
    eo.board_path.clear();
    eo.cpu = -1;
    eo.clock = [clock] { return clock; };
    try {
      next->engine = std::make_unique<actors::Engine>(std::move(eo), *p.table, *next->log,
                                                      *next->store, nullptr, p.risk, p.accounts);
    } catch (const std::exception& e) {
      return Unexpected("run " + std::to_string(start.run) + ": the engine cannot be rebuilt: " + e.what());
    }
    return next;
  };

  // A range that begins inside a run: from the run's last checkpoint before it. false: none
  // usable (a note says why when one was found), the run is replayed from its start.
  const auto from_checkpoint = [&]() -> Result<bool, std::string> {
    auto found = last_checkpoint_before(recording, options.streams.inputs, options.desk, *run0, options.from);
    if (!found) return Unexpected(found.error());
    if (!*found) return false;
    const RecordedCheckpoint& cp = **found;
    const std::string where = "the checkpoint at " + utc_text(cp.now, 6) + " (run " +
                              std::to_string(cp.run) + ", input #" + std::to_string(cp.last_seq) + ")";
    auto starts = recorded_starts(recording, options.streams.inputs, options.desk,
                                  persistence::utc_day(static_cast<TimeNs>(*run0)), cp.now);
    if (!starts) return Unexpected(starts.error());
    const auto st = std::find_if(starts->begin(), starts->end(),
                                 [&](const RecordedStart& s) { return s.run == *run0; });
    if (st == starts->end()) {
      result.notes.push_back(where + " not used: its run's start record is not in " + options.streams.inputs);
      return false;
    }
    auto start = parse_start(st->text, *run0);
    if (!start) return Unexpected(start.error());
    auto made = make_run(*start, static_cast<TimeNs>(*run0));
    if (!made) return Unexpected(made.error());
    Run& r = **made;
    // Each compared stream from its last record committed before the checkpoint.
    std::map<std::string, std::uint64_t> positions;
    for (const auto& [stream, pos] : r.store->positions()) {
      auto last = recording.last_sequence(stream);
      if (!last) return Unexpected(last.error().message);
      auto at = last_sequence_at_or_below(
          recording, stream, pos + 1, *last,
          [&](const persistence::StoredRecord& rec) -> std::optional<SequenceKey> {
            auto e = decode_event_json(rec.payload, *r.parts.directory);
            if (!e) return std::nullopt;
            return SequenceKey{e->envelope.global_seq, 0};
          },
          SequenceKey{cp.global_seq, 0});
      if (!at) return Unexpected(at.error());
      positions[stream] = *at;
    }
    r.store->reposition(positions);
    if (auto e = r.engine->load_checkpoint(cp.bytes)) {
      result.notes.push_back(where + " not used: " + *e);
      return false;
    }
    // Each input stream from where the checkpoint was taken.
    std::vector<std::uint64_t> from{cp.inputs_sequence + 1};
    for (const auto& md : options.streams.md_streams) {
      auto first = first_sequence_from_day(recording, md, persistence::utc_day(static_cast<TimeNs>(*run0)));
      if (!first) return Unexpected(first.error());
      auto last = recording.last_sequence(md);
      if (!last) return Unexpected(last.error().message);
      actors::InputRecord probe;
      auto at = last_sequence_at_or_below(
          recording, md, *first, *last,
          [&](const persistence::StoredRecord& rec) -> std::optional<SequenceKey> {
            if (actors::decode_input_into(rec.payload, probe) || probe.desk != options.desk) return std::nullopt;
            return SequenceKey{probe.run, probe.seq};
          },
          SequenceKey{cp.run, cp.last_seq});
      if (!at) return Unexpected(at.error());
      from.push_back(*at + 1);
    }
    auto opened = InputReader::open_after(recording, options.streams, options.desk, cp.run, cp.last_seq, from);
    if (!opened) return Unexpected(opened.error());
    reader = std::move(opened).value();
    run = std::move(made).value();
    result.runs = 1;
    result.started_at_checkpoint = cp.now;
    return true;
  };
  if (options.checkpoints && options.from > static_cast<TimeNs>(*run0)) {
    auto used = from_checkpoint();
    if (!used) return Unexpected(used.error());
  }
  if (!reader) {
    auto opened = InputReader::open(recording, options.streams, options.desk,
                                    persistence::utc_day(static_cast<TimeNs>(*run0)), *run0);
    if (!opened) return Unexpected(opened.error());
    reader = std::move(opened).value();
  }
  InputReader& input = *reader;

  const auto report = [&](const Mismatch& m, const InputRecord* at) {
    std::string out = "divergence in " + m.stream;
    if (m.recorded_sequence != 0) out += " at recorded sequence " + std::to_string(m.recorded_sequence);
    out += " (run " + std::to_string(run ? run->id : 0);
    if (at != nullptr) out += ", input #" + std::to_string(at->seq) + " at " + utc_text(at->now, 6);
    out += ")\n  replayed: ";
    out += m.produced.subject.empty() ? std::string("nothing (the replay made no such event)")
                                      : m.produced.subject + " " + m.produced.payload;
    out += "\n  recorded: ";
    out += m.recorded.subject.empty()
               ? std::string("nothing (the recording has no further event in this stream)")
               : m.recorded.subject + " " + m.recorded.payload;
    out += "\ninputs that led to it (the latest last):\n";
    const Directory* d = run ? run->parts.directory : nullptr;
    const AccountId acct = at != nullptr ? at->account : AccountId{};
    std::vector<InputRecord> shown;
    for (std::size_t i = 0; i < std::min(recent_count, kRecent) && shown.size() < 8; ++i) {
      const auto& [stream, sequence] = recent[(recent_count - 1 - i) % kRecent];
      persistence::ReadRequest rq;
      rq.stream = input.stream_name(stream);
      rq.from_sequence = sequence;
      rq.to_sequence = sequence;
      std::optional<InputRecord> back;
      (void)recording.read(rq, [&](const persistence::StoredRecord& rec) {
        if (auto dec = actors::decode_input(rec.payload)) back = std::move(dec).value();
        return false;
      });
      if (!back) continue;
      // The account's own inputs, and every input that is not one account's (market data,
      // timers, housekeeping): what the account's state was made of.
      if (!acct.valid() || !back->account.valid() || back->account == acct) shown.push_back(std::move(*back));
    }
    for (auto it = shown.rbegin(); it != shown.rend(); ++it) out += describe(*it, d) + "\n";
    return out;
  };

  for (;;) {
    auto n = input.next();
    if (!n) return Unexpected(n.error());
    if (*n == nullptr) break;
    const InputRecord& r = **n;
    if (r.now > options.to) break;
    if (r.step == InputStep::kStart) {
      if (r.seq == 1) start_text.clear();
      start_text += std::get<std::string>(r.body);
      if (start_text.size() < static_cast<std::size_t>(r.value.raw())) continue;  // more parts
      auto start = parse_start(start_text, r.run);
      if (!start) return Unexpected(start.error());
      if (run) {
        // The run before ended: every event it recorded must have been produced.
        run->store->check_nothing_left(start->positions);
        if (run->store->mismatch()) {
          result.divergence = report(*run->store->mismatch(), nullptr);
          break;
        }
        if (!run->store->error().empty()) return Unexpected(run->store->error());
        run.reset();
      }
      auto made = make_run(*start, r.now);
      if (!made) return Unexpected(made.error());
      run = std::move(made).value();
      ++result.runs;
      recent_count = 0;
      checkpoint_text.clear();
      continue;
    }
    if (!run) {
      return Unexpected("run " + std::to_string(r.run) + ": input #" + std::to_string(r.seq) +
                        " before the run's start record");
    }
    if (r.step == InputStep::kCheckpoint) {
      // The replayed engine's state must be the recorded one, byte for byte.
      checkpoint_text += std::get<std::string>(r.body);
      if (checkpoint_text.size() < static_cast<std::size_t>(r.value.raw())) continue;  // more parts
      run->log->reset_global_seq(r.global_seq);
      // At the checkpoint's time, as the shard took it: a trading day that started since the
      // last record rolls first (the shard rolls it at the top of the round that checkpoints).
      run->engine->step(r);
      const std::string mine = run->engine->checkpoint();
      if (mine != checkpoint_text) {
        result.divergence = "divergence at the checkpoint of input #" + std::to_string(r.seq) + " at " +
                            utc_text(r.now, 6) + " (run " + std::to_string(r.run) +
                            "): the replayed engine's state is not the recorded one: " +
                            actors::Engine::checkpoint_difference(checkpoint_text, mine) + "\n";
        break;
      }
      ++result.checkpoints_checked;
      checkpoint_text.clear();
      continue;
    }
    checkpoint_text.clear();
    counted = r.now >= options.from;
    run->log->reset_global_seq(r.global_seq);
    try {
      run->engine->step(r);
    } catch (const std::exception& e) {
      return Unexpected("run " + std::to_string(r.run) + " input #" + std::to_string(r.seq) + ": " + e.what());
    }
    ++(counted ? result.inputs : result.warmup_inputs);
    recent[recent_count++ % kRecent] = {input.last_stream(), input.last_sequence()};
    if (run->store->mismatch()) {
      result.divergence = report(*run->store->mismatch(), &r);
      break;
    }
    if (!run->store->error().empty()) return Unexpected(run->store->error());
    if (progress && (input.read() & 0x3FFU) == 0) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_progress > std::chrono::milliseconds(200)) {
        last_progress = now;
        progress(ReplayProgress{input.read(), input.estimated_total(),
                                std::chrono::duration<double>(now - began).count()});
      }
    }
  }
  if (progress) {
    progress(ReplayProgress{input.read(), input.read(),
                            std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count()});
  }
  if (result.runs == 0 && !result.divergence) {
    return Unexpected("no run of desk " + std::to_string(options.desk) + " starts before " +
                      utc_text(options.to, 6) + " in the recording");
  }
  result.sha256 = sha.hex();
  return result;
}

EngineFactory setup_factory(std::optional<std::filesystem::path> config_override) {
  return [config_override](const std::string& text) -> Result<EngineParts, std::string> {
    auto setup = setup::decode_setup(text);
    if (!setup) return Unexpected(setup.error());
    try {
      if (config_override) setup->config = configs::read_config_texts(*config_override);
      std::shared_ptr<setup::BuiltEngine> b = setup::build_engine(std::move(setup).value());
      EngineParts p;
      p.directory = &b->directory;
      p.table = b->table.get();
      p.risk = b->risk;
      p.options = b->engine_options();
      p.accounts = b->engine_accounts();
      p.layout = b->stream_layout();
      p.owner = std::move(b);
      return p;
    } catch (const std::exception& e) {
      return Unexpected(std::string(e.what()));
    }
  };
}

}  // namespace oms::replay
