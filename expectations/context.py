"""The GX data context of a warehouse: where its stores live, its Postgres datasource, caching.

Every warehouse gets its own GX root ``<state>/gx/<key>`` (expectation suites, validation
results) and its own Data Docs site ``<data_docs>/<key>/``, ``key`` being a short hash of the
DSN's host, port and database name (never the credentials): results of two warehouses never
mix in one ``.local/`` (a test database, the embedded demo warehouse, a production DSN).

The context (ephemeral, with filesystem stores) and its datasource are created once per
process and warehouse and reused: creating them costs far more than validating a file.
Great Expectations is imported lazily, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ingestion import config
from ingestion.db import sqlalchemy_url

DATASOURCE_NAME = "warehouse"
DOCS_SITE_NAME = "edu_dwh_audit"
DOCS_VALIDATION_RESULTS_LIMIT = 1000
# The connection string is substituted at run time (never written anywhere), which also lets
# a host-less unix-socket URL through: GX's PostgresDsn validation rejects
# ``postgresql+psycopg2://postgres:@/db?host=/tmp/x`` but SQLAlchemy/psycopg2 accept it.
_URL_VARIABLE = "edu_dwh_gx_sqlalchemy_url"
GX_LOGGER = "great_expectations"


# --- one folder per warehouse ----------------------------------------------------------------


def _dsn_parts(dsn: str) -> tuple[str, str, str]:
    from psycopg2.extensions import parse_dsn

    params = parse_dsn(dsn)
    host = params.get("host") or params.get("hostaddr") or "localhost"
    return host, str(params.get("port") or 5432), params.get("dbname") or params.get("user", "")


def warehouse_key(dsn: str) -> str:
    """A short, stable folder name for the warehouse of ``dsn`` (host, port, database)."""
    host, port, dbname = _dsn_parts(dsn)
    return "wh-" + hashlib.sha256(f"{host}\0{port}\0{dbname}".encode()).hexdigest()[:12]


def warehouse_label(dsn: str) -> str:
    """``dbname @ host:port``, for the Data Docs entry page (no credentials)."""
    host, port, dbname = _dsn_parts(dsn)
    return f"{dbname} @ {host}:{port}"


def gx_root(dsn: str) -> Path:
    """Where GX keeps the stores (suites, validation results) of this warehouse."""
    path = config.state_dir() / "gx" / warehouse_key(dsn)
    path.mkdir(parents=True, exist_ok=True)
    return path


def docs_site_dir(dsn: str) -> Path:
    """The Data Docs site of this warehouse (``data_docs_dir()/<key>/index.html``)."""
    path = config.data_docs_dir() / warehouse_key(dsn)
    path.mkdir(parents=True, exist_ok=True)
    return path


# --- quiet GX ----------------------------------------------------------------------------------


class _OneLine(logging.Filter):
    """GX logs every caught expectation error with its traceback (hundreds when the database
    goes away mid-run); the message is enough: errors reach the audit table anyway."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage().split("Traceback", 1)[0].strip()
        record.msg, record.args = (message.splitlines() or [""])[0], None
        record.exc_info = None
        record.exc_text = None
        return True


_ONE_LINE = _OneLine()


@contextlib.contextmanager
def quiet_gx(level: int = logging.CRITICAL) -> Iterator[None]:
    """GX loggers at ``level`` (and what passes cut to one line, no traceback) for the
    duration of the block.

    GX catches every expectation's error and logs it (with its traceback, as text, hundreds
    of times when the database goes away); the errors are in the validation results, which
    the runner reads (`results.raise_if_database_lost`, audit.validation_results), so the
    log stays quiet. Set on every use rather than once at import: Airflow (re)configures
    logging after our modules are imported, and GX's INFO lines would otherwise fill the
    task log."""
    names = [GX_LOGGER] + [
        name for name in logging.root.manager.loggerDict if name.startswith(GX_LOGGER + ".")
    ]
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level))
        logger.addFilter(_ONE_LINE)  # a logger's filter sees only its own records
        if logger.level == logging.NOTSET and name != GX_LOGGER:
            continue  # inherits from great_expectations
        logger.setLevel(level)
    try:
        yield
    finally:
        for logger, previous in saved:
            logger.removeFilter(_ONE_LINE)
            logger.setLevel(previous)


# --- context cache -----------------------------------------------------------------------------


@dataclass
class Warehouse:
    """The GX context of one warehouse, and what this process did with it."""

    dsn: str
    root: Path
    context: Any  # AbstractDataContext
    lock: threading.Lock = field(default_factory=threading.Lock)
    saved_suites: dict[str, str] = field(default_factory=dict)  # name -> fingerprint
    pending_docs: list[Any] = field(default_factory=list)  # identifiers to render
    _datasource: Any = None

    @property
    def datasource(self):
        """The Postgres datasource (added on first use: building docs needs none)."""
        if self._datasource is None:
            self._datasource = self.context.data_sources.add_postgres(
                DATASOURCE_NAME, connection_string="${" + _URL_VARIABLE + "}"
            )
        return self._datasource


_CACHE: dict[str, Warehouse] = {}
_CACHE_LOCK = threading.Lock()


def _project_config(root: Path, docs: Path):
    from great_expectations.data_context.types.base import DataContextConfig, ProgressBarsConfig

    def filesystem(class_name: str, folder: str) -> dict:
        return {
            "class_name": class_name,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(root / folder),
            },
        }

    def in_memory(class_name: str) -> dict:
        return {"class_name": class_name, "store_backend": {"class_name": "InMemoryStoreBackend"}}

    return DataContextConfig(
        stores={
            "expectations_store": filesystem("ExpectationsStore", "expectations"),
            "validation_results_store": filesystem("ValidationResultsStore", "validations"),
            # one validation definition and checkpoint per file, removed after the run
            "validation_definition_store": in_memory("ValidationDefinitionStore"),
            "checkpoint_store": in_memory("CheckpointStore"),
        },
        expectations_store_name="expectations_store",
        validation_results_store_name="validation_results_store",
        checkpoint_store_name="checkpoint_store",
        data_docs_sites={
            DOCS_SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs),
                },
                "site_index_builder": {
                    "class_name": "DefaultSiteIndexBuilder",
                    "validation_results_limit": DOCS_VALIDATION_RESULTS_LIMIT,
                },
            }
        },
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )


def _columns_without_rows() -> None:
    """GX learns a query asset's columns by executing the batch's query *as is* and reading
    the names off the result (``column_reflection_fallback``, GX 1.24): psycopg2 first fetches
    every row of it, the whole stage table of the file, into memory (≈ 0.6 GiB per million
    rows; the process's peak RSS grew with the file: issue 8 #5). Wrapped here so that a raw
    SQL query is executed as ``select * from (<query>) limit 0``: the same column names, no
    rows. Tables and other selectables go through unchanged. Applied once, idempotent;
    tests/expectations checks both the names and that no row is fetched."""
    from great_expectations.compatibility import sqlalchemy as sa_compat
    from great_expectations.expectations.metrics import util

    original = util.column_reflection_fallback
    if getattr(original, "edu_dwh_no_rows", False):
        return
    import sqlalchemy as sa

    def column_reflection_fallback(selectable, dialect, sqlalchemy_engine, schema_name=None):
        if sa_compat.TextClause and isinstance(selectable, sa_compat.TextClause):
            selectable = sa.text(f"select * from ({selectable.text}) as edu_dwh_columns limit 0")
        return original(
            selectable=selectable,
            dialect=dialect,
            sqlalchemy_engine=sqlalchemy_engine,
            schema_name=schema_name,
        )

    column_reflection_fallback.edu_dwh_no_rows = True
    util.column_reflection_fallback = column_reflection_fallback


def warehouse(dsn: str) -> Warehouse:
    """The cached GX context of the warehouse ``dsn`` under the current state dir."""
    root = gx_root(dsn)
    key = str(root)
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
        if cached is not None and cached.dsn == dsn:
            return cached
        import great_expectations as gx

        _columns_without_rows()

        with quiet_gx():
            context = gx.get_context(
                mode="ephemeral",
                project_config=_project_config(root, docs_site_dir(dsn)),
                runtime_environment={_URL_VARIABLE: sqlalchemy_url(dsn)},
            )
        cached = _CACHE[key] = Warehouse(dsn=dsn, root=root, context=context)
        return cached


def cached_warehouses() -> list[Warehouse]:
    with _CACHE_LOCK:
        return list(_CACHE.values())


def reset_cache() -> None:
    """Drop cached contexts and close their database connections (tests, long-lived workers)."""
    with _CACHE_LOCK:
        for entry in _CACHE.values():
            if entry._datasource is not None:
                entry._datasource.get_engine().dispose()
        _CACHE.clear()
