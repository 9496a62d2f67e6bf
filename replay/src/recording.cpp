#include "oms/replay/recording.hpp"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace oms::replay {

struct StreamCursor::Ahead {
  persistence::EventStore& store;
  std::string stream, filter;
  std::uint64_t next, to;
  std::size_t chunk;
  bool ids;

  std::mutex mu;
  std::condition_variable changed;             // either side waits on it
  std::deque<std::unique_ptr<Chunk>> ready;    // handed over, in stream order
  std::vector<std::unique_ptr<Chunk>> spare;   // given back by the reader, for reuse
  bool done = false;                           // the pass ended: the end, or `error`
  std::optional<std::string> error;
  bool stop = false;                           // the cursor goes away
  std::thread thread;

  Ahead(persistence::EventStore& s, std::string st, std::string f, std::uint64_t from, std::uint64_t t,
        std::size_t c, bool i)
      : store(s), stream(std::move(st)), filter(std::move(f)), next(from), to(t), chunk(c), ids(i) {}

  std::unique_ptr<Chunk> fresh() {
    std::lock_guard lock(mu);
    if (spare.empty()) return std::make_unique<Chunk>();
    auto c = std::move(spare.back());
    spare.pop_back();
    return c;
  }

  // Hands c over (its views set now that its text stops growing) once fewer than kAhead wait,
  // and puts an empty chunk in its place; false when the cursor goes away.
  bool hand(std::unique_ptr<Chunk>& c) {
    for (std::size_t i = 0; i < c->records.size(); ++i) {
      const auto [subject, payload] = c->at[i];
      const std::size_t end_of = i + 1 < c->records.size() ? c->at[i + 1].first : c->text.size();
      c->records[i].subject = std::string_view(c->text).substr(subject, payload - subject);
      c->records[i].payload = std::string_view(c->text).substr(payload, end_of - payload);
    }
    {
      std::unique_lock lock(mu);
      changed.wait(lock, [&] { return ready.size() < kAhead || stop; });
      if (stop) return false;
      ready.push_back(std::move(c));
    }
    changed.notify_all();
    c = fresh();
    return true;
  }

  void run() {
    pthread_setname_np(pthread_self(), "oms-read-ahead");
    auto c = fresh();
    std::optional<std::string> failure;
    bool stopped = false;
    for (;;) {
      auto last = store.last_sequence(stream);
      if (!last) {
        failure = last.error().message;
        break;
      }
      const std::uint64_t end = to == 0 ? *last : std::min(to, *last);
      if (next > end) break;
      persistence::ReadRequest r;
      r.stream = stream;
      r.from_sequence = next;
      r.to_sequence = end;
      r.subject_filter = filter;
      r.ids = ids;
      auto n = store.read(r, [&](const persistence::StoredRecord& s) {
        c->at.emplace_back(c->text.size(), c->text.size() + s.subject.size());
        c->text.append(s.subject);
        c->text.append(s.payload);
        c->records.push_back(RecordView{s.sequence, {}, {}, s.msg_id, s.time});
        if (c->records.size() >= chunk && !hand(c)) stopped = true;
        return !stopped;
      });
      if (stopped) return;
      if (!n) {
        failure = n.error().message;
        break;
      }
      next = end + 1;
      if (to != 0 && end == to) break;
    }
    if (!c->records.empty() && !hand(c)) return;
    {
      std::lock_guard lock(mu);
      done = true;
      error = std::move(failure);
    }
    changed.notify_all();
  }
};

StreamCursor::StreamCursor(persistence::EventStore& store, std::string stream, std::string filter,
                           std::uint64_t from, std::uint64_t to, std::size_t chunk, Ids ids)
    : stream_(stream),
      ahead_(std::make_unique<Ahead>(store, std::move(stream), std::move(filter), std::max<std::uint64_t>(from, 1),
                                     to, std::max<std::size_t>(chunk, 1), ids == Ids::kWanted)) {
  ahead_->thread = std::thread([a = ahead_.get()] { a->run(); });
}

StreamCursor::~StreamCursor() {
  {
    std::lock_guard lock(ahead_->mu);
    ahead_->stop = true;
  }
  ahead_->changed.notify_all();
  ahead_->thread.join();
}

Result<const RecordView*, std::string> StreamCursor::peek() {
  while (chunk_ == nullptr || pos_ == chunk_->records.size()) {
    if (ended_) return static_cast<const RecordView*>(nullptr);
    Ahead& a = *ahead_;
    std::unique_lock lock(a.mu);
    if (chunk_ != nullptr) {
      chunk_->clear();
      a.spare.push_back(std::move(chunk_));
    }
    a.changed.wait(lock, [&] { return !a.ready.empty() || a.done; });
    if (!a.ready.empty()) {
      chunk_ = std::move(a.ready.front());
      a.ready.pop_front();
      pos_ = 0;
      lock.unlock();
      a.changed.notify_all();
      continue;
    }
    if (a.error) return Unexpected(*a.error);
    ended_ = true;
  }
  return &chunk_->records[pos_];
}

Result<std::uint64_t, std::string> first_sequence_from_day(persistence::EventStore& store,
                                                           const std::string& stream,
                                                           std::int32_t day) {
  auto index = store.day_index(stream);
  if (!index) return Unexpected(index.error().message);
  for (const auto& d : *index) {
    if (d.day >= day) return d.first_sequence;
  }
  auto last = store.last_sequence(stream);
  if (!last) return Unexpected(last.error().message);
  return index->empty() ? std::uint64_t{1} : *last + 1;
}

Result<std::unique_ptr<InputReader>, std::string> InputReader::open(
    persistence::EventStore& store, const InputStreams& streams, std::uint16_t desk,
    std::int32_t day, std::uint64_t min_run) {
  std::unique_ptr<InputReader> r(new InputReader());
  r->desk_ = desk;
  r->after_ = {min_run, 0};
  std::vector<std::pair<std::string, std::string>> list;
  list.emplace_back(streams.inputs, "inputs." + std::to_string(desk) + ".>");
  for (const auto& md : streams.md_streams) list.emplace_back(md, "");
  for (auto& [stream, filter] : list) {
    auto first = first_sequence_from_day(store, stream, day);
    if (!first) return Unexpected(first.error());
    auto last = store.last_sequence(stream);
    if (!last) return Unexpected(last.error().message);
    if (*last >= *first) r->estimated_total_ += *last - *first + 1;
    r->heads_.push_back(Head{std::make_unique<StreamCursor>(store, stream, filter, *first, 0, 4096,
                                                            StreamCursor::Ids::kNotNeeded),
                             {}, 0, false});
  }
  return r;
}

Result<std::unique_ptr<InputReader>, std::string> InputReader::open_after(
    persistence::EventStore& store, const InputStreams& streams, std::uint16_t desk,
    std::uint64_t run, std::uint64_t after_seq, const std::vector<std::uint64_t>& starts) {
  if (starts.size() != 1 + streams.md_streams.size()) {
    return Unexpected(std::string("InputReader::open_after: a start per stream"));
  }
  std::unique_ptr<InputReader> r(new InputReader());
  r->desk_ = desk;
  r->after_ = {run, after_seq};
  r->run_ = run;
  r->expect_ = after_seq + 1;
  std::vector<std::pair<std::string, std::string>> list;
  list.emplace_back(streams.inputs, "inputs." + std::to_string(desk) + ".>");
  for (const auto& md : streams.md_streams) list.emplace_back(md, "");
  for (std::size_t i = 0; i < list.size(); ++i) {
    auto& [stream, filter] = list[i];
    auto last = store.last_sequence(stream);
    if (!last) return Unexpected(last.error().message);
    if (*last >= starts[i]) r->estimated_total_ += *last - starts[i] + 1;
    r->heads_.push_back(Head{std::make_unique<StreamCursor>(store, stream, filter, starts[i], 0, 4096,
                                                            StreamCursor::Ids::kNotNeeded),
                             {}, 0, false});
  }
  return r;
}

Result<bool, std::string> InputReader::fill(Head& h) {
  while (!h.has) {
    auto p = h.cursor->peek();
    if (!p) return Unexpected(p.error());
    if (*p == nullptr) return false;
    const RecordView& rec = **p;
    if (auto e = actors::decode_input_into(rec.payload, h.record)) {
      return Unexpected(h.cursor->stream() + " seq " + std::to_string(rec.sequence) + " (" +
                        std::string(rec.subject) + "): " + *e);
    }
    h.sequence = rec.sequence;
    h.cursor->pop();
    // Else another daemon's, or a run (or a part of one) before where reading began.
    h.has = h.record.desk == desk_ && std::pair(h.record.run, h.record.seq) > after_;
  }
  return true;
}

Result<const actors::InputRecord*, std::string> InputReader::next() {
  if (taken_ != nullptr) taken_->has = false;  // the record returned last is consumed
  taken_ = nullptr;
  Head* best = nullptr;
  for (auto& h : heads_) {
    auto f = fill(h);
    if (!f) return Unexpected(f.error());
    if (!*f) continue;
    if (best == nullptr || std::pair(h.record.run, h.record.seq) <
                               std::pair(best->record.run, best->record.seq)) {
      best = &h;
    }
  }
  if (best == nullptr) return static_cast<const actors::InputRecord*>(nullptr);
  const actors::InputRecord& r = best->record;
  if (r.run != run_) {
    if (r.seq != 1 || r.step != actors::InputStep::kStart) {
      return Unexpected("run " + std::to_string(r.run) + ": the first record read is number " +
                        std::to_string(r.seq) + " (" + std::string(to_string(r.step)) +
                        "), not the run's start: records 1.." + std::to_string(r.seq - 1) +
                        " are missing from every input stream");
    }
    run_ = r.run;
    expect_ = 1;
  }
  if (r.seq != expect_) {
    return Unexpected("run " + std::to_string(r.run) + ": input records " +
                      std::to_string(expect_) + ".." + std::to_string(r.seq - 1) +
                      " are missing from every input stream (a hole in the recording)");
  }
  ++expect_;
  ++read_;
  taken_ = best;
  last_stream_ = static_cast<std::size_t>(best - heads_.data());
  last_sequence_ = best->sequence;
  return &r;
}

Result<std::uint64_t, std::string> last_sequence_at_or_below(
    persistence::EventStore& store, const std::string& stream, std::uint64_t lo, std::uint64_t hi,
    const std::function<std::optional<SequenceKey>(const persistence::StoredRecord&)>& key,
    SequenceKey target) {
  constexpr std::uint64_t kProbe = 256;
  std::uint64_t answer = lo - 1;
  std::uint64_t a = lo, b = hi;
  while (a <= b && b != 0) {
    const std::uint64_t mid = a + (b - a) / 2;
    // The first record with a key from mid on.
    std::optional<std::pair<std::uint64_t, SequenceKey>> found;
    persistence::ReadRequest r;
    r.stream = stream;
    r.from_sequence = mid;
    r.to_sequence = std::min(b, mid + kProbe - 1);
    auto n = store.read(r, [&](const persistence::StoredRecord& rec) {
      if (auto k = key(rec)) {
        found = std::pair(rec.sequence, *k);
        return false;
      }
      return true;
    });
    if (!n) return Unexpected(stream + ": " + n.error().message);
    if (found && found->second <= target) {
      answer = found->first;
      a = found->first + 1;
    } else {
      if (mid == 0) break;
      b = mid - 1;
    }
  }
  return answer;
}

Result<std::optional<RecordedCheckpoint>, std::string> last_checkpoint_before(
    persistence::EventStore& store, const std::string& inputs_stream, std::uint16_t desk,
    std::uint64_t run, TimeNs before) {
  std::optional<RecordedCheckpoint> best;
  // The day of `before` first (checkpoints are many a day); the run's earlier days only when that
  // day holds none of the run's.
  std::vector<std::int32_t> days{persistence::utc_day(before)};
  const auto run_day = persistence::utc_day(static_cast<TimeNs>(run));
  if (run_day < days.front()) days.push_back(run_day);
  for (const std::int32_t day : days) {
    auto first = first_sequence_from_day(store, inputs_stream, day);
    if (!first) return Unexpected(first.error());
    StreamCursor c(store, inputs_stream, "inputs." + std::to_string(desk) + ".checkpoint", *first, 0, 64);
    RecordedCheckpoint part;  // being assembled
    std::uint64_t total = 0;
    bool assembling = false;
    for (;;) {
      auto p = c.peek();
      if (!p) return Unexpected(p.error());
      if (*p == nullptr) break;
      const RecordView& rec = **p;
      auto d = actors::decode_input(rec.payload);
      if (!d) return Unexpected(inputs_stream + " seq " + std::to_string(rec.sequence) + ": " + d.error());
      c.pop();
      if (d->desk != desk || d->step != actors::InputStep::kCheckpoint) continue;
      if (d->run > run || (d->run == run && d->now >= before)) break;
      if (d->run != run) continue;
      const auto& text = std::get<std::string>(d->body);
      if (!assembling || d->seq != part.last_seq + 1 || d->now != part.now) {
        // A first part (a part whose predecessor is missing starts nothing usable).
        part = RecordedCheckpoint{run, d->seq, rec.sequence, d->global_seq, d->now, {}};
        total = static_cast<std::uint64_t>(d->value.raw());
        assembling = true;
      }
      part.bytes += text;
      part.last_seq = d->seq;
      part.inputs_sequence = rec.sequence;
      if (part.bytes.size() >= total) {
        assembling = false;
        if (part.bytes.size() == total) best = std::move(part);
        part = {};
      }
    }
    if (best) break;
  }
  return best;
}

Result<std::uint64_t, std::string> first_run_at(persistence::EventStore& store,
                                                const std::string& inputs_stream,
                                                std::uint16_t desk, TimeNs from) {
  auto first = first_sequence_from_day(store, inputs_stream, persistence::utc_day(from));
  if (!first) return Unexpected(first.error());
  StreamCursor c(store, inputs_stream, "inputs." + std::to_string(desk) + ".>", *first);
  for (;;) {
    auto p = c.peek();
    if (!p) return Unexpected(p.error());
    if (*p == nullptr) return std::uint64_t{0};
    auto d = actors::decode_input((*p)->payload);
    if (!d) {
      return Unexpected(inputs_stream + " seq " + std::to_string((*p)->sequence) + ": " + d.error());
    }
    c.pop();
    if (d->desk == desk && d->now >= from) return d->run;
  }
}

Result<std::vector<RecordedStart>, std::string> recorded_starts(persistence::EventStore& store,
                                                               const std::string& inputs_stream,
                                                               std::uint16_t desk, std::int32_t day,
                                                               TimeNs to) {
  auto first = first_sequence_from_day(store, inputs_stream, day);
  if (!first) return Unexpected(first.error());
  StreamCursor c(store, inputs_stream, "inputs." + std::to_string(desk) + ".start", *first);
  std::vector<RecordedStart> out;
  for (;;) {
    auto p = c.peek();
    if (!p) return Unexpected(p.error());
    if (*p == nullptr) return out;
    auto d = actors::decode_input((*p)->payload);
    if (!d) {
      return Unexpected(inputs_stream + " seq " + std::to_string((*p)->sequence) + ": " + d.error());
    }
    c.pop();
    if (d->desk != desk || d->step != actors::InputStep::kStart) continue;
    if (d->now > to) return out;
    if (d->seq == 1) out.push_back(RecordedStart{d->run, {}});
    if (out.empty() || out.back().run != d->run) continue;  // a start whose first part is missing
    out.back().text += std::get<std::string>(d->body);
  }
}

}  // namespace oms::replay
