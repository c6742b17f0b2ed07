"""A real Airflow deployment on this machine: `airflow api-server`, `scheduler`,
`dag-processor` and `triggerer` as separate processes, LocalExecutor, metadata in PostgreSQL
(its own database on the session's embedded server), the DAG folder of this repository.

The warehouse is given ONLY as the connection `AIRFLOW_CONN_EDU_DWH_WAREHOUSE` and the key as
the variable `AIRFLOW_VAR_EDU_DWH_PSEUDONYM_KEY` (no EDU_DWH_DSN anywhere in the processes'
environment). The DAG is unpaused and triggered through the REST API (v2, JWT from the simple
auth manager's token endpoint); the test polls the run to its end and checks what it
published. A second run with a rejected file succeeds and mails the operators (a real SMTP
server on localhost, aiosmtpd).
"""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psycopg2
import pytest

from ingestion.config import REPO_ROOT
from tests.fixtures.landing import BAD_HEADER_FILE, BAD_HEADER_REASON
from tests.fixtures.pg import TEST_KEY, create_database
from tests.fixtures.smtp import body, free_port, smtp_sink

pytestmark = pytest.mark.slow

DAG_ID = "edu_dwh_pipeline"
AIRFLOW = str(Path(sys.executable).parent / "airflow")
PROCESSES = ("api-server", "scheduler", "dag-processor", "triggerer")
START_TIMEOUT_S = 240  # the api-server answering, the DAG parsed (a loaded 2-core machine)
RUN_TIMEOUT_S = 420


def rows(dsn: str, sql: str) -> list[tuple]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetchall()


def stack_env(home: Path, metadata_dsn: str, warehouse: str, port: int, smtp_uri: str) -> dict:
    """The processes' environment: this one without any EDU_DWH_* or AIRFLOW* setting of
    the test session, then Airflow's configuration, connections and variables."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("EDU_DWH_", "AIRFLOW", "PYTEST"))
    }
    env.update(
        {
            "PYTHONPATH": str(REPO_ROOT),  # the tasks import this checkout's packages
            "AIRFLOW_HOME": str(home),
            "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__PARALLELISM": "4",
            "AIRFLOW__CORE__FERNET_KEY": base64.urlsafe_b64encode(os.urandom(32)).decode(),
            "AIRFLOW__CORE__AUTH_MANAGER": (
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{port}/execution/",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": "postgresql+psycopg2://"
            + metadata_dsn.split("://", 1)[1],
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(port),
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(32),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
            "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "False",
            # the pipeline's settings the Airflow way
            "AIRFLOW_CONN_EDU_DWH_WAREHOUSE": warehouse,
            "AIRFLOW_VAR_EDU_DWH_PSEUDONYM_KEY": TEST_KEY,
            "AIRFLOW_CONN_EDU_DWH_SMTP": smtp_uri,
            "AIRFLOW_VAR_EDU_DWH_ALERT_EMAILS": "ops@example.org",
            "EDU_DWH_STATE_DIR": str(home.parent / "state"),
            "EDU_DWH_TASK_RETRIES": "0",
            "EDU_DWH_RUN_WAIT_S": "60",
        }
    )
    return env


class Stack:
    """The four Airflow processes, each in its own process group (torn down with it)."""

    def __init__(self, env: dict, logs: Path):
        self.env = env
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self) -> None:
        for name in PROCESSES:
            out = open(self.logs / f"{name}.log", "w")  # noqa: SIM115 - closed by the child's end
            self.procs[name] = subprocess.Popen(
                [AIRFLOW, name],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            out.close()

    def check_alive(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise AssertionError(f"airflow {name} exited with {proc.returncode}")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.monotonic() + 30
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                pass
            try:  # the group: task runners the executor forked too
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()

    def print_logs(self, lines: int = 60) -> None:
        for path in sorted(self.logs.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            print(f"\n===== {path.name} (last {len(tail)} lines) =====\n" + "\n".join(tail))
        task_logs = sorted((Path(self.env["AIRFLOW_HOME"]) / "logs").rglob("*.log"))
        for path in task_logs:
            text = path.read_text(errors="replace")
            if "ERROR" in text or "Traceback" in text:
                tail = text.splitlines()[-40:]
                print(f"\n===== task log {path} =====\n" + "\n".join(tail))


class Api:
    """Airflow's public REST API v2 with a JWT from the simple auth manager."""

    def __init__(self, base: str):
        self.base = base
        self.client = httpx.Client(base_url=base, timeout=30)

    def login(self) -> None:
        # [core] simple_auth_manager_all_admins: a token without credentials
        response = self.client.get("/auth/token")
        response.raise_for_status()
        self.client.headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    def get(self, path: str) -> httpx.Response:
        return self.client.get(f"/api/v2{path}")

    def trigger(self, conf: dict) -> str:
        response = self.client.post(
            f"/api/v2/dags/{DAG_ID}/dagRuns", json={"logical_date": None, "conf": conf}
        )
        assert response.status_code == 200, response.text
        return response.json()["dag_run_id"]

    def wait_for_run(self, run_id: str, stack: Stack) -> str:
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while time.monotonic() < deadline:
            stack.check_alive()
            state = self.get(f"/dags/{DAG_ID}/dagRuns/{run_id}").json()["state"]
            if state in ("success", "failed"):
                return state
            time.sleep(2)
        raise AssertionError(f"DAG run {run_id} did not end in {RUN_TIMEOUT_S} s")

    def task_states(self, run_id: str) -> dict[str, str]:
        found = self.get(f"/dags/{DAG_ID}/dagRuns/{run_id}/taskInstances").json()
        return {t["task_id"]: t["state"] for t in found["task_instances"]}


def wait_until(what: str, ok, stack: Stack, timeout: float = START_TIMEOUT_S):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            value = ok()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"{what}: not within {timeout} s")


@pytest.fixture
def landing(tmp_path):
    from synthetic import generate

    out = tmp_path / "landing"
    generate(out, seed=7, scale=0.05, sources=("ege",), ege_years=(2023,), inject_errors=False)
    return out


def test_scheduler_runs_the_dag_triggered_through_the_rest_api(pg_server, landing, tmp_path):
    warehouse = create_database(pg_server, "wh")
    metadata = create_database(pg_server, "airflow")
    home = tmp_path / "airflow"
    (home / "logs").mkdir(parents=True)
    port = free_port()
    with smtp_sink() as sink:
        env = stack_env(home, metadata, warehouse, port, sink.conn_uri())
        assert not any(k.startswith("EDU_DWH_DSN") for k in env)
        migrate = subprocess.run(
            [AIRFLOW, "db", "migrate"], env=env, capture_output=True, text=True, timeout=600
        )
        assert migrate.returncode == 0, migrate.stdout[-3000:] + migrate.stderr[-3000:]
        stack = Stack(env, tmp_path)
        stack.start()
        try:
            api = Api(f"http://127.0.0.1:{port}")
            wait_until(
                "the api-server answers",
                lambda: api.client.get("/api/v2/monitor/health").status_code == 200,
                stack,
            )
            api.login()
            wait_until(
                "the DAG is parsed", lambda: api.get(f"/dags/{DAG_ID}").status_code == 200, stack
            )
            unpaused = api.client.patch(f"/api/v2/dags/{DAG_ID}", json={"is_paused": False})
            assert unpaused.status_code == 200, unpaused.text

            t0 = time.monotonic()
            first = api.trigger({"landing": str(landing)})
            state = api.wait_for_run(first, stack)
            wall = time.monotonic() - t0
            print(f"\nREST-triggered DAG run {first}: {state} in {wall:.1f} s (wall time)")
            assert state == "success", api.task_states(first)
            assert rows(warehouse, "select status from audit.runs") == [("published",)]
            assert rows(warehouse, "select count(*) > 0 from marts.indicator_values") == [(True,)]
            assert rows(warehouse, "select count(*) from raw.gia_results")[0][0] > 0
            states = api.task_states(first)
            assert states["close_failed_run"] == "skipped" and states["publish"] == "success"
            assert sink.messages == []  # nothing rejected: no mail

            # a file with a misnamed column: rejected, the run still publishes, and is mailed
            ege = sorted((landing / "fis_gia/ege").glob("*.csv"))[0]
            (landing / BAD_HEADER_FILE).write_bytes(
                ege.read_bytes()
                .replace("Статус результата".encode("cp1251"), b"Status")
                .replace("Статус результата".encode(), b"Status")
            )
            second = api.trigger({"landing": str(landing)})
            assert api.wait_for_run(second, stack) == "success", api.task_states(second)
            assert api.task_states(second)["notify_rejections"] == "success"
            runs = rows(warehouse, "select status from audit.runs order by run_id")
            assert runs == [("published",), ("published",)]
            [mail] = sink.wait_for(1)
            subject, text = str(mail["Subject"]), body(mail)
            print(f"\n--- {subject}\n{text}")
            assert subject.startswith("edu-dwh: запуск №2 опубликован, но отклонены данные")
            assert BAD_HEADER_FILE in text and BAD_HEADER_REASON in text
            assert mail["To"] == "ops@example.org"
        except BaseException:
            stack.print_logs()
            raise
        finally:
            stack.stop()
