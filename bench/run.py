#!/usr/bin/python3
"""make bench: Sokuho's benchmarks, each as a ratio against a baseline measured
in the same run on the same database (see docs/benchmarks.md).

Run by scripts/bench.sh, which installs the packages, builds build/bench/ and
starts the private cluster (bench/cluster.sh). Standard library only.

Environment (all optional):
  BENCH_INCIDENTS   incidents generated (default 1000000)
  BENCH_REPS        repetitions of each measurement (default 3)
  BENCH_SECONDS     seconds per load run (default 8)
  BENCH_CLIENTS     concurrent clients of the filing benchmark (default 8)
  BENCH_BURST       due timers in the escalation burst (default 100000)
  BENCH_MAIL        messages in each mail run (default 2000)
  BENCH_ESC_MAX     seconds the escalation burst may take before it is cut
                    short and its rate taken from what was applied (default 240)
  BENCH_FRESH=1     regenerate the database even when sokuho_gen is up to date
"""

import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build", "bench")
SOKUHO = os.path.join(B, "sokuho")
CLUSTER = os.path.join(ROOT, "bench", "cluster.sh")
N = int(os.environ.get("BENCH_INCIDENTS", "1000000"))
REPS = int(os.environ.get("BENCH_REPS", "3"))
SECS = int(os.environ.get("BENCH_SECONDS", "8"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
BURST = int(os.environ.get("BENCH_BURST", "100000"))
MAIL = int(os.environ.get("BENCH_MAIL", "2000"))
ESC_MAX = int(os.environ.get("BENCH_ESC_MAX", "240"))
HTTP_PORT = int(os.environ.get("BENCH_HTTP_PORT", "18431"))
SMTP_PORT = int(os.environ.get("BENCH_SMTP_PORT", "18425"))
LOGIN, PASSWORD = "sato.kenichi", "demo-password-2026"

T0 = time.time()
results = {}

# What the sokuho processes read at start (migrations, templates, workflows,
# static files) is copied once, so that edits made to the working tree while
# the benchmark runs cannot change it halfway (a serve or worker refuses to
# start when sql/ holds a migration the database lacks).
SNAP = os.path.join(B, "snapshot")
SNAP_DIRS = {"sql": "SOKUHO_SQL_DIR", "templates": "SOKUHO_TEMPLATES_DIR",
             "workflows": "SOKUHO_WORKFLOWS_DIR", "static": "SOKUHO_STATIC_DIR"}


def snapshot():
    shutil.rmtree(SNAP, ignore_errors=True)
    for d in SNAP_DIRS:
        shutil.copytree(os.path.join(ROOT, d), os.path.join(SNAP, d))


def log(msg):
    print(f"[{time.time() - T0:7.1f}s] {msg}", flush=True)


def conninfo(db="sokuho"):
    return subprocess.check_output([CLUSTER, "conninfo", db], text=True).strip()


BINDIR = subprocess.check_output([CLUSTER, "bindir"], text=True).strip()


def psql(sql, db="sokuho", vars=None, file=None, check=True):
    """Runs SQL (or a file); returns the unaligned, tuples-only output."""
    cmd = [os.path.join(BINDIR, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", conninfo(db)]
    for k, v in (vars or {}).items():
        cmd += ["-v", f"{k}={v}"]
    cmd += ["-f", file] if file else ["-c", sql]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"psql failed: {r.stderr.strip()}\n{sql or file}")
    return r.stdout.strip()


def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return {"median": None, "min": None, "max": None, "runs": []}
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "runs": v}


def env_for(extra=None):
    e = dict(os.environ)
    e["DATABASE_URL"] = conninfo()
    e["SOKUHO_LOG_LEVEL"] = "warn"
    for d, var in SNAP_DIRS.items():
        e[var] = os.path.join(SNAP, d)
    e.update(extra or {})
    return e


PROCS = []


class Proc:
    """A sokuho process (serve or worker) with its log in build/bench/."""

    def __init__(self, args, name, extra=None):
        self.name = name
        self.logpath = os.path.join(B, f"{name}.log")
        self.log = open(self.logpath, "w")
        self.p = subprocess.Popen([SOKUHO] + args, cwd=ROOT, env=env_for(extra),
                                  stdout=self.log, stderr=subprocess.STDOUT)
        PROCS.append(self)

    def check(self):
        """Raises when the process has died."""
        if self.p.poll() is not None:
            with open(self.logpath) as f:
                tail = f.read()[-2000:]
            raise RuntimeError(f"sokuho {self.name} exited with {self.p.returncode}:\n{tail}")

    def rss_kb(self, key="VmRSS"):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return None

    def reset_peak(self):
        """Starts VmHWM again from the current VmRSS (Linux: clear_refs 5)."""
        with open(f"/proc/{self.p.pid}/clear_refs", "w") as f:
            f.write("5")

    def cpu_ticks(self):
        with open(f"/proc/{self.p.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(30)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


def wait_http(port, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


def curl(args):
    return subprocess.run(["curl", "-s", "-S"] + args, capture_output=True, text=True, check=True).stdout


def sign_in(port):
    """Signs the demo CISO in; returns (cookie header, session CSRF token)."""
    jar = os.path.join(B, "cookies.txt")
    if os.path.exists(jar):
        os.unlink(jar)
    base = f"http://127.0.0.1:{port}"
    page = curl(["-c", jar, "-b", jar, base + "/login"])
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    curl(["-c", jar, "-b", jar, "-o", "/dev/null", "--data-urlencode", f"login={LOGIN}",
          "--data-urlencode", f"password={PASSWORD}", "--data-urlencode", f"csrf={csrf}",
          base + "/login"])
    page = curl(["-c", jar, "-b", jar, base + "/report"])
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    cookies = []
    with open(jar) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 7 and parts[5] == "sokuho_session":
                cookies.append(f"{parts[5]}={parts[6]}")
    if not cookies:
        raise RuntimeError("sign-in failed: no session cookie")
    return "; ".join(cookies), token


def wrk(script, url, conns, threads, seconds, headers):
    cmd = ["wrk", "-t", str(threads), "-c", str(conns), "-d", f"{seconds}s", "--timeout", "10s",
           "-s", os.path.join(ROOT, "bench", script)]
    for h in headers:
        cmd += ["-H", h]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    m = re.search(r"^BENCH (\{.*\})$", out, re.M)
    if not m:
        raise RuntimeError("wrk gave no result:\n" + out)
    return json.loads(m.group(1))


# ---------------------------------------------------------------- the data


def data_key():
    """What the generated database depends on: the migrations, the workflows,
    the generator and the count. A database generated from the same inputs
    is kept as the template sokuho_gen and copied instead of regenerated."""
    import hashlib
    h = hashlib.sha256(str(N).encode())
    for d in ("sql", "workflows"):
        for name in sorted(os.listdir(os.path.join(SNAP, d))):
            with open(os.path.join(SNAP, d, name), "rb") as fh:
                h.update(name.encode() + fh.read())
    with open(os.path.join(ROOT, "bench", "generate.sql"), "rb") as fh:
        h.update(fh.read())
    return h.hexdigest()[:16]


def setup_database():
    key = data_key()
    have = psql("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = 'sokuho_gen'",
                db="postgres")
    gen = None
    if have != key or os.environ.get("BENCH_FRESH") == "1":
        log(f"database: generating sokuho_gen: migrations, demo city, workflows, {N:,} incidents (bench/generate.sql)")
        psql("DROP DATABASE IF EXISTS sokuho_gen WITH (FORCE)", db="postgres")
        psql("CREATE DATABASE sokuho_gen", db="postgres")
        psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", db="sokuho_gen")
        e = env_for({"DATABASE_URL": conninfo("sokuho_gen")})
        for args in (["migrate"], ["demo"], ["workflow", "load"]):
            subprocess.run([SOKUHO] + args, cwd=ROOT, env=e, check=True, capture_output=True)
        t = time.time()
        psql(None, db="sokuho_gen", file=os.path.join(ROOT, "bench", "generate.sql"), vars={"n": N, "open": 3000})
        gen = time.time() - t
        psql(f"COMMENT ON DATABASE sokuho_gen IS '{key}'", db="postgres")
        log(f"database: generated in {gen:.0f} s")
    else:
        log("database: sokuho_gen is up to date (same migrations, workflows, generator and count); copying it")
    t = time.time()
    psql("DROP DATABASE IF EXISTS sokuho WITH (FORCE)", db="postgres")
    psql("CREATE DATABASE sokuho TEMPLATE sokuho_gen STRATEGY FILE_COPY", db="postgres")
    size = psql("SELECT pg_size_pretty(pg_database_size('sokuho'))")
    log(f"database: sokuho copied from sokuho_gen in {time.time() - t:.0f} s, {size}")
    results["dataset"] = {"incidents": int(psql("SELECT count(*) FROM incident")),
                          "open": int(psql("SELECT count(*) FROM incident WHERE closed_at IS NULL")),
                          "generate_seconds": round(gen, 1) if gen is not None else None,
                          "generated_now": gen is not None, "database_size": size}


# ---------------------------------------------------------------- 2. pages


def pick_ref():
    return psql("SELECT ref FROM incident WHERE closed_at IS NULL ORDER BY id DESC LIMIT 1 OFFSET 100")


PAGES = [
    ("dashboard", "/dashboard"),
    ("incidents_filtered", "/incidents?category=leak&q=%E5%80%8B%E4%BA%BA%E6%83%85%E5%A0%B1"),
    ("incident", None),  # /incidents/REF
]


def bench_pages(serve, cookie):
    ref = pick_ref()
    out = {}
    slow = {}
    for key, path in PAGES:
        path = path or f"/incidents/{ref}"
        url = f"http://127.0.0.1:{HTTP_PORT}{path}"
        runs = []
        # warm-up, not measured: the first requests after the database copy
        # read from disk
        wrk("page.lua", url, 1, 1, 2, [f"Cookie: {cookie}"])
        for rep in range(REPS):
            psql("SELECT pg_stat_statements_reset()")
            r = wrk("page.lua", url, 1, 1, SECS, [f"Cookie: {cookie}"])
            # the floor: what PostgreSQL itself spent on the page's statements
            db = psql("SELECT coalesce(sum(total_exec_time), 0), coalesce(sum(calls), 0) FROM pg_stat_statements "
                      "WHERE query NOT LIKE '%pg_stat_statements%' AND dbid = "
                      "(SELECT oid FROM pg_database WHERE datname = 'sokuho')").split("|")
            reqs = max(r["requests"], 1)
            r["db_ms_per_page"] = float(db[0]) / reqs
            r["statements_per_page"] = float(db[1]) / reqs
            runs.append(r)
            log(f"pages: {path} run {rep + 1}: p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
                f"{r['requests']} requests ({r['bad']} not 200, last {r['bad_status']}), "
                f"database {r['db_ms_per_page']:.2f} ms/page in {r['statements_per_page']:.1f} statements")
        slow[key] = top_statements()
        ok = all(r["bad"] == 0 for r in runs)
        p50 = stats([r["p50_ms"] for r in runs])
        p99 = stats([r["p99_ms"] for r in runs])
        floor = stats([r["db_ms_per_page"] for r in runs])
        out[key] = {
            "path": path, "ok": ok, "bad_status": runs[-1]["bad_status"],
            "p50_ms": p50, "p99_ms": p99, "floor_db_ms": floor,
            "statements_per_page": stats([r["statements_per_page"] for r in runs]),
            "ratio_p50_to_floor": (p50["median"] / floor["median"]) if ok and floor["median"] else None,
            "target": "p99 < 100 ms", "met": ok and p99["median"] < 100,
            "slowest_statements": slow[key],
        }
    return out


def top_statements():
    """The page's statements that took the most time in its last run (from
    pg_stat_statements): mean ms, calls, the statement."""
    rows = psql("SELECT round(mean_exec_time::numeric, 2) || ' ms | ' || calls || ' calls | ' || "
                "left(regexp_replace(query, '\\s+', ' ', 'g'), 400) "
                "FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' "
                "ORDER BY total_exec_time DESC LIMIT 5")
    return rows.split("\n") if rows else []


# ---------------------------------------------------------------- 1. filing


def sealer_lag(since):
    """The audit sealer's lag for the events written from since (database
    clock) on: seconds from an event's time to the start of the batch that
    chained it (audit_chain.sealed_at), after waiting for the queue to drain."""
    for _ in range(300):
        if psql("SELECT count(*) FROM audit_queue") == "0":
            break
        time.sleep(0.1)
    out = psql("SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY l), "
               "percentile_cont(0.99) WITHIN GROUP (ORDER BY l), max(l), "
               "(SELECT count(*) FROM audit_queue) FROM (SELECT extract(epoch FROM c.sealed_at - e.at) AS l "
               "FROM audit_chain c JOIN audit_event e ON e.seq = c.event_id "
               f"WHERE e.at >= '{since}'::timestamptz) x")
    n, p50, p99, mx, left = out.split("|")
    num = lambda v: float(v) if v else None
    return {"events": int(n), "p50_s": num(p50), "p99_s": num(p99), "max_s": num(mx), "left": int(left)}


def bench_filing(serve, peaks):
    out = {"clients": CLIENTS, "runs": []}
    # A year's numbers are INC-YYYY-NNNN and the counter of the current year
    # is past 9,999 after the generator; the benchmark files in years of its
    # own (the database clock moved forward, see docs/benchmarks.md).
    psql("CREATE TABLE IF NOT EXISTS bench_keep (k text PRIMARY KEY, v text)")
    rates, rates1, tps, lags = [], [], [], []
    pgb = os.path.join(BINDIR, "pgbench")
    subprocess.run([pgb, "-i", "-q", "-s", "10", "-d", conninfo()], check=True, capture_output=True)
    # serve's own sealer thread (there also with engine_threads = 0) chains
    # the audit events while reports are filed, as in production.
    url = f"http://127.0.0.1:{HTTP_PORT}/api/v1/incidents"
    for rep in range(REPS):
        psql(f"UPDATE clock_offset SET offset_by = interval '{5 + rep} years'")
        cookie, csrf = sign_in(HTTP_PORT)  # a session made on the moved clock
        headers = [f"Cookie: {cookie}", f"X-CSRF-Token: {csrf}"]
        one = wrk("file.lua", url, 1, 1, SECS, headers)
        rate1 = one["created"] / one["seconds"]
        rates1.append(rate1)
        since = psql("SELECT sokuho_now()")
        serve.reset_peak()  # the sign-in's Argon2id peak is measured apart
        r = wrk("file.lua", url, CLIENTS, 2, SECS, headers)
        rate = r["created"] / r["seconds"]
        rates.append(rate)
        peaks.append(serve.rss_kb("VmHWM"))
        lag = sealer_lag(since)
        lags.append(lag["p99_s"])
        p = subprocess.run([pgb, "-c", str(CLIENTS), "-j", "2", "-T", str(SECS), "-M", "prepared", "-n",
                            "-d", conninfo()], capture_output=True, text=True)
        m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", p.stdout)
        t = float(m.group(1)) if m else None
        tps.append(t)
        out["runs"].append({"reports_per_s": rate, "created": r["created"], "other": r["other"],
                            "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "pgbench_tps": t,
                            "reports_per_s_1_client": rate1, "sealer_lag": lag})
        log(f"filing run {rep + 1}: {rate:.0f} reports/s ({r['created']} created, {r['other']} other, "
            f"p99 {r['p99_ms']:.0f} ms), 1 client {rate1:.0f}/s; sealer lag p99 {lag['p99_s'] or 0:.3f} s "
            f"over {lag['events']} events ({lag['left']} left unsealed); pgbench TPC-B {t:.0f} tps at "
            f"{CLIENTS} clients")
    psql("UPDATE clock_offset SET offset_by = '0'")
    psql("DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers, bench_keep")
    ratios = [a / b for a, b in zip(rates, tps) if b]
    scale = [a / b for a, b in zip(rates, rates1) if b]
    out.update({"reports_per_s": stats(rates), "pgbench_tps": stats(tps), "ratio": stats(ratios),
                "target": "ratio >= 0.5", "reports_per_s_1_client": stats(rates1),
                "scaling": stats(scale), "sealer_lag_p99_s": stats(lags)})
    out["met"] = out["ratio"]["median"] is not None and out["ratio"]["median"] >= 0.5
    out["scaling_met"] = out["scaling"]["median"] is not None and out["scaling"]["median"] >= 4
    out["sealer_lag_met"] = out["sealer_lag_p99_s"]["max"] is not None and out["sealer_lag_p99_s"]["max"] <= 1
    return out


# ---------------------------------------------------------------- 3. escalation


def bench_escalation():
    out = {"burst": BURST, "runs": []}
    psql(f"""
        CREATE TABLE bench_runs AS
            SELECT r.id FROM workflow_run r JOIN workflow_def d ON d.id = r.def_id
            WHERE d.name = 'reporting-duty' AND r.finished_at IS NOT NULL ORDER BY r.id LIMIT {BURST};
        UPDATE workflow_run r SET state = 'reported', finished_at = NULL, escalation_level = 0,
            fence = 100, entered_at = sokuho_now()
            FROM bench_runs b WHERE b.id = r.id;
    """)
    reps = REPS if BURST <= 20000 else 1
    rates, floors = [], []
    for rep in range(reps):
        fence = 100 + rep
        # the floor: the same number of timers marked fired, with one outbox
        # row each, as plain SQL in one transaction
        t = time.time()
        psql(f"""
            BEGIN;
            CREATE TEMP TABLE f (id bigserial, run_id bigint, fire_at timestamptz, fired_at timestamptz);
            INSERT INTO f (run_id, fire_at) SELECT id, sokuho_now() FROM bench_runs;
            UPDATE f SET fired_at = sokuho_now();
            INSERT INTO outbox (dedup_key, run_id, email, template, data, fence)
                SELECT 'floor:{rep}:' || run_id, run_id, 'floor@city.example.jp', 'reminder', '{{}}', {fence}
                FROM f;
            DELETE FROM outbox WHERE dedup_key LIKE 'floor:{rep}:%';
            COMMIT;
        """)
        floor = BURST / (time.time() - t)
        floors.append(floor)
        psql(f"""
            UPDATE workflow_run r SET fence = {fence}, escalation_level = 0 FROM bench_runs b WHERE b.id = r.id;
            INSERT INTO timer (run_id, fence, kind, step, fire_at)
                SELECT id, {fence}, 'escalation', 0, sokuho_now() - interval '1 second' FROM bench_runs;
            CHECKPOINT;
        """)
        before = int(psql("SELECT count(*) FROM outbox"))
        w = Proc(["worker", "--engine_threads", "2"], "worker-escalation")
        t = time.time()
        while True:
            w.check()
            left = int(psql(f"SELECT count(*) FROM timer WHERE fired_at IS NULL AND fence = {fence} "
                            "AND kind = 'escalation' AND step = 0"))
            if left == 0 or time.time() - t > ESC_MAX:
                break
            time.sleep(0.5)
        secs = time.time() - t
        w.stop()
        # a burst cut short leaves its rest unfired: out of the way of what follows
        psql(f"UPDATE timer SET fired_at = sokuho_now(), outcome = 'bench-cut' WHERE fired_at IS NULL "
             f"AND fence = {fence} AND kind = 'escalation' AND step = 0")
        rows = int(psql("SELECT count(*) FROM outbox")) - before
        done = BURST - left
        applied = int(psql(f"SELECT count(*) FROM timer WHERE fence = {fence} AND outcome = 'applied' "
                           f"AND kind = 'escalation' AND step = 0"))
        rate = done / secs
        rates.append(rate)
        out["runs"].append({"seconds": secs, "fired": done, "applied": applied, "outbox_rows": rows,
                            "per_s": rate, "floor_per_s": floor, "cut_short": left > 0})
        log(f"escalation run {rep + 1}: {done} timers fired ({applied} applied) in {secs:.1f} s = {rate:.0f}/s, "
            f"{rows} outbox rows; SQL floor {floor:.0f}/s")
    out["per_s"] = stats(rates)
    out["floor_per_s"] = stats(floors)
    out["ratio"] = stats([a / b for a, b in zip(rates, floors)])
    out["target"] = ">= 10,000 timers/s"
    out["met"] = out["per_s"]["median"] >= 10000

    # steady state: timers falling due one after another, due-to-applied
    n, spacing_ms = 20 * SECS, 50
    w = Proc(["worker", "--engine_threads", "2"], "worker-steady")
    time.sleep(1)
    fence = 200
    psql(f"""
        UPDATE workflow_run r SET fence = {fence}, escalation_level = 0
            FROM (SELECT id FROM bench_runs ORDER BY id LIMIT {n}) b WHERE b.id = r.id;
        INSERT INTO timer (run_id, fence, kind, step, fire_at)
            SELECT id, {fence}, 'escalation', 0,
                   sokuho_now() + interval '2 seconds' + interval '{spacing_ms} milliseconds' * row_number() OVER (ORDER BY id)
            FROM (SELECT id FROM bench_runs ORDER BY id LIMIT {n}) b;
        SELECT pg_notify('sokuho_wake', '');  -- as every writer of timers does
    """)
    end = time.time() + 2 + n * spacing_ms / 1000 + 30
    while time.time() < end:
        w.check()
        if psql(f"SELECT count(*) FROM timer WHERE fence = {fence} AND kind = 'escalation' AND step = 0 "
                "AND fired_at IS NULL") == "0":
            break
        time.sleep(0.5)
    w.stop()
    lat = psql(f"""
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.99) WITHIN GROUP (ORDER BY ms),
               max(ms), count(*)
        FROM (SELECT extract(epoch FROM fired_at - fire_at) * 1000 AS ms FROM timer
              WHERE fence = {fence} AND kind = 'escalation' AND step = 0 AND fired_at IS NOT NULL) x""").split("|")
    out["steady"] = {"timers": n, "spacing_ms": spacing_ms, "p50_ms": float(lat[0] or 0),
                     "p99_ms": float(lat[1] or 0), "max_ms": float(lat[2] or 0), "applied": int(lat[3]),
                     "target": "p99 < 500 ms"}
    out["steady"]["met"] = out["steady"]["applied"] == n and out["steady"]["p99_ms"] < 500
    log(f"escalation steady: {lat[3]}/{n} applied, due-to-applied p50 {float(lat[0] or 0):.0f} ms, "
        f"p99 {float(lat[1] or 0):.0f} ms")
    return out


# ---------------------------------------------------------------- 4. mail


def start_smtpd(d):
    p = subprocess.Popen(["/usr/bin/python3", os.path.join(ROOT, "tests", "mail", "smtpd.py"), "--port",
                          str(SMTP_PORT), "--dir", d], cwd=ROOT, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    end = time.time() + 20
    while not os.path.exists(os.path.join(d, "ready")):
        if time.time() > end:
            raise RuntimeError("smtpd.py did not start")
        time.sleep(0.1)
    return p


SMTPLIB_FLOOR = r"""
import smtplib, sys, time
n, port = int(sys.argv[1]), int(sys.argv[2])
msg = open(sys.argv[3], 'rb').read()
s = smtplib.SMTP('127.0.0.1', port)
t = time.time()
for i in range(n):
    s.sendmail('sokuho@localhost', ['floor%d@city.example.jp' % i], msg)
print(n / (time.time() - t))
s.quit()
"""


def bench_mail():
    out = {"messages": MAIL, "runs": []}
    rates, floors = [], []
    for rep in range(REPS):
        d = tempfile.mkdtemp(prefix="bench-smtp-", dir=B)
        smtpd = start_smtpd(d)
        try:
            # the floor: the same SMTP server fed by Python's smtplib over one
            # connection, with a message of the same size as Sokuho's
            sample = psql("SELECT count(*) FROM outbox WHERE status = 'sent'")
            del sample
            msgfile = os.path.join(d, "floor.eml")
            with open(msgfile, "wb") as f:
                f.write(b"From: sokuho@localhost\r\nTo: x@city.example.jp\r\nSubject: floor\r\n"
                        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                        + (b"44GT44KM44Gv6YCf5aCx44Gu44GK55+l44KJ44Gb44Gn44GZ44CC\r\n" * 24))
            fl = float(subprocess.check_output(["/usr/bin/python3", "-c", SMTPLIB_FLOOR, str(MAIL),
                                                str(SMTP_PORT), msgfile], text=True).strip())
            floors.append(fl)
            # MAIL queued rows (of the escalation burst), sent by one worker
            psql(f"""
                UPDATE outbox SET status = 'dead' WHERE status = 'queued';
                UPDATE outbox SET status = 'queued', next_attempt_at = '-infinity', lease_until = NULL,
                    attempts = 0, sent_at = NULL
                  WHERE id IN (SELECT id FROM outbox WHERE template <> 'daily_digest' AND dedup_key NOT LIKE 'floor%'
                               AND email LIKE '%@%' ORDER BY id LIMIT {MAIL});
            """)
            floor_files = len([f for f in os.listdir(d) if f.endswith(".eml")])
            w = Proc(["worker", "--engine_threads", "1", "--smtp_host", "127.0.0.1", "--smtp_port",
                      str(SMTP_PORT), "--smtp_starttls", "off"], "worker-mail")
            t = time.time()
            while True:
                w.check()
                left = int(psql("SELECT count(*) FROM outbox WHERE status = 'queued' AND template <> 'daily_digest'"))
                if left == 0 or time.time() - t > 300:
                    break
                time.sleep(0.2)
            secs = time.time() - t
            w.stop()
            sent = len([f for f in os.listdir(d) if f.endswith(".eml")]) - floor_files
            rate = sent / secs
            rates.append(rate)
            out["runs"].append({"sent": sent, "seconds": secs, "per_s": rate, "floor_per_s": fl})
            log(f"mail run {rep + 1}: {sent} messages in {secs:.1f} s = {rate:.0f}/s; smtplib floor {fl:.0f}/s")
        finally:
            smtpd.terminate()
            smtpd.wait()
            shutil.rmtree(d, ignore_errors=True)
    out["per_s"] = stats(rates)
    out["floor_per_s"] = stats(floors)
    out["ratio"] = stats([a / b for a, b in zip(rates, floors)])
    out["target"] = ">= 300 messages/s"
    out["met"] = out["per_s"]["median"] >= 300
    return out


# ---------------------------------------------------------------- main


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem = int(f.readline().split()[1]) // 1024
    # the postgres database: on a fresh cluster it is the only one yet
    pg = psql("SHOW server_version", db="postgres")
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_mb": mem, "kernel": platform.release(),
            "postgresql": pg, "fsync": psql("SHOW fsync", db="postgres"),
            "synchronous_commit": psql("SHOW synchronous_commit", db="postgres"),
            "shared_buffers": psql("SHOW shared_buffers", db="postgres"),
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def main():
    os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
    snapshot()
    results["machine"] = machine()
    results["settings"] = {"reps": REPS, "seconds": SECS, "clients": CLIENTS, "burst": BURST, "mail": MAIL}
    setup_database()
    log("serve: starting (threads = clients, engine and mailer off while measuring pages)")
    serve = Proc(["serve", "--listen", f"127.0.0.1:{HTTP_PORT}", "--threads", str(CLIENTS),
                  "--engine_threads", "0"], "serve")
    wait_http(HTTP_PORT)
    time.sleep(1)
    rss_start = serve.rss_kb()
    serve.reset_peak()
    cookie, _ = sign_in(HTTP_PORT)
    rss_signin = serve.rss_kb("VmHWM")
    time.sleep(2)
    rss_idle = serve.rss_kb()
    serve.reset_peak()
    c0 = serve.cpu_ticks()
    time.sleep(10)
    idle_ticks = serve.cpu_ticks() - c0
    log(f"serve idle: {rss_idle / 1024:.1f} MB resident ({rss_start / 1024:.1f} MB at start, peak "
        f"{rss_signin / 1024:.1f} MB during a sign-in), {idle_ticks} CPU ticks in 10 s")

    pages = bench_pages(serve, cookie)
    results["dashboard"] = pages["dashboard"]
    results["incidents_filtered"] = pages["incidents_filtered"]
    results["incident"] = pages["incident"]
    rss_pages = serve.rss_kb("VmHWM")

    peaks = []
    results["filing"] = bench_filing(serve, peaks)
    time.sleep(3)
    c0 = serve.cpu_ticks()
    time.sleep(10)
    idle_after = serve.cpu_ticks() - c0
    rss_after = serve.rss_kb()
    serve.stop()
    rss_load = max([rss_pages] + peaks)
    results["rss"] = {"start_mb": rss_start / 1024, "signin_peak_mb": rss_signin / 1024,
                      "idle_mb": rss_idle / 1024, "peak_pages_mb": rss_pages / 1024,
                      "peak_filing_mb": max(peaks) / 1024,
                      "peak_load_mb": rss_load / 1024, "after_load_mb": rss_after / 1024,
                      "idle_cpu_ticks_10s": idle_ticks, "idle_cpu_ticks_10s_after_load": idle_after,
                      "target": "< 50 MB; no CPU when idle"}
    results["rss"]["met"] = rss_load / 1024 < 50 and idle_ticks == 0 and idle_after == 0
    log(f"serve: peak {rss_load / 1024:.1f} MB under load, {rss_after / 1024:.1f} MB after, "
        f"{idle_after} ticks idle after load")

    results["escalation"] = bench_escalation()
    results["mail"] = bench_mail()
    results["total_seconds"] = round(time.time() - T0, 1)
    path = os.path.join(ROOT, "bench", "results", "latest.json")
    with open(path, "w") as f:
        json.dump(results, f, indent=2, ensure_ascii=False)
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "bench", "report.py"), path,
                    os.path.join(ROOT, "docs", "benchmarks.md")], check=True)


if __name__ == "__main__":
    try:
        main()
    finally:
        for proc in PROCS:
            proc.stop()
