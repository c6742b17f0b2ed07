"""The warehouse from an Airflow connection: the URI and the JSON form (as
`AIRFLOW_CONN_EDU_DWH_WAREHOUSE` gives them) become a DSN that reaches the real database."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlparse

import psycopg2
from airflow.sdk import Connection

from orchestration.airflow_settings import WAREHOUSE_CONN_ID, dsn_from_connection


def current_database(dsn: str) -> str:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("select current_database()")
        return cur.fetchone()[0]


def test_uri_form_reaches_the_warehouse(warehouse):
    # pgserver's DSN: a socket folder as the `host` parameter, an empty password
    conn = Connection(conn_id=WAREHOUSE_CONN_ID, uri=warehouse)
    dsn = dsn_from_connection(conn)
    assert dsn.startswith("postgresql://postgres@/")
    assert current_database(dsn) == urlparse(warehouse).path.lstrip("/")


def test_json_form_reaches_the_warehouse(warehouse):
    url = urlparse(warehouse)
    socket_dir = parse_qs(url.query)["host"][0]
    conn = Connection.from_json(
        json.dumps(
            {
                "conn_type": "postgres",
                "host": socket_dir,
                "login": "postgres",
                "schema": url.path.lstrip("/"),
                "extra": {"connect_timeout": 5, "cursor": "realdictcursor"},
            }
        ),
        conn_id=WAREHOUSE_CONN_ID,
    )
    dsn = dsn_from_connection(conn)
    assert "cursor" not in dsn and "connect_timeout=5" in dsn  # libpq parameters only
    assert current_database(dsn) == url.path.lstrip("/")


def test_tcp_host_port_and_a_password_with_special_characters():
    conn = Connection.from_json(
        json.dumps(
            {
                "conn_type": "postgres",
                "host": "db.example.org",
                "port": 6432,
                "login": "edu_dwh",
                "password": "p@ss:w/rd?",
                "schema": "edu_dwh",
                "extra": {"sslmode": "require"},
            }
        ),
        conn_id=WAREHOUSE_CONN_ID,
    )
    dsn = dsn_from_connection(conn)
    assert (
        dsn == "postgresql://edu_dwh:p%40ss%3Aw%2Frd%3F@db.example.org:6432/edu_dwh?sslmode=require"
    )
    assert psycopg2.extensions.parse_dsn(dsn) == {
        "user": "edu_dwh",
        "password": "p@ss:w/rd?",
        "host": "db.example.org",
        "port": "6432",
        "dbname": "edu_dwh",
        "sslmode": "require",
    }
    uri = Connection(conn_id=WAREHOUSE_CONN_ID, uri="postgresql://edu_dwh:pw@db:5432/edu_dwh")
    assert dsn_from_connection(uri) == "postgresql://edu_dwh:pw@db:5432/edu_dwh"
