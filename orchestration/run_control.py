"""One run at a time per warehouse, and no run left "running" after it died.

Two mechanisms, both in PostgreSQL so they hold across processes and machines:

- `audit.runs` may hold one row with status 'running' (a partial unique index): the run
  that owns the warehouse. `edu-dwh run` owns it from `prepare` to its end; a DAG run owns
  it across its tasks.
- A PostgreSQL advisory lock (key `LOCK_KEY`): every step of the owning run holds it in
  shared mode while it works (the CLI holds it for the whole run); starting a run or
  withdrawing a file takes it exclusively. A process that dies loses its lock with its
  connection, so a free lock + a 'running' run owned by the CLI means that process is gone.
  A DAG run holds no lock between its tasks: it is considered alive while its heartbeat
  (updated by every step) is younger than `EDU_DWH_RUN_STALE_S` (default 1800 s).

A run found dead is marked 'interrupted' (with the reason) by the next run's `prepare`;
its half-staged files are marked 'abandoned' and loaded again; dbt builds into shadow
schemas, so a half-built transform never reaches BI (ingestion/publication.py).
"""

from __future__ import annotations

import os
import socket
import time
from contextlib import contextmanager

from ingestion import db

LOCK_KEY = 7_301_624_110_452_119  # any constant bigint, the same for every edu-dwh process
DEFAULT_STALE_S = 1800


class WarehouseBusy(RuntimeError):
    """Another run owns the warehouse (message in Russian, names it)."""


class RunAborted(RuntimeError):
    """This run no longer owns the warehouse (it was closed as interrupted or failed)."""


def stale_after_s() -> int:
    return int(os.environ.get("EDU_DWH_RUN_STALE_S", DEFAULT_STALE_S))


def owner_label(kind: str) -> str:
    return f"{kind} (pid {os.getpid()}, {socket.gethostname()})"


def _try_lock(conn, exclusive: bool) -> bool:
    fn = "pg_try_advisory_lock" if exclusive else "pg_try_advisory_lock_shared"
    with conn.cursor() as cur:
        cur.execute(f"select {fn}(%s)", (LOCK_KEY,))
        return bool(cur.fetchone()[0])


def _unlock(conn, exclusive: bool) -> None:
    fn = "pg_advisory_unlock" if exclusive else "pg_advisory_unlock_shared"
    with conn.cursor() as cur:
        cur.execute(f"select {fn}(%s)", (LOCK_KEY,))


def _describe_running(conn) -> str:
    with conn.cursor() as cur:
        cur.execute("select to_regclass('audit.runs') is not null")
        if not cur.fetchone()[0]:
            return "другой процесс работает с хранилищем"
        cur.execute(
            "select run_id, owner, started_at, step from audit.runs where status = 'running'"
            " order by run_id desc limit 1"
        )
        row = cur.fetchone()
    if not row:
        return "другой процесс работает с хранилищем (например, отзыв файла)"
    run_id, owner, started, step = row
    what = f"выполняется запуск №{run_id}"
    if owner:
        what += f" ({owner})"
    what += f", начат {started:%d.%m.%Y %H:%M:%S}"
    if step:
        what += f", шаг «{step}»"
    return what


def _busy(conn, wait_s: float) -> WarehouseBusy:
    hint = (
        "Дождитесь его окончания или запустите с --wait СЕКУНД"
        if not wait_s
        else f"ожидание {wait_s:.0f} с истекло"
    )
    return WarehouseBusy(f"Хранилище занято: {_describe_running(conn)}. {hint}.")


class Claim:
    """The exclusive lock, held by `conn` (autocommit). `keep_shared()` turns it into the
    shared lock of a run that lives as long as this connection (the CLI's whole run)."""

    def __init__(self, conn):
        self.conn = conn
        self.kept = False

    def keep_shared(self):
        self.kept = True
        return self.conn


@contextmanager
def exclusive(wait_s: float = 0):
    """The warehouse to oneself: no step of any run is working, and no live run owns it
    (dead ones are closed as interrupted). Yields a `Claim`."""
    deadline = time.monotonic() + max(wait_s, 0)
    conn = db.connect()
    conn.autocommit = True
    locked = False
    claim = Claim(conn)
    try:
        while True:
            locked = _try_lock(conn, exclusive=True)
            if locked:
                if _close_dead_runs(conn) is None:
                    break
                _unlock(conn, exclusive=True)
                locked = False
            if time.monotonic() >= deadline:
                raise _busy(conn, wait_s)
            time.sleep(1.0)
        yield claim
        if claim.kept:  # same session: shared first, then let go of exclusive — no gap
            _try_lock(conn, exclusive=False)
    finally:
        if locked:
            try:
                _unlock(conn, exclusive=True)
            except Exception:  # the connection may be gone; the lock goes with it
                pass
        if not claim.kept:
            conn.close()


def _close_dead_runs(conn) -> int | None:
    """With the exclusive lock held: close runs left 'running' by dead processes.
    Returns the id of a live run that still owns the warehouse, or None."""
    with conn.cursor() as cur:
        cur.execute("select to_regclass('audit.runs') is not null")
        if not cur.fetchone()[0]:
            return None
        cur.execute(
            "select run_id, owner, coalesce(heartbeat_at, started_at),"
            " extract(epoch from now() - coalesce(heartbeat_at, started_at))"
            " from audit.runs where status = 'running'"
        )
        running = cur.fetchall()
        live = None
        for run_id, owner, _, age in running:
            cli = (owner or "").startswith("edu-dwh")
            if cli or owner is None or age > stale_after_s():
                why = (
                    "процесс запуска завершился, не закончив работу"
                    if cli or owner is None
                    else f"нет признаков жизни {age / 60:.0f} мин"
                )
                cur.execute(
                    "update audit.runs set status = 'interrupted', finished_at = now(),"
                    " message = concat_ws('; ', message, %s) where run_id = %s",
                    (f"запуск прерван: {why}", run_id),
                )
                print(f"Запуск №{run_id} был прерван ({why}); он закрыт.", flush=True)
            else:
                live = run_id
        return live


def start_run(conn, landing: str, owner: str) -> int:
    """With the exclusive lock (see `exclusive`): open the run that now owns the warehouse."""
    with conn.cursor() as cur:
        cur.execute(
            "insert into audit.runs (landing_dir, owner, heartbeat_at, step)"
            " values (%s, %s, now(), 'prepare') returning run_id",
            (landing, owner),
        )
        return cur.fetchone()[0]


@contextmanager
def step(run_id: int, name: str, wait_s: float = 600):
    """A step of run `run_id`: holds the shared lock while it works, checks the run still
    owns the warehouse, keeps its heartbeat."""
    conn = db.connect()
    conn.autocommit = True
    deadline = time.monotonic() + wait_s
    try:
        while not _try_lock(conn, exclusive=False):
            if time.monotonic() >= deadline:
                raise _busy(conn, wait_s)
            time.sleep(1.0)
        _heartbeat(conn, run_id, name)
        try:
            yield conn
        except Exception as exc:  # kept for the run's failure record (the DAG may retry)
            with conn.cursor() as cur:
                cur.execute(
                    "update audit.runs set last_error = %s where run_id = %s",
                    (f"шаг «{name}»: {str(exc) or type(exc).__name__}"[:4000], run_id),
                )
            raise
        with conn.cursor() as cur:  # the step may have closed the run: no check here
            cur.execute("update audit.runs set heartbeat_at = now() where run_id = %s", (run_id,))
    finally:
        try:
            _unlock(conn, exclusive=False)
        except Exception:
            pass
        conn.close()


def _heartbeat(conn, run_id: int, name: str) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "update audit.runs set heartbeat_at = now(), step = %s where run_id = %s"
            " and status = 'running' returning run_id",
            (name, run_id),
        )
        if cur.fetchone() is None:
            cur.execute("select status, message from audit.runs where run_id = %s", (run_id,))
            row = cur.fetchone()
            state = f"статус «{row[0]}»" if row else "нет в журнале"
            raise RunAborted(
                f"Запуск №{run_id} больше не владеет хранилищем ({state}): шаг «{name}»"
                " не выполнен. Запустите конвейер заново."
            )


def finish_run(run_id: int, status: str, message: str, cur=None) -> None:
    """Close a run ('published', 'blocked', 'failed'); inside `cur`'s transaction if given."""
    sql = (
        "update audit.runs set status = %(status)s, finished_at = now(), step = null,"
        " message = case when %(status)s = 'failed' and last_error is not null then"
        "   case when position(%(message)s in last_error) > 0 then last_error"
        "        when position(last_error in %(message)s) > 0 then %(message)s"
        "        else concat_ws('; ', %(message)s, last_error) end"
        " else %(message)s end"
        " where run_id = %(run_id)s and status = 'running'"
    )
    params = {"status": status, "message": message, "run_id": run_id}
    if cur is not None:
        cur.execute(sql, params)
        if cur.rowcount == 0:
            raise RunAborted(
                f"Запуск №{run_id} больше не владеет хранилищем: публикация отменена."
                " Запустите конвейер заново."
            )
        return
    with db.transaction() as conn, conn.cursor() as c:
        c.execute(sql, params)
