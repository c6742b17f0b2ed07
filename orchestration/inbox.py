"""Is there anything new in the inbox? The cheap check the watcher DAG
(dags/edu_dwh_inbox_watch.py) runs every few minutes before it starts a pipeline run.

The warehouse itself is the memory: every file a run sees gets a row in `audit.loads`
(source, `rel_path`, `sha256`, `size_bytes`, `file_mtime_ns`, status) — loaded, duplicate,
rejected, skipped, withdrawn alike. A file of the inbox is

- **known** when the latest row for its path (by the order `ingestion.deliveries.classify`
  uses; interrupted loads — 'staging', 'staged', 'abandoned' — do not count) holds the same
  bytes: the same size and modification time as recorded (no hashing then), or else the
  same SHA-256. A run would do nothing with it (an unchanged file is a `duplicate`, a bad
  file left lying is rejected again). Exception, as in `classify`: a withdrawn file is known
  only while its modification time is unchanged — a new copy of it is a re-delivery;
- **new** otherwise (a first delivery, new bytes under an old name, a re-delivery after a
  withdrawal, a file a run was interrupted on);
- **settling** while it may still be written: its modification time is less than
  `settle_s` old (a copy in progress keeps touching it), or it is in the future. A
  temporary name (`*.part`, `*.tmp`, `*.crdownload`, `*.filepart`, `~$…`) counts as
  settling while it is that young and is ignored afterwards (a finished writer renames it;
  the renamed file is what is new). Hidden names (`.…`) are ignored, as the pipeline does.

A run is due when something is new, nothing is settling (a delivery of several files is
taken whole) and no live run owns the warehouse (its half-staged files would look new).
Deleting a file from the inbox changes nothing in the warehouse, so it is not news.

Only `os.walk`/`lstat` on the inbox, SHA-256 of files whose size or time differ from the
record, and one query: no staging, no Great Expectations, no dbt.
"""

from __future__ import annotations

import fnmatch
import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingestion import db
from ingestion.loader import sha256_of
from orchestration.run_control import stale_after_s

DEFAULT_SETTLE_S = 60.0
TEMP_PATTERNS = ("*.part", "*.partial", "*.tmp", "*.crdownload", "*.filepart", "*.swp", "~$*")
# loads of an interrupted or ongoing attempt: say nothing about what a run would do
UNFINISHED = ("staging", "staged", "abandoned")


def settle_s() -> float:
    return float(os.environ.get("EDU_DWH_INBOX_SETTLE_S", DEFAULT_SETTLE_S))


@dataclass
class InboxCheck:
    landing: Path
    new: list[str] = field(default_factory=list)  # rel paths: new or changed
    settling: list[str] = field(default_factory=list)  # still being written
    known: int = 0  # files the warehouse already recorded with these bytes
    busy_run: int | None = None  # a live run owning the warehouse
    hashed: int = 0  # files whose SHA-256 had to be computed
    seconds: float = 0.0

    @property
    def due(self) -> bool:
        """Start a pipeline run now."""
        return bool(self.new) and not self.settling and self.busy_run is None

    def line(self) -> str:
        """One line in Russian for the log and the task's result."""
        took = f"проверка {self.seconds:.2f} с"
        if self.busy_run is not None:
            return (
                f"Папка приёма {self.landing}: идёт запуск №{self.busy_run} — проверка"
                f" отложена до следующего раза ({took})."
            )
        if self.settling:
            return (
                f"Папка приёма {self.landing}: файлы ещё записываются ({_listed(self.settling)}),"
                f" запуск — при следующей проверке; новых или изменённых: {len(self.new)}"
                f" ({took})."
            )
        if not self.new:
            return (
                f"Папка приёма {self.landing}: новых или изменённых файлов нет (уже учтено"
                f" файлов: {self.known}) — запуск не нужен ({took})."
            )
        return (
            f"Папка приёма {self.landing}: новых или изменённых файлов {len(self.new)}"
            f" ({_listed(self.new)}) — запускается обработка ({took})."
        )


def _listed(paths: list[str], limit: int = 5) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" и ещё {len(paths) - limit}" if len(paths) > limit else "")


def is_temporary(name: str) -> bool:
    low = name.lower()
    return any(fnmatch.fnmatch(low, pat) for pat in TEMP_PATTERNS)


@dataclass(frozen=True)
class _Entry:
    rel: str
    path: Path
    size: int
    mtime_ns: int
    link: bool


def scan(landing: Path) -> list[_Entry]:
    """Every entry a pipeline run would record: non-hidden files anywhere under the inbox,
    and links (to files or folders; never followed)."""
    out = []
    for top, dirs, files in os.walk(landing):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        linked = [d for d in dirs if os.path.islink(os.path.join(top, d))]
        for name in sorted([*files, *linked]):
            if name.startswith("."):
                continue
            path = Path(top) / name
            try:
                st = path.lstat()
            except FileNotFoundError:  # gone while we looked
                continue
            rel = path.relative_to(landing).as_posix()
            out.append(_Entry(rel, path, st.st_size, st.st_mtime_ns, path.is_symlink()))
    return out


def _recorded(conn, rels: list[str]) -> dict[str, tuple]:
    """Latest finished row of audit.loads per path: (sha256, size, mtime_ns, status, source)."""
    with conn.cursor() as cur:
        cur.execute("select to_regclass('audit.loads') is not null")
        if not cur.fetchone()[0]:
            return {}
        cur.execute(
            "select distinct on (rel_path) rel_path, sha256, size_bytes, file_mtime_ns, status,"
            " source from audit.loads where rel_path = any(%s) and status <> all(%s)"
            " order by rel_path, greatest(started_at, withdrawn_at) desc, load_id desc",
            (rels, list(UNFINISHED)),
        )
        return {r[0]: r[1:] for r in cur.fetchall()}


def _live_run(conn) -> int | None:
    with conn.cursor() as cur:
        cur.execute("select to_regclass('audit.runs') is not null")
        if not cur.fetchone()[0]:
            return None
        cur.execute(
            "select run_id from audit.runs where status = 'running' and"
            " extract(epoch from now() - coalesce(heartbeat_at, started_at)) < %s"
            " order by run_id desc limit 1",
            (stale_after_s(),),
        )
        found = cur.fetchone()
    return found[0] if found else None


def _sha(entry: _Entry) -> str:
    if entry.link:  # what loader.reject_link records: the link is never read
        return hashlib.sha256(f"link:{entry.rel}".encode()).hexdigest()
    return sha256_of(entry.path)


def _known(entry: _Entry, record: tuple | None) -> tuple[bool, bool]:
    """(known, hashed) for one file against its latest record."""
    if record is None:
        return False, False
    sha, size, mtime_ns, status, source = record
    same_stat = size == entry.size and mtime_ns == entry.mtime_ns
    # a withdrawn file (and the 'skipped' rows later runs write for it) is re-delivered by
    # a new copy: its modification time decides, not its bytes (deliveries.classify)
    if status == "withdrawn" or (status == "skipped" and source != "unknown"):
        return same_stat, False
    if same_stat:
        return True, False
    return _sha(entry) == sha, True


def check_inbox(
    landing: Path | str, settle: float | None = None, now: float | None = None
) -> InboxCheck:
    """What the inbox holds that the warehouse has not recorded yet (see the module doc)."""
    t0 = time.monotonic()
    landing = Path(landing).resolve()
    if not landing.is_dir():
        raise FileNotFoundError(f"папка приёма не найдена: {landing}")
    settle = settle_s() if settle is None else settle
    now_ns = int((time.time() if now is None else now) * 1e9)
    result = InboxCheck(landing)
    entries = scan(landing)
    conn = db.connect()
    try:
        result.busy_run = _live_run(conn)
        records = _recorded(conn, [e.rel for e in entries])
    finally:
        conn.close()
    for entry in entries:
        young = not entry.link and now_ns - entry.mtime_ns < settle * 1e9
        if is_temporary(entry.path.name):
            if young:
                result.settling.append(entry.rel)
            continue
        record = records.get(entry.rel)
        if young:  # not hashed while it may still change: only its recorded twin is known
            if record is not None and (record[1], record[2]) == (entry.size, entry.mtime_ns):
                result.known += 1
            else:
                result.settling.append(entry.rel)
            continue
        known, hashed = _known(entry, record)
        result.hashed += hashed
        if known:
            result.known += 1
        else:
            result.new.append(entry.rel)
    result.seconds = time.monotonic() - t0
    return result
