#!/usr/bin/env python3
"""Load benchmark: the release binary on a synthetic district, driven by wrk through real,
authenticated requests, on SQLite and (when --postgres is given) on PostgreSQL.

For each database it measures, in the same run and on the same machine:
  - the limits: the raw one-row commit rate of that database at the platform's durability
    (SQLite: WAL, synchronous=FULL, one writer; PostgreSQL: pgbench, one-row INSERT per
    transaction at the same number of clients), and a bare endpoint of the same server
    (GET /healthz, no database);
  - hazard reports (POST /api/v1/findings, each with its own Idempotency-Key) at 32 and 64
    connections; the district-wide and a filtered finding list, a single finding and the
    oversight summary at 64 connections;
  - the server's peak RSS (VmHWM) and, from /metrics, the writes per group commit.
Each row is the median of --runs runs. It prints one table and writes it as JSON (--json).

Needs: wrk (Debian `wrk`), the release binary (cargo build --release), and for PostgreSQL a
server reachable with the admin URL given (the benchmark creates and drops its own database).

  python3 benches/load.py --enterprises 10000 --findings 1000000 --seconds 10 --runs 3 \
      --postgres postgres://postgres@127.0.0.1:5432/test --json benches/results/latest.json
"""

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# wrk's Lua: a report with a fresh Idempotency-Key per request, and a JSON summary at the end.
REPORT_LUA = r"""
local counter = 0
local thread_id = 0
local threads = {}
function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end
function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("SA_TOKEN")
  wrk.body = '{"title":"压测隐患：灭火器压力不足","category":"fire","grade":"general","treatment":"on_the_spot"}'
end
function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = string.format("bench-%s-%d-%d", os.getenv("SA_RUN"), tid, counter)
  return wrk.format()
end
"""

GET_LUA = r"""
function init(args)
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("SA_TOKEN")
end
"""

DONE_LUA = r"""
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    'WRK_JSON {"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "errors": %d, "non2xx": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, errors, summary.errors.status))
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(method, url, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"null")


def wrk(url, lua, connections, seconds, token, run_id):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua + DONE_LUA)
        script = f.name
    env = dict(os.environ, SA_TOKEN=token, SA_RUN=run_id)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script, url],
        capture_output=True, text=True, env=env, check=True).stdout
    os.unlink(script)
    line = next(l for l in out.splitlines() if l.startswith("WRK_JSON "))
    r = json.loads(line[len("WRK_JSON "):])
    r["rate"] = r["requests"] / r["seconds"]
    return r


def raw_sqlite_commits(directory, seconds):
    """One-row commits from one writer, WAL, synchronous=FULL (the platform's setting)."""
    path = os.path.join(directory, "raw.db")
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, title TEXT NOT NULL, at TEXT NOT NULL)")
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO t (title, at) VALUES (?, datetime('now'))", ("压测隐患",))
        db.execute("COMMIT")
        n += 1
    rate = n / (time.perf_counter() - start)
    db.close()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.unlink(path + suffix)
    return {"rate": rate}


def raw_pg_commits(url, clients, seconds):
    """pgbench: one-row INSERT per transaction from `clients` clients (synchronous_commit on)."""
    subprocess.run(["psql", url, "-qc", "DROP TABLE IF EXISTS raw_commits; "
                    "CREATE TABLE raw_commits (id BIGSERIAL PRIMARY KEY, title TEXT NOT NULL, "
                    "at TIMESTAMP NOT NULL)"], check=True, capture_output=True)
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write("INSERT INTO raw_commits (title, at) VALUES ('压测隐患', now());\n")
        script = f.name
    out = subprocess.run(["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds),
                          "-f", script, url], capture_output=True, text=True, check=True).stdout
    os.unlink(script)
    subprocess.run(["psql", url, "-qc", "DROP TABLE raw_commits"], check=True, capture_output=True)
    tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))
    return {"rate": tps}


def peak_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def batch_sizes(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    def value(name):
        m = re.search(rf"^{name}(?:{{[^}}]*}})? ([0-9.e+]+)$", text, re.M)
        return float(m.group(1)) if m else None
    total, count = value("db_write_batch_size_sum"), value("db_write_batch_size_count")
    return (total / count) if total and count else None


class Server:
    def __init__(self, binary, data_dir, database_url, group_commit):
        self.port = free_port()
        env = dict(os.environ, SA_DATA_DIR=data_dir, SA_BIND=f"127.0.0.1:{self.port}",
                   SA_LOG="warn", SA_MAX_REQUESTS_PER_ADDRESS="100000",
                   SA_ACCESS_TOKEN_TTL="7200",
                   # The scheduler's first walk of a fresh synthetic district sends its catch-up
                   # (measured on its own: benches/README.md); the runs measure steady state.
                   SA_SCHEDULE_SECS="0")
        if group_commit != "auto":
            env["SA_GROUP_COMMIT"] = group_commit
        if database_url:
            env["DATABASE_URL"] = database_url
        self.proc = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=1)
                return
            except Exception:
                time.sleep(0.1)
        raise SystemExit("the server did not start")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def logins(data_dir):
    out = {}
    with open(os.path.join(data_dir, "demo-logins.txt")) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and "@" in parts[1]:
                out[parts[0]] = (parts[1], parts[2])
    return out


def bench_database(args, label, database_url):
    data_dir = tempfile.mkdtemp(prefix="sa-load-")
    env = dict(os.environ, SA_DATA_DIR=data_dir, SA_LOG="warn")
    if database_url:
        env["DATABASE_URL"] = database_url
    started = time.perf_counter()
    subprocess.run([args.binary, "seed", "--synthetic", "--enterprises", str(args.enterprises),
                    "--findings", str(args.findings), "--rng-seed", str(args.rng_seed)],
                   env=env, check=True, stdout=subprocess.DEVNULL)
    seeded = time.perf_counter() - started
    print(f"[{label}] synthetic district seeded in {seeded:.1f} s", file=sys.stderr)
    who = logins(data_dir)
    server = Server(args.binary, data_dir, database_url, args.group_commit)
    try:
        token = {label_: http("POST", server.url("/api/v1/auth/login"),
                              {"email": email, "password": password})["access_token"]
                 for label_, (email, password) in who.items()
                 if label_ in ("member", "district-regulator")}
        district = token["district-regulator"]
        first = http("GET", server.url("/api/v1/findings?per_page=1"), token=district)
        finding = first["items"][0]["id"]
        rows = {}

        def measure(name, run):
            results = []
            for i in range(args.runs):
                results.append(run(i))
            rate = statistics.median(r["rate"] for r in results)
            row = {"rate": rate}
            for key in ("p50_ms", "p99_ms"):
                values = [r[key] for r in results if key in r]
                if values:
                    row[key] = statistics.median(values)
            errors = sum(r.get("errors", 0) for r in results)
            if errors:
                row["errors"] = errors
            rows[name] = row
            print(f"[{label}] {name}: {row}", file=sys.stderr)

        s = args.seconds
        if database_url:
            for c in (32, 64):
                measure(f"raw commits, {c} clients", lambda i, c=c: raw_pg_commits(database_url, c, s))
        else:
            measure("raw commits, 1 writer", lambda i: raw_sqlite_commits(data_dir, s))
        measure("bare GET /healthz, 64 conns",
                lambda i: wrk(server.url("/healthz"), "", 64, s, "", str(i)))
        for c in (32, 64):
            measure(f"POST /findings, {c} conns",
                    lambda i, c=c: wrk(server.url("/api/v1/findings"), REPORT_LUA, c, s,
                                       token["member"], f"{c}-{i}"))
        reads = [
            ("GET /findings district-wide", "/api/v1/findings"),
            ("GET /findings?state=reported&grade=major", "/api/v1/findings?state=reported&grade=major"),
            ("GET /findings/{id}", f"/api/v1/findings/{finding}"),
            ("GET /oversight/summary", "/api/v1/oversight/summary"),
        ]
        def settled(path):
            # The server finishes what a finished wrk run left in flight (actix does not cancel
            # a handler whose client went away); one request of the same kind waits behind it
            # all (summaries queue in order), so the next run starts on an idle server.
            http("GET", server.url(path), token=district)

        for name, path in reads:
            measure(name + ", 64 conns",
                    lambda i, path=path: (settled(path),
                                          wrk(server.url(path), GET_LUA, 64, s, district, str(i)))[1])
        rss = peak_rss_mb(server.proc.pid)
        batch = batch_sizes(server.port)
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    bare = rows["bare GET /healthz, 64 conns"]["rate"]
    raw = {c: rows.get(f"raw commits, {c} clients", rows.get("raw commits, 1 writer"))["rate"]
           for c in (32, 64)}
    for name, row in rows.items():
        if name.startswith("POST"):
            c = int(re.search(r"(\d+) conns", name).group(1))
            row["ratio"] = row["rate"] / raw[c]
            row["against"] = "raw commits"
        elif name.startswith("GET"):
            row["ratio"] = row["rate"] / bare
            row["against"] = "bare"
    return {"database": label, "seeded_seconds": seeded, "peak_rss_mb": rss,
            "writes_per_commit": batch, "rows": rows}


def table(results, args):
    lines = [f"{args.findings:,} findings, {args.enterprises:,} enterprises; wrk -t2 on the same "
             f"{os.cpu_count()} cores; {args.seconds} s per run, medians of {args.runs} runs; "
             f"group commit {args.group_commit}", "",
             "| database | measurement | req/s | p50 ms | p99 ms | ratio |",
             "|---|---|---|---|---|---|"]
    for res in results:
        for name, row in res["rows"].items():
            ratio = f"{row['ratio']:.2f}× {row['against']}" if "ratio" in row else "limit"
            p50 = f"{row['p50_ms']:.1f}" if "p50_ms" in row else ""
            p99 = f"{row['p99_ms']:.1f}" if "p99_ms" in row else ""
            errors = f" ({row['errors']} errors)" if row.get("errors") else ""
            lines.append(f"| {res['database']} | {name}{errors} | {row['rate']:,.0f} | {p50} | "
                         f"{p99} | {ratio} |")
    lines.append("")
    for res in results:
        batch = res["writes_per_commit"]
        lines.append(f"{res['database']}: seeded in {res['seeded_seconds']:.1f} s; server peak RSS "
                     f"{res['peak_rss_mb']:.0f} MB; writes per commit (mean) "
                     f"{batch:.1f}" if batch else f"{res['database']}: seeded in "
                     f"{res['seeded_seconds']:.1f} s; server peak RSS {res['peak_rss_mb']:.0f} MB")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "safety-alliance"))
    p.add_argument("--enterprises", type=int, default=10_000)
    p.add_argument("--findings", type=int, default=1_000_000)
    p.add_argument("--rng-seed", type=int, default=1)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--group-commit", default="auto", choices=["auto", "true", "false"],
                   help="auto: the platform's default (on for SQLite, off for PostgreSQL)")
    p.add_argument("--postgres", metavar="ADMIN_URL",
                   help="also run on PostgreSQL (a database is created next to this one)")
    p.add_argument("--skip-sqlite", action="store_true")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    args = p.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    if not os.path.exists(args.binary):
        raise SystemExit(f"{args.binary} is missing: cargo build --release")
    results = []
    if not args.skip_sqlite:
        results.append(bench_database(args, "SQLite", None))
    if args.postgres:
        base, _, _ = args.postgres.rpartition("/")
        name = f"sa_load_{os.getpid()}"
        subprocess.run(["psql", args.postgres, "-qc", f"CREATE DATABASE {name}"], check=True)
        try:
            results.append(bench_database(args, "PostgreSQL", f"{base}/{name}"))
        finally:
            subprocess.run(["psql", args.postgres, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])
    text = table(results, args)
    print(text)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump({"date": time.strftime("%Y-%m-%d"), "machine": {
                "cores": os.cpu_count(), "kernel": os.uname().release},
                "args": vars(args), "results": results, "table": text}, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
