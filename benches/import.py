#!/usr/bin/env python3
"""Times a 10,000-row import (upload and preview, then commit) through the API against a release
binary on fresh demo databases: 3 runs each on SQLite and (if given) PostgreSQL; prints medians.

Usage: benches/import.py BINARY [postgres://…/ADMIN_DB]   (KIND=users for enterprise users)"""
import json, os, random, statistics, subprocess, sys, tempfile, time, urllib.request

BIN = sys.argv[1]
PG = sys.argv[2] if len(sys.argv) > 2 else None
ALPHA = "0123456789ABCDEFGHJKLMNPQRTUWXY"
W = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

def code(rng):
    body = "91370115" + "".join(rng.choice(ALPHA) for _ in range(9))
    s = sum(ALPHA.index(c) * w for c, w in zip(body, W))
    return body + ALPHA[(31 - s % 31) % 31]

def csv_file(n=10_000):
    rng = random.Random(7)
    streets = ["东城街道", "西湖街道", "南山街道", "北苑街道", "柳林镇", "河口镇"]
    out = ["企业名称,统一社会信用代码,所属街道,行业,规模,地址,联系人,联系电话"]
    for i in range(n):
        out.append(f"基准企业{i:05},{code(rng)},{streets[i % 6]},工贸,{'规上' if i % 7 == 0 else '小微'},青川区某路{i}号,王五,{13800000000 + i}")
    return ("\n".join(out) + "\n").encode()

def req(url, data=None, headers=None, method=None):
    r = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    with urllib.request.urlopen(r, timeout=600) as resp:
        return json.loads(resp.read() or b"null")

def run(db_url, port):
    d = tempfile.mkdtemp()
    env = dict(os.environ, SA_DATA_DIR=d, SA_BIND=f"127.0.0.1:{port}", SA_LOG="warn")
    env.pop("DATABASE_URL", None)
    if db_url:
        env["DATABASE_URL"] = db_url
        subprocess.run([BIN, "seed", "--demo"], env=env, check=True, capture_output=True)
    p = subprocess.Popen([BIN], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/readyz", timeout=1); break
        except Exception:
            time.sleep(0.2)
    label, email, pw = next(l.split() for l in open(f"{d}/demo-logins.txt") if l.startswith("district-regulator "))
    tok = req(base + "/api/v1/auth/login", json.dumps({"email": email, "password": pw}).encode(), {"content-type": "application/json"})["access_token"]
    kind = os.environ.get("KIND", "enterprises")
    if kind == "users":
        ents = req(base + "/api/v1/enterprises?per_page=100", headers={"Authorization": f"Bearer {tok}"})["items"]
        codes = [e["credit_code"] for e in ents]
        lines = ["姓名,邮箱,手机,统一社会信用代码"] + [f"人员{i:05},person{i}@bench.example,{13900000000 + i},{codes[i % len(codes)]}" for i in range(10_000)]
        body = ("\n".join(lines) + "\n").encode()
    else:
        body = csv_file()
    boundary = "benchboundary"
    mp = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"b.csv\"\r\nContent-Type: text/csv\r\n\r\n").encode() + body + f"\r\n--{boundary}--\r\n".encode()
    auth = {"Authorization": f"Bearer {tok}"}
    t0 = time.monotonic()
    imp = req(base + f"/api/v1/imports?kind={kind}", mp, dict(auth, **{"content-type": f"multipart/form-data; boundary={boundary}"}))
    t1 = time.monotonic()
    res = req(base + f"/api/v1/imports/{imp['id']}/commit", b"{}", dict(auth, **{"content-type": "application/json"}))
    t2 = time.monotonic()
    assert res["result"]["new"] == 10_000, res["result"]
    p.terminate(); p.wait()
    return t1 - t0, t2 - t1

def main():
    for name, url in [("sqlite", None)] + ([("postgres", PG)] if PG else []):
        times = []
        for i in range(3):
            db = None
            if url:
                dbname = f"sa_bench_import_{i}"
                subprocess.run(["psql", "-q", url, "-c", f"DROP DATABASE IF EXISTS {dbname}"], check=True)
                subprocess.run(["psql", "-q", url, "-c", f"CREATE DATABASE {dbname}"], check=True)
                db = url.rsplit("/", 1)[0] + "/" + dbname
            times.append(run(db, 18400 + i))
            if url:
                subprocess.run(["psql", "-q", url, "-c", f"DROP DATABASE IF EXISTS sa_bench_import_{i}"], check=True)
        prev = statistics.median(t[0] for t in times)
        commit = statistics.median(t[1] for t in times)
        total = statistics.median(t[0] + t[1] for t in times)
        print(f"{name}: 10,000 rows, median of 3: upload+preview {prev:.2f} s, commit {commit:.2f} s, total {total:.2f} s; runs {[(round(a,2), round(b,2)) for a,b in times]}")

main()
