"""Ingestion benchmarks: where we stand, as ratios against baselines measured in the same run.

`make bench` (= `python -m bench.run`) uses a throw-away embedded PostgreSQL, prints a
table and writes bench/last_results.json (git-ignored). Measurement only: the pipeline is
called through its public functions, unchanged. What each number means:

1. copy_ceiling — the same CSV bytes COPYed (client-side, `format csv, delimiter ';'`) into
   an UNLOGGED table of text columns (like our stage table): no decoding in Python, no
   typing, no checks. The ceiling for any loader on this server.
2. to_sql — what a typical script does: pandas `read_csv(sep=';', encoding=<detected by
   ingestion.encoding>)` with inferred dtypes, then `DataFrame.to_sql` through SQLAlchemy
   (psycopg2) into a fresh table, `chunksize=10_000`; both `method=None` (SQLAlchemy's
   default executemany, "insertmanyvalues" batches in SQLAlchemy 2) and `method='multi'`
   (one multi-row INSERT per chunk; so slow here that it is measured on the first
   EDU_DWH_BENCH_MULTI_ROWS rows, default 10000 = one chunk). Rows/s include read_csv.
3. ours — `loader.stage_file`: sha256, delivery classification, decoding, header matching,
   typing, row checks, pseudonymisation, reject reasons, COPY into raw._stage_<id>. Then,
   each separately: `check_load` (registry codes, SQL checks, repeated keys, scope),
   `validate_stage` (Great Expectations on the stage), `commit_load` (quarantine, versions,
   insert into raw, current rows). "end to end" = stage + check + commit (no GX).
1b. typed COPY — what staging sends for the file (its COPY statements and text, computed
   beforehand, not timed) COPYed into an unlogged table like the stage table: typed
   columns (dates, integers, the 64-character person key). The server's share of staging
   alone, which our parsing shares the machine's two cores with; measured alternately with
   the ceiling (the two are within ±20 % of each other here, either way round).
4. ratios — ours (staging) / COPY and ours (staging) / to_sql, same file, same run. COPY
   and staging are measured alternately EDU_DWH_BENCH_STAGE_SAMPLES (3) times each, and
   the median sample of each counts (all samples are in the JSON): a single sample was
   the first, cold call of the process, and the machine's COPY speed drifts by ±30 %
   within minutes here.
5. XLSX — a generated olympiad workbook enlarged (openpyxl write-only) to
   EDU_DWH_BENCH_XLSX_ROWS rows: raw cell reading with each reader tried (openpyxl
   read-only `iter_rows(values_only=True)`; python-calamine `iter_rows`, what the pipeline
   uses; fastexcel, if installed), and our path: `open_source(...).frames` (cells →
   strings as Excel shows them) and `.chunks` (+ typed, checked, pseudonymised; no
   database). Best of EDU_DWH_BENCH_XLSX_REPEAT (2) runs each. `python -m bench.run xlsx`
   runs this section alone.
6. a small generated landing (EDU_DWH_BENCH_SMALL_SCALE, default 0.3) run end to end:
   seconds of `expectations.runner.validate_stage` per source (all its files together) and
   of `pipeline.transform` (a full dbt build), plus the other phases. One file of one year
   (bench.dbt_change.CHANGE_FILE) is held back from that run and added by a second run:
   its `transform` is the dbt build of a one-year change (incremental, issue 8 #4).
7. memory — peak RSS (VmHWM) of a fresh process that takes an ЕГЭ file of N rows through
   every step of a file (stage_file, check_load, validate_stage = GX, commit_load; per step,
   VmHWM reset between them), and its growth above the RSS after imports, for each N in
   EDU_DWH_BENCH_MEM_ROWS; with chunked reading and the checks in SQL the growth stays
   about the same whatever N (ratio ≈ 1).

Files: a generated ЕГЭ file (and an ОГЭ file) repeated to EDU_DWH_BENCH_ROWS rows (default
200000; EDU_DWH_BENCH_OGE_ROWS, 0 to skip ОГЭ), each row with its own СНИЛС; a generated
ВПР file (task columns: the pandas path, not the CSV fast path) likewise, each row with its
own «Код ученика» (EDU_DWH_BENCH_VPR_ROWS, 0 to skip).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    MB,
    enlarge_csv,
    enlarge_xlsx,
    env_float,
    env_int,
    run_pipeline,
    scratch_warehouse,
)
from bench.dbt_change import CHANGE_FILE

ROWS = env_int("EDU_DWH_BENCH_ROWS", 200_000)
OGE_ROWS = env_int("EDU_DWH_BENCH_OGE_ROWS", ROWS)
VPR_ROWS = env_int("EDU_DWH_BENCH_VPR_ROWS", ROWS)
XLSX_ROWS = env_int("EDU_DWH_BENCH_XLSX_ROWS", 50_000)
XLSX_REPEAT = env_int("EDU_DWH_BENCH_XLSX_REPEAT", 2)
SMALL_SCALE = env_float("EDU_DWH_BENCH_SMALL_SCALE", 0.3)
MULTI_ROWS = env_int("EDU_DWH_BENCH_MULTI_ROWS", 10_000)
STAGE_SAMPLES = max(1, env_int("EDU_DWH_BENCH_STAGE_SAMPLES", 3))
MEM_ROWS = [
    int(n) for n in os.environ.get("EDU_DWH_BENCH_MEM_ROWS", "200000,2000000").split(",") if n
]
TO_SQL_CHUNK = 10_000

_PG_ENCODING = {"utf-8": "UTF8", "utf-8-sig": "UTF8", "cp1251": "WIN1251"}


# ---------------------------------------------------------------------------------------
# 1-4: one CSV file, four ways


def copy_ceiling(conn, path: Path) -> float:
    """Seconds to COPY the file's bytes into an unlogged table of text columns."""
    from ingestion.encoding import detect_encoding

    encoding = detect_encoding(path)
    with open(path, encoding=encoding) as fh:
        n_cols = len(fh.readline().split(";"))
    cols = ", ".join(f"c{i} text" for i in range(n_cols))

    def send() -> None:
        with open(path, "rb") as fh, conn.cursor() as cur:
            cur.copy_expert(
                "copy bench_copy from stdin with (format csv, delimiter ';', header true,"
                f" encoding '{_PG_ENCODING[encoding]}')",
                fh,
            )

    return _timed_copy(conn, "bench_copy", [f"create unlogged table bench_copy ({cols})"], send)


def _timed_copy(conn, table: str, create: list[str], send) -> float:
    """Seconds of `send()` (its COPYs) and the commit, into `table` made afresh by the
    statements `create` (not timed; in the COPYs' transaction, as staging makes its stage
    table, so that the COPY of what staging sends may FREEZE) and dropped afterwards."""
    with conn.cursor() as cur:
        cur.execute(f"drop table if exists {table}")
        for statement in create:
            cur.execute(statement)
    t0 = time.perf_counter()
    send()
    conn.commit()
    seconds = time.perf_counter() - t0
    with conn.cursor() as cur:
        cur.execute(f"drop table {table}")
    conn.commit()
    return seconds


def pandas_to_sql(
    dsn: str, path: Path, method: str | None, nrows: int | None = None
) -> tuple[float, float]:
    """(seconds of read_csv, seconds of to_sql) into a fresh table, as a typical script
    (the first `nrows` rows only, if given)."""
    import pandas as pd
    import sqlalchemy

    from ingestion.db import sqlalchemy_url
    from ingestion.encoding import detect_encoding

    engine = sqlalchemy.create_engine(sqlalchemy_url(dsn))
    t0 = time.perf_counter()
    frame = pd.read_csv(path, sep=";", encoding=detect_encoding(path), nrows=nrows)
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    frame.to_sql(
        "bench_to_sql",
        engine,
        if_exists="replace",
        index=False,
        chunksize=TO_SQL_CHUNK,
        method=method,
    )
    write = time.perf_counter() - t0
    with engine.begin() as conn:
        conn.exec_driver_sql("drop table bench_to_sql")
    engine.dispose()
    return read, write


def staged_copy_payload(spec, path: Path) -> list[tuple[str, object]]:
    """The COPY statements and text staging sends for the file (computed, not timed), for
    a table `bench_typed` made like the stage table."""
    from ingestion import loader
    from ingestion.read import open_source

    out = []
    with open_source(path, spec) as source:
        for chunk, _ in source.copy_chunks(b"bench"):
            sql, text = loader._copy_statement("bench_typed", chunk, 1)
            out.append((sql, text() if callable(text) else text))
    return out


def typed_copy(conn, spec, payload) -> float:
    """Seconds of COPYing what staging sends (typed columns, `payload`) into a fresh
    unlogged table like the stage table: the server's share of any staging that stores typed
    rows, with no reading or parsing in Python at all — a floor under our staging, where the
    ceiling (COPY of the bytes into text columns) is not one."""
    from ingestion import loader

    def send() -> None:
        for sql, text in payload:
            loader._copy(conn, sql, text)

    create = loader.stage_ddl("bench_typed", spec.raw_table)
    return _timed_copy(conn, "bench_typed", create, send)


def trial_stage(conn, run_id: int, spec, path: Path, k: int) -> float:
    """Seconds of one more `stage_file` of the file (as its own path, so it is a new file),
    its load then abandoned and its stage table dropped."""
    from ingestion import loader

    t0 = time.perf_counter()
    staged = loader.stage_file(conn, run_id, spec, path, f"bench/trial_{k}/{path.name}")
    seconds = time.perf_counter() - t0
    assert staged.status == "staged", staged.message
    with conn.cursor() as cur:
        cur.execute(f"drop table if exists {loader.stage_table(staged.load_id)}")
        cur.execute(
            "update audit.loads set status = 'abandoned', finished_at = now(),"
            " message = 'bench: пробный замер' where load_id = %s",
            (staged.load_id,),
        )
    conn.commit()
    return seconds


def ours(conn, dsn: str, run_id: int, spec, path: Path) -> dict[str, float]:
    """Seconds of stage_file, check_load, validate_stage (GX) and commit_load."""
    from expectations.runner import validate_stage
    from ingestion import loader

    rel = f"bench/{path.name}"
    out = {}
    t0 = time.perf_counter()
    staged = loader.stage_file(conn, run_id, spec, path, rel)
    out["stage"] = time.perf_counter() - t0
    assert staged.status == "staged", staged.message
    t0 = time.perf_counter()
    loader.check_load(conn, spec, staged.load_id)
    out["check"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    verdict = validate_stage(
        dsn, spec.name, loader.stage_table(staged.load_id), staged.load_id, run_id
    )
    out["validate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    result = loader.commit_load(conn, spec, staged.load_id, rel, path)
    out["commit"] = time.perf_counter() - t0
    out["rows_loaded"] = result.rows_loaded
    out["gx_success"] = bool(verdict.success)
    return out


def csv_section(conn, dsn: str, run_id: int, source: str, path: Path, n: int) -> dict:
    """COPY and our staging of the same file, alternating STAGE_SAMPLES times (the first
    sample of each is cold: imports, thread pools, the server's caches; the machine's speed
    drifts): the rows/s of each is its median sample, every sample kept in the JSON. The
    last staging goes on through check, GX and commit."""
    from sources import SOURCES

    r: dict = {"rows": n, "file_mb": path.stat().st_size / MB}
    spec = SOURCES[source]
    payload = staged_copy_payload(spec, path)
    copy_s, typed_s, stage_s = [], [], []
    for k in range(STAGE_SAMPLES):
        copy_s.append(copy_ceiling(conn, path))
        typed_s.append(typed_copy(conn, spec, payload))
        if k < STAGE_SAMPLES - 1:
            stage_s.append(trial_stage(conn, run_id, spec, path, k))
    del payload
    r["copy_rows_per_s"] = n / statistics.median(copy_s)
    r["copy_samples_s"] = copy_s
    r["typed_copy_rows_per_s"] = n / statistics.median(typed_s)
    r["typed_copy_samples_s"] = typed_s
    for method in (None, "multi"):
        # method='multi' is ~30× slower: measured on the first MULTI_ROWS rows only
        m = n if method is None else min(n, MULTI_ROWS)
        read, write = pandas_to_sql(dsn, path, method, None if m == n else m)
        key = f"to_sql_{method or 'default'}"
        r[f"{key}_rows"] = m
        r[f"{key}_rows_per_s"] = m / (read + write)
        r[f"{key}_read_csv_s"] = read
        r[f"{key}_to_sql_s"] = write
    t = ours(conn, dsn, run_id, SOURCES[source], path)
    stage_s.append(t["stage"])
    r["ours_stage_samples_s"] = stage_s
    r["ours_stage_rows_per_s"] = n / statistics.median(stage_s)
    r["ours_check_load_s"] = t["check"]
    r["ours_validate_stage_s"] = t["validate"]
    r["ours_commit_load_s"] = t["commit"]
    r["ours_end_to_end_rows_per_s"] = n / (t["stage"] + t["check"] + t["commit"])
    r["ours_rows_loaded"] = t["rows_loaded"]
    r["ours_gx_success"] = t["gx_success"]
    r["ratio_stage_vs_copy"] = r["ours_stage_rows_per_s"] / r["copy_rows_per_s"]
    r["ratio_typed_copy_vs_copy"] = r["typed_copy_rows_per_s"] / r["copy_rows_per_s"]
    r["ratio_stage_vs_typed_copy"] = r["ours_stage_rows_per_s"] / r["typed_copy_rows_per_s"]
    r["ratio_stage_vs_to_sql_default"] = r["ours_stage_rows_per_s"] / r["to_sql_default_rows_per_s"]
    r["ratio_stage_vs_to_sql_multi"] = r["ours_stage_rows_per_s"] / r["to_sql_multi_rows_per_s"]
    r["ratio_end_to_end_vs_copy"] = r["ours_end_to_end_rows_per_s"] / r["copy_rows_per_s"]
    return r


# ---------------------------------------------------------------------------------------
# 5: XLSX


def _best_seconds(fn, repeat: int = XLSX_REPEAT) -> tuple[float, object]:
    """The fastest of `repeat` wall-clock runs of `fn` (the machine may be shared) and
    what it returned."""
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def xlsx_section(path: Path, n: int) -> dict:
    """rows/s of each XLSX reader tried (raw cells, no conversion) and of our path:
    `frames` = `open_source(...).frames()` (book opened, header located, every cell as
    Excel shows it, merges/formulas/notes: frames of strings), `chunks` = `.chunks()`
    (the frames typed, checked and pseudonymised by parse.py; no database)."""
    from ingestion.config import get_settings
    from ingestion.read import open_source
    from sources import SOURCES

    r: dict = {"rows": n, "file_mb": path.stat().st_size / MB, "repeat": XLSX_REPEAT}
    readers: dict[str, dict] = {}

    def openpyxl_raw():
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        cells = sum(len(row) for row in book.worksheets[0].iter_rows(values_only=True))
        book.close()
        return cells

    def calamine_raw():
        import python_calamine

        with python_calamine.CalamineWorkbook.from_path(str(path)) as book:
            return sum(len(row) for row in book.get_sheet_by_index(0).iter_rows())

    def fastexcel_raw():
        import fastexcel  # not a dependency: measured when installed

        sheet = fastexcel.read_excel(str(path)).load_sheet(0, header_row=None, dtypes="string")
        return sheet.height * sheet.width

    for name, fn, module in (
        ("openpyxl", openpyxl_raw, "openpyxl"),
        ("python-calamine", calamine_raw, "python_calamine"),
        ("fastexcel", fastexcel_raw, "fastexcel"),
    ):
        try:
            mod = __import__(module)
        except ImportError:
            readers[name] = {"rows_per_s": None, "note": "not installed"}
            continue
        seconds, cells = _best_seconds(fn)
        readers[name] = {
            "rows_per_s": n / seconds,
            "seconds": seconds,
            "cells": cells,
            "version": getattr(mod, "__version__", None),
        }
    r["readers_raw"] = readers

    def frames():
        with open_source(path, SOURCES["olympiad"]) as source:
            return sum(len(f) for f in source.frames())

    def chunks():
        with open_source(path, SOURCES["olympiad"]) as source:
            return sum(k for _, k in source.chunks(get_settings().pseudonym_key))

    seconds, rows = _best_seconds(frames)
    r["ours_frames_rows_per_s"] = n / seconds
    r["ours_frames_rows"] = rows
    seconds, rows = _best_seconds(chunks)
    r["ours_open_source_rows_per_s"] = n / seconds
    r["ours_rows_read"] = rows
    base = readers["openpyxl"]["rows_per_s"]
    r["ratio_frames_vs_openpyxl_raw"] = r["ours_frames_rows_per_s"] / base
    r["ratio_chunks_vs_openpyxl_raw"] = r["ours_open_source_rows_per_s"] / base
    return r


def xlsx_only() -> None:
    """`python -m bench.run xlsx`: the XLSX section alone (no database needed)."""
    import tempfile

    from synthetic import generate

    started = time.perf_counter()
    results: dict = {"xlsx_rows": XLSX_ROWS, "cpus": os.cpu_count()}
    results["load_avg_at_start"] = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="edu_dwh_bench_xlsx_") as tmp:
        landing = Path(tmp) / "landing"
        generate(landing, seed=1, scale=SMALL_SCALE)
        olymp_t = max((landing / "uploads/olympiad").glob("*.xlsx"), key=lambda p: p.stat().st_size)
        print(f"[bench] xlsx: {XLSX_ROWS} rows …", flush=True)
        xlsx = enlarge_xlsx(olymp_t, Path(tmp) / "olympiad_bench.xlsx", XLSX_ROWS, 920_000_000)
        results["xlsx_olympiad"] = xlsx_section(xlsx, XLSX_ROWS)
    results["bench_seconds"] = time.perf_counter() - started
    print_table(results)
    out = Path(__file__).with_name("last_results_xlsx.json")
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"\nwritten: {out}")


# ---------------------------------------------------------------------------------------
# 7: memory (a fresh process per file)

_CHILD = """
import sys
from pathlib import Path
from bench.common import reset_peak_rss, rss_now, vm_hwm
from expectations.runner import validate_stage
from ingestion import db, loader
from ingestion.config import get_settings
from sources import SOURCES
settings = get_settings()
spec = SOURCES["ege"]
path, run_id, rel = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
base = rss_now()
conn = db.connect()
peaks = {}
def step(name, fn):
    reset_peak_rss()
    result = fn()
    peaks[name] = vm_hwm()
    return result
res = step("stage", lambda: loader.stage_file(conn, run_id, spec, path, rel))
assert res.status == "staged", res.message
step("check", lambda: loader.check_load(conn, spec, res.load_id))
verdict = step(
    "validate",
    lambda: validate_stage(
        settings.dsn, "ege", loader.stage_table(res.load_id), res.load_id, run_id
    ),
)
done = step("commit", lambda: loader.commit_load(conn, spec, res.load_id, rel, path))
assert done.rows_loaded == res.rows_read, (done.status, done.message)
print("RSS", base, *(peaks[k] for k in ("stage", "check", "validate", "commit")), res.rows_read)
"""

_STEPS = ("stage", "check", "validate", "commit")


def file_memory(path: Path, run_id: int) -> dict:
    """Peak RSS of a fresh process taking `path` through the steps of a file (stage_file,
    check_load, validate_stage = GX, commit_load), per step (VmHWM reset between steps),
    and the growth of the largest above the post-import RSS."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(run_id), f"bench/{path.name}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    base, *peaks, rows = (
        int(x) for x in next(ln for ln in out.splitlines() if ln.startswith("RSS")).split()[1:]
    )
    by_step = {k: v / MB for k, v in zip(_STEPS, peaks, strict=True)}
    return {
        "rows": rows,
        "peak_rss_mb": max(by_step.values()),
        "peak_rss_mb_by_step": by_step,
        "growth_mb": (max(peaks) - base) / MB,
        "seconds": time.perf_counter() - t0,
    }


# ---------------------------------------------------------------------------------------


def main() -> None:
    started = time.perf_counter()
    results: dict = {
        "rows": ROWS,
        "oge_rows": OGE_ROWS,
        "vpr_rows": VPR_ROWS,
        "xlsx_rows": XLSX_ROWS,
        "small_scale": SMALL_SCALE,
        "mem_rows": MEM_ROWS,
        "cpus": os.cpu_count(),
        "load_avg_at_start": os.getloadavg()[0],
    }
    with scratch_warehouse("edu_dwh_bench_") as work:
        from ingestion import db
        from ingestion.config import get_settings
        from orchestration import pipeline
        from synthetic import generate

        dsn = get_settings().dsn
        landing = work / "landing"
        generate(landing, seed=1, scale=SMALL_SCALE)

        # 6. the small landing end to end (also loads the registries the later checks use),
        # without one file of one year; then that file alone: dbt's one-year change
        print(f"[bench] small landing (scale {SMALL_SCALE}) end to end …", flush=True)
        held = work / "held" / Path(CHANGE_FILE).name
        held.parent.mkdir()
        shutil.move(landing / CHANGE_FILE, held)
        small = run_pipeline(landing)
        shutil.move(held, landing / CHANGE_FILE)
        print(f"[bench] one-year change: {CHANGE_FILE} added …", flush=True)
        change = run_pipeline(landing)
        results["dbt"] = {
            "change_file": CHANGE_FILE,
            "full_build_s": small["phases"]["transform"],
            "one_year_change_s": change["phases"]["transform"],
        }
        steps = small["steps"]
        results["small_landing"] = {
            "phases_s": small["phases"],
            "validate_stage_s_by_source": steps.by_source("validate_stage"),
            "files_by_source": {
                s: n for (st, s), n in steps.files.items() if st == "validate_stage"
            },
            "stage_file_s_by_source": steps.by_source("stage_file"),
            "check_load_s_by_source": steps.by_source("check_load"),
            "commit_load_s_by_source": steps.by_source("commit_load"),
            "rows_by_source": dict(steps.rows),
        }

        ege_t = max((landing / "fis_gia/ege").glob("*.csv"), key=lambda p: p.stat().st_size)
        oge_t = max((landing / "fis_gia/oge").glob("*.csv"), key=lambda p: p.stat().st_size)
        olymp_t = max((landing / "uploads/olympiad").glob("*.xlsx"), key=lambda p: p.stat().st_size)
        big = work / "big"
        big.mkdir()
        run_id = pipeline.prepare(landing, owner="bench")  # a run for the loads below
        conn = db.connect()

        # 1-4. CSV: COPY ceiling, pandas to_sql, ours
        files = [("ege", enlarge_csv(ege_t, big / "ege_bench.csv", ROWS, 900_000_000), ROWS)]
        if OGE_ROWS:
            files.append(
                ("oge", enlarge_csv(oge_t, big / "oge_bench.csv", OGE_ROWS, 910_000_000), OGE_ROWS)
            )
        if VPR_ROWS:  # the pandas path (task columns): its own row in the table
            vpr_t = max((landing / "fis_oko/vpr").glob("*.csv"), key=lambda p: p.stat().st_size)
            vpr = enlarge_csv(vpr_t, big / "vpr_bench.csv", VPR_ROWS, 1, "Код ученика")
            files.append(("vpr", vpr, VPR_ROWS))
        for source, path, n in files:
            print(f"[bench] {source}: {n} rows, COPY / to_sql / ours …", flush=True)
            results[f"csv_{source}"] = csv_section(conn, dsn, run_id, source, path, n)

        # 5. XLSX
        print(f"[bench] xlsx: {XLSX_ROWS} rows …", flush=True)
        xlsx = enlarge_xlsx(olymp_t, big / "olympiad_bench.xlsx", XLSX_ROWS, 920_000_000)
        results["xlsx_olympiad"] = xlsx_section(xlsx, XLSX_ROWS)

        # 7. memory
        mem = {}
        for k, n in enumerate(MEM_ROWS):
            print(f"[bench] memory: one file of {n} rows in a fresh process …", flush=True)
            path = enlarge_csv(ege_t, big / f"ege_mem_{n}.csv", n, 930_000_000 + k * 10_000_000)
            mem[str(n)] = file_memory(path, run_id)
            path.unlink()
        if len(MEM_ROWS) >= 2:
            lo, hi = mem[str(MEM_ROWS[0])], mem[str(MEM_ROWS[-1])]
            mem["rows_ratio"] = MEM_ROWS[-1] / MEM_ROWS[0]
            mem["peak_ratio"] = hi["peak_rss_mb"] / lo["peak_rss_mb"]
            mem["growth_ratio"] = hi["growth_mb"] / max(lo["growth_mb"], 1e-9)
        results["memory"] = mem
        conn.close()
        pipeline.fail(run_id, "bench: not a real run")
    results["bench_seconds"] = time.perf_counter() - started

    print_table(results)
    out = Path(__file__).with_name("last_results.json")
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str))
    print(f"\nwritten: {out}")


def _fmt(value, unit: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        text = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    else:
        text = f"{value:,}" if isinstance(value, int) else str(value)
    return f"{text} {unit}".rstrip()


def _seconds(samples) -> str:
    return " / ".join(f"{v:.2f}" for v in samples or []) + " s"


def print_table(r: dict) -> None:
    lines: list[tuple[str, str]] = []

    def row(label: str, value, unit: str = "") -> None:
        lines.append((label, _fmt(value, unit)))

    for source in ("ege", "oge", "vpr"):
        c = r.get(f"csv_{source}")
        if not c:
            continue
        title = {"ege": "ЕГЭ", "oge": "ОГЭ", "vpr": "ВПР"}[source]
        lines.append((f"— {title} CSV, {c['rows']:,} rows, {c['file_mb']:.1f} MiB", ""))
        samples = len(c.get("copy_samples_s", [0]))
        row(
            "1. COPY of the bytes, text columns (ceiling)",
            c["copy_rows_per_s"],
            f"rows/s  (median of {samples}: " + _seconds(c.get("copy_samples_s")) + ")",
        )
        for m in ("default", "multi"):
            part = (
                ""
                if c[f"to_sql_{m}_rows"] == c["rows"]
                else f", first {c[f'to_sql_{m}_rows']:,} rows"
            )
            row(
                f"2. pandas read_csv + to_sql method={'None' if m == 'default' else repr(m)}",
                c[f"to_sql_{m}_rows_per_s"],
                f"rows/s  (read_csv {c[f'to_sql_{m}_read_csv_s']:.1f} s,"
                f" to_sql {c[f'to_sql_{m}_to_sql_s']:.1f} s{part})",
            )
        row(
            "1b. COPY of what staging sends, typed stage columns (floor)",
            c["typed_copy_rows_per_s"],
            f"rows/s  (median of {samples}: " + _seconds(c.get("typed_copy_samples_s")) + ")",
        )
        row(
            "3. ours: stage_file",
            c["ours_stage_rows_per_s"],
            f"rows/s  (median of {samples}: " + _seconds(c.get("ours_stage_samples_s")) + ")",
        )
        row("   ours: check_load", c["ours_check_load_s"], "s")
        row("   ours: validate_stage (GX)", c["ours_validate_stage_s"], "s")
        row("   ours: commit_load", c["ours_commit_load_s"], "s")
        row("   ours: stage+check+commit", c["ours_end_to_end_rows_per_s"], "rows/s")
        row("4. ratio stage / COPY", c["ratio_stage_vs_copy"])
        row("   ratio typed COPY (floor) / COPY", c["ratio_typed_copy_vs_copy"])
        row("   ratio stage / typed COPY (floor)", c["ratio_stage_vs_typed_copy"])
        row("   ratio stage / to_sql (None)", c["ratio_stage_vs_to_sql_default"])
        row("   ratio stage / to_sql ('multi')", c["ratio_stage_vs_to_sql_multi"])
        row("   ratio stage+check+commit / COPY", c["ratio_end_to_end_vs_copy"])
    x = r.get("xlsx_olympiad")
    if x:
        lines.append((f"— XLSX olympiad workbook, {x['rows']:,} rows, {x['file_mb']:.1f} MiB", ""))
        for k, (name, e) in enumerate(x["readers_raw"].items()):
            label = f"{'5.' if k == 0 else '  '} {name}, raw cells"
            if e["rows_per_s"] is None:
                row(label, e.get("note"))
            else:
                row(label, e["rows_per_s"], f"rows/s  ({e['seconds']:.2f} s)")
        row("   ours: open_source().frames (cells → text)", x["ours_frames_rows_per_s"], "rows/s")
        row("   ours: open_source().chunks (+ parse)", x["ours_open_source_rows_per_s"], "rows/s")
        row("   ratio frames / openpyxl raw", x["ratio_frames_vs_openpyxl_raw"])
        row("   ratio chunks / openpyxl raw", x["ratio_chunks_vs_openpyxl_raw"])
    s = r.get("small_landing")
    if s:
        rows = sum(s["rows_by_source"].values())
        lines.append((f"— small landing, scale {r['small_scale']}, {rows:,} rows", ""))
        for source, sec in s["validate_stage_s_by_source"].items():
            files = s["files_by_source"].get(source, 0)
            row(
                f"6. validate_stage (GX): {source}",
                sec,
                f"s  ({files} files, {sec / max(files, 1):.2f} s/file)",
            )
        for phase, sec in s["phases_s"].items():
            label = "dbt full build (transform)" if phase == "transform" else phase
            row(f"   phase {label}", sec, "s")
    d = r.get("dbt")
    if d:
        lines.append(("— dbt (transform = dbt build into the shadow schemas)", ""))
        row("6. dbt full build (first run)", d["full_build_s"], "s")
        row(f"   dbt one-year change ({d['change_file']} added)", d["one_year_change_s"], "s")
    m = r.get("memory")
    if m:
        title = "— memory: one ЕГЭ file through stage, check, GX, commit (fresh process)"
        lines.append((title, ""))
        for n in r["mem_rows"]:
            e = m[str(n)]
            row(
                f"7. {n:,} rows: peak RSS",
                e["peak_rss_mb"],
                f"MiB  (growth after imports {e['growth_mb']:.0f} MiB, {e['seconds']:.0f} s)",
            )
            steps = e.get("peak_rss_mb_by_step", {})
            if steps:
                row("   by step", "  ".join(f"{k} {v:,.0f}" for k, v in steps.items()), "MiB")
        if "peak_ratio" in m:
            row(f"   ratio for {m['rows_ratio']:.0f}× rows: peak RSS", m["peak_ratio"])
            row("   ratio: growth after imports", m["growth_ratio"])
    width = max(len(a) for a, _ in lines) + 2
    print(
        f"\nBenchmarks ({r['cpus']} CPUs, load average {r['load_avg_at_start']:.2f} at start,"
        f" {r['bench_seconds']:.0f} s in all)"
    )
    for label, value in lines:
        print(f"  {label:<{width}}{value}" if value else f"\n{label}")


if __name__ == "__main__":
    xlsx_only() if sys.argv[1:] == ["xlsx"] else main()
