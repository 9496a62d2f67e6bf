#!/usr/bin/env python3
"""venue-sim REST latency as a client sees it: one keep-alive HTTPS connection (python3 ssl +
http.client, TCP_NODELAY), signed requests one after another, each timed from just before the
request is written to the last byte of its answer (time.perf_counter_ns).

It starts its own venue-sim (port 0, a fresh CA and certificate from deploy/gen-certs, paper
keys, rate limits raised out of the way) with the background liquidity deploy/run uses (the
recorded BTCUSDT streams in ../shared/data/hftbacktest), lets the replay load its first
snapshot, then per round sends, in this order:

  post_order    POST   /api/v3/order        LIMIT GTC BUY 0.001 BTCUSDT far below the market
                                            (rests; newOrderRespType=ACK)
  get_open      GET    /api/v3/openOrders   symbol=BTCUSDT
  get_account   GET    /api/v3/account
  post_test     POST   /api/v3/order/test   the same order, validated only (nothing executes)
  delete_order  DELETE /api/v3/order        the order placed in this round

and prints n, p50, p90, p99 and max in microseconds per kind (the first --warmup rounds are
not counted). --csv FILE writes every request's kind, start and end (ns) and status.

  perf/venue_sim_rest.py [-n 1000] [--feed replay|walk|none] [--bin build/bin/venue-sim]
                         [--kinds post_order,get_open,...] [--csv FILE] [-- venue-sim flags]
"""
import argparse
import hashlib
import hmac
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KINDS = ["post_order", "get_open", "get_account", "post_test", "delete_order"]


def pct(sorted_xs, p):
    return sorted_xs[min(len(sorted_xs) - 1, int(round(p / 100.0 * (len(sorted_xs) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=1000, help="counted rounds (default 1000)")
    ap.add_argument("--warmup", type=int, default=50, help="rounds not counted (default 50)")
    ap.add_argument("--feed", choices=["replay", "walk", "none"], default="replay")
    ap.add_argument("--bin", default=os.path.join(ROOT, "build", "bin", "venue-sim"))
    ap.add_argument("--kinds", default=",".join(KINDS))
    ap.add_argument("--price", default="20000.00", help="the resting order's price")
    ap.add_argument("--settle", type=float, default=3.0, help="seconds before the first request")
    ap.add_argument("--csv", help="write kind,start_ns,end_ns,status per request")
    ap.add_argument("venue_args", nargs="*", help="after --: more venue-sim flags")
    a = ap.parse_args()
    kinds = a.kinds.split(",")
    for k in kinds:
        if k not in KINDS:
            sys.exit(f"--kinds: unknown '{k}' (one of {', '.join(KINDS)})")

    tmp = tempfile.mkdtemp(prefix="venue-sim-rest-")
    proc = None
    try:
        subprocess.run([os.path.join(ROOT, "deploy", "gen-certs"), os.path.join(tmp, "tls")],
                       check=True, stdout=subprocess.DEVNULL)
        keys = {"main": {"api_key": "k" * 64, "api_secret": "s" * 64, "market": "spot"}}
        keys_path = os.path.join(tmp, "keys.json")
        with open(os.open(keys_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            json.dump(keys, f)
        big = 1_000_000_000
        cfg_path = os.path.join(tmp, "config.json")
        with open(cfg_path, "w") as f:
            json.dump({"rate_limits": {"spot_weight_1m": big, "usdm_weight_1m": big,
                                       "spot_orders_10s": big, "usdm_orders_10s": big}}, f)
        cmd = [a.bin, "--listen", "127.0.0.1:0", "--cert", os.path.join(tmp, "tls", "server.pem"),
               "--key", os.path.join(tmp, "tls", "server.key"), "--paper-keys", keys_path,
               "--config", cfg_path]
        data = os.path.join(ROOT, "..", "shared", "data", "hftbacktest")
        if a.feed == "replay":
            files = [os.path.join(data, f) for f in
                     ("spot_btcusdt_20240808.gz", "spot_btcusdt_20240809.gz", "usdm_btcusdt_20240808.gz")]
            missing = [f for f in files if not os.path.exists(f)]
            if missing:
                sys.exit(f"--feed replay: {missing[0]} is missing (--feed walk needs no data)")
            cmd += ["--replay"] + files
        elif a.feed == "walk":
            cmd += ["--random-walk", "1"]
        cmd += a.venue_args
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(os.path.join(tmp, "venue-sim.log"), "w"),
                                text=True)
        line = proc.stdout.readline()
        if not line.startswith("listening "):
            sys.exit(f"venue-sim did not start: {line!r} (log: {tmp}/venue-sim.log)")
        port = int(line.rsplit(":", 1)[1])
        print(f"# {' '.join(cmd)}", file=sys.stderr)
        time.sleep(a.settle)
        run(a, kinds, port, os.path.join(tmp, "tls", "ca.pem"), keys["main"])
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


def run(a, kinds, port, ca, key):
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=ssl.create_default_context(cafile=ca))
    secret = key["api_secret"].encode()

    def call(method, path, params, in_body):
        params = dict(params, timestamp=int(time.time() * 1000), recvWindow=5000)
        q = urllib.parse.urlencode(params)
        q += "&signature=" + hmac.new(secret, q.encode(), hashlib.sha256).hexdigest()
        headers = {"X-MBX-APIKEY": key["api_key"]}
        if in_body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            t0 = time.perf_counter_ns()
            conn.request(method, path, body=q.encode(), headers=headers)
        else:
            t0 = time.perf_counter_ns()
            conn.request(method, path + "?" + q, headers=headers)
        r = conn.getresponse()
        body = r.read()
        return t0, time.perf_counter_ns(), r.status, body

    order = {"symbol": "BTCUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
             "quantity": "0.00100000", "price": a.price}
    samples = {k: [] for k in kinds}
    rows = []
    placed = None
    for i in range(a.warmup + a.n):
        for k in kinds:
            if k == "post_order":
                res = call("POST", "/api/v3/order",
                           dict(order, newClientOrderId=f"rest-lat-{i}", newOrderRespType="ACK"), True)
                if res[2] == 200:
                    placed = json.loads(res[3])["orderId"]
            elif k == "get_open":
                res = call("GET", "/api/v3/openOrders", {"symbol": "BTCUSDT"}, False)
            elif k == "get_account":
                res = call("GET", "/api/v3/account", {"omitZeroBalances": "true"}, False)
            elif k == "post_test":
                res = call("POST", "/api/v3/order/test", order, True)
            else:
                if placed is None:
                    continue
                res = call("DELETE", "/api/v3/order", {"symbol": "BTCUSDT", "orderId": placed}, False)
                placed = None
            t0, t1, status, body = res
            if status != 200:
                sys.exit(f"{k}: HTTP {status} {body[:200]!r}")
            rows.append((k, t0, t1, status))
            if i >= a.warmup:
                samples[k].append((t1 - t0) / 1000.0)
    print(f"{'request':<14}{'n':>6}{'p50 us':>9}{'p90 us':>9}{'p99 us':>9}{'max us':>9}")
    for k in kinds:
        xs = sorted(samples[k])
        if xs:
            print(f"{k:<14}{len(xs):>6}{pct(xs, 50):>9.0f}{pct(xs, 90):>9.0f}{pct(xs, 99):>9.0f}{xs[-1]:>9.0f}")
    if a.csv:
        with open(a.csv, "w") as f:
            f.write("kind,start_ns,end_ns,status\n")
            for r in rows:
                f.write(",".join(map(str, r)) + "\n")


if __name__ == "__main__":
    main()
