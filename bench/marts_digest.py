"""Digest of the published marts and reference schemas: proof that a refactoring changed no number.

    python -m bench.marts_digest            # the warehouse of EDU_DWH_DSN / the embedded default

Prints one md5 per relation (rows sorted, timestamp columns left out: they record when a
build ran, not what it computed) and one md5 over all of them.
"""

from __future__ import annotations

import hashlib
import sys

from ingestion import db

SCHEMAS = ("marts", "reference")


def digests(conn) -> dict[str, str]:
    out: dict[str, str] = {}
    with conn.cursor() as cur:
        cur.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_schema = any(%s) order by 1, 2",
            (list(SCHEMAS),),
        )
        for schema, name in cur.fetchall():
            cur.execute(
                "select column_name from information_schema.columns where table_schema = %s"
                " and table_name = %s and data_type not like 'timestamp%%'"
                " order by column_name",
                (schema, name),
            )
            cols = ", ".join(f'"{c}"' for (c,) in cur.fetchall())
            cur.execute(
                f"select md5(coalesce(string_agg(r, E'\\n' order by r), '')) from"
                f' (select row({cols})::text as r from "{schema}"."{name}") t'
            )
            out[f"{schema}.{name}"] = cur.fetchone()[0]
    return out


def main() -> int:
    with db.transaction() as conn:
        found = digests(conn)
    for name, digest in found.items():
        print(f"{digest}  {name}")
    total = hashlib.md5("\n".join(f"{k} {v}" for k, v in found.items()).encode()).hexdigest()
    print(f"{total}  ALL ({len(found)} relations)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
