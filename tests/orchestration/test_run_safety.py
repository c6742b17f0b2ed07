"""A run never damages what BI reads, never overlaps another run, and survives being killed.

Real PostgreSQL, real dbt, the real `edu-dwh run` in a subprocess (so it can be killed):

- a dbt test failing on purpose: the published marts stay exactly as they were (digest,
  same relations) and readable by a LOGIN user granted edu_dwh_ministry — also while the
  failing build runs; the run is 'failed' with the failing test named;
- a second run while one is active exits 4 with the Russian "Хранилище занято" message and
  records nothing; a run with --wait starts only after the first one finished;
- SIGKILL during loading (ingest, validate) or during dbt, then a re-run: the warehouse ends
  exactly where one uninterrupted run on the same folder ends (marts, current raw rows,
  loaded files, quarantine), the killed run is closed as 'interrupted'.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg2
import pytest

from ingestion import db
from orchestration import row_security
from orchestration.cli import main as cli_main
from sources import raw_columns, raw_tables
from synthetic import generate
from tests.fixtures.pg import TEST_KEY, create_database

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
BI_ROLE = db.BI_ROLE
RUN_TIMEOUT_S = 900
POLL_TIMEOUT_S = 300


# --- helpers ---------------------------------------------------------------------------


def cli_env(dsn: str, state_dir: Path | str) -> dict[str, str]:
    """Environment of an `edu-dwh run` subprocess against `dsn`."""
    env = dict(os.environ)
    env.update(
        {
            "EDU_DWH_DSN": dsn,
            "EDU_DWH_PSEUDONYM_KEY": TEST_KEY,
            "EDU_DWH_STATE_DIR": str(state_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def fixture_env() -> dict[str, str]:
    """The warehouse the `warehouse` fixture set up for this test."""
    return cli_env(os.environ["EDU_DWH_DSN"], os.environ["EDU_DWH_STATE_DIR"])


class CliRun:
    """`python -m orchestration.cli run` in a subprocess; output goes to files (no pipe to fill
    while the test polls the database)."""

    def __init__(self, landing: Path, env: dict[str, str], log_dir: Path, *extra: str):
        log_dir.mkdir(parents=True, exist_ok=True)
        tag = uuid.uuid4().hex[:8]
        self.out_path = log_dir / f"cli_{tag}.out"
        self.err_path = log_dir / f"cli_{tag}.err"
        cmd = [
            sys.executable,
            "-m",
            "orchestration.cli",
            "run",
            "--landing",
            str(landing),
            "--quiet",
        ]
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen([*cmd, *extra], env=env, cwd=REPO, stdout=out, stderr=err)

    def wait(self, timeout: float = RUN_TIMEOUT_S) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"edu-dwh run did not end within {timeout} s:\n{self.tail()}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=60)

    @property
    def stdout(self) -> str:
        return self.out_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.err_path.read_text(encoding="utf-8", errors="replace")

    @property
    def output(self) -> str:
        return self.stdout + "\n" + self.stderr

    def tail(self, lines: int = 40) -> str:
        out = "\n".join(self.stdout.splitlines()[-lines:])
        err = "\n".join(self.stderr.splitlines()[-lines:])
        return f"--- stdout (tail) ---\n{out}\n--- stderr (tail) ---\n{err}"


@pytest.fixture
def spawn(tmp_path):
    """Start CLI runs; any still alive at teardown is killed (only the ones started here)."""
    started: list[CliRun] = []

    def start(landing: Path, env: dict[str, str], *extra: str) -> CliRun:
        run = CliRun(landing, env, tmp_path / "cli_logs", *extra)
        started.append(run)
        return run

    yield start
    for run in started:
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()


def run_cli(landing: Path, env: dict[str, str], log_dir: Path, *extra: str) -> CliRun:
    run = CliRun(landing, env, log_dir, *extra)
    run.wait()
    return run


def query(dsn: str, sql: str, params=None) -> list[tuple]:
    conn = psycopg2.connect(dsn)
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def scalar(dsn: str, sql: str, params=None):
    return query(dsn, sql, params)[0][0]


def wait_for(what: str, dsn: str, sql: str, ok, run: CliRun, timeout: float = POLL_TIMEOUT_S):
    """Poll `sql` (first column of the first row) until `ok(value)`; fail clearly if the
    run ends first or the time is up. Returns the value."""
    deadline = time.monotonic() + timeout
    conn = psycopg2.connect(dsn)
    conn.autocommit = True
    try:
        while True:
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
                    row = cur.fetchone()
                value = row[0] if row else None
            except psycopg2.errors.UndefinedTable:  # audit.* not created yet by `prepare`
                value = None
            if ok(value):
                return value
            if run.proc.poll() is not None:
                pytest.fail(
                    f"the run ended (rc {run.proc.returncode}) before {what}:\n{run.tail()}"
                )
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout} s (last value {value!r}):\n{run.tail()}")
            time.sleep(0.05)
    finally:
        conn.close()


def bi_relations(dsn: str) -> list[tuple[str, str, int]]:
    return query(
        dsn,
        "select n.nspname, c.relname, c.oid::bigint from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname in ('marts', 'reference') and c.relkind in ('r', 'v', 'm', 'p')"
        " order by 1, 2",
    )


def bi_digest(dsn: str) -> dict[str, tuple]:
    """Every table/view BI reads: columns with types, row count, md5 of all rows, and
    whether edu_dwh_bi_reader may select it."""
    out = {}
    for schema, name, oid in bi_relations(dsn):
        columns = query(
            dsn,
            "select attname, format_type(atttypid, atttypmod) from pg_attribute"
            " where attrelid = %s and attnum > 0 and not attisdropped order by attnum",
            (oid,),
        )
        # a load id differs between histories (a killed run used some): a row that names its
        # load (marts.indicator_row_sources) is compared by the load's file instead
        row = (
            "(to_jsonb(t) - 'load_id' || jsonb_build_object('file', l.rel_path))::text"
            if "load_id" in {c for c, _ in columns}
            else "t::text"
        )
        joined = " left join audit.loads l using (load_id)" if row != "t::text" else ""
        count, digest = query(
            dsn,
            f"select count(*), md5(coalesce(string_agg({row}, '|' order by {row}), ''))"
            f' from "{schema}"."{name}" t{joined}',
        )[0]
        readable = scalar(dsn, "select has_table_privilege(%s, %s::oid, 'select')", (BI_ROLE, oid))
        out[f"{schema}.{name}"] = (tuple(columns), count, digest, readable)
    return out


def raw_digest(dsn: str) -> dict[str, tuple[int, str]]:
    """Current rows of every raw table, load ids left out (they differ between histories)."""
    out = {}
    for table in raw_tables():
        out[table] = query(
            dsn,
            "select count(*), md5(coalesce(string_agg(x, '|' order by x), '')) from ("
            "  select (to_jsonb(r) - 'load_id' - 'replaced_by')::text as x"
            f"  from raw.{table} r where replaced_by is null) s",
        )[0]
    return out


def warehouse_state(dsn: str) -> dict:
    """What a run leaves behind that must not depend on whether it was interrupted."""
    return {
        "bi": bi_digest(dsn),
        "raw": raw_digest(dsn),
        "loaded_files": query(
            dsn,
            "select source, rel_path, sha256, rows_read, rows_loaded, rows_quarantined"
            " from audit.loads where status = 'loaded' order by source, rel_path",
        ),
        "quarantine": query(
            dsn,
            "select l.rel_path, q.source_row, q.reason from audit.quarantine q"
            " join audit.loads l using (load_id) order by 1, 2, 3",
        ),
    }


def runs(dsn: str) -> list[tuple]:
    return query(
        dsn,
        "select run_id, status, coalesce(message, ''), started_at, finished_at"
        " from audit.runs order by run_id",
    )


def assert_nothing_left_over(dsn: str) -> None:
    assert scalar(dsn, "select count(*) from audit.runs where status = 'running'") == 0
    assert (
        scalar(dsn, "select count(*) from audit.loads where status in ('staged', 'staging')") == 0
    )
    leftovers = query(
        dsn,
        "select nspname from pg_namespace where nspname like '%\\_\\_build\\_%'"
        " or nspname like '%\\_\\_retired\\_%'"
        " union all select relname from pg_class where relname like '\\_stage\\_%'",
    )
    assert leftovers == [], f"shadow schemas / stage tables left behind: {leftovers}"


def assert_same_state(got: dict, clean: dict) -> None:
    assert got["bi"].keys() == clean["bi"].keys()
    differing = [k for k in clean["bi"] if got["bi"][k] != clean["bi"][k]]
    assert differing == [], f"published tables differ from the uninterrupted run: {differing}"
    assert got["raw"] == clean["raw"]
    assert got["loaded_files"] == clean["loaded_files"]
    assert got["quarantine"] == clean["quarantine"]


# --- fixtures --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def landing(tmp_path_factory) -> Path:
    """A small region: ЕГЭ of two years and the schools' career reports (49 files, about
    3 500 rows, with the generator's injected bad rows); the tests only read it."""
    out = tmp_path_factory.mktemp("run_safety") / "landing"
    generate(out, seed=7, scale=0.05, sources=("ege", "career"), ege_years=(2023, 2024))
    return out


@pytest.fixture(scope="module")
def clean_run(pg_server, landing, tmp_path_factory) -> dict:
    """One uninterrupted `edu-dwh run` of the landing on its own database."""
    dsn = create_database(pg_server, prefix="clean")
    base = tmp_path_factory.mktemp("clean_run")
    run = run_cli(landing, cli_env(dsn, base / "state"), base)
    assert run.proc.returncode in (0, 3), run.tail()
    assert [r[1] for r in runs(dsn)] == ["published"]
    return {"rc": run.proc.returncode, "state": warehouse_state(dsn)}


# --- a failing dbt build ----------------------------------------------------------------

CAR_04_TEST = "int_car_04_grade_10_continuation_rolled_up"


def insert_bad_career_row(dsn: str) -> None:
    """A current career report with more 9th-grade graduates continuing in grade 10 than
    graduates: CAR-04's `numerator <= denominator` dbt test must fail for that school."""
    cols = [*raw_columns("career_reports"), "nk", "replaced_by"]
    values = {
        "load_id": "999999999",
        "source_row": "1",
        "grads_9_continued": "grads_9 + 50",
        "nk": "'test: bad row'",
        "replaced_by": "null",
    }
    select = ", ".join(values.get(c, c) for c in cols)
    query(
        dsn,
        f"insert into raw.career_reports ({', '.join(cols)})"
        f" select {select} from raw.career_reports"
        " where replaced_by is null and grads_9 > 0 and school_code is not null"
        " order by load_id, source_row limit 1",
    )
    assert scalar(dsn, "select count(*) from raw.career_reports where load_id = 999999999") == 1


def test_failed_dbt_build_keeps_published_marts_and_grants(warehouse, landing, spawn):
    env = fixture_env()
    first = spawn(landing, env)
    assert first.wait() in (0, 3), first.tail()
    before = bi_digest(warehouse)
    relations_before = bi_relations(warehouse)
    assert "marts.indicator_values" in before and before["marts.indicator_values"][1] > 0
    assert all(readable for *_, readable in before.values())

    user = f"bi_user_{uuid.uuid4().hex[:8]}"
    query(warehouse, f"create role {user} login password 'secret-{user}'")
    try:
        # the ministry's BI role: every row of the marts (a municipal one sees its own)
        query(warehouse, f"grant {row_security.MINISTRY_ROLE} to {user}")

        def as_reader(sql: str):
            conn = psycopg2.connect(warehouse, user=user, password=f"secret-{user}")
            try:
                with conn.cursor() as cur:
                    cur.execute(sql)
                    return cur.fetchall()
            finally:
                conn.close()

        assert as_reader("select current_user") == [(user,)]
        n_values = as_reader("select count(*) from marts.indicator_values")[0][0]
        assert n_values == before["marts.indicator_values"][1]
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            as_reader("select count(*) from raw.career_reports")

        insert_bad_career_row(warehouse)
        failing = spawn(landing, env)
        # while the failing build runs, BI keeps reading the published marts
        wait_for(
            "dbt building into the shadow schemas",
            warehouse,
            "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
            " where n.nspname like '%\\_\\_build\\_%'",
            lambda n: n is not None and n >= 5,
            failing,
        )
        assert as_reader("select count(*) from marts.indicator_values")[0][0] == n_values
        assert failing.wait() == 1, failing.tail()
        assert "не пройден" in failing.stderr and CAR_04_TEST in failing.stderr, failing.tail()
        assert "Опубликованные витрины не изменены" in failing.stderr

        assert bi_digest(warehouse) == before
        assert bi_relations(warehouse) == relations_before  # the very same relations
        assert as_reader("select count(*) from marts.indicator_values")[0][0] == n_values
        # the failed build is kept for inspection, but closed to BI
        shadow = scalar(
            warehouse,
            "select min(nspname) from pg_namespace where nspname like 'marts\\_\\_build\\_%'",
        )
        assert shadow is not None
        with pytest.raises(psycopg2.errors.InsufficientPrivilege):
            as_reader(f"select count(*) from {shadow}.indicator_values")
        history = runs(warehouse)
        assert [r[1] for r in history] == ["published", "failed"]
        message = history[-1][2]
        assert "не пройден" in message and CAR_04_TEST in message, message
        assert history[-1][4] is not None  # finished_at
        assert scalar(warehouse, "select count(*) from audit.runs where status = 'running'") == 0

        # the cause removed, the next run publishes the same marts as the first one
        query(warehouse, "delete from raw.career_reports where load_id = 999999999")
        fixed = spawn(landing, env)
        assert fixed.wait() in (0, 3), fixed.tail()
        assert [r[1] for r in runs(warehouse)] == ["published", "failed", "published"]
        assert bi_digest(warehouse) == before
        assert as_reader("select count(*) from marts.indicator_values")[0][0] == n_values
        assert_nothing_left_over(warehouse)
    finally:
        query(warehouse, f"drop role if exists {user}")


# --- one run at a time ------------------------------------------------------------------


def test_second_run_while_one_is_active_exits_with_busy_message(warehouse, landing, spawn, capsys):
    env = fixture_env()
    first = spawn(landing, env)
    run_a = wait_for(
        "a 'running' run",
        warehouse,
        "select max(run_id) from audit.runs where status = 'running'",
        lambda v: v is not None,
        first,
    )

    rc = cli_main(["run", "--landing", str(landing), "--quiet"])
    captured = capsys.readouterr()
    assert rc == 4, captured
    assert "Хранилище занято" in captured.err and f"запуск №{run_a}" in captured.err, captured.err
    assert "--wait" in captured.err
    assert first.proc.poll() is None, "the first run ended before the busy attempt was checked"
    assert scalar(warehouse, "select count(*) from audit.runs") == 1  # the attempt left no run

    waiting = spawn(landing, env, "--wait", "600")
    time.sleep(3)
    if first.proc.poll() is None:  # still the first run's warehouse: the second one waits
        assert waiting.proc.poll() is None, waiting.tail()
        assert scalar(warehouse, "select count(*) from audit.runs") == 1

    assert first.wait() in (0, 3), first.tail()
    assert waiting.wait() in (0, 3), waiting.tail()
    assert "прерван" not in waiting.output, waiting.tail()

    history = runs(warehouse)
    assert [(r[0], r[1]) for r in history] == [(run_a, "published"), (run_a + 1, "published")]
    a_finished, b_started = history[0][4], history[1][3]
    assert b_started >= a_finished, "the waiting run started before the first one ended"
    # nothing of the second run happened while the first one was running
    assert (
        scalar(
            warehouse,
            "select count(*) from audit.loads where run_id = %s and started_at < %s",
            (run_a + 1, a_finished),
        )
        == 0
    )
    statuses = dict(
        query(warehouse, "select status, count(*) from audit.loads where run_id = %s group by 1",
              (run_a + 1,))
    )  # fmt: skip
    assert set(statuses) <= {"duplicate", "rejected"}, statuses
    assert_nothing_left_over(warehouse)


# --- killed runs ------------------------------------------------------------------------

KILL_POINTS = {
    # ingest: some files staged (COPYed into their stage tables), others not yet read
    "ingest": "select count(*) filter (where l.status = 'staged') from audit.loads l"
    " where exists (select 1 from audit.runs r where r.status = 'running' and r.step = 'ingest')",
    # load: some files committed into raw, the rest still staged
    "load": "select count(*) filter (where l.status = 'loaded') from audit.loads l"
    " where exists (select 1 from audit.runs r where r.status = 'running'"
    " and r.step = 'load')",
}


def kill_and_rerun(dsn: str, landing: Path, spawn, clean: dict, point_sql: str, threshold: int):
    env = fixture_env()
    victim = spawn(landing, env)
    wait_for(
        f"the kill point (>= {threshold})",
        dsn,
        point_sql,
        lambda v: v is not None and v >= threshold,
        victim,
    )
    victim.kill()
    killed_run = scalar(dsn, "select max(run_id) from audit.runs")
    assert scalar(dsn, "select status from audit.runs where run_id = %s", (killed_run,)) == (
        "running"
    )
    at_kill = {
        "loads": dict(query(dsn, "select status, count(*) from audit.loads group by 1")),
        "published": bi_relations(dsn),
    }

    rerun = spawn(landing, env)
    assert rerun.wait() == clean["rc"], rerun.tail()
    assert f"Запуск №{killed_run} был прерван" in rerun.stdout, rerun.tail()

    history = runs(dsn)
    assert [(r[0], r[1]) for r in history] == [
        (killed_run, "interrupted"),
        (killed_run + 1, "published"),
    ]
    assert "прерван" in history[0][2] and history[0][4] is not None
    assert_nothing_left_over(dsn)
    assert_same_state(warehouse_state(dsn), clean["state"])
    return at_kill, rerun


@pytest.mark.parametrize("point", ["ingest", "load"])
def test_sigkill_during_load_then_rerun_equals_clean_run(
    warehouse, landing, spawn, clean_run, point
):
    at_kill, rerun = kill_and_rerun(
        warehouse, landing, spawn, clean_run, KILL_POINTS[point], threshold=5
    )
    assert at_kill["published"] == []  # a fresh warehouse: nothing was published
    loads = at_kill["loads"]
    unfinished = loads.get("staged", 0) + loads.get("staging", 0)
    assert unfinished > 0, f"killed too late to be 'during load': {loads}"
    if point == "load":
        assert loads.get("loaded", 0) >= 5
    else:
        assert "loaded" not in loads
    # the half-staged files were given up and loaded again by the next run
    assert (
        scalar(warehouse, "select count(*) from audit.loads where status = 'abandoned'")
        == unfinished
    )
    assert "незавершённых загрузок помечены" in rerun.stdout


def test_sigkill_during_dbt_then_rerun_equals_clean_run(warehouse, landing, spawn, clean_run):
    building = (
        "select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace"
        " where n.nspname like '%\\_\\_build\\_%'"
        " and exists (select 1 from audit.runs where status = 'running' and step = 'transform')"
    )
    at_kill, _ = kill_and_rerun(warehouse, landing, spawn, clean_run, building, threshold=10)
    assert set(at_kill["loads"]) <= {"loaded", "rejected"}, at_kill  # every file committed
    assert at_kill["published"] == []  # the half-built marts never reached BI


def test_database_restarted_mid_run_then_rerun_equals_clean_run(
    landing, spawn, clean_run, tmp_path
):
    """The warehouse's PostgreSQL crashes (immediate stop) while files are being committed:
    the run fails with one Russian line (no traceback flood), and after the restart the next
    run ends exactly where an uninterrupted run ends."""
    from pgserver._commands import pg_ctl

    from ingestion.config import embedded_server

    base = Path("/tmp") / f"edu_dwh_crash_{uuid.uuid4().hex[:8]}"
    server = embedded_server(base, cleanup_mode="stop")
    try:
        dsn = create_database(server)
        env = cli_env(dsn, tmp_path / "state")
        victim = spawn(landing, env)
        wait_for(
            "files committed in load",
            dsn,
            KILL_POINTS["load"],
            lambda v: v is not None and v >= 5,
            victim,
        )
        pg_ctl(["-m", "immediate", "-w", "stop"], pgdata=server.pgdata, user=server.system_user)
        assert victim.wait() == 1, victim.tail()
        err = victim.stderr
        assert "Traceback" not in err and len(err.splitlines()) <= 10, victim.tail()
        assert "ОШИБКА:" in err and "базой данных хранилища" in err, victim.tail()

        server.ensure_postgres_running()
        rerun = spawn(landing, env)
        assert rerun.wait() == clean_run["rc"], rerun.tail()
        history = runs(dsn)
        assert [r[1] for r in history] == ["interrupted", "published"], history
        assert_nothing_left_over(dsn)
        assert_same_state(warehouse_state(dsn), clean_run["state"])
    finally:
        server.cleanup()
        shutil.rmtree(base, ignore_errors=True)
