#!/usr/bin/python3
"""Prints the table of a bench/results/*.json and writes docs/benchmarks.md
from it, with the hand-written analysis of bench/analysis.md appended.
usage: bench/report.py RESULTS.json [OUT.md]"""

import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def f(v, nd=1):
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}"


def row(name, s, unit, base=None, base_name="", ratio=None, target="", met=None, nd=1):
    s = s or {}
    cells = [name, f(s.get("median"), nd), f(s.get("min"), nd), f(s.get("max"), nd), unit,
             f((base or {}).get("median"), nd) + (f" {base_name}" if base else ""),
             f((ratio or {}).get("median"), 2) if ratio else "—", target,
             "—" if met is None else ("yes" if met else "**no**")]
    return cells


def rows(r):
    out = []
    fi = r.get("filing")
    if fi:
        out.append(row(f"1. filing, {fi['clients']} clients", fi["reports_per_s"], "reports/s", fi["pgbench_tps"],
                       "pgbench TPC-B tps", fi["ratio"], "ratio ≥ 0.5", fi["met"], 0))
        if "reports_per_s_1_client" in fi:
            out.append(row(f"1. filing, 1 client ({fi['clients']} clients ÷ 1)", fi["reports_per_s_1_client"],
                           "reports/s", None, "", fi["scaling"], f"{fi['clients']} clients ≥ 4 × 1",
                           fi["scaling_met"], 0))
            out.append(row(f"1. audit sealer lag p99 while {fi['clients']} clients file", fi["sealer_lag_p99_s"],
                           "s", None, "", None, "≤ 1 s", fi["sealer_lag_met"], 3))
    for key, label in (("dashboard", "/dashboard"), ("incidents_filtered", "/incidents?category=leak&q=個人情報"),
                       ("incident", "/incidents/REF")):
        p = r.get(key)
        if not p:
            continue
        note = "" if p["ok"] else f" (answered {p['bad_status']})"
        out.append(row(f"2. {label} p50{note}", p["p50_ms"], "ms", p["floor_db_ms"], "ms in PostgreSQL",
                       {"median": p["ratio_p50_to_floor"]}, "", None, 1))
        out.append(row(f"2. {label} p99{note}", p["p99_ms"], "ms", None, "", None, "p99 < 100 ms", p["met"], 1))
    e = r.get("escalation")
    if e:
        out.append(row(f"3. escalation burst of {e['burst']:,}", e["per_s"], "timers/s", e["floor_per_s"],
                       "timers/s in plain SQL", e["ratio"], "≥ 10,000/s", e["met"], 0))
        s = e["steady"]
        out.append(row("3. steady state due→applied p50", {"median": s["p50_ms"], "min": s["p50_ms"],
                                                          "max": s["p50_ms"]}, "ms", None, "", None, "", None, 0))
        out.append(row("3. steady state due→applied p99", {"median": s["p99_ms"], "min": s["p99_ms"],
                                                          "max": s["p99_ms"]}, "ms", None, "", None,
                       "p99 < 500 ms", s["met"], 0))
    m = r.get("mail")
    if m:
        out.append(row("4. mail", m["per_s"], "messages/s", m["floor_per_s"], "msg/s smtplib", m["ratio"],
                       "≥ 300/s", m["met"], 0))
    x = r.get("rss")
    if x:
        one = lambda v: {"median": v, "min": v, "max": v}
        out.append(row("5. serve resident memory, idle", one(x["idle_mb"]), "MB", None, "", None, "< 50 MB",
                       x["idle_mb"] < 50, 1))
        out.append(row("5. serve resident memory, peak under load", one(x["peak_load_mb"]), "MB", None, "", None,
                       "< 50 MB", x["peak_load_mb"] < 50, 1))
        if "signin_peak_mb" in x:
            out.append(row("5. serve resident memory, peak of one sign-in (Argon2id)", one(x["signin_peak_mb"]),
                           "MB", None, "", None, "", None, 1))
        out.append(row("5. serve CPU idle (ticks in 10 s, before / after load)",
                       one(float(x["idle_cpu_ticks_10s"])), f"ticks ({x['idle_cpu_ticks_10s_after_load']} after)",
                       None, "", None, "0", x["idle_cpu_ticks_10s"] == 0 and x["idle_cpu_ticks_10s_after_load"] == 0,
                       0))
    return out


HEAD = ["benchmark", "median", "min", "max", "unit", "baseline (median)", "ratio", "target", "met"]


def text_table(rs):
    widths = [max(len(str(c)) for c in col) for col in zip(HEAD, *rs)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(HEAD, widths))]
    lines.append("  ".join("-" * w for w in widths))
    for r in rs:
        lines.append("  ".join(str(c).replace("**", "").ljust(w) for c, w in zip(r, widths)))
    return "\n".join(lines)


def md_table(rs):
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "---|" * len(HEAD)]
    for r in rs:
        lines.append("| " + " | ".join(str(c).replace("|", "\\|") for c in r) + " |")
    return "\n".join(lines)


def main():
    r = json.load(open(sys.argv[1]))
    rs = rows(r)
    print()
    print(text_table(rs))
    print()
    if len(sys.argv) < 3:
        return
    m = r["machine"]
    d = r.get("dataset", {})
    st = r.get("settings", {})
    doc = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run.py`, `bench/report.py`) from `bench/results/latest.json`;",
        "the analysis at the end is `bench/analysis.md`, written by hand. Do not edit this file: edit those.",
        "",
        "## The latest run",
        "",
        f"Run of {m['date']} on {m['cpu']} ({m['cores']} cores, {m['memory_mb']:,} MB, Linux {m['kernel']}),",
        f"PostgreSQL {m['postgresql']} with fsync = {m['fsync']}, synchronous_commit = {m['synchronous_commit']},",
        f"shared_buffers = {m['shared_buffers']} (`bench/cluster.sh`). Database: {f(d.get('incidents'))} incidents",
        f"({f(d.get('open'))} open), {d.get('database_size', '?')}, "
        + (f"generated in {f(d.get('generate_seconds'))} s by `bench/generate.sql`."
           if d.get("generate_seconds") is not None else
           "copied from the template `sokuho_gen` that `bench/generate.sql` made in an earlier run "
           "(3.5 to 5 minutes on this machine)."),
        f"Each figure is the median of {st.get('reps')} runs of {st.get('seconds')} s",
        f"(min and max beside it), except the escalation burst of more than 20,000 timers, run once.",
        f"The benchmarks took {f(r.get('total_seconds'), 0)} s"
        + (", the data generation included." if d.get("generate_seconds") is not None else
           "; with the data generated afresh, as on a clean machine, `make bench` takes 11 to 13 minutes."),
        "",
        md_table(rs),
        "",
    ]
    for key in ("dashboard", "incidents_filtered", "incident"):
        slow = (r.get(key) or {}).get("slowest_statements")
        if slow:
            doc += [f"The statements of `{r[key]['path']}` that took the most time in its last run "
                    "(mean, calls, statement; `pg_stat_statements`):", "", "```"] + slow + ["```", ""]
    doc += [open(os.path.join(ROOT, "bench", "analysis.md")).read()]
    with open(sys.argv[2], "w") as out:
        out.write("\n".join(doc))
    print(f"wrote {sys.argv[2]} and {sys.argv[1]}")


if __name__ == "__main__":
    main()
