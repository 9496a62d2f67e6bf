#!/usr/bin/env bash
# oms-md --venue okx on the cryptofeed OKX capture (2022-05-13, books / trades / tickers for
# BTC-USDT spot, BTC-USD-220527 futures and UNI-USD-SWAP; altered only in a temporary directory):
# exit 0, every snapshot and update's checksum verified (290), no gap, no mismatch, no parse
# error, BookCore's top equal to the checked book's at every message, rows equal to values
# computed apart from our code (Python decimals over the same messages). The capture has no
# seqId: ids are synthesized per instrument, the checksum is the only integrity check, so a
# changed level and a removed update are both caught by it (exit 1), and the instrument's later
# updates are refused until a snapshot. Tickers are counted, not compared (oms-md --help: their
# bid/ask never equals the book at the latest book message before them in this capture).
# usage: oms_md_okx_test.sh OMS_MD_BINARY SHARED_DATA_DIR
set -euo pipefail
bin="$1"
capture="${2:-${OMS_SHARED_DATA:-}}/cryptofeed/OKX.ws.1.0"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# field NAME LINE: the number after NAME in a summary line.
field() { sed -E "s/.*[^a-z-]$1 ([0-9]+).*/\1/" <<<"$2"; }

# run NAME EXPECTED_EXIT FILE: runs oms-md, prints the summary, sets $summary.
run() {
  local name="$1" expected="$2" file="$3" rc=0
  "$bin" --venue okx "$file" >"$tmp/$name.csv" 2>"$tmp/$name.err" || rc=$?
  summary="$(grep '^oms-md: okx:' "$tmp/$name.err")" || fail "$name: no summary (exit $rc): $(head -3 "$tmp/$name.err")"
  echo "$name: $summary"
  [[ $rc -eq $expected ]] || fail "$name: exit $rc, expected $expected"
}
instrument() { grep "^oms-md: okx $1:" "$tmp/$2.err"; }

# 1. The capture as recorded.
run capture 0 "$capture"
grep -q 'okx: instruments 3;' <<<"$summary" || fail "capture: instruments"
[[ "$(field snapshots "$summary")" == 3 ]] || fail "capture: snapshots"
[[ "$(field updates "$summary")" == 287 ]] || fail "capture: updates"
[[ "$(field verified "$summary")" == 290 ]] || fail "capture: checksums verified $(field verified "$summary"), expected 290"
[[ "$(field mismatches "$summary")" == 0 ]] || fail "capture: mismatches"
[[ "$(field gaps "$summary")" == 0 ]] || fail "capture: gaps"
[[ "$(field 'parse errors' "$summary")" == 0 ]] || fail "capture: parse errors"
[[ "$(field snapshot "$summary")" == 0 ]] || fail "capture: refused until a snapshot"
[[ "$(field applied "$summary")" == 290 ]] || fail "capture: applied"
[[ "$(field rows "$summary")" == 290 ]] || fail "capture: rows"
[[ "$(wc -l <"$tmp/capture.csv")" == 290 ]] || fail "capture: $(wc -l <"$tmp/capture.csv") rows"
[[ "$(field 'top differences' "$summary")" == 0 ]] || fail "capture: BookCore's top differs from the checker's"
[[ "$(field tickers "$summary")" == 28 ]] || fail "capture: tickers"
[[ "$(field trades "$summary")" -gt 0 ]] || fail "capture: trades"
for spec in "BTC-USDT 97 98" "BTC-USD-220527 98 99" "UNI-USD-SWAP 92 93"; do
  read -r inst updates verified <<<"$spec"
  line="$(instrument "$inst" capture)" || fail "capture: no line for $inst"
  [[ "$(field updates "$line")" == "$updates" && "$(field verified "$line")" == "$verified" ]] ||
    fail "capture: $inst: $line"
  grep -q 'book live at' <<<"$line" || fail "capture: $inst: the book is not live at the end"
done
# Rows pinned from a reference book built apart (Python decimals over the same messages).
head -1 "$tmp/capture.csv" | grep -qx 'BTC-USD-220527,1,1054815633,30233.6,3,30238.8,2' || fail "capture: first row $(head -1 "$tmp/capture.csv")"
sed -n 2p "$tmp/capture.csv" | grep -qx 'UNI-USD-SWAP,1,555605283,5.14,251,5.148,60' || fail "capture: second row"
sed -n 151p "$tmp/capture.csv" | grep -qx 'BTC-USDT,52,473028940,30240.3,0.00125752,30240.4,3.39806661' || fail "capture: row 151 $(sed -n 151p "$tmp/capture.csv")"
grep '^UNI-USD-SWAP,' "$tmp/capture.csv" | tail -1 | grep -qx 'UNI-USD-SWAP,93,1552772605,5.137,20,5.145,50' || fail "capture: last UNI-USD-SWAP row"
grep '^BTC-USDT,' "$tmp/capture.csv" | tail -1 | grep -qx 'BTC-USDT,98,-308733687,30236.1,0.18050747,30236.2,0.001' || fail "capture: last BTC-USDT row"
tail -1 "$tmp/capture.csv" | grep -qx 'BTC-USD-220527,99,664471393,30229.4,2,30238.8,3' || fail "capture: last row $(tail -1 "$tmp/capture.csv")"

# 2. One level of the first BTC-USDT update altered (its best ask's size 1.2112 -> 1.2113): the
#    checksum mismatches (exit 1), the instrument's other 96 updates wait for a snapshot.
n="$(grep -m1 -n '"instId":"BTC-USDT"},"action":"update"' "$capture" | cut -d: -f1)"
sed "${n}s/\[\"30243.5\",\"1.2112\"/[\"30243.5\",\"1.2113\"/" "$capture" >"$tmp/tampered"
cmp -s "$capture" "$tmp/tampered" && fail "tampered: nothing changed"
run tampered 1 "$tmp/tampered"
[[ "$(field mismatches "$summary")" == 1 ]] || fail "tampered: mismatches"
[[ "$(field snapshot "$summary")" == 96 ]] || fail "tampered: refused $(field snapshot "$summary"), expected 96"
[[ "$(field verified "$summary")" == 193 ]] || fail "tampered: verified $(field verified "$summary"), expected 290 - 1 - 96"
grep -q "tampered:$n: BTC-USDT: CHECKSUM MISMATCH: message -652563973, book " "$tmp/tampered.err" || fail "tampered: not reported"

# 3. The 10th UNI-USD-SWAP update removed: without seqId only the checksum can see it -- the next
#    update mismatches.
grep -n '"instId":"UNI-USD-SWAP"},"action":"update"' "$capture" | cut -d: -f1 >"$tmp/uni"
n="$(sed -n 10p "$tmp/uni")"
next="$(( $(sed -n 11p "$tmp/uni") - 1 ))"  # the 11th update's line once the 10th is gone
sed "${n}d" "$capture" >"$tmp/removed"
run removed 1 "$tmp/removed"
[[ "$(field mismatches "$summary")" == 1 ]] || fail "removed: mismatches"
[[ "$(field snapshot "$summary")" == 81 ]] || fail "removed: refused $(field snapshot "$summary"), expected the 81 UNI-USD-SWAP updates after the 11th"
grep -q "removed:$next: UNI-USD-SWAP: CHECKSUM MISMATCH: message 1378967421, book " "$tmp/removed.err" || fail "removed: not reported at the next update"

# 4. A garbled price in the first BTC-USDT update: a parse error naming the field; the update is
#    lost, so the next one's checksum mismatches (exit 1, a mismatch outranks a parse error).
n="$(grep -m1 -n '"instId":"BTC-USDT"},"action":"update"' "$capture" | cut -d: -f1)"
sed "${n}s/\"asks\":\[\[\"/\"asks\":[[\"x/" "$capture" >"$tmp/garbled"
run garbled 1 "$tmp/garbled"
[[ "$(field 'parse errors' "$summary")" == 1 ]] || fail "garbled: parse errors"
[[ "$(field mismatches "$summary")" == 1 ]] || fail "garbled: mismatches"
grep -q "garbled:$n: books.data\[0\].asks\[0\]\[0\]: not a decimal number 'x" "$tmp/garbled.err" || fail "garbled: the error does not name the field"
echo "oms-md okx tests passed"
