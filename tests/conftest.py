"""Shared fixtures: a real PostgreSQL (embedded, pgserver) per test session.

Each test that needs a clean warehouse gets a fresh database on that server, so tests are
independent and nothing is mocked.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ingestion.config import embedded_server
from tests.fixtures.pg import create_database, warehouse_env


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory):
    # A short path: PostgreSQL's unix-socket path is limited to ~100 characters.
    base = Path("/tmp") / f"edu_dwh_test_{os.getpid()}"
    server = embedded_server(base, cleanup_mode="stop")
    yield server
    server.cleanup()
    # cleanup_mode="stop" keeps the data directory (~2 GB after a full run): remove it.
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def warehouse(pg_server, tmp_path):
    """A fresh, empty database; EDU_DWH_DSN points at it for the duration of the test."""
    dsn = create_database(pg_server)
    with warehouse_env(dsn, tmp_path / "state"):
        yield dsn


@pytest.fixture(scope="session")
def synthetic_warehouse(pg_server, tmp_path_factory):
    """A warehouse built by the real pipeline (ingestion, checks, dbt build, BI grants) on a
    tiny synthetic region (synthetic/, seed 3, scale 0.05); session-scoped, so one build
    serves every test that only reads it (Metabase cards, lineage over the demo region).
    Returns dsn and the state directory (reports, Data Docs) of the run."""
    from orchestration.pipeline import run_all
    from synthetic import generate

    dsn = create_database(pg_server, "t_synth")
    base = tmp_path_factory.mktemp("synthetic_warehouse")
    with warehouse_env(dsn, base / "state"):
        generate(base / "landing", seed=3, scale=0.05)
        run_all(base / "landing")
    return {"dsn": dsn, "state": base / "state"}
