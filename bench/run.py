"""Ingestion benchmarks: ratios against baselines measured in the same run.

1. Load throughput: our path (chunked parse + pseudonymise + COPY into the stage table +
   set-based commit) against a row-by-row INSERT baseline of the same parsed rows.
2. Memory: growth of peak RSS while staging a file of N rows and of 4·N rows (each in a
   fresh process); with chunked reading the ratio stays near 1 (~4 if read whole).

Run: `make bench` (uses the embedded PostgreSQL in a temporary folder). Prints a table and
writes bench/last_results.json (git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = int(os.environ.get("EDU_DWH_BENCH_ROWS", "100000"))


def make_ege_file(path: Path, n_rows: int, template: Path, first_person: int = 0) -> Path:
    """Repeat the data rows of a generated ЕГЭ file (with distinct СНИЛС) up to n_rows."""
    from ingestion.encoding import detect_encoding

    lines = template.read_text(encoding=detect_encoding(template))
    header, *data = lines.splitlines()
    cols = header.split(";")
    snils = cols.index("СНИЛС")
    out = [header]
    i = first_person
    while len(out) <= n_rows:
        for line in data:
            fields = line.split(";")
            fields[snils] = f"{i:011d}"
            out.append(";".join(fields))
            i += 1
            if len(out) > n_rows:
                break
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


_CHILD = """
import os, sys, threading, time
from pathlib import Path
from ingestion import db, loader
from sources import SOURCES
from ingestion.config import get_settings
get_settings()
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * page
base = rss()
peak = [base]
done = threading.Event()
def sample():
    while not done.is_set():
        peak[0] = max(peak[0], rss())
        time.sleep(0.01)
threading.Thread(target=sample, daemon=True).start()
conn = db.connect()
res = loader.stage_file(conn, int(sys.argv[2]), SOURCES["ege"], Path(sys.argv[1]), sys.argv[3])
done.set()
with conn.cursor() as cur:
    cur.execute(f"drop table if exists {loader.stage_table(res.load_id)}")
conn.commit()
print("GROWTH", (max(peak[0], rss()) - base) // 1024)
"""


def _staging_memory_growth(path: Path, run_id: int, label: str) -> int:
    """KiB of peak-RSS growth (sampled every 10 ms) while a child process stages `path`."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(run_id), label],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(next(line for line in out.splitlines() if line.startswith("GROWTH")).split()[1])


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="edu_dwh_bench_"))
    os.environ["EDU_DWH_STATE_DIR"] = str(work / "state")
    os.environ.setdefault("EDU_DWH_PSEUDONYM_KEY", "bench-key")
    from ingestion.config import embedded_server

    server = embedded_server(work / "pg", cleanup_mode="stop")
    os.environ["EDU_DWH_DSN"] = server.get_uri()

    from ingestion import db, loader
    from ingestion.config import get_settings
    from ingestion.read import open_source
    from orchestration import pipeline
    from sources import GROUP_SOURCES, SOURCES
    from synthetic import generate

    get_settings.cache_clear()
    landing = work / "landing"
    generate(landing, seed=1, scale=0.3)
    template = max((landing / "fis_gia/ege").glob("*.csv"), key=lambda p: p.stat().st_size)
    big = make_ege_file(work / "ege_big.csv", ROWS, template)
    # files for the memory runs: new content (never loaded before), N and 4·N rows
    mem_n = make_ege_file(work / "ege_mem_n.csv", ROWS, template, first_person=10**9)
    mem_4n = make_ege_file(work / "ege_mem_4n.csv", ROWS * 4, template, first_person=2 * 10**9)

    # reference data so registry checks pass
    ref_landing = work / "ref"
    shutil.copytree(landing / "reference", ref_landing / "reference")
    run_id = pipeline.prepare(ref_landing)
    pipeline.ingest(ref_landing, run_id, sources=GROUP_SOURCES["reference"])
    pipeline.load(run_id)

    spec = SOURCES["ege"]
    conn = db.connect()
    results: dict[str, float] = {}

    # 0. parsing alone (encoding, header, types, row checks, pseudonymisation): shared by
    #    both load paths below, so the load-only ratio subtracts it
    source = open_source(big, spec)
    t0 = time.perf_counter()
    for _ in source.chunks(get_settings().pseudonym_key):
        pass
    parse = time.perf_counter() - t0
    results["parse_rows_per_s"] = ROWS / parse

    # 1. our path, no GX (GX is measured by the expectations tests)
    t0 = time.perf_counter()
    staged = loader.stage_file(conn, run_id, spec, big, "bench/ege_big.csv")
    loader.check_load(conn, spec, staged.load_id)
    loader.commit_load(conn, spec, staged.load_id, "bench/ege_big.csv", big)
    ours = time.perf_counter() - t0
    results["copy_path_rows_per_s"] = ROWS / ours

    # baseline: the same parsed rows inserted row by row
    columns = ["load_id", "source_row", "gia_level", *[c.name for c in spec.stored], "extra"]
    with conn.cursor() as cur:
        cur.execute("create temp table baseline (like raw.gia_results)")
    t0 = time.perf_counter()
    with conn.cursor() as cur:
        for chunk, _ in source.chunks(get_settings().pseudonym_key):
            chunk = chunk.assign(load_id=0)
            values = chunk[columns].astype(object).where(chunk[columns].notna(), None)
            cur.executemany(
                f"insert into baseline ({', '.join(columns)}) values"
                f" ({', '.join(['%s'] * len(columns))})",
                values.values.tolist(),
            )
    conn.commit()
    baseline = time.perf_counter() - t0
    results["row_insert_rows_per_s"] = ROWS / baseline
    results["speedup_copy_vs_row_insert"] = baseline / ours
    results["speedup_load_only_copy_vs_row_insert"] = (baseline - parse) / max(ours - parse, 1e-9)

    # 2. memory: N rows vs 4N rows through stage_file, each in a fresh child process;
    #    growth = peak RSS while staging minus RSS after imports
    for name, path in (("n", mem_n), ("4n", mem_4n)):
        growth = _staging_memory_growth(path, run_id, f"bench/mem_{name}.csv")
        results[f"rss_growth_mb_{name}_rows"] = growth / 2**10
    results["memory_ratio_4n_vs_n"] = (
        results["rss_growth_mb_4n_rows"] / results["rss_growth_mb_n_rows"]
    )
    conn.close()
    server.cleanup()
    shutil.rmtree(work, ignore_errors=True)

    print(f"Ingestion benchmark, {ROWS} ЕГЭ rows (4×{ROWS} for memory)")
    for key, value in results.items():
        print(f"  {key:<32} {value:,.2f}")
    out = Path(__file__).with_name("last_results.json")
    out.write_text(json.dumps({"rows": ROWS, **results}, indent=2))


if __name__ == "__main__":
    main()
