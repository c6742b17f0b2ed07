"""National-scale benchmark: the whole pipeline on a large generated landing.

`make bench-national` (= `python -m bench.national`) generates a synthetic landing with
`--scale 15` (EDU_DWH_BENCH_SCALE overrides it, e.g. 0.2 for a quick check; scale 15 takes
about 25 minutes on 2 cores, with the one-year change below) into a temporary folder with
its own embedded PostgreSQL, then calls the pipeline's functions directly, timing each phase:

- generate  — writing the landing (synthetic/, not part of the pipeline);
- prepare   — `pipeline.prepare`: schemas, run record;
- ingest    — `pipeline.ingest`: every file read, checked, pseudonymised, COPYed to a stage;
- load      — `pipeline.load`: per file check_load, Great Expectations, commit_load;
- transform — `pipeline.transform`: the full dbt build into the shadow schemas;
- publish   — `pipeline.publish`: swap to the new build, Data Docs, auditors' page.

Then the one-year change (issue 8 #4): the first run is made without one file of one year
(bench.dbt_change.CHANGE_FILE, the ЕГЭ 2024 additional period), which is then put back and
the pipeline runs again; its phases are `change_phases_s` — the transform of that run is
the incremental dbt build of one year, against the full build of the first run. dbt's own
account of both builds (seconds per node type, the slowest nodes) is kept beside them.
EDU_DWH_BENCH_CHANGE=0 skips the second run.

Printed and written to bench/national_results.json (git-ignored): seconds per phase, rows
per second of ingest and of ingest+load (data rows the generator wrote, reference files
excluded), seconds per source of staging / database checks / GX / commit, and the peak RSS
of each phase (VmHWM, reset at the start of each phase; dbt runs in-process, so it is
included). "peak RSS" is the largest of the pipeline's phases; the generator's own peak
(it builds the synthetic population in memory) is reported apart, as `generate`.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from bench.common import (
    MB,
    env_float,
    env_int,
    peak_rss,
    reset_peak_rss,
    rows_in_landing,
    run_pipeline,
    scratch_warehouse,
    vm_hwm,
)
from bench.dbt_change import CHANGE_FILE, dbt_seconds

SCALE = env_float("EDU_DWH_BENCH_SCALE", 15)
CHANGE = env_int("EDU_DWH_BENCH_CHANGE", 1)


def main() -> None:
    started = time.perf_counter()
    results: dict = {
        "scale": SCALE,
        "cpus": os.cpu_count(),
        "load_avg_at_start": os.getloadavg()[0],
    }
    with scratch_warehouse("edu_dwh_national_") as work:
        from synthetic import generate

        landing = work / "landing"
        print(f"[bench.national] generating scale {SCALE} into {landing} …", flush=True)
        resettable = reset_peak_rss()
        t0 = time.perf_counter()
        summary = generate(landing, seed=1, scale=SCALE)
        generate_s = time.perf_counter() - t0
        generate_rss = vm_hwm() / MB if resettable else None
        files = [p for p in landing.rglob("*") if p.is_file()]
        results["landing"] = {
            "files": len(files),
            "mb": sum(p.stat().st_size for p in files) / 2**20,
            "rows_by_source": summary.get("rows", {}),
        }
        rows = rows_in_landing(summary)
        held = _hold_out(landing, work / "aside") if CHANGE else None
        run = run_pipeline(landing)
        results["first_build_dbt"] = dbt_seconds()
        phases = {"generate": generate_s, **run["phases"]}
        steps = run["steps"]
        results["phases_s"] = phases
        by_phase = run["peak_rss_mb_by_phase"]
        results["peak_rss_mb_by_phase"] = {"generate": generate_rss, **by_phase}
        results["rows"] = rows
        results["ingest_rows_per_s"] = rows / phases["ingest"]
        results["ingest_load_rows_per_s"] = rows / (phases["ingest"] + phases["load"])
        results["pipeline_s"] = sum(v for k, v in phases.items() if k != "generate")
        results["steps_s_by_source"] = {
            step: steps.by_source(step)
            for step in ("stage_file", "check_load", "validate_stage", "commit_load")
        }
        results["rows_staged_by_source"] = dict(steps.rows)
        results.update(peak_rss())  # since the last reset (the publish phase)
        if by_phase:  # the pipeline's peak: the largest of its phases
            results["peak_rss_mb"] = max(by_phase.values())
        if held is not None:
            print(f"[bench.national] one-year change: {CHANGE_FILE} delivered …", flush=True)
            shutil.move(held, landing / CHANGE_FILE)
            change = run_pipeline(landing)
            results["change_file"] = CHANGE_FILE
            results["change_phases_s"] = change["phases"]
            results["change_dbt"] = dbt_seconds()
    results["bench_seconds"] = time.perf_counter() - started
    print_report(results)
    out = Path(__file__).with_name("national_results.json")
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    print(f"\nwritten: {out}")


def _hold_out(landing: Path, aside: Path) -> Path:
    """Move CHANGE_FILE out of the landing (the first run goes without it)."""
    aside.mkdir(parents=True, exist_ok=True)
    held = aside / Path(CHANGE_FILE).name
    shutil.move(landing / CHANGE_FILE, held)
    return held


def print_report(r: dict) -> None:
    land = r["landing"]
    print(
        f"\nNational-scale benchmark: scale {r['scale']}, {land['files']} files,"
        f" {land['mb']:,.0f} MiB, {r['rows']:,} data rows ({r['cpus']} CPUs,"
        f" load average {r['load_avg_at_start']:.2f} at start)"
    )
    for phase, sec in r["phases_s"].items():
        rss = r.get("peak_rss_mb_by_phase", {}).get(phase)
        peak = f"   peak RSS {rss:,.0f} MiB" if rss is not None else ""
        print(f"  {'phase ' + phase:<28}{sec:>10,.1f} s{peak}")
    print(f"  {'pipeline (without generate)':<28}{r['pipeline_s']:>10,.1f} s")
    print(f"  {'ingest rows/s':<28}{r['ingest_rows_per_s']:>10,.0f}")
    print(f"  {'ingest+load rows/s':<28}{r['ingest_load_rows_per_s']:>10,.0f}")
    print(f"  {'peak RSS':<28}{r['peak_rss_mb']:>10,.0f} MiB")
    print("\n  seconds per source       stage    check      GX   commit        rows")
    by = r["steps_s_by_source"]
    for source in r["rows_staged_by_source"]:
        cells = [
            by[s].get(source, 0.0)
            for s in ("stage_file", "check_load", "validate_stage", "commit_load")
        ]
        print(
            f"  {source:<20}"
            + "".join(f"{c:>9,.1f}" for c in cells)
            + f"{r['rows_staged_by_source'][source]:>12,}"
        )
    if "change_phases_s" in r:
        print(f"\n  one-year change ({r['change_file']} delivered after the first run):")
        for phase, sec in r["change_phases_s"].items():
            print(f"  {'phase ' + phase:<28}{sec:>10,.1f} s")
        first, change = r["first_build_dbt"], r["change_dbt"]
        print(
            f"  dbt: first (full) build {r['phases_s']['transform']:,.1f} s,"
            f" one-year change {r['change_phases_s']['transform']:,.1f} s"
            f" (dbt elapsed {first.get('elapsed_s') or 0:,.0f}"
            f" / {change.get('elapsed_s') or 0:,.0f} s;"
            f" models {first.get('model_s', 0):,.0f} / {change.get('model_s', 0):,.0f} s,"
            f" tests {first.get('test_s', 0):,.0f} / {change.get('test_s', 0):,.0f} s summed"
            " over threads)"
        )


if __name__ == "__main__":
    main()
