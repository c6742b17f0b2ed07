"""Shared fixtures: a real PostgreSQL (embedded, pgserver) per test session.

Each test that needs a clean warehouse gets a fresh database on that server, so tests are
independent and nothing is mocked.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import psycopg2
import pytest

from ingestion import config


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    import pgserver

    # A short path: PostgreSQL's unix-socket path is limited to ~100 characters.
    base = Path("/tmp") / f"edu_dwh_test_{os.getpid()}"
    server = pgserver.get_server(str(base), cleanup_mode="stop")
    yield server
    server.cleanup()


@pytest.fixture
def warehouse(pg_server, tmp_path, monkeypatch):
    """A fresh, empty database; EDU_DWH_DSN points at it for the duration of the test."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = psycopg2.connect(pg_server.get_uri())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"create database {name}")
    admin.close()
    dsn = pg_server.get_uri().replace("/postgres?", f"/{name}?")
    monkeypatch.setenv("EDU_DWH_DSN", dsn)
    monkeypatch.setenv("EDU_DWH_PSEUDONYM_KEY", "test-secret-key")
    monkeypatch.setenv("EDU_DWH_STATE_DIR", str(tmp_path / "state"))
    config.get_settings.cache_clear()
    yield dsn
    config.get_settings.cache_clear()
