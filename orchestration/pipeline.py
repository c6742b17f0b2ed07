"""The pipeline's steps. `edu-dwh run` and the Airflow DAG call exactly these functions.

prepare (claim the warehouse, open a run) → ingest (stage every file) → validate (checks +
GX + commit, see ingestion/deliveries.py for what a file replaces) → transform (dbt build
into shadow schemas) → publish (switch BI to the new build and close the run in one
transaction, Data Docs, audit page). A failure anywhere closes the run as failed
(`fail`); the published marts stay as they were.
"""

from __future__ import annotations

import fnmatch
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingestion import db, deliveries, loader
from ingestion.config import get_settings, reports_dir
from orchestration import publication, run_control
from reporting.audit_report import write_audit_report
from sources import GROUP_SOURCES, SOURCE_ORDER, SOURCES


class BlockingFailure(RuntimeError):
    """A check that must stop publishing failed; the message says which and why."""


@dataclass
class StepReport:
    run_id: int
    results: list[loader.LoadResult] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def by_status(self, status: str) -> list[loader.LoadResult]:
        return [r for r in self.results if r.status == status]


def log(message: str) -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------


def prepare(landing: Path | str, owner: str = "airflow", wait_s: float = 0, hold: bool = False):
    """Claim the warehouse (one run at a time, see run_control), create schemas, clean up
    after interrupted runs, open a run record. Returns run_id — or, with `hold`, (run_id,
    connection holding the run's lock for as long as it stays open: the CLI's whole run)."""
    landing = Path(landing).resolve()
    with run_control.exclusive(wait_s) as claim:
        conn = claim.conn
        with conn.cursor() as cur:
            cur.execute("begin")
            db.ensure_schema(conn)
            keyed = deliveries.backfill_keys(cur)  # a warehouse from before natural keys
            cur.execute("commit")
        if keyed:
            log(f"Естественные ключи вычислены для ранее загруженных строк: ключей {keyed}.")
        stale = loader.abandon_stale_stages(conn)
        if stale:
            log(f"Предыдущий запуск был прерван: {stale} незавершённых загрузок помечены.")
        run_id = run_control.start_run(conn, str(landing), run_control.owner_label(owner))
        held = claim.keep_shared() if hold else None
    log(f"Запуск №{run_id}: папка приёма {landing}")
    return (run_id, held) if hold else run_id


def leaves_landing(landing: Path, path: Path) -> bool:
    """A symbolic link anywhere on the way from the landing folder to `path`, or a path
    that resolves outside it: never read, never followed."""
    current = landing
    for part in path.relative_to(landing).parts:
        current = current / part
        if current.is_symlink():
            return True
    return not path.resolve().is_relative_to(landing)


def discover(landing: Path) -> tuple[dict[str, list[Path]], list[Path]]:
    """Files per source (in delivery order), and entries of known folders that match no
    source — including links (files or folders) that are rejected unread."""
    found: dict[str, list[Path]] = {}
    stray: set[Path] = set()
    seen_folders: set[str] = set()
    for name in SOURCE_ORDER:
        spec = SOURCES[name]
        folder = landing / spec.folder
        if not (folder.is_dir() or folder.is_symlink()):
            continue
        if leaves_landing(landing, folder):
            stray.add(folder)
            continue
        entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
        links = {p for p in entries if p.is_symlink()}
        ours = [
            p
            for p in entries
            if p not in links
            and p.is_file()
            and any(fnmatch.fnmatch(p.name.lower(), pat) for pat in spec.patterns)
        ]
        # delivery order: modification time, then name (the later delivery wins a
        # natural key; see ingestion/deliveries.py)
        ours.sort(key=lambda p: (p.stat().st_mtime_ns, p.name))
        if ours:
            found[name] = ours
        if spec.folder not in seen_folders:
            seen_folders.add(spec.folder)
            stray.update(p for p in entries if p in links or p.is_file())
    claimed = {p for files in found.values() for p in files}
    return found, sorted(p for p in stray if p not in claimed)


# Folders of the contract this version does not load yet (their files are reported).
def outside_sources(landing: Path) -> list[tuple[Path, str]]:
    """Files of the landing folder that belong to no source this version loads — each with
    the reason it is skipped. Links are never followed (os.walk does not enter them); a
    linked folder is listed like a file, so the caller rejects it unread."""
    known = {SOURCES[n].folder for n in SOURCE_ORDER}
    out: list[tuple[Path, str]] = []
    for top, dirs, files in os.walk(landing):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        folder = Path(top).relative_to(landing).as_posix()
        if folder in known:
            continue  # discover() reports what is wrong there
        linked = [
            d
            for d in dirs
            if (Path(top) / d).is_symlink()
            and (Path(top) / d).relative_to(landing).as_posix() not in known  # discover()'s
        ]
        for name in sorted([*files, *linked]):
            if name.startswith("."):
                continue
            path = Path(top) / name
            out.append(
                (path, "файл вне папок источников по контракту (см. sources.md, «Landing layout»)")
            )
    return out


def ingest(landing: Path | str, run_id: int, sources: tuple[str, ...] = SOURCE_ORDER) -> StepReport:
    """Stage the landing files of `sources`: read, check, pseudonymise, COPY (see loader)."""
    with run_control.step(run_id, "ingest"):
        return _ingest(landing, run_id, sources)


def _ingest(landing: Path | str, run_id: int, sources: tuple[str, ...]) -> StepReport:
    landing = Path(landing).resolve()
    report = StepReport(run_id)
    if not landing.is_dir():
        raise BlockingFailure(f"папка приёма не найдена: {landing}")
    found, stray = discover(landing)
    found = {name: files for name, files in found.items() if name in sources}
    if set(sources) != set(SOURCE_ORDER):  # strays are reported by the full ingest only
        folders = {landing / SOURCES[s].folder for s in sources}
        stray = [p for p in stray if p in folders or p.parent in folders]
    for name in sources:
        if name not in found:
            spec = SOURCES[name]
            note = f"Источник «{spec.title_ru}» ({spec.folder}) отсутствует — пропущен."
            report.notices.append(note)
            log(note)
    files = [(name, p) for name in sources for p in found.get(name, [])]
    elsewhere = outside_sources(landing) if "municipalities" in sources else []
    conn = db.connect()
    try:
        for path, reason in elsewhere:
            rel = str(path.relative_to(landing))
            if path.is_symlink():
                report.results.append(loader.reject_link(conn, run_id, path, rel))
            else:
                report.results.append(loader.skip_file(conn, run_id, path, rel, reason))
        for path in stray:
            rel = str(path.relative_to(landing))
            if leaves_landing(landing, path):
                report.results.append(loader.reject_link(conn, run_id, path, rel))
            else:
                report.results.append(loader.reject_unrecognised_file(conn, run_id, path, rel))
        for k, (name, path) in enumerate(files, 1):
            rel = str(path.relative_to(landing))
            result = loader.stage_file(
                conn, run_id, SOURCES[name], path, rel, progress=f"[{k}/{len(files)}] "
            )
            report.results.append(result)
    finally:
        conn.close()
    return report


def load(run_id: int) -> StepReport:
    """Check the staged files of the run and commit what passed, source by source in source
    order (registry first: a source's registry checks read the files committed before it):

    1. `loader.check_load` on each file of the source: the row checks that need the database
       (registry codes, the source's SQL checks, repeated keys) — failing rows are marked for
       quarantine (they read other sources only, so all files of a source can go first);
    2. the file-level Great Expectations suite, one pass over all the source's files
       (`expectations.runner.validate_source`), verdicts per file: a failed critical
       expectation rejects that file (only) and marks it blocking;
    3. per file in delivery order: its verdict (`finish`: the row count against the rows
       committed before it, audit rows) and `loader.commit_load`, one transaction
       (quarantine, versions, insert, corrections) — or `loader.reject_blocked`.

    A blocking file stops the run after the loop (status 'blocked'): what passed stays
    committed, nothing is published."""
    with run_control.step(run_id, "load"):
        report = _load(run_id)
    blocked = [r for r in report.results if r.blocking]
    if blocked:
        run_control.finish_run(
            run_id, "blocked", "; ".join(f"{r.rel_path}: {r.message}" for r in blocked)
        )
        raise BlockingFailure(
            "Публикация остановлена: не пройдены блокирующие проверки качества.\n"
            + "\n".join(f"  {r.rel_path}: {r.message}" for r in blocked)
        )
    return report


def _staged(conn, run_id: int) -> list[tuple[int, str, str]]:
    """(load_id, source, rel_path) of the run's staged loads, in source order."""
    with conn.cursor() as cur:
        cur.execute(
            "select load_id, source, rel_path from audit.loads where run_id = %s"
            " and status = 'staged'",
            (run_id,),
        )
        found = cur.fetchall()
    conn.rollback()
    order = {name: i for i, name in enumerate(SOURCE_ORDER)}
    return sorted(found, key=lambda r: (order.get(r[1], 99), r[0]))


def _landing_path(landing: str | None, rel: str) -> Path | None:
    """The delivered file (for a copy in quarantine), if the landing folder still has it."""
    path = Path(landing) / rel if landing else None
    return path if path is not None and path.exists() else None


def _landing_of(conn, run_id: int) -> str | None:
    with conn.cursor() as cur:
        cur.execute("select landing_dir from audit.runs where run_id = %s", (run_id,))
        found = cur.fetchone()
    conn.rollback()
    return found[0] if found else None


def _load(run_id: int) -> StepReport:
    from expectations import runner  # the blocking gate: never optional

    report = StepReport(run_id)
    dsn = get_settings().dsn
    conn = db.connect()
    try:
        landing = _landing_of(conn, run_id)
        staged = _staged(conn, run_id)
        by_source: dict[str, list[tuple[int, str]]] = {}
        for load_id, source, rel in staged:  # in source order already
            by_source.setdefault(source, []).append((load_id, rel))
        k = 0
        for source, files in by_source.items():
            spec = SOURCES[source]
            t0 = time.monotonic()
            for load_id, _ in files:
                loader.check_load(conn, spec, load_id)
            # one Great Expectations pass over the source's files; verdicts per file
            validation = runner.validate_source(
                dsn,
                source,
                [(load_id, loader.stage_table(load_id)) for load_id, _ in files],
                run_id,
            )
            shared = (time.monotonic() - t0) / len(files)
            for load_id, rel in files:
                k += 1
                t1 = time.monotonic()
                path = _landing_path(landing, rel)
                verdict = validation.finish(load_id)
                if verdict.success:
                    result = loader.commit_load(conn, spec, load_id, rel, path)
                else:
                    result = loader.reject_blocked(conn, spec, load_id, rel, path, verdict.failures)
                result.warnings = list(verdict.warnings or [])
                report.results.append(result)
                log(
                    f"  [{k}/{len(staged)}] {rel}: {result.status}, загружено {result.rows_loaded},"
                    f" в карантине {result.rows_quarantined}"
                    f" ({shared + time.monotonic() - t1:.1f} с)"
                )
                for w in result.warnings:
                    log(f"    предупреждение: {w}")
    finally:
        conn.close()
    return report


def feedback(run_id: int) -> list[Path]:
    """Feedback reports for the schools whose files this run read (also after a blocked or
    failed commit: a school must learn why its file was rejected)."""
    conn = db.connect()
    try:
        return write_upload_feedback(conn, run_id)
    finally:
        conn.close()


def write_upload_feedback(conn, run_id: int) -> list[Path]:
    """One feedback report (XLSX + HTML, in Russian) per uploaded file of this run."""
    from reporting.feedback import write_feedback

    with conn.cursor() as cur:
        cur.execute(
            "select load_id, source from audit.loads where run_id = %s and source = any(%s)"
            " order by load_id",
            (run_id, list(GROUP_SOURCES["uploads"])),
        )
        loads = cur.fetchall()
    written = []
    for load_id, source in loads:
        written.append(write_feedback(conn, load_id, reports_dir() / "feedback" / source))
    conn.rollback()
    if written:
        log(f"Отчёты для школ о загруженных файлах ({len(written)}): {reports_dir() / 'feedback'}")
    return written


def transform(run_id: int, full_refresh: bool = False) -> None:
    """dbt build (seeds, staging, intermediate, marts, data and unit tests) into this run's
    shadow schemas; BI keeps reading the published ones (orchestration/publication.py).
    Only the years changed since the last publication, unless `full_refresh` or the changed
    years are not certain (orchestration/incremental.py); no dbt run at all when nothing
    changed (publish then keeps the published build)."""
    with run_control.step(run_id, "transform"):
        t0 = time.monotonic()
        plan = publication.build(run_id, full_refresh=full_refresh)
        if not plan.unchanged:
            log(f"dbt build выполнен за {time.monotonic() - t0:.0f} с")


def publish(run_id: int) -> dict:
    """Switch BI to this run's build and close the run (one transaction), then Data Docs
    and the auditors' page."""
    with run_control.step(run_id, "publish"):
        summary = run_summary(run_id)
        publication.swap(run_id, summary["message"])
    from expectations.runner import build_data_docs

    docs = build_data_docs()
    audit_page = write_audit_report(run_id)
    log(f"Итог запуска №{run_id}: {summary['message']}")
    log(f"Отчёт о проверке данных для аудиторов: {audit_page}")
    return {"data_docs": str(docs) if docs else None, "audit_report": str(audit_page), **summary}


def fail(run_id: int, reason: str) -> None:
    """Close a run that did not publish: status 'failed' with the reason (a run already
    closed — blocked, published — is left as it is). The published marts are untouched."""
    run_control.finish_run(run_id, "failed", reason)
    try:
        write_audit_report(run_id)
    except Exception:  # pragma: no cover - the page is a convenience; the status is what counts
        pass


def fail_dag_run(dwh_run: int | None, owner: str, reason: str) -> int | None:
    """Close the run of a failed DAG run: `dwh_run` if `prepare` returned it, else the run
    still 'running' that this DAG run's `prepare` opened before it failed (found by its
    owner label, `owner (pid …)`). Returns the run closed, or None if none was opened."""
    if dwh_run is None:
        with db.transaction() as conn, conn.cursor() as cur:
            cur.execute("select to_regclass('audit.runs') is not null")
            if not cur.fetchone()[0]:
                return None
            cur.execute(
                "select max(run_id) from audit.runs where status = 'running'"
                " and left(owner, length(%s)) = %s",
                (owner + " (", owner + " ("),
            )
            dwh_run = cur.fetchone()[0]
        if dwh_run is None:
            return None
    fail(int(dwh_run), reason)
    return int(dwh_run)


def run_summary(run_id: int) -> dict:
    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute(
            "select status, count(*), coalesce(sum(rows_loaded), 0),"
            " coalesce(sum(rows_quarantined), 0) from audit.loads where run_id = %s"
            " group by status",
            (run_id,),
        )
        rows = cur.fetchall()
        cur.execute(
            "select rel_path, message from audit.loads where run_id = %s and status = 'rejected'"
            " order by load_id",
            (run_id,),
        )
        rejected = cur.fetchall()
        cur.execute(
            "select count(*) filter (where e.event = 'new_version'),"
            " coalesce(sum(e.rows_removed) filter (where e.event = 'new_version'), 0)"
            " from audit.load_events e where e.run_id = %s",
            (run_id,),
        )
        versions, version_rows = cur.fetchone()
        cur.execute(
            "select count(*) filter (where event = 'replaced'),"
            " count(distinct (old_load_id, new_load_id)) filter (where event = 'replaced'),"
            " count(*) filter (where event = 'restored')"
            " from audit.row_replacements where run_id = %s",
            (run_id,),
        )
        corrected, pairs, restored = cur.fetchone()
    counts = {r[0]: r[1] for r in rows}
    loaded_rows = sum(r[2] for r in rows)
    quarantined = sum(r[3] for r in rows)
    message = (
        f"файлов загружено: {counts.get('loaded', 0)}, повторных: {counts.get('duplicate', 0)},"
        f" отклонено: {counts.get('rejected', 0)}; строк загружено: {loaded_rows},"
        f" в карантине: {quarantined}; замен: файлов новой версией — {versions}"
        f" (удалено строк прежних версий: {version_rows}), строк исправлено другими файлами —"
        f" {corrected} (пар файлов: {pairs}), строк восстановлено — {restored}"
    )
    if counts.get("skipped"):
        message += f"; пропущено файлов (отозванных или вне источников): {counts['skipped']}"
    return {
        "message": message,
        "counts": counts,
        "rejected": rejected,
        "replacements": {
            "file_versions": versions,
            "rows_corrected": corrected,
            "rows_restored": restored,
        },
    }


def run_all(
    landing: Path | str, skip_dbt: bool = False, wait_s: float = 0, full_refresh: bool = False
) -> dict:
    """The whole pipeline in-process (what `edu-dwh run` does). The run holds the
    warehouse's lock from start to end; any failure closes it as failed."""
    t0 = time.monotonic()
    run_id, held = prepare(landing, owner="edu-dwh run", wait_s=wait_s, hold=True)
    try:
        ingest(landing, run_id)
        try:
            load(run_id)
        finally:
            feedback(run_id)
        if skip_dbt:
            with run_control.step(run_id, "publish"):
                result = run_summary(run_id)
                run_control.finish_run(run_id, "loaded", result["message"])
            write_audit_report(run_id)
        else:
            transform(run_id, full_refresh=full_refresh)
            result = publish(run_id)
    except BlockingFailure:
        raise
    except BaseException as exc:  # KeyboardInterrupt too: no run stays 'running'
        try:
            fail(run_id, str(exc) or type(exc).__name__)
        except Exception:  # the database itself may be gone; the next run closes it
            pass
        raise
    finally:
        held.close()
    result["run_id"] = run_id
    result["seconds"] = round(time.monotonic() - t0, 1)
    for rel, msg in result["rejected"]:
        print(f"ОТКЛОНЁН {rel}: {msg}", file=sys.stderr)
    return result
