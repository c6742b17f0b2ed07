"""Shared pieces of the benchmarks (bench.run, bench.national): a throw-away warehouse,
enlarged copies of generated files, per-file timing of the pipeline's steps, peak RSS.

Nothing here changes the pipeline: the timing wraps the loader's and the validator's public
functions for the duration of a `with` block and puts them back afterwards.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

import numpy as np

MB = 2**20


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@contextmanager
def scratch_warehouse(prefix: str):
    """A temporary folder with an embedded PostgreSQL (its own pgdata, state dir and
    pseudonymisation key); yields the folder. Everything is removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["EDU_DWH_STATE_DIR"] = str(work / "state")
    os.environ.setdefault("EDU_DWH_PSEUDONYM_KEY", "bench-key")
    from ingestion.config import embedded_server, get_settings

    server = embedded_server(work / "pg", cleanup_mode="stop")
    os.environ["EDU_DWH_DSN"] = server.get_uri()
    get_settings.cache_clear()
    try:
        yield work
    finally:
        try:
            server.cleanup()
        finally:
            shutil.rmtree(work, ignore_errors=True)


def rss_now() -> int:
    """Resident set size of this process now, bytes."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def vm_hwm() -> int:
    """Peak RSS of this process, bytes (VmHWM: reset by exec, unlike ru_maxrss, which a
    child started with fork+exec inherits from its parent)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def reset_peak_rss() -> bool:
    """Reset this process's VmHWM to its current RSS (Linux: `5` into /proc/self/clear_refs),
    so the next vm_hwm() is the peak of what ran since. False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def peak_rss() -> dict[str, float]:
    """Peak RSS (MiB) of this process (VmHWM) and of its largest finished child (ru_maxrss)."""
    own = vm_hwm() / MB
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_rss_mb": own, "peak_rss_children_mb": kids}


def _snils(first: int, n: int) -> list[str]:
    from synthetic.identity import format_snils

    return format_snils(np.arange(first, first + n, dtype=np.int64)).tolist()


def enlarge_csv(
    template: Path, out: Path, n_rows: int, first_person: int, person_column: str = "СНИЛС"
) -> Path:
    """`n_rows` data rows made by repeating the data rows of a generated CSV, each with its
    own person (`person_column`: a СНИЛС whose first nine digits count from
    `first_person`; another column, e.g. ВПР's «Код ученика», the number itself), in the
    template's encoding."""
    from ingestion.encoding import detect_encoding

    encoding = detect_encoding(template)
    header, *data = template.read_text(encoding=encoding).splitlines()
    person = header.lstrip("\ufeff").split(";").index(person_column)
    numbers = (
        _snils(first_person, n_rows)
        if person_column == "СНИЛС"
        else [str(first_person + i) for i in range(n_rows)]
    )
    with open(out, "w", encoding=encoding, newline="") as fh:
        fh.write(header.lstrip("\ufeff") + "\n")
        block: list[str] = []
        for i in range(n_rows):
            fields = data[i % len(data)].split(";")
            fields[person] = numbers[i]
            block.append(";".join(fields))
            if len(block) == 50_000:
                fh.write("\n".join(block) + "\n")
                block = []
        if block:
            fh.write("\n".join(block) + "\n")
    return out


def enlarge_xlsx(template: Path, out: Path, n_rows: int, first_person: int) -> Path:
    """A workbook of `n_rows` data rows (openpyxl write-only): the template's first sheet,
    header row kept, data rows repeated, each with its own СНИЛС when the sheet has one."""
    import openpyxl

    book = openpyxl.load_workbook(template, read_only=True)
    sheet = book.worksheets[0]
    header, *data = [r for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]
    title = sheet.title
    book.close()
    snils = header.index("СНИЛС") if "СНИЛС" in header else None
    numbers = _snils(first_person, n_rows) if snils is not None else None
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title)
    ws.append(header)
    for i in range(n_rows):
        row = list(data[i % len(data)])
        if numbers is not None:
            row[snils] = numbers[i]
        ws.append(row)
    wb.save(out)
    return out


class StepTimes:
    """Seconds and rows per (step, source) while `instrumented()` is active."""

    def __init__(self) -> None:
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self.files: dict[tuple[str, str], int] = defaultdict(int)
        self.rows: dict[str, int] = defaultdict(int)

    def add(self, step: str, source: str, seconds: float, files: int = 1) -> None:
        self.seconds[step, source] += seconds
        self.files[step, source] += files

    def by_source(self, step: str) -> dict[str, float]:
        return {src: s for (st, src), s in self.seconds.items() if st == step}

    def total(self, step: str) -> float:
        return sum(self.by_source(step).values())


@contextmanager
def instrumented():
    """Time loader.stage_file / check_load / commit_load / reject_blocked and the
    validation (expectations.runner.validate_stage, or validate_source — one pass per source
    — plus SourceValidation.finish per file, all counted as step "validate_stage") per source
    (the pipeline calls them through their modules, so wrapping the module attributes is
    enough). Yields a StepTimes."""
    import expectations.runner as runner
    from ingestion import loader

    times = StepTimes()
    saved = {
        (loader, "stage_file"): loader.stage_file,
        (loader, "check_load"): loader.check_load,
        (loader, "commit_load"): loader.commit_load,
        (loader, "reject_blocked"): loader.reject_blocked,
        (runner, "validate_stage"): runner.validate_stage,
        (runner, "validate_source"): runner.validate_source,
        (runner.SourceValidation, "finish"): runner.SourceValidation.finish,
    }

    def wrap(step, fn, source_of, files=1):
        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            result = fn(*args, **kwargs)
            times.add(step, source_of(args), time.perf_counter() - t0, files)
            if step == "stage_file":
                times.rows[source_of(args)] += getattr(result, "rows_read", 0) or 0
            return result

        return timed

    loader.stage_file = wrap("stage_file", saved[loader, "stage_file"], lambda a: a[2].name)
    loader.check_load = wrap("check_load", saved[loader, "check_load"], lambda a: a[1].name)
    loader.commit_load = wrap("commit_load", saved[loader, "commit_load"], lambda a: a[1].name)
    loader.reject_blocked = wrap(
        "commit_load", saved[loader, "reject_blocked"], lambda a: a[1].name
    )
    runner.validate_stage = wrap("validate_stage", saved[runner, "validate_stage"], lambda a: a[1])
    runner.validate_source = wrap(
        "validate_stage", saved[runner, "validate_source"], lambda a: a[1], files=0
    )
    runner.SourceValidation.finish = wrap(
        "validate_stage", saved[runner.SourceValidation, "finish"], lambda a: a[0].source
    )
    try:
        yield times
    finally:
        for (module, name), fn in saved.items():
            setattr(module, name, fn)


def run_pipeline(
    landing: Path, *, dbt: bool = True, publish: bool = True, full_refresh: bool = False
) -> dict:
    """prepare → ingest → load → transform → publish on `landing`, each phase timed (and its
    peak RSS), with per-source step times. Returns {"phases": {...}, "peak_rss_mb_by_phase":
    {...}, "steps": StepTimes, "run_id": id}."""
    from orchestration import pipeline

    phases: dict[str, float] = {}
    rss: dict[str, float] = {}  # peak RSS (MiB) of each phase, where VmHWM can be reset

    def timed(name, step):
        resettable = reset_peak_rss()
        t0 = time.perf_counter()
        result = step()
        phases[name] = time.perf_counter() - t0
        if resettable:
            rss[name] = vm_hwm() / MB
        return result

    with instrumented() as steps:
        run_id = timed("prepare", lambda: pipeline.prepare(landing, owner="bench"))
        timed("ingest", lambda: pipeline.ingest(landing, run_id))
        timed("load", lambda: pipeline.load(run_id))
        if dbt:
            if full_refresh:
                timed("transform", lambda: pipeline.transform(run_id, full_refresh=True))
            else:
                timed("transform", lambda: pipeline.transform(run_id))
            if publish:
                timed("publish", lambda: pipeline.publish(run_id))
    return {"phases": phases, "peak_rss_mb_by_phase": rss, "steps": steps, "run_id": run_id}


def rows_in_landing(summary: dict) -> int:
    """Data rows the generator wrote (its summary), reference files excluded."""
    return int(sum(summary.get("rows", {}).values()))
