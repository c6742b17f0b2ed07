"""Runtime configuration: warehouse DSN, pseudonymisation key and local state folders.

Everything comes from the environment; nothing secret lives in code. Importing this module
changes nothing: the environment is read (and the embedded server started) only when a
function is called.
"""

from __future__ import annotations

import os
import secrets
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _ensure_private_runtime_dir() -> None:
    """pgserver (via platformdirs) wants a private XDG_RUNTIME_DIR; CI machines have none."""
    current = os.environ.get("XDG_RUNTIME_DIR")
    if current and Path(current).is_dir() and (Path(current).stat().st_mode & 0o077) == 0:
        return
    path = Path(f"/tmp/edu-dwh-runtime-{os.getuid()}")
    path.mkdir(mode=0o700, exist_ok=True)
    path.chmod(0o700)
    os.environ["XDG_RUNTIME_DIR"] = str(path)


DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def state_dir() -> Path:
    """Folder for local state (embedded pgdata, quarantine copies, Data Docs, airflow home)."""
    path = Path(os.environ.get("EDU_DWH_STATE_DIR", REPO_ROOT / ".local")).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def quarantine_dir() -> Path:
    """Copies of rejected files: personal data, readable by the service user only (0700)."""
    path = state_dir() / "quarantine"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


def data_docs_dir() -> Path:
    """Where the Great Expectations Data Docs site (HTML for auditors) is written."""
    path = state_dir() / "data_docs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def reports_dir() -> Path:
    path = state_dir() / "reports"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Settings:
    dsn: str
    pseudonym_key: bytes
    embedded: bool


def embedded_server(pgdata: Path, cleanup_mode: str | None = None):
    """The embedded PostgreSQL (pgserver) with its data in `pgdata`, started if needed.

    pgserver (via platformdirs) wants a private XDG_RUNTIME_DIR, which CI machines lack:
    one is made (0700) for this process and its children before the server starts."""
    _ensure_private_runtime_dir()
    import pgserver  # lazily: only the embedded default and the tests need it

    return pgserver.get_server(str(pgdata), cleanup_mode=cleanup_mode)


def _embedded_dsn() -> str:
    return embedded_server(state_dir() / "pgdata").get_uri()


def resolve_dsn() -> tuple[str, bool]:
    dsn = os.environ.get("EDU_DWH_DSN", "").strip()
    if dsn:
        return dsn, False
    return _embedded_dsn(), True


def resolve_pseudonym_key() -> bytes:
    key = os.environ.get("EDU_DWH_PSEUDONYM_KEY", "")
    if key:
        return key.encode("utf-8")
    key_file = state_dir() / "pseudonym.key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
        print(
            f"ВНИМАНИЕ: EDU_DWH_PSEUDONYM_KEY не задан; сгенерирован локальный ключ {key_file}. "
            "В продуктиве задайте ключ через переменную окружения или соединение Airflow.",
            file=sys.stderr,
        )
    return key_file.read_text().strip().encode("utf-8")


@cache
def get_settings() -> Settings:
    dsn, embedded = resolve_dsn()
    return Settings(dsn=dsn, pseudonym_key=resolve_pseudonym_key(), embedded=embedded)
