#!/usr/bin/env bash
# deploy/install into a temp prefix (--dry-run: no user, no chown, no systemctl), then:
# the files are where the README says with their modes, the binaries are the built ones, the
# installed configs pass omsd --check-config (also under the kernel's memory-deny-write-execute,
# what MemoryDenyWriteExecute=yes asks), `systemd-analyze verify` passes on each installed unit
# with no warning, omsd.service's CPUAffinity is the union of omsd.env's --cpu-plan, and a
# unit with a typo (unknown key, bad value, missing binary, misspelled dependency) fails the
# same check. The installed units, run without systemd as they say (start_units.py), bring up
# nats-server, venue-sim and omsd with omsd's engine on the plan's CPU. A real install refuses a
# non-root user.
#
#   tests/deploy/install_test.sh SOURCE_DIR BIN_DIR
set -uo pipefail
src="${1:?source dir}"
bin="${2:?bin dir}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

[[ -x "$bin/omsd" && -x "$bin/venue-sim" ]] || { echo "FAIL: build omsd and venue-sim first ($bin)"; exit 1; }
command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze is not installed"; exit 1; }
tmp="$(mktemp -d /tmp/oms-install-test.XXXXXX)"
chmod 0755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

# verify UNIT_FILE: systemd-analyze verify, with the other installed units on the unit path;
# any output (an unknown key, a value it ignores) counts as a failure too: systemd only warns.
verify() {
  local dir out rc
  dir="$(dirname "$1")"
  out="$(SYSTEMD_UNIT_PATH="$dir:" systemd-analyze verify --man=no "$1" 2>&1)"
  rc=$?
  if ((rc != 0)) || [[ -n "$out" ]]; then
    echo "$out" | sed 's/^/    /'
    return 1
  fi
  return 0
}

# --- refusals ---
if ((EUID == 0)); then
  out="$(setpriv --reuid=65534 --regid=65534 --clear-groups bash "$src/deploy/install" --bin "$bin" 2>&1)"
else
  out="$(bash "$src/deploy/install" --bin "$bin" 2>&1)"
fi
rc=$?
if ((rc != 0)) && [[ "$out" == *"a real install needs root"* ]]; then pass "a real install refuses a non-root user"
else fail "non-root real install: rc $rc: $out"; fi
out="$(bash "$src/deploy/install" --dry-run --bin "$bin" 2>&1)"; rc=$?
if ((rc != 0)) && [[ "$out" == *"--prefix"* ]]; then pass "--dry-run without --prefix is refused"
else fail "--dry-run without --prefix: rc $rc: $out"; fi
out="$(bash "$src/deploy/install" --dry-run --prefix "$tmp/bad" --bin "$bin" --cpu-plan engine=1-2 2>&1)"; rc=$?
if ((rc != 0)) && [[ "$out" == *"engine takes one CPU"* ]]; then pass "a bad --cpu-plan is refused with omsd's reason"
else fail "--cpu-plan engine=1-2: rc $rc: $out"; fi

# --- a dry-run install ---
p="$tmp/root"
if ! bash "$src/deploy/install" --dry-run --prefix "$p" --bin "$bin" >"$tmp/install.log" 2>&1; then
  cat "$tmp/install.log"; fail "deploy/install --dry-run --prefix $p"; exit 1
fi
pass "deploy/install --dry-run --prefix laid the files out"
units="$p/etc/systemd/system"
for f in opt/crypto-oms/bin/omsd opt/crypto-oms/bin/venue-sim etc/crypto-oms/omsd.env \
         etc/crypto-oms/nats.conf etc/crypto-oms/configs/accounts.yaml etc/crypto-oms/configs/risk.yaml \
         etc/crypto-oms/configs/exchanges.yaml etc/crypto-oms/configs/strategies.yaml \
         var/lib/crypto-oms/tls/ca.pem var/lib/crypto-oms/tls/server.pem var/lib/crypto-oms/run/nats-auth.json \
         etc/systemd/system/omsd.service etc/systemd/system/oms-nats.service \
         etc/systemd/system/oms-venue-sim.service etc/logrotate.d/crypto-oms \
         opt/crypto-oms/share/monitoring/omsd-alerts.yml opt/crypto-oms/share/monitoring/omsd-dashboard.json; do
  [[ -f "$p/$f" ]] || fail "$f not installed"
done
[[ -d "$p/var/lib/crypto-oms/jetstream" && -d "$p/var/log/crypto-oms" ]] || fail "data or log dir missing"
[[ "$(stat -c %a "$p/etc/crypto-oms/nats.conf")" == 640 ]] || fail "nats.conf is not 0640"
[[ "$(stat -c %a "$p/var/lib/crypto-oms/run/nats-auth.json")" == 600 ]] || fail "nats-auth.json is not 0600"
cmp -s "$bin/omsd" "$p/opt/crypto-oms/bin/omsd" || fail "installed omsd differs from $bin/omsd"
if grep -rn '@[A-Z_]*@' "$units" "$p/etc/crypto-oms" "$p/etc/logrotate.d" >/dev/null; then
  fail "a placeholder was left: $(grep -rn '@[A-Z_]*@' "$units" "$p/etc/crypto-oms" "$p/etc/logrotate.d")"
fi
password="$(sed -n 's/.*"password": *"\([0-9a-f]*\)".*/\1/p' "$p/var/lib/crypto-oms/run/nats-auth.json")"
grep -q "password: \"$password\"" "$p/etc/crypto-oms/nats.conf" || fail "nats.conf does not hold nats-auth.json's password"
grep -q "store_dir: \"$p/var/lib/crypto-oms/jetstream\"" "$p/etc/crypto-oms/nats.conf" || fail "nats.conf: store_dir"
grep -q "log_file: \"$p/var/log/crypto-oms/nats-server.log\"" "$p/etc/crypto-oms/nats.conf" || fail "nats.conf: log_file"
for log in nats-server.log venue-sim.log; do
  grep -q "^$p/var/log/crypto-oms/$log {" "$p/etc/logrotate.d/crypto-oms" || fail "logrotate does not cover $log"
done
[[ -z "$(grep -v '^ *#' "$p/etc/logrotate.d/crypto-oms" | grep 'omsd.log\|/accounts/')" ]] ||
  fail "logrotate covers omsd's self-rotated logs"

# The installed configs are valid, and omsd gets through them with W+X mappings refused.
envval() { sed -n "s/^$1=//p" "$p/etc/crypto-oms/omsd.env"; }  # systemd's reading: the rest of the line
OMS_CONFIG="$(envval OMS_CONFIG)" OMS_DATA="$(envval OMS_DATA)" OMS_CPU_PLAN="$(envval OMS_CPU_PLAN)"
out="$("$p/opt/crypto-oms/bin/omsd" --config "$OMS_CONFIG" --data "$OMS_DATA" --cpu-plan "$OMS_CPU_PLAN" --check-config 2>&1)" ||
  fail "omsd --check-config on the installed configs: $out"
mdwe='import ctypes, os, sys
if ctypes.CDLL(None, use_errno=True).prctl(65, 1, 0, 0, 0) != 0: sys.exit("PR_SET_MDWE refused")
os.execv(sys.argv[1], sys.argv[1:])'
if out="$(python3 -c "$mdwe" "$p/opt/crypto-oms/bin/omsd" --config "$OMS_CONFIG" --data "$OMS_DATA" --check-config 2>&1)" &&
   [[ "$out" == *"config ok"* ]]; then
  pass "omsd --check-config under memory-deny-write-execute"
else
  fail "omsd under PR_SET_MDWE: $out"
fi

# --- systemd-analyze verify on every installed unit ---
for u in "$units"/*.service; do
  if verify "$u"; then pass "systemd-analyze verify $(basename "$u")"; else fail "systemd-analyze verify $u"; fi
  exe="$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$u")"
  [[ -x "$exe" ]] || fail "$(basename "$u"): ExecStart $exe is not an executable"
done
if ! grep -q '^Requires=oms-nats.service' "$units/omsd.service" ||
   ! grep -q '^After=.*oms-nats.service' "$units/omsd.service"; then
  fail "omsd.service is not ordered after oms-nats.service"
fi
for key in NoNewPrivileges=yes ProtectSystem=strict "ReadWritePaths=$p/var/lib/crypto-oms" PrivateTmp=yes \
           MemoryDenyWriteExecute=yes LimitCORE=0 LimitMEMLOCK= Restart=on-failure "EnvironmentFile=$p/etc/crypto-oms/omsd.env"; do
  grep -q "^$key" "$units/omsd.service" || fail "omsd.service has no $key"
done

# --- the CPU plan agrees with CPUAffinity ---
expand() {  # "engine=3,io=1-2,daemon=0" or "0 1-2" -> sorted CPUs, one line
  local item lo hi c
  for item in $(echo "$1" | tr ', ' '\n\n'); do
    item="${item#*=}"; lo="${item%%-*}"; hi="${item#*-}"
    for ((c = lo; c <= hi; c++)); do echo "$c"; done
  done | sort -n -u | tr '\n' ' '
}
check_plan() {  # check_plan PREFIX: 0 when omsd.env's plan and the units' CPUs agree, else says why
  local env="$1/etc/crypto-oms/omsd.env" unit="$1/etc/systemd/system/omsd.service" plan other u
  plan="$(sed -n 's/^OMS_CPU_PLAN=//p' "$env")"
  other="$(sed -n 's/^OMS_OTHER_CPUS=//p' "$env")"
  [[ "$(expand "$plan")" == "$(expand "$(sed -n 's/^CPUAffinity=//p' "$unit")")" ]] ||
    { echo "omsd.service CPUAffinity $(sed -n 's/^CPUAffinity=//p' "$unit") is not plan $plan's CPUs"; return 1; }
  [[ "$(expand "$plan")" == "$(expand "$(sed -n 's/^AllowedCPUs=//p' "$unit")")" ]] ||
    { echo "omsd.service AllowedCPUs is not plan $plan's CPUs"; return 1; }
  for u in oms-nats oms-venue-sim; do
    [[ "$(expand "$other")" == "$(expand "$(sed -n 's/^CPUAffinity=//p' "$1/etc/systemd/system/$u.service")")" ]] ||
      { echo "$u.service CPUAffinity is not OMS_OTHER_CPUS $other"; return 1; }
  done
  echo "CPU plan $plan: omsd.service CPUAffinity $(expand "$plan"); nats-server, venue-sim $(expand "$other")"
}
if out="$(check_plan "$p")"; then pass "$out"; else fail "$out"; fi
p4="$tmp/root4"
if bash "$src/deploy/install" --dry-run --prefix "$p4" --bin "$bin" --cpu-plan engine=3,io=2,daemon=0-1 \
     --other-cpus 0-1 >"$tmp/install4.log" 2>&1; then
  if out="$(check_plan "$p4")"; then pass "$out"; else fail "$out"; fi
  grep -q '^OMS_CPU_PLAN=engine=3,io=2,daemon=0-1$' "$p4/etc/crypto-oms/omsd.env" || fail "--cpu-plan not in omsd.env"
  grep -q '^CPUAffinity=0 1 2 3$' "$p4/etc/systemd/system/omsd.service" || fail "CPUAffinity for engine=3,io=2,daemon=0-1"
  for u in "$p4"/etc/systemd/system/*.service; do verify "$u" || fail "systemd-analyze verify $u (4-CPU plan)"; done
else
  cat "$tmp/install4.log"; fail "deploy/install --cpu-plan engine=3,io=2,daemon=0-1"
fi

# --- the plan check fails when a unit's CPUs and the plan differ ---
sed -i 's/^CPUAffinity=0 1 2 3$/CPUAffinity=0 1 2/' "$p4/etc/systemd/system/omsd.service"
if out="$(check_plan "$p4")"; then fail "plan check passed CPUAffinity=0 1 2 for engine=3,io=2,daemon=0-1"
else pass "plan check fails on CPUAffinity=0 1 2 for engine=3,io=2,daemon=0-1 ($out)"; fi

# --- a second install keeps what the operator changed and the NATS password ---
sed -i 's/^OMS_LOG_LEVEL=info$/OMS_LOG_LEVEL=debug/' "$p/etc/crypto-oms/omsd.env"
echo "# edited" >>"$p/etc/crypto-oms/configs/risk.yaml"
if bash "$src/deploy/install" --dry-run --prefix "$p" --bin "$bin" >"$tmp/install2.log" 2>&1; then
  grep -q '^OMS_LOG_LEVEL=debug$' "$p/etc/crypto-oms/omsd.env" || fail "a second install overwrote omsd.env"
  tail -1 "$p/etc/crypto-oms/configs/risk.yaml" | grep -q '^# edited$' || fail "a second install overwrote risk.yaml"
  grep -q "password: \"$password\"" "$p/etc/crypto-oms/nats.conf" || fail "a second install changed the NATS password"
  pass "a second install keeps omsd.env, the configs and the NATS password"
else
  cat "$tmp/install2.log"; fail "second deploy/install --dry-run"
fi

# --- the installed stack starts as its units say (without systemd: tests/deploy/start_units.py) ---
read -r np gp hp vp < <(python3 -c 'import socket
ss = [socket.socket() for _ in range(4)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
p5="$tmp/root5"
if bash "$src/deploy/install" --dry-run --prefix "$p5" --bin "$bin" --nats-port "$np" --grpc-port "$gp" \
     --http-port "$hp" --venue-port "$vp" >"$tmp/install5.log" 2>&1; then
  if python3 "$(dirname "$0")/start_units.py" "$p5"; then pass "the installed units start nats-server, venue-sim and omsd"
  else
    fail "the installed units did not run the stack"
    tail -n 20 "$p5"/var/log/crypto-oms/*.log "$p5"/*.out "$p5"/var/lib/crypto-oms/log/omsd.log 2>/dev/null
  fi
else
  cat "$tmp/install5.log"; fail "deploy/install with ports"
fi

# --- the check fails on a unit with a typo ---
bad="$tmp/bad-units"
typo() {  # typo NAME SED-EXPR
  rm -rf "$bad"; mkdir -p "$bad"; cp "$units"/*.service "$bad/"
  sed -i "$2" "$bad/omsd.service"
  cmp -s "$units/omsd.service" "$bad/omsd.service" && { fail "typo '$1' changed nothing"; return; }
  if verify "$bad/omsd.service" >/dev/null; then fail "systemd-analyze verify passed omsd.service with $1"
  else pass "omsd.service with $1 fails the check"; fi
}
typo "an unknown key (Restrat=)" 's/^Restart=/Restrat=/'
typo "a bad value (NoNewPrivileges=yse)" 's/^NoNewPrivileges=yes/NoNewPrivileges=yse/'
typo "a missing binary (bin/omds)" 's|bin/omsd --config|bin/omds --config|'
typo "a misspelled dependency (oms-natz)" 's/^Requires=oms-nats.service/Requires=oms-natz.service/'

if ((failures)); then echo "$failures check(s) failed"; exit 1; fi
echo "all install checks passed"
