"""Data Docs for auditors, and what keeps values from a file from becoming markup there.

Each warehouse has its own GX site ``data_docs_dir()/<key>/`` (see ``context``);
``data_docs_dir()/index.html`` is a small entry page linking to the sites of the warehouses
validated under this state folder.

Hostile input: Data Docs render sampled values as HTML. GX stores a validation result as it
was computed (``ValidationDefinition.run``), so sample values are made safe before GX sees
them: the batch query of a stage (``docs_safe_query``) turns the angle brackets of every text
value into look-alike quotes (‹ ›). No allowed value, code or format contains ``<`` or ``>``,
so no verdict changes; the audit table gets the same neutralised samples. Only the text
columns that hold an angle bracket in some row of the stage are translated (one scan finds
them, ``angled_columns``): ``translate`` in the batch query is evaluated in every metric
query GX runs, for every row and every mention of the column (a 64-character person_key in
a grouping key, a filter and a join: 4 of the 7 seconds of GX on a 200,000-row ОГЭ stage).
"""

from __future__ import annotations

import html
from pathlib import Path

from psycopg2 import sql

from expectations.context import (
    DOCS_SITE_NAME,
    docs_site_dir,
    quiet_gx,
    warehouse,
    warehouse_label,
)
from ingestion import config

_TEXT_TYPES = ("text", "character varying", "character")
_ANGLES, _QUOTES = "<>", "‹›"
LABEL_FILE = "warehouse.txt"


def angled_columns(conn, schema: str, table: str) -> set[str]:
    """The text columns of schema.table with ``<`` or ``>`` in some row (one scan)."""
    text = [name for name, data_type in _columns(conn, schema, table) if data_type in _TEXT_TYPES]
    if not text:
        return set()
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL("select {} from {}").format(
                sql.SQL(", ").join(
                    sql.SQL(
                        "coalesce(bool_or(strpos({c}, '<') > 0 or strpos({c}, '>') > 0), false)"
                    ).format(c=sql.Identifier(name))
                    for name in text
                ),
                sql.Identifier(schema, table),
            )
        )
        flags = cur.fetchone()
    return {name for name, flag in zip(text, flags, strict=True) if flag}


def _columns(conn, schema: str, table: str) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = %s and table_name = %s order by ordinal_position",
            (schema, table),
        )
        return cur.fetchall()


def docs_safe_query(
    conn, schema: str, table: str, where: str = "", angled: set[str] | None = None
) -> str:
    """``select <every column of the table> from schema.table [where …]`` with each text
    column that holds an angle bracket (``angled``, else ``angled_columns``) neutralised
    (``translate(col, '<>', '‹›') as col``), in table order: the column set GX sees is the
    table's own (the schema check still sees a missing or extra column)."""
    if angled is None:
        angled = angled_columns(conn, schema, table)
    items = []
    for name, data_type in _columns(conn, schema, table):
        column = sql.Identifier(name)
        if data_type in _TEXT_TYPES and name in angled:
            items.append(
                sql.SQL("translate({c}, {a}, {q}) as {c}").format(
                    c=column, a=sql.Literal(_ANGLES), q=sql.Literal(_QUOTES)
                )
            )
        else:
            items.append(column)
    query = sql.SQL("select {} from {}").format(
        sql.SQL(", ").join(items) if items else sql.SQL("*"), sql.Identifier(schema, table)
    )
    if where:
        query += sql.SQL(" where " + where)
    return query.as_string(conn)


def data_docs_index() -> Path:
    """The auditors' Data Docs entry page (exists after ``build_data_docs()``)."""
    return config.data_docs_dir() / "index.html"


def site_index(dsn: str) -> Path:
    """The GX Data Docs site of one warehouse."""
    return docs_site_dir(dsn) / "index.html"


def build_data_docs(dsn: str | None = None, *, full: bool = False) -> Path:
    """(Re)build the Data Docs site of warehouse ``dsn`` (default: the configured one) and the
    entry page; returns the entry page.

    Renders the validations done by this process since the last call plus the index;
    everything in the store (the index lists the latest ``DOCS_VALIDATION_RESULTS_LIMIT``) when
    ``full`` or when this process validated nothing (e.g. a separate Airflow task).
    """
    if dsn is None:
        dsn = config.get_settings().dsn
    wh = warehouse(dsn)
    with wh.lock, quiet_gx():
        pending, wh.pending_docs = wh.pending_docs, []
        if full or not pending or not site_index(dsn).exists():
            wh.context.build_data_docs(site_names=[DOCS_SITE_NAME])
        else:
            wh.context.build_data_docs(site_names=[DOCS_SITE_NAME], resource_identifiers=pending)
    (docs_site_dir(dsn) / LABEL_FILE).write_text(warehouse_label(dsn), encoding="utf-8")
    return _write_entry_page()


def _write_entry_page() -> Path:
    root = config.data_docs_dir()
    sites = []
    for index in sorted(root.glob("*/index.html")):
        label_file = index.parent / LABEL_FILE
        label = label_file.read_text(encoding="utf-8") if label_file.exists() else index.parent.name
        sites.append((index.stat().st_mtime, index.parent.name, label))
    sites.sort(reverse=True)  # the most recently built first
    links = "\n".join(
        f'<li><a href="{html.escape(name)}/index.html">{html.escape(label)}</a></li>'
        for _, name, label in sites
    )
    page = (
        '<!doctype html>\n<html lang="ru"><head><meta charset="utf-8">'
        "<title>Great Expectations Data Docs</title></head><body>"
        "<h1>Проверки Great Expectations (Data Docs)</h1>"
        "<p>Отдельный сайт для каждого хранилища (база данных @ сервер):</p>"
        f"<ul>\n{links}\n</ul></body></html>\n"
    )
    out = data_docs_index()
    out.write_text(page, encoding="utf-8")
    return out
