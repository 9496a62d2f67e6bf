#!/usr/bin/env bash
# oms-md --venue bybit on the cryptofeed Bybit capture (AGPL: test input only, read here and
# altered only in a temporary directory): exit 0, no gap, no parse error, one CSV row per
# applied orderbook message, rows equal to values computed apart from our code; no ticker of the
# capture shares a book's cross sequence (0 compared, 638 not comparable), so tickers aligned on
# book messages are added to a copy: compared and equal (exit 0), then one altered (exit 1);
# a copy without one delta reports the gap (exit 2).
# usage: oms_md_bybit_test.sh OMS_MD_BINARY SHARED_DATA_DIR
set -euo pipefail
bin="$1"
capture="${2:-${OMS_SHARED_DATA:-}}/cryptofeed-v3-agpl/BYBIT.jsonl.zst"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v zstd >/dev/null || fail "the zstd command is needed (deploy/setup installs it)"

# field NAME SUMMARY: the number after NAME in the summary line.
field() { sed -E "s/.*[^a-z-]$1 ([0-9]+).*/\1/" <<<"$2"; }

# run NAME EXPECTED_EXIT FILE: runs oms-md, prints the summary, sets $summary.
run() {
  local name="$1" expected="$2" file="$3" rc=0
  "$bin" --venue bybit "$file" >"$tmp/$name.csv" 2>"$tmp/$name.err" || rc=$?
  summary="$(grep '^oms-md: bybit:' "$tmp/$name.err")" || fail "$name: no summary (exit $rc): $(head -3 "$tmp/$name.err")"
  echo "$name: $summary"
  [[ $rc -eq $expected ]] || fail "$name: exit $rc, expected $expected"
}

# 1. The capture as recorded.
run capture 0 "$capture"
[[ "$(field gaps "$summary")" == 0 ]] || fail "capture: gaps"
[[ "$(field 'parse errors' "$summary")" == 0 ]] || fail "capture: parse errors"
[[ "$(field mismatches "$summary")" == 0 ]] || fail "capture: mismatches"
[[ "$(field applied "$summary")" == 2148 ]] || fail "capture: applied $(field applied "$summary"), expected 2148"
[[ "$(wc -l <"$tmp/capture.csv")" == 2148 ]] || fail "capture: $(wc -l <"$tmp/capture.csv") rows"
[[ "$(field 'cross-checked' "$summary")" == 0 ]] || fail "capture: a ticker at a book's seq (the help text says there is none)"
[[ "$(field 'not comparable' "$summary")" == 638 ]] || fail "capture: not comparable $(field 'not comparable' "$summary")"
grep -q 'bybit: books 6;' <<<"$summary" || fail "capture: books"
[[ "$(grep -c 'book live at' "$tmp/capture.err")" == 6 ]] || fail "capture: a book is not live at the end"
# Rows pinned from a reference book built apart (Python decimals over the same messages).
head -1 "$tmp/capture.csv" | grep -qx 'linear,BTCUSDT,15076952,753843911359,65114.2,6.054,65114.3,10.486' || fail "capture: first row $(head -1 "$tmp/capture.csv")"
grep -qx 'linear,BTCUSDT,15077001,753844047320,65114.2,7.803,65114.3,6.585' "$tmp/capture.csv" || fail "capture: row u=15077001"
grep '^linear,BTCUSDT,' "$tmp/capture.csv" | tail -1 | grep -qx 'linear,BTCUSDT,15077365,753845000043,65114.2,5.974,65114.3,9.06' || fail "capture: last linear BTCUSDT row"
tail -1 "$tmp/capture.csv" | grep -qx 'spot,BTCUSDT,62505723,112488552312,65140.4,0.622237,65140.5,0.606831' || fail "capture: last row $(tail -1 "$tmp/capture.csv")"

# 2. Tickers at book messages' cross sequences: one after the message (seq 753843913870, the
#    book's top 65114.2 6.054 / 65114.3 10.486), one before it and carrying only ask1Size
#    (seq 753843916354, ask 10.488). Both compared, both equal.
zstd -q -dc "$capture" >"$tmp/capture.jsonl"
ticker() {  # ticker CS DATA_FIELDS: a recv record of the linear connection
  printf '{"t":"recv","conn":"BYBIT.ws.2","ts":1786310819.7217,"data":"{\\"topic\\":\\"tickers.BTCUSDT\\",\\"type\\":\\"delta\\",\\"data\\":{\\"symbol\\":\\"BTCUSDT\\",%s},\\"cs\\":%s,\\"ts\\":1786310818130}"}\n' "$2" "$1"
}
aligned() {  # aligned BID1SIZE > file
  local after before
  after="$(ticker 753843913870 "\\\"bid1Price\\\":\\\"65114.20\\\",\\\"bid1Size\\\":\\\"$1\\\",\\\"ask1Price\\\":\\\"65114.30\\\",\\\"ask1Size\\\":\\\"10.486\\\"")"
  before="$(ticker 753843916354 "\\\"ask1Size\\\":\\\"10.488\\\"")"
  # ENVIRON, not -v: awk would take the backslashes of -v values as escapes.
  AFTER="$after" BEFORE="$before" awk '
    index($0, "\\\"seq\\\":753843916354}") { print ENVIRON["BEFORE"] }
    { print }
    index($0, "\\\"seq\\\":753843913870}") { print ENVIRON["AFTER"] }' "$tmp/capture.jsonl" | zstd -q -c
}
aligned 6.054 >"$tmp/aligned.jsonl.zst"
run aligned 0 "$tmp/aligned.jsonl.zst"
[[ "$(field 'cross-checked' "$summary")" == 2 ]] || fail "aligned: cross-checked $(field 'cross-checked' "$summary"), expected 2"
[[ "$(field mismatches "$summary")" == 0 ]] || fail "aligned: mismatches"

# 3. The same with the first ticker's bid1Size altered: a mismatch, exit 1.
aligned 6.055 >"$tmp/mismatch.jsonl.zst"
run mismatch 1 "$tmp/mismatch.jsonl.zst"
[[ "$(field mismatches "$summary")" == 1 ]] || fail "mismatch: count"
grep -q 'MISMATCH BTCUSDT at cs=753843913870: ticker bid1 65114.2 6.055 / ask1 65114.3 10.486, book 65114.2,6.054,65114.3,10.486' "$tmp/mismatch.err" || fail "mismatch: not reported"

# 4. The linear BTCUSDT delta u=15077000 removed: the gap is reported, exit 2.
grep -v 'orderbook.200.BTCUSDT.*\\"u\\":15077000,' "$tmp/capture.jsonl" | zstd -q -c >"$tmp/gap.jsonl.zst"
run gap 2 "$tmp/gap.jsonl.zst"
[[ "$(field gaps "$summary")" == 1 ]] || fail "gap: count"
grep -q 'linear BTCUSDT: GAP (book 6001: sequence gap): expected u=15077000, got 15077001' "$tmp/gap.err" || fail "gap: not reported"
echo "oms-md bybit tests passed"
