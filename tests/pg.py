"""Helpers for tests that need their own database on the session's PostgreSQL server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg2
import pytest

from ingestion import config

TEST_KEY = "test-secret-key"


def create_database(pg_server, prefix: str = "t") -> str:
    """A new, empty database on the test server; returns its DSN."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(pg_server.get_uri())
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"create database {name}")
    admin.close()
    return pg_server.get_uri().replace("/postgres?", f"/{name}?")


@contextmanager
def warehouse_env(dsn: str, state_dir: Path) -> Iterator[None]:
    """EDU_DWH_* pointing at `dsn` (and a state folder) for the duration of the block."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("EDU_DWH_DSN", dsn)
        mp.setenv("EDU_DWH_PSEUDONYM_KEY", TEST_KEY)
        mp.setenv("EDU_DWH_STATE_DIR", str(state_dir))
        config.get_settings.cache_clear()
        try:
            yield
        finally:
            config.get_settings.cache_clear()
