#!/usr/bin/env python3
"""Starts the stack a deploy/install --dry-run laid out, the way its units say, without systemd
(this machine has no systemd running): for oms-nats, oms-venue-sim and omsd in that order,
ExecStartPre then ExecStart with omsd.env's variables expanded as systemd does (${VAR} one
word, $VAR split on whitespace), in the unit's CPUAffinity, with RLIMIT_CORE 0 and the kernel's
memory-deny-write-execute (PR_SET_MDWE, what MemoryDenyWriteExecute=yes asks), output to the
log the unit names. Then: omsd's /health answers, omsd's engine thread (oms-engine) is on the
plan's engine CPU alone and every omsd thread within the unit's CPUAffinity; SIGTERM stops
omsd with exit 0, then venue-sim and nats-server; omsd's /dev/shm files (intent log, state
board) are removed. Exit 0 when all of that holds.

  start_units.py PREFIX
"""
import ctypes
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.request

prefix = sys.argv[1]
units = os.path.join(prefix, "etc/systemd/system")
env_file = os.path.join(prefix, "etc/crypto-oms/omsd.env")
libc = ctypes.CDLL(None, use_errno=True)
problems = []


def read_env(path):
    env = {}
    for line in open(path):
        line = line.rstrip("\n")
        if not line or line.lstrip().startswith("#") or "=" not in line:
            continue
        k, v = line.split("=", 1)
        env[k.strip()] = v
    return env


def cpus(spec):
    out = set()
    for item in spec.replace(",", " ").split():
        lo, _, hi = item.partition("-")
        out.update(range(int(lo), int(hi or lo) + 1))
    return out


def expand(cmd, env):
    argv = []
    for word in cmd.split():
        m = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if m:
            argv.extend(env.get(m.group(1), "").split())
            continue
        argv.append(re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda g: env.get(g.group(1), ""), word))
    return argv


def service(name):
    keys = {}
    for line in open(os.path.join(units, name + ".service")):
        line = line.strip()
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            keys.setdefault(k, []).append(v)
    return keys


def confine(affinity):
    def pre():
        os.setsid()
        os.sched_setaffinity(0, affinity)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if libc.prctl(65, 1, 0, 0, 0) != 0:  # PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN
            raise OSError(ctypes.get_errno(), "PR_SET_MDWE")
    return pre


def wait_port(host_port, proc, what, seconds=20):
    host, port = host_port.rsplit(":", 1)
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            return f"{what} exited with {proc.returncode}"
        try:
            socket.create_connection((host, int(port)), timeout=0.5).close()
            return None
        except OSError:
            time.sleep(0.1)
    return f"{what} did not listen on {host_port}"


env = read_env(env_file)
started = []  # (name, Popen)
shm_files = set()
try:
    for name in ["oms-nats", "oms-venue-sim", "omsd"]:
        unit = service(name)
        unit_env = dict(env) if "EnvironmentFile" in unit else {}
        affinity = cpus(unit["CPUAffinity"][0])
        log = None
        out = unit.get("StandardOutput", [""])[0]
        if out.startswith("append:"):
            log = open(out[len("append:"):], "ab")
        else:
            log = open(os.path.join(prefix, f"{name}.out"), "ab")
        for pre in unit.get("ExecStartPre", []):
            r = subprocess.run(expand(pre, unit_env), preexec_fn=confine(affinity), stdout=log, stderr=log)
            if r.returncode != 0:
                raise SystemExit(f"{name}: ExecStartPre exited {r.returncode}")
        argv = expand(unit["ExecStart"][0], unit_env)
        proc = subprocess.Popen(argv, preexec_fn=confine(affinity), stdout=log, stderr=log)
        started.append((name, proc))
        if name == "oms-nats":
            listen = re.search(r"^listen:\s*(\S+)", open(argv[argv.index("-c") + 1]).read(), re.M).group(1)
            err = wait_port(listen, proc, name)
        elif name == "oms-venue-sim":
            err = wait_port(env["OMS_VENUE"], proc, name)
        else:
            err = f"omsd: /health on {env['OMS_HTTP']} did not answer in 60 s"
            deadline = time.time() + 60
            while time.time() < deadline and proc.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://{env['OMS_HTTP']}/health", timeout=1) as r:
                        body = r.read().decode()
                        print(f"ok: omsd /health answers {r.status}: {body[:80]}")
                        err = None
                        break
                except OSError:
                    time.sleep(0.2)
            if proc.poll() is not None:
                err = f"omsd exited with {proc.returncode}"
        if err:
            raise SystemExit(err)
        print(f"ok: {name} started as its unit says (CPUs {sorted(affinity)}): {' '.join(argv)[:150]}")

    # omsd's threads: every one within its unit's CPUAffinity, the engine alone on the plan's CPU.
    omsd = started[-1][1]
    allowed = cpus(service("omsd")["CPUAffinity"][0])
    engine = [c for role, c in re.findall(r"(engine|io|daemon)=([0-9-]+)", env["OMS_CPU_PLAN"]) if role == "engine"]
    engine_cpus = cpus(engine[0]) if engine else None
    seen_engine = False
    for tid in os.listdir(f"/proc/{omsd.pid}/task"):
        try:
            status = open(f"/proc/{omsd.pid}/task/{tid}/status").read()
        except OSError:
            continue
        comm = re.search(r"^Name:\s*(.*)$", status, re.M).group(1)
        on = cpus(re.search(r"^Cpus_allowed_list:\s*(.*)$", status, re.M).group(1))
        if not on <= allowed:
            problems.append(f"omsd thread {tid} ({comm}) on CPUs {sorted(on)}, outside CPUAffinity {sorted(allowed)}")
        if comm == "oms-engine":
            seen_engine = True
            if engine_cpus is not None and on != engine_cpus:
                problems.append(f"oms-engine on CPUs {sorted(on)}, the plan says {sorted(engine_cpus)}")
            else:
                print(f"ok: oms-engine thread on CPU {sorted(on)} as the plan {env['OMS_CPU_PLAN']} says")
    if not seen_engine:
        problems.append("no oms-engine thread in omsd")
finally:
    # omsd's files in /dev/shm (its intent log and state board, named by a hash of the data
    # dir): removed after it stops, as the test's temp dir is.
    for name, proc in started:
        if name == "omsd" and proc.poll() is None:
            for line in open(f"/proc/{proc.pid}/maps"):
                m = re.search(r"(/dev/shm/oms-(?:intent|board)-omsd-[0-9a-f]+\.(?:log|board))", line)
                if m:
                    shm_files.add(m.group(1))
    for name, proc in reversed(started):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                problems.append(f"{name} did not stop on SIGTERM in 30 s")
        if name == "omsd":
            if proc.returncode != 0:
                problems.append(f"omsd exited {proc.returncode} on SIGTERM")
            else:
                print("ok: omsd stopped on SIGTERM with exit 0")

for f in sorted(shm_files):
    try:
        os.remove(f)
    except OSError:
        pass
for p in problems:
    print("FAIL: " + p)
sys.exit(1 if problems else 0)
