"""Rows of each committed load by its source's baseline slice (`audit.load_slice_counts`):
what the row-count expectation compares a new file with (`previous_rows`), without reading
a source's whole history in the raw table at every file.

`sources.spec.Baseline`: with a year column, a file is compared with the rows of the
previous year in the same slices (the distinct slice values of its accepted rows); without
one, with all rows of the source's loaded files. A load's rows in raw do not change while it
is 'loaded' (a replaced row stays, flagged `replaced_by`; rows go only when their load is
superseded or withdrawn, which ends 'loaded'), so counts written in the commit's
transaction stay right. A load made 'loaded' another way (a warehouse from before this
table, a test writing raw rows) is counted from its raw rows the first time a baseline is
asked for (`ensure_counted`).

At national scale the former query (a count over the raw table joined to the file's
slices) read all of `raw.gia_results` for every file, 3–4 s per file at 9 M rows, and with
the statistics of a table growing during the run it could get a much worse plan.
"""

from __future__ import annotations

from psycopg2 import sql

from sources.spec import SourceSpec


def _key(spec: SourceSpec, alias: str) -> tuple[sql.Composable, sql.Composable]:
    """(year expression, slice expression) of a row of `alias` (a raw or stage table): the
    slice values as text, NULL as '' (a NULL school code matches a NULL one)."""
    baseline = spec.baseline
    if not baseline.year_column:
        return sql.SQL("null::integer"), sql.SQL("'{}'::text[]")
    a = sql.Identifier(alias)
    year = sql.SQL("{}.{}::integer").format(a, sql.Identifier(baseline.year_column))
    values = [
        sql.SQL("coalesce({}.{}::text, '')").format(a, sql.Identifier(c)) for c in baseline.slice
    ]
    return year, sql.SQL("array[{}]::text[]").format(sql.SQL(", ").join(values))


def count_loads(cur, spec: SourceSpec, load_ids: list[int]) -> None:
    """Write the counts of `load_ids` (loads of `spec`) from their rows in the raw table."""
    if not load_ids:
        return
    year, slice_ = _key(spec, "r")
    conditions = [sql.SQL("r.load_id = any({})").format(sql.Literal(list(load_ids)))]
    for column, value in spec.constant_values.items():
        conditions.append(sql.SQL("r.{} = {}").format(sql.Identifier(column), sql.Literal(value)))
    schema, table = spec.raw_table.split(".", 1)
    cur.execute(
        sql.SQL(
            "insert into audit.load_slice_counts (load_id, year, slice, rows)"
            " select r.load_id, {year}, {slice}, count(*) from {table} r where {where}"
            " group by 1, 2, 3 on conflict do nothing"
        ).format(
            year=year,
            slice=slice_,
            table=sql.Identifier(schema, table),
            where=sql.SQL(" and ").join(conditions),
        )
    )


def ensure_counted(cur, spec: SourceSpec) -> None:
    """Count the loaded loads of `spec` that have no counts yet (see module docstring)."""
    cur.execute(
        "select l.load_id from audit.loads l where l.source = %s and l.status = 'loaded'"
        " and not exists (select from audit.load_slice_counts c where c.load_id = l.load_id)",
        (spec.name,),
    )
    count_loads(cur, spec, [r[0] for r in cur.fetchall()])


def forget_load(cur, load_id: int) -> None:
    """The load's rows left the raw table (superseded, withdrawn)."""
    cur.execute("delete from audit.load_slice_counts where load_id = %s", (load_id,))


def previous_rows(cur, spec: SourceSpec, stage: sql.Composable, load_id: int) -> int | None:
    """Comparable rows of the source loaded before (``spec.baseline``); None if there are none.

    Rows of ``spec.raw_table`` from loads of this source with status ``loaded`` other than
    `load_id`: with a baseline year column only those of the previous year in the same
    slice, i.e. ``(year + 1, *slice)`` among the distinct values of the stage's accepted
    rows, NULLs comparing equal; without it all of them. Read from the loads' counts; the
    stage is read once (its distinct slices).
    """
    ensure_counted(cur, spec)
    conditions = [
        sql.SQL("l.source = {}").format(sql.Literal(spec.name)),
        sql.SQL("l.status = 'loaded'"),
        sql.SQL("l.load_id <> {}").format(sql.Literal(load_id)),
    ]
    if spec.baseline.year_column:
        year, slice_ = _key(spec, "s")
        conditions.append(
            sql.SQL(
                "(c.year + 1, c.slice) in (select distinct {year}, {slice} from {stage} s"
                " where s._reject_reason is null)"
            ).format(year=year, slice=slice_, stage=stage)
        )
    cur.execute(
        sql.SQL(
            "select sum(c.rows) from audit.load_slice_counts c"
            " join audit.loads l on l.load_id = c.load_id where "
        )
        + sql.SQL(" and ").join(conditions)
    )
    count = cur.fetchone()[0]
    return int(count) if count else None
