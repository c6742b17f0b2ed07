"""Stage a file into raw._stage_<load_id>, check it, then commit it: quarantine, versions, insert.

- `stage_file` first decides what the delivered file is (ingestion/deliveries.py: new, a
  new version of its name, unchanged, the same bytes as another file, withdrawn), then
  reads it in chunks and COPYs every row (accepted or not) into its stage table with the
  reason it would be rejected (status 'staged').
- `check_load` adds the row checks that need the database (registry codes, the source's SQL
  checks, repeated natural keys). The orchestration then runs the file-level checks (Great
  Expectations) and calls `commit_load` or `reject_blocked`.
- `commit_load`, in ONE transaction, moves rejected rows to audit.quarantine, retires the
  previous version of the same file, inserts the accepted rows and resolves which row of
  each natural key is current (deliveries.apply_load).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg2

from ingestion import baseline, deliveries
from ingestion.config import get_settings, quarantine_dir
from ingestion.encoding import BLOCK as UTF8_CHECK_BLOCK
from ingestion.encoding import EncodingProblem, Utf8Check
from ingestion.messages import csv_problem
from ingestion.read import FastChunk, HeaderProblem, open_source
from sources import SOURCES, SourceSpec


@dataclass
class LoadResult:
    load_id: int | None
    source: str
    rel_path: str
    status: str
    message: str = ""
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    warnings: list[str] = field(default_factory=list)
    blocking: bool = False  # rejected by a critical check: publishing must stop
    events: list[str] = field(default_factory=list)  # replacements (files, rows), in Russian


def sha256_of(path: Path) -> str:
    return fingerprint(path, utf8=False)[0]


def fingerprint(path: Path, utf8: bool = True) -> tuple[str, bool | None]:
    """(the file's sha256, whether it is UTF-8 throughout — None for a workbook or when
    `utf8` is False) in one read of the file: staging needs both (the hash to classify the
    delivery, the UTF-8 check to detect the encoding), and reading a large file is a
    good part of checking it."""
    h = hashlib.sha256()
    check = Utf8Check() if utf8 and path.suffix.lower() != ".xlsx" else None
    with open(path, "rb") as fh:
        while chunk := fh.read(UTF8_CHECK_BLOCK):
            h.update(chunk)
            if check is not None:
                check.feed(chunk)
    return h.hexdigest(), None if check is None else check.close()


def stage_table(load_id: int) -> str:
    return f"raw._stage_{int(load_id)}"


def stage_ddl(table: str, raw_table: str) -> list[str]:
    """The statements that make a stage table: an unlogged copy of the raw table's columns,
    plus the row's reason for rejection and its note (kept for the load's audit)."""
    return [
        f"create unlogged table {table} (like {raw_table})",
        f"alter table {table} add column _reject_reason text, add column _note text",
    ]


def _keep_rejected_file(path: Path, sha: str) -> Path:
    """A copy of a rejected file for the operator (personal data: mode 0600, folder 0700;
    purged after `EDU_DWH_QUARANTINE_DAYS` by `edu-dwh quarantine purge`)."""
    target = quarantine_dir() / f"{sha[:16]}_{path.name}"
    if not target.exists():
        tmp = target.with_name(target.name + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
            shutil.copyfileobj(src, out)
        os.replace(tmp, target)
    return target


def stage_file(
    conn, run_id: int, spec: SourceSpec, path: Path, rel_path: str, progress: str = ""
) -> LoadResult:
    """Read, check and COPY one file into its stage table (committed, status 'staged')."""
    started = time.monotonic()
    sha, utf8_valid = fingerprint(path)
    mtime_ns = path.stat().st_mtime_ns
    with conn.cursor() as cur:
        delivery = deliveries.classify(cur, spec, rel_path, sha, mtime_ns, run_id)
    conn.rollback()
    load_id = _open_load(conn, run_id, spec.name, path, rel_path, sha, mtime_ns)

    if delivery.kind in ("unchanged", "same_content", "withdrawn"):
        status = "skipped" if delivery.kind == "withdrawn" else "duplicate"
        lines: list[str] = []
        if delivery.kind == "same_content" and delivery.previous_load:
            with conn.cursor() as cur:  # a new version whose bytes another file already holds
                applied = deliveries.retire_for_same_content(
                    cur, spec, delivery.previous_load, load_id, run_id
                )
                lines = applied.lines(rel_path)
                cur.execute(
                    "update audit.loads set status = 'duplicate' where load_id = %s", (load_id,)
                )
            conn.commit()
        message = "; ".join([delivery.message, *lines])
        _finish(conn, load_id, status, message)
        for line in lines:
            print(f"  ЗАМЕНА: {line}", flush=True)
        if delivery.kind in ("withdrawn", "same_content"):  # a skip is never silent
            print(f"  ПРОПУЩЕН {rel_path}: {delivery.message}", flush=True)
        return LoadResult(load_id, spec.name, rel_path, status, message, events=lines)
    if delivery.precedence is not None:  # a re-delivery keeps its old precedence
        with conn.cursor() as cur:
            cur.execute(
                "update audit.loads set precedence = %s where load_id = %s",
                (delivery.precedence, load_id),
            )
        conn.commit()

    try:
        source = open_source(path, spec, utf8_valid=utf8_valid)
    except (EncodingProblem, HeaderProblem, UnicodeDecodeError) as exc:
        return _reject_file(conn, load_id, spec, path, rel_path, sha, str(exc))
    with source:  # an XLSX book stays open while it is read
        header = source.header
        table = stage_table(load_id)
        with conn.cursor() as cur:
            cur.execute(f"drop table if exists {table}")
            for statement in stage_ddl(table, spec.raw_table):
                cur.execute(statement)
        rows_read = 0
        secret = get_settings().pseudonym_key
        try:
            with _BackgroundCopy(conn) as copier:
                for chunk, n in source.copy_chunks(secret):
                    rows_read += n
                    copier.put(*_copy_statement(table, chunk, load_id))
                    rate = rows_read / max(time.monotonic() - started, 1e-6)
                    print(
                        f"  {progress}{rel_path}: {rows_read} строк, {rate:,.0f} строк/с",
                        flush=True,
                    )
        except Exception as exc:  # parser errors: wrong field counts, broken quoting, bad zip …
            conn.rollback()
            with conn.cursor() as cur:
                cur.execute(f"drop table if exists {table}")
            conn.commit()
            if isinstance(exc, psycopg2.Error):
                raise  # the database, not the file: the run fails and names it (cli)
            what = str(exc) if isinstance(exc, HeaderProblem) else csv_problem(exc)
            return _reject_file(conn, load_id, spec, path, rel_path, sha, what)
    with conn.cursor() as cur:
        cur.execute(
            "update audit.loads set status = 'staged', encoding = %s, rows_read = %s,"
            " message = %s where load_id = %s",
            (
                header.encoding,
                rows_read,
                "; ".join(_header_notes(header)) or None,
                load_id,
            ),
        )
    conn.commit()
    return LoadResult(load_id, spec.name, rel_path, "staged", rows_read=rows_read)


_NEEDS_ESCAPE = r"[\\\t\n\r]"
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _header_notes(header) -> list[str]:
    notes = list(getattr(header, "notes", []) or [])
    if header.unknown:
        notes.append("неизвестные столбцы не сохраняются: " + ", ".join(header.unknown))
    return notes


def _open_load(
    conn, run_id: int, source: str, path: Path, rel_path: str, sha: str, mtime_ns=None
) -> int:
    """The manifest row of a file about to be processed (status 'staging'), committed.
    The size is the entry's own (lstat): a link is never followed."""
    with conn.cursor() as cur:
        cur.execute(
            "insert into audit.loads (run_id, source, rel_path, file_name, sha256, size_bytes,"
            " file_mtime_ns, status) values (%s, %s, %s, %s, %s, %s, %s, 'staging')"
            " returning load_id",
            (run_id, source, rel_path, path.name, sha, path.lstat().st_size, mtime_ns),
        )
        load_id = cur.fetchone()[0]
    conn.commit()
    return load_id


def reject_unrecognised_file(conn, run_id: int, path: Path, rel_path: str) -> LoadResult:
    """A file in a landing folder that matches no source of the contract: kept, rejected."""
    sha = sha256_of(path)
    load_id = _open_load(conn, run_id, "unknown", path, rel_path, sha)
    return _reject_file(
        conn,
        load_id,
        None,
        path,
        rel_path,
        sha,
        "файл не соответствует контракту (неизвестный тип или расширение в этой папке)",
    )


def skip_file(conn, run_id: int, path: Path, rel_path: str, reason: str) -> LoadResult:
    """A file outside the sources this version loads: not read, recorded and reported."""
    load_id = _open_load(conn, run_id, "unknown", path, rel_path, sha256_of(path))
    _finish(conn, load_id, "skipped", f"Файл не загружен: {reason}")
    print(f"  ПРОПУЩЕН {rel_path}: {reason}", flush=True)
    return LoadResult(load_id, "unknown", rel_path, "skipped", f"Файл не загружен: {reason}")


def reject_link(conn, run_id: int, path: Path, rel_path: str) -> LoadResult:
    """A symbolic link (or a path leaving the landing folder): rejected unread — nothing of
    what it points to is opened, copied or quoted."""
    marker = hashlib.sha256(f"link:{rel_path}".encode()).hexdigest()  # its bytes: unread
    load_id = _open_load(conn, run_id, "unknown", path, rel_path, marker)
    reason = (
        "символическая ссылка (или путь за пределы папки приёма): такие файлы не читаются"
        " и не принимаются — положите в папку приёма сам файл"
    )
    _finish(conn, load_id, "rejected", f"Файл отклонён: {reason}")
    print(f"  ОТКЛОНЁН {rel_path}: {reason}", file=sys.stderr, flush=True)
    return LoadResult(load_id, "unknown", rel_path, "rejected", f"Файл отклонён: {reason}")


def _copy_frame(conn, table: str, frame, load_id: int) -> None:
    """COPY a parsed chunk (text format; values escaped here, NULL = \\N)."""
    _copy(conn, *_copy_statement(table, frame, load_id))


def _copy_statement(table: str, frame: pd.DataFrame | FastChunk, load_id: int) -> tuple:
    """(COPY statement, its text — for a FastChunk a function writing it). The stage table
    is made in the transaction of its COPYs (`stage_file`), so they FREEZE its rows: no
    hint bits to set (and pages to write again) when the checks, GX and the commit read
    them; nobody else sees the table before it is committed."""
    cols = ", ".join(["load_id", *frame.columns])
    sql = f"copy {table} ({cols}) from stdin with (format text, freeze)"
    if isinstance(frame, FastChunk):
        return sql, lambda: frame.copy_bytes(load_id)
    return sql, copy_text(frame, load_id)


def _copy(conn, sql: str, text) -> None:
    """COPY `text` (or what `text()` gives: a fast chunk's text is written by polars, which
    releases the GIL, in the COPY worker thread, as UTF-8 bytes — sent as they are when the
    connection's client encoding is UTF-8, else decoded for psycopg2 to encode)."""
    if callable(text):
        text = text()
    if isinstance(text, bytes):
        if conn.encoding in ("UTF8", "UNICODE"):
            buf = io.BytesIO(text)
        else:
            buf = io.StringIO(text.decode("utf-8"))
    else:
        buf = io.StringIO(text)
    with conn.cursor() as cur:
        cur.copy_expert(sql, buf, size=1 << 20)


class _BackgroundCopy:
    """COPY of one chunk runs in a worker thread while the next chunk is read and parsed
    (psycopg2 releases the GIL while it sends the data and the server stores it). At most
    one chunk is in flight, and the connection is used by one thread at a time: the
    worker between `put` and the next `put` (or the end of the `with` block), which waits
    for it. A COPY error is raised by the next `put` or at the end of the block, before any
    error of reading that happened meanwhile (as when the COPYs ran in turn)."""

    def __init__(self, conn):
        self._conn = conn
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stage-copy")
        self._pending: Future | None = None

    def put(self, sql: str, text: str) -> None:
        self.wait()
        self._pending = self._pool.submit(_copy, self._conn, sql, text)

    def wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> _BackgroundCopy:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.wait()  # a COPY error replaces (and chains) a reading error
        finally:
            self._pool.shutdown(wait=True)


_NULL = "\\N"


def copy_text(frame: pd.DataFrame | FastChunk, load_id: int) -> str:
    """The chunk as COPY text: `load_id` first, tab-separated, NULL = \\N, backslash, tab,
    line feed and carriage return escaped. Values are joined as they are; whether any of
    them needed escaping is decided by counting separators and backslashes in the joined
    text (exact: each row has one line feed and len(columns) tabs, each NULL one
    backslash), so the escaping pass runs only for a chunk that needs it. A `FastChunk`
    (ingestion/read/fast.py) writes its own text: the same bytes."""
    if isinstance(frame, FastChunk):
        return frame.copy_text(load_id)
    n = len(frame)
    if not n:
        return ""
    columns = [_text_column(frame[c]) for c in frame.columns]
    if any(c is None for c in columns):  # a dtype the parser does not produce: as before
        return _copy_text_pandas(frame, load_id)
    nulls = sum(nc for _, nc in columns)
    arrays = [[str(load_id)] * n, *(a for a, _ in columns)]
    try:
        text = "\n".join(map("\t".join, zip(*arrays, strict=True))) + "\n"
    except TypeError:  # a value that is not a str (to_csv would write str(value))
        return _copy_text_pandas(frame, load_id)
    if (
        text.count("\t") == n * (len(arrays) - 1)
        and text.count("\n") == n
        and "\r" not in text
        and text.count("\\") == nulls
    ):
        return text
    return _copy_text_pandas(frame, load_id)


def _text_column(values: pd.Series) -> tuple[list[str], int] | None:
    """(the column's values as COPY text, unescaped, NULL = \\N; number of NULLs), or None
    for a dtype to leave to pandas."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iu":  # source_row
        return values.astype(str).tolist(), 0
    if values.dtype != object and not pd.api.types.is_string_dtype(values):
        return None
    isna = values.isna().to_numpy()
    items = values.to_numpy(dtype=object, na_value=None)
    nulls = int(isna.sum())
    if nulls:
        items = items.copy()
        items[isna] = _NULL
    return items.tolist(), nulls


def _copy_text_pandas(frame: pd.DataFrame, load_id: int) -> str:
    """COPY text through pandas' CSV writer, escaping the columns that need it."""
    frame = frame.copy()
    frame.insert(0, "load_id", load_id)
    for col in frame.columns:
        values = frame[col]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            text = values.astype("string")
            if text.str.contains(_NEEDS_ESCAPE, regex=True, na=False).any():  # rare: vectorised
                frame[col] = values.map(
                    lambda v: v.translate(_COPY_ESCAPES) if isinstance(v, str) else v
                )
    buf = io.StringIO()
    frame.to_csv(
        buf, sep="\t", header=False, index=False, na_rep=_NULL, quoting=3, lineterminator="\n"
    )
    return buf.getvalue()


def _finish(conn, load_id: int, status: str, message: str, **counts) -> None:
    sets = ", ".join(f"{k} = %({k})s" for k in counts)
    with conn.cursor() as cur:
        cur.execute(
            "update audit.loads set status = %(status)s, message = %(message)s,"
            f" finished_at = now() {', ' + sets if sets else ''} where load_id = %(load_id)s",
            {"status": status, "message": message, "load_id": load_id, **counts},
        )
    conn.commit()


def _reject_file(conn, load_id, spec, path, rel_path, sha, reason) -> LoadResult:
    kept = _keep_rejected_file(path, sha)
    msg = f"Файл отклонён: {reason}. Копия файла сохранена в карантине: {kept.name}"
    _finish(conn, load_id, "rejected", msg)
    print(f"  ОТКЛОНЁН {rel_path}: {reason}", file=sys.stderr, flush=True)
    return LoadResult(load_id, spec.name if spec else "unknown", rel_path, "rejected", msg)


# ---------------------------------------------------------------------------------------
# commit


def _append_reason(cur, table: str, where: str, reason_sql: str, params=()) -> int:
    cur.execute(
        f"update {table} s set _reject_reason = concat_ws('; ', _reject_reason, {reason_sql})"
        f" where {where}",
        params,
    )
    return cur.rowcount


def database_row_checks(conn, spec: SourceSpec, load_id: int) -> None:
    """Checks that need the database: registry codes and repeated rows within the file."""
    table = stage_table(load_id)
    with conn.cursor() as cur:
        for ref in spec.references:
            registry = SOURCES[ref.registry]
            label, where_ru = registry.registry_label
            (reg_col,) = registry.natural_key
            _append_reason(
                cur,
                table,
                f"s.{ref.column} is not null and not exists (select 1 from"
                f" {registry.raw_table} r where r.{reg_col} = s.{ref.column})",
                f"'«{label}» ' || s.{ref.column} || ' отсутствует в {where_ru}'",
            )
        for check in spec.sql_checks:
            if check.needs:
                cur.execute("select to_regclass(%s) is not null", (check.needs,))
                if not cur.fetchone()[0]:
                    continue  # e.g. a dbt seed before the first build: checked once it exists
            _append_reason(cur, table, check.where, check.reason_sql)
        keys = spec.natural_key
        if keys:
            key_list = ", ".join(keys)
            order = spec.repeat_order
            cur.execute(
                f"""
                with ranked as (
                    select source_row, first_value(source_row) over w as first_row,
                           row_number() over w as rn
                    from {table} s
                    where _reject_reason is null
                    window w as (partition by {key_list} order by {order})
                )
                update {table} s
                set _reject_reason = 'повтор: та же запись уже есть в строке '
                    || ranked.first_row
                from ranked
                where ranked.source_row = s.source_row and ranked.rn > 1
                """
            )
    conn.commit()


def compute_scope(conn, spec: SourceSpec, load_id: int) -> dict:
    table = stage_table(load_id)
    scope: dict[str, list] = {}
    with conn.cursor() as cur:
        for col in spec.scope:
            cur.execute(
                f"select coalesce(jsonb_agg(distinct {col}::text order by {col}::text), '[]')"
                f" from {table} where _reject_reason is null and {col} is not null"
            )
            scope[col] = cur.fetchone()[0]
    return scope


def check_load(conn, spec: SourceSpec, load_id: int) -> None:
    """The row checks that need the database (registry codes, the source's SQL checks,
    repeated keys), then what the file covers (scope): the stage is ready for validation."""
    database_row_checks(conn, spec, load_id)
    scope = compute_scope(conn, spec, load_id)
    with conn.cursor() as cur:
        cur.execute(
            "update audit.loads set scope = %s where load_id = %s", (json.dumps(scope), load_id)
        )
    conn.commit()


def reject_blocked(
    conn, spec: SourceSpec, load_id: int, rel_path: str, path: Path | None, failures
) -> LoadResult:
    """A critical file-level check failed: the whole file is rejected and publishing of
    this run must stop (`audit.loads.blocking`)."""
    reason = "не пройдены блокирующие проверки: " + "; ".join(failures)
    result = _reject_staged(conn, spec, load_id, rel_path, path, reason)
    with conn.cursor() as cur:
        cur.execute("update audit.loads set blocking = true where load_id = %s", (load_id,))
    conn.commit()
    result.blocking = True
    return result


def _reject_staged(conn, spec, load_id, rel_path, path: Path | None, reason) -> LoadResult:
    """Reject a staged file as a whole: its stage table goes, the load is closed 'rejected'
    and a copy of the file is kept in quarantine (if the landing folder still has it)."""
    _drop_stage(conn, stage_table(load_id))
    if path is not None:
        sha = _sha_of_load(conn, load_id)
        return _reject_file(conn, load_id, spec, path, rel_path, sha, reason)
    _finish(conn, load_id, "rejected", "Файл отклонён: " + reason)
    print(f"  ОТКЛОНЁН {rel_path}: {reason}", file=sys.stderr, flush=True)
    return LoadResult(load_id, spec.name, rel_path, "rejected", reason)


def commit_load(
    conn, spec: SourceSpec, load_id: int, rel_path: str, path: Path | None
) -> LoadResult:
    """Move a checked load into the raw table (see module docstring)."""
    table = stage_table(load_id)
    with conn.cursor() as cur:
        cur.execute(f"select count(*), count(*) filter (where _reject_reason is null) from {table}")
        rows_read, rows_ok = cur.fetchone()
    conn.rollback()

    if rows_ok == 0:
        reason = "ни одна строка не прошла проверку" if rows_read else "в файле нет ни одной строки"
        with conn.cursor() as cur:
            _quarantine_rows(cur, table, load_id)
        conn.commit()
        result = _reject_staged(conn, spec, load_id, rel_path, path, reason)
        _set_counts(conn, load_id, rows_read, 0, rows_read)
        result.rows_read, result.rows_quarantined = rows_read, rows_read
        return result

    with conn.cursor() as cur:  # one transaction: versions, rows, keys, quarantine, manifest
        cur.execute("select precedence from audit.loads where load_id = %s", (load_id,))
        inherited = cur.fetchone()[0]
        loaded, applied = deliveries.apply_load(
            cur,
            spec,
            load_id,
            rel_path,
            table,
            _run_of(cur, load_id),
            delivery_precedence=inherited,
            redelivery_of=_redelivery_of(cur, spec, load_id, rel_path, inherited),
        )
        baseline.count_loads(cur, spec, [load_id])  # for the row counts of later files
        quarantined = _quarantine_rows(cur, table, load_id)
        cur.execute(
            f"insert into audit.corrections (load_id, source_row, note)"
            f" select {int(load_id)}, source_row, _note from {table}"
            f" where _note is not null and _reject_reason is null"
        )
        events = applied.lines(rel_path)
        parts = []
        if quarantined:
            parts.append(f"загружено строк: {loaded}, в карантине: {quarantined}")
        parts += events
        message = "; ".join(parts) or None
        cur.execute(
            "update audit.loads set status = 'loaded', finished_at = now(), rows_read = %s,"
            " rows_loaded = %s, rows_quarantined = %s,"
            " message = concat_ws('; ', message, %s) where load_id = %s",
            (rows_read, loaded, quarantined, message, load_id),
        )
        cur.execute(f"drop table {table}")
    conn.commit()
    for line in events:
        print(f"  ЗАМЕНА: {line}", flush=True)
    return LoadResult(
        load_id,
        spec.name,
        rel_path,
        "loaded",
        message or "",
        rows_read,
        loaded,
        quarantined,
        events=events,
    )


def _run_of(cur, load_id: int) -> int:
    cur.execute("select run_id from audit.loads where load_id = %s", (load_id,))
    return cur.fetchone()[0]


def _redelivery_of(cur, spec: SourceSpec, load_id: int, rel_path: str, inherited) -> int | None:
    """The withdrawn load this load re-delivers (it inherited that load's precedence)."""
    if inherited is None:
        return None
    cur.execute(
        "select load_id from audit.loads where source = %s and rel_path = %s and status ="
        " 'withdrawn' and precedence = %s and load_id <> %s order by load_id desc limit 1",
        (spec.name, rel_path, inherited, load_id),
    )
    row = cur.fetchone()
    return row[0] if row else None


def _quarantine_rows(cur, table: str, load_id: int) -> int:
    cur.execute(
        f"insert into audit.quarantine (load_id, source_row, reason, row_data)"
        f" select {int(load_id)}, source_row, _reject_reason,"
        f" to_jsonb(s) - '_reject_reason' - '_note' - 'load_id' - 'nk' - 'replaced_by'"
        f" from {table} s where _reject_reason is not null"
    )
    return cur.rowcount


def _set_counts(conn, load_id, rows_read, rows_loaded, rows_quarantined) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "update audit.loads set rows_read = %s, rows_loaded = %s, rows_quarantined = %s"
            " where load_id = %s",
            (rows_read, rows_loaded, rows_quarantined, load_id),
        )
    conn.commit()


def _sha_of_load(conn, load_id: int) -> str:
    with conn.cursor() as cur:
        cur.execute("select sha256 from audit.loads where load_id = %s", (load_id,))
        return cur.fetchone()[0]


def _drop_stage(conn, table: str) -> None:
    with conn.cursor() as cur:
        cur.execute(f"drop table if exists {table}")
    conn.commit()


def abandon_stale_stages(conn) -> int:
    """Loads left 'staged'/'staging' by a run that died: drop their stage tables."""
    with conn.cursor() as cur:
        cur.execute(
            "update audit.loads set status = 'abandoned', finished_at = now(),"
            " message = 'запуск прерван до завершения загрузки'"
            " where status in ('staged', 'staging') returning load_id"
        )
        ids = [r[0] for r in cur.fetchall()]
        for load_id in ids:
            cur.execute(f"drop table if exists {stage_table(load_id)}")
    conn.commit()
    return len(ids)
