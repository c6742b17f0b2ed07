"""dbt seconds for a full build and for a one-year change (issue 8, goals 4 and 6).

`python -m bench.dbt_change` uses a throw-away embedded PostgreSQL: a generated landing
(EDU_DWH_BENCH_SMALL_SCALE, default 0.3) without one file of one year
(EDU_DWH_BENCH_CHANGE_FILE, default the ЕГЭ 2024 additional period) is run end to end
(`pipeline.transform` = the first, full dbt build), then the file is put back and the
pipeline runs again: its `transform` is the dbt build of a run that adds one file of one
year. A third run has nothing new (no dbt run at all), a fourth `full_refresh=True` on the
same data gives the full-refresh time.
Prints the seconds and writes bench/last_dbt_change.json (git-ignored).
`bench.run` calls `measure` for its small landing.
"""

from __future__ import annotations

import inspect
import json
import shutil
import time
from pathlib import Path

from bench.common import env_float, run_pipeline, scratch_warehouse

SMALL_SCALE = env_float("EDU_DWH_BENCH_SMALL_SCALE", 0.3)
CHANGE_FILE = "fis_gia/ege/ege_2024_dopolnitelny.csv"
SLOWEST = 15  # nodes listed by their seconds, per build


def _transform_s(landing: Path, **kwargs) -> tuple[float, dict]:
    from orchestration import pipeline

    if "full_refresh" not in inspect.signature(pipeline.transform).parameters:
        kwargs.pop("full_refresh", None)  # the code before incremental builds: always full
    _run_results().unlink(missing_ok=True)  # a run without dbt leaves none
    result = run_pipeline(landing, **kwargs)
    return result["phases"]["transform"], {**result["phases"], "dbt": dbt_seconds()}


def _run_results() -> Path:
    from ingestion.config import state_dir

    return state_dir() / "dbt_target" / "run_results.json"


def dbt_seconds() -> dict:
    """dbt's own account of the last build: elapsed and seconds per node type (models,
    data tests, …; summed over both threads)."""
    path = _run_results()
    if not path.exists():
        return {}
    results = json.loads(path.read_text())
    out: dict = {"elapsed_s": results.get("elapsed_time")}
    nodes = results.get("results", [])
    for node in nodes:
        kind = node["unique_id"].split(".")[0]
        out[f"{kind}_s"] = out.get(f"{kind}_s", 0.0) + node["execution_time"]
        out[f"{kind}_n"] = out.get(f"{kind}_n", 0) + 1
    slowest = sorted(nodes, key=lambda n: -n["execution_time"])[:SLOWEST]
    out["slowest_s"] = {n["unique_id"]: round(n["execution_time"], 2) for n in slowest}
    return out


def measure(landing: Path, aside: Path, change_file: str = CHANGE_FILE) -> dict:
    """On a fresh warehouse and a full `landing`: the run without `change_file` (full
    build), the run that adds it back, and a forced full refresh. Seconds of transform."""
    src = landing / change_file
    held = aside / Path(change_file).name
    aside.mkdir(parents=True, exist_ok=True)
    shutil.move(src, held)
    out: dict = {"change_file": change_file}
    t0 = time.perf_counter()
    out["first_build_s"], out["first_phases_s"] = _transform_s(landing)
    shutil.move(held, src)
    out["one_year_change_s"], out["change_phases_s"] = _transform_s(landing)
    out["nothing_new_s"], out["nothing_new_phases_s"] = _transform_s(landing)
    out["full_refresh_s"], out["refresh_phases_s"] = _transform_s(landing, full_refresh=True)
    out["total_s"] = time.perf_counter() - t0
    return out


def main() -> None:
    with scratch_warehouse("edu_dwh_bench_dbt_") as work:
        from synthetic import generate

        landing = work / "landing"
        generate(landing, seed=1, scale=SMALL_SCALE)
        result = {"small_scale": SMALL_SCALE, **measure(landing, work / "aside")}
    out = Path(__file__).with_name("last_dbt_change.json")
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    phases = {
        "first_build_s": "first_phases_s",
        "one_year_change_s": "change_phases_s",
        "nothing_new_s": "nothing_new_phases_s",
        "full_refresh_s": "refresh_phases_s",
    }
    for key, detail in phases.items():
        dbt = result[detail].get("dbt", {})
        kinds = [k[:-2] for k in dbt if k.endswith("_n")]
        parts = ", ".join(f"{k} {dbt[k + '_s']:.0f} s/{dbt[k + '_n']}" for k in kinds)
        elapsed = dbt.get("elapsed_s") or 0
        print(f"{key:20s} {result[key]:7.1f} s  (dbt elapsed {elapsed:.0f} s; {parts})")
        for node, sec in dbt.get("slowest_s", {}).items():
            print(f"{'':22s}{sec:7.1f} s  {node}")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
