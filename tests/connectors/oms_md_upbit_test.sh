#!/usr/bin/env bash
# oms-md --venue upbit on the cryptofeed Upbit capture (2021-04-17, SIMPLE format, trade and
# orderbook for 10 BTC- / KRW- markets, 5 of which sent anything; payloads as Python bytes
# literals; altered only in a temporary directory): exit 0, every orderbook (145, whole 15-unit
# snapshots) applied to BookCore with its top equal to the message's first unit, no parse error,
# counts and rows equal to values computed apart from our code (Python: ast.literal_eval of each
# bytes literal, json with Decimal numbers, the best bid = the highest bid of sizes > 0, ids =
# tms or the previous + 1). A unit moved out of order is caught by the top cross-check (exit 1), a
# garbled number by the parser (exit 2, named).
# usage: oms_md_upbit_test.sh OMS_MD_BINARY SHARED_DATA_DIR
set -euo pipefail
bin="$1"
capture="${2:-${OMS_SHARED_DATA:-}}/cryptofeed/UPBIT.ws.62.0"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# field NAME LINE: the number after NAME in a summary line.
field() { sed -E "s/.*[^a-z-]$1 ([0-9]+).*/\1/" <<<"$2"; }

# run NAME EXPECTED_EXIT FILE: runs oms-md, prints the summary, sets $summary.
run() {
  local name="$1" expected="$2" file="$3" rc=0
  "$bin" --venue upbit "$file" >"$tmp/$name.csv" 2>"$tmp/$name.err" || rc=$?
  summary="$(grep '^oms-md: upbit:' "$tmp/$name.err")" || fail "$name: no summary (exit $rc): $(head -3 "$tmp/$name.err")"
  echo "$name: $summary"
  [[ $rc -eq $expected ]] || fail "$name: exit $rc, expected $expected"
}
market() { grep "^oms-md: upbit $1:" "$tmp/$2.err"; }

# 1. The capture as recorded.
run capture 0 "$capture"
grep -q 'upbit: markets 5;' <<<"$summary" || fail "capture: markets"
[[ "$(field orderbooks "$summary")" == 145 ]] || fail "capture: orderbooks"
[[ "$(field applied "$summary")" == 145 ]] || fail "capture: applied"
[[ "$(field levels "$summary")" == 4350 ]] || fail "capture: levels"
[[ "$(field refused "$summary")" == 0 ]] || fail "capture: refused"
[[ "$(field 'top differences' "$summary")" == 0 ]] || fail "capture: BookCore's top differs"
[[ "$(field crossed "$summary")" == 0 ]] || fail "capture: crossed"
[[ "$(field 'not advancing' "$summary")" == 0 ]] || fail "capture: timestamps not advancing"
[[ "$(field trades "$summary")" == 304 ]] || fail "capture: trades"
[[ "$(field buy "$summary")" == 104 && "$(field sell "$summary")" == 200 ]] || fail "capture: taker sides"
[[ "$(field 'not increasing' "$summary")" == 6 ]] || fail "capture: sequential ids not increasing"
[[ "$(field 'parse errors' "$summary")" == 0 ]] || fail "capture: parse errors"
[[ "$(field rows "$summary")" == 145 ]] || fail "capture: rows"
[[ "$(wc -l <"$tmp/capture.csv")" == 145 ]] || fail "capture: $(wc -l <"$tmp/capture.csv") rows"
for spec in "KRW-LAMB 87 299 102 197" "KRW-WAVES 26 3 2 1" "BTC-XTZ 16 0 0 0" "BTC-ITAM 8 2 0 2" "BTC-PAX 8 0 0 0"; do
  read -r code books trades buys sells <<<"$spec"
  line="$(market "$code" capture)" || fail "capture: no line for $code"
  [[ "$(field orderbooks "$line")" == "$books" && "$(field trades "$line")" == "$trades" &&
     "$(field buy "$line")" == "$buys" && "$(field sell "$line")" == "$sells" ]] || fail "capture: $code: $line"
  grep -q 'book live at' <<<"$line" || fail "capture: $code: the book is not live at the end"
done
# Rows pinned from the Python reference (all 145 rows equal it; these are spot checks).
head -1 "$tmp/capture.csv" | grep -qx 'KRW-LAMB,1618678262640,126,688682.44561413,127,280460.37885666' || fail "capture: first row $(head -1 "$tmp/capture.csv")"
sed -n 73p "$tmp/capture.csv" | grep -qx 'KRW-WAVES,1618678277689,20230,43.22635232,20250,168.12347766' || fail "capture: row 73 $(sed -n 73p "$tmp/capture.csv")"
grep '^KRW-WAVES,' "$tmp/capture.csv" | head -1 | grep -qx 'KRW-WAVES,1618678263564,20190,10,20230,6.205185' || fail "capture: first KRW-WAVES row"
grep '^BTC-ITAM,' "$tmp/capture.csv" | tail -1 | grep -qx 'BTC-ITAM,1618678291699,0.00000113,104033.07368601,0.00000115,163615.49499925' || fail "capture: last BTC-ITAM row"
tail -1 "$tmp/capture.csv" | grep -qx 'KRW-LAMB,1618678292092,126,117747.52669229,127,486822.22877673' || fail "capture: last row $(tail -1 "$tmp/capture.csv")"

# 2. The first BTC-ITAM book's best bid moved below its second unit's (bp 0.00000113 ->
#    0.00000111): BookCore's best bid (0.00000112) is not the message's first unit (exit 1).
n="$(grep -m1 -n '"ty":"orderbook","cd":"BTC-ITAM"' "$capture" | cut -d: -f1)"
sed "${n}s/\"bp\":0.00000113,\"as\":355682.34086512/\"bp\":0.00000111,\"as\":355682.34086512/" "$capture" >"$tmp/reordered"
cmp -s "$capture" "$tmp/reordered" && fail "reordered: nothing changed"
run reordered 1 "$tmp/reordered"
[[ "$(field 'top differences' "$summary")" == 1 ]] || fail "reordered: top differences"
grep -q "reordered:$n: BTC-ITAM: BookCore's top differs" "$tmp/reordered.err" || fail "reordered: not reported"

# 3. A size garbled in the same book (as 355682.34086512 -> 355682.3408651255, 10 decimals): a parse
#    error naming the unit and field (exit 2); the other 144 books still applied.
sed "${n}s/\"as\":355682.34086512,/\"as\":355682.3408651255,/" "$capture" >"$tmp/garbled"
run garbled 2 "$tmp/garbled"
[[ "$(field 'parse errors' "$summary")" == 1 && "$(field applied "$summary")" == 144 ]] || fail "garbled: counts"
grep -q "garbled:$n: orderbook.obu\[0\].as: .*'355682.3408651255'" "$tmp/garbled.err" || fail "garbled: error not named: $(grep garbled: "$tmp/garbled.err" | head -1)"
echo "oms_md_upbit_test: OK"
