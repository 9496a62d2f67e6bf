#!/usr/bin/env bash
# oms-md on the shared hftbacktest recordings: exit 0, no gap, no mismatch, a bookTicker
# cross-check count > 0 and one CSV row per applied depth update; then a spot file with one
# depth diff removed must report the gap (exit 2).
# usage: oms_md_test.sh OMS_MD_BINARY SHARED_DATA_DIR
set -euo pipefail
bin="$1"
data="${2:-${OMS_SHARED_DATA:-}}/hftbacktest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# run NAME FILES...: runs oms-md, checks the summary, prints nothing on success.
run() {
  local name="$1"; shift
  local rc=0
  "$bin" "$@" >"$tmp/$name.csv" 2>"$tmp/$name.err" || rc=$?
  local summary
  summary="$(grep 'depth updates received' "$tmp/$name.err")" || fail "$name: no summary"
  echo "$name: $summary"
  [[ $rc -eq 0 ]] || fail "$name: exit $rc"
  local applied rows gaps mism checked
  applied="$(sed -E 's/.*applied ([0-9]+),.*/\1/' <<<"$summary")"
  gaps="$(sed -E 's/.*; gaps ([0-9]+);.*/\1/' <<<"$summary")"
  mism="$(sed -E 's/.*mismatches ([0-9]+);.*/\1/' <<<"$summary")"
  checked="$(sed -E 's/.*cross-checked ([0-9]+),.*/\1/' <<<"$summary")"
  rows="$(wc -l <"$tmp/$name.csv")"
  [[ "$gaps" == 0 ]] || fail "$name: $gaps gaps"
  [[ "$mism" == 0 ]] || fail "$name: $mism mismatches"
  [[ "$checked" -gt 0 ]] || fail "$name: no bookTicker cross-checked"
  [[ "$rows" == "$applied" ]] || fail "$name: $rows rows for $applied applied updates"
  # Every row: id and four decimals (both sides present in these books).
  if grep -vqE '^[0-9]+,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+$' "$tmp/$name.csv"; then
    fail "$name: malformed row: $(grep -vE '^[0-9]+,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.]+$' "$tmp/$name.csv" | head -1)"
  fi
}

run spot "$data/spot_btcusdt_20240808.gz" "$data/spot_btcusdt_20240809.gz"
# Pinned from the recording: the snapshot (lastUpdateId 50093239218) replays 3 buffered diffs
# and goes live at 50093239224; the last diff of 0809 ends at 50093696318.
head -1 "$tmp/spot.csv" | grep -qx '50093239224,61837.63,3.78826,61837.64,1.6052' || fail "spot: first row $(head -1 "$tmp/spot.csv")"
tail -1 "$tmp/spot.csv" | grep -q '^50093696318,' || fail "spot: last row $(tail -1 "$tmp/spot.csv")"
grep -q 'snapshot lastUpdateId=50093239218 (1000 bids, 1000 asks) with 3 buffered diffs -> live at 50093239224' "$tmp/spot.err" || fail "spot: snapshot buffering not reported"
run usdm "$data/usdm_btcusdt_20240808.gz"

# One depth diff (the 100th) removed from the spot file: the gap is reported, exit 2.
zcat "$data/spot_btcusdt_20240808.gz" | awk '/depthUpdate/ { n++; if (n == 100) next } { print }' | gzip >"$tmp/gap.gz"
rc=0
"$bin" "$tmp/gap.gz" >"$tmp/gap.csv" 2>"$tmp/gap.err" || rc=$?
[[ $rc -eq 2 ]] || fail "gap: exit $rc, expected 2"
grep -q 'GAP (book 6001: sequence gap): expected 50093243620, got 50093243733' "$tmp/gap.err" || fail "gap: not reported"
grep -q '; gaps 1;' "$tmp/gap.err" || fail "gap: count $(grep -o 'gaps [0-9]*' "$tmp/gap.err")"
echo "gap: $(grep GAP "$tmp/gap.err")"
echo "oms-md tests passed"
