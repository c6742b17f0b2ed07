"""What a delivered file does to what is already loaded (sources.md, "Several files,
re-deliveries and corrections").

- A file is identified by its source and its path in the landing folder (`rel_path`).
- Different files add up; nothing is decided by what a file covers.
- The same bytes as a file already loaded (any name) load once (status `duplicate`).
- The same name with new bytes is a new version of that file: it replaces everything its
  previous version loaded (the previous load becomes `superseded`, its rows go).
- A row whose natural key (`SourceSpec.natural_key`) is already loaded from another file is
  a correction of that row: the row of the later delivery is current, the earlier one stays
  in the raw table with `replaced_by` = the load that displaced it, and the event is
  written to `audit.row_replacements` (both files, both rows, old and new values).
  Staging reads current rows only (`replaced_by is null`).
- "Later" is the load's `precedence`: its load_id (files of one run are staged in order of
  modification time, then name), except that a withdrawn file delivered again keeps its
  old precedence, so a withdrawal is undone exactly.
- An operator may withdraw a file (`edu-dwh withdraw`): its rows go, rows it had displaced
  become current again, the event is audited. The file lying unchanged in the landing
  folder is not loaded again; delivering it again (a new copy, i.e. a new modification
  time) restores it.

Which rows are current is therefore a function of the set of active loads and their
precedence only, whatever the order of events — so re-runs and interrupted runs converge.
"""

from __future__ import annotations

import getpass
import socket
from dataclasses import dataclass, field

from ingestion import baseline
from sources import SOURCES, SourceSpec, raw_columns

ACTIVE = "loaded"
# statuses that describe what a file identity currently is (the others are attempts:
# rejected, abandoned, in flight, or skipped because withdrawn)
IDENTITY_STATUSES = ("loaded", "duplicate", "withdrawn", "superseded")


@dataclass
class Delivery:
    """What to do with a file that arrived: `kind` is one of
    new          — stage and load it (a first delivery or a new version of its name)
    unchanged    — the same bytes as the current version of this name: nothing to do
    same_content — the same bytes are already loaded from another file: nothing to load
    withdrawn    — withdrawn by an operator and not delivered again: skipped
    """

    kind: str
    message: str = ""
    precedence: int | None = None  # for 'new': inherited precedence (re-delivery)
    previous_load: int | None = None  # the active load of the same name, if any
    redelivery_of: int | None = None


@dataclass
class Applied:
    """What committing a load changed, for the run's output and the audit trail."""

    replaced_version: int | None = None  # the previous version of this file (superseded)
    replaced_version_rows: int = 0
    corrected: dict[str, int] = field(default_factory=dict)  # other file -> rows displaced
    corrected_by: dict[str, int] = field(default_factory=dict)  # rows of this file displaced
    restored: dict[str, int] = field(default_factory=dict)  # file -> rows current again
    # (correcting file, corrected file) -> rows, between two other files (after a version
    # of this file went away, a third file's row may now be displaced by a fourth's)
    between: dict[tuple[str, str], int] = field(default_factory=dict)
    redelivery_of: int | None = None

    def lines(self, rel_path: str) -> list[str]:
        out = []
        if self.redelivery_of:
            out.append(
                f"файл {rel_path} доставлен повторно после отзыва (загрузка"
                f" №{self.redelivery_of}): его строки восстановлены"
            )
        if self.replaced_version:
            out.append(
                f"файл {rel_path} заменён новой версией: строки прежней версии удалены"
                f" (загрузка №{self.replaced_version}, строк: {self.replaced_version_rows})"
            )
        for other, n in sorted(self.corrected.items()):
            out.append(f"файл {rel_path} исправил {n} {_rows(n)} файла {other}")
        for (newer, older), n in sorted(self.between.items()):
            out.append(f"файл {newer} исправил {n} {_rows(n)} файла {older}")
        for other, n in sorted(self.corrected_by.items()):
            out.append(
                f"строки файла {rel_path} уже исправлены более поздним файлом {other}: строк: {n}"
            )
        for other, n in sorted(self.restored.items()):
            out.append(
                f"строки файла {other} снова действуют (исправлявшие их строки удалены): строк: {n}"
            )
        return out


def _rows(n: int) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return "строку"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return "строки"
    return "строк"


def actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # pragma: no cover - no user name in some containers
        user = "?"
    return f"{user}@{socket.gethostname()}"


# ---------------------------------------------------------------------------------------
# classifying a delivered file


def classify(
    cur, spec: SourceSpec, rel_path: str, sha: str, mtime_ns: int, run_id: int
) -> Delivery:
    """Decide what a file found in the landing folder is (see `Delivery`)."""
    cur.execute(
        "select load_id, sha256, status, file_mtime_ns, precedence from audit.loads"
        " where source = %s and rel_path = %s and status = any(%s)"
        # the latest thing that happened to this name: a withdrawal counts from its time
        " order by greatest(started_at, withdrawn_at) desc, load_id desc limit 1",
        (spec.name, rel_path, list(IDENTITY_STATUSES)),
    )
    last = cur.fetchone()
    cur.execute(
        "select load_id from audit.loads where source = %s and rel_path = %s and status = %s",
        (spec.name, rel_path, ACTIVE),
    )
    active = cur.fetchone()
    previous = active[0] if active else None

    if last and last[1] == sha:
        load_id, _, status, mtime, precedence = last
        if status in ("loaded", "duplicate"):
            return Delivery("unchanged", f"файл не изменился с загрузки №{load_id}: пропущен")
        if status == "withdrawn":
            if mtime == mtime_ns:
                return Delivery(
                    "withdrawn",
                    f"файл отозван оператором (загрузка №{load_id}) и не доставлен заново:"
                    " пропущен. Чтобы вернуть его данные, доставьте файл ещё раз.",
                )
            return Delivery("new", precedence=precedence, redelivery_of=load_id)

    cur.execute(
        "select load_id, rel_path from audit.loads where source = %s and sha256 = %s"
        " and (status = %s or (status = 'staged' and run_id = %s)) and rel_path <> %s"
        " order by load_id limit 1",
        (spec.name, sha, ACTIVE, run_id, rel_path),
    )
    same = cur.fetchone()
    if same:
        return Delivery(
            "same_content",
            f"то же содержимое уже загружено из файла {same[1]} (загрузка №{same[0]}):"
            " строки не загружаются второй раз",
            previous_load=previous,
        )
    return Delivery("new", previous_load=previous)


# ---------------------------------------------------------------------------------------
# natural keys and which row is current


def nk_expression(spec: SourceSpec, alias: str = "") -> str:
    """SQL for a row's natural key: md5 of the key's values (constants such as the ГИА
    level first, so ЕГЭ and ОГЭ rows never collide); NULLs are part of the key."""
    prefix = f"{alias}." if alias else ""
    cols = [*spec.constant_values, *spec.natural_key]
    return f"md5(row({', '.join(prefix + c for c in cols)})::text)"


# Sorting and de-duplicating hundreds of thousands of keys: in memory, not on disk (the
# commit's transaction only: `set local`)
_COMMIT_WORK_MEM = "64MB"


def _touched(cur, table: str, load_ids: list[int]) -> None:
    """temp table _touched(nk): the natural keys held by the given loads, in key order (so
    `_resolve` walks the key index in order)."""
    cur.execute(f"set local work_mem = '{_COMMIT_WORK_MEM}'")
    cur.execute("drop table if exists _touched")
    cur.execute(
        f"create temp table _touched on commit drop as"
        f" select distinct nk from {table} where load_id = any(%s) and nk is not null"
        f" order by nk",
        (load_ids,),
    )
    cur.execute("analyze _touched")


def _resolve(cur, spec: SourceSpec, run_id: int | None) -> tuple[dict, dict]:
    """Recompute which row is current for every key in _touched; write the changes to
    audit.row_replacements. Returns ({(old_load, new_load): n} replaced,
    {old_load: n} restored)."""
    table = spec.raw_table
    meta = ("load_id", "source_row", "extra", "nk", "replaced_by")
    strip = "".join(f" - '{c}'" for c in meta)
    cur.execute(f"set local work_mem = '{_COMMIT_WORK_MEM}'")
    cur.execute("drop table if exists _resolved")
    # the rows of each touched key are looked up in the key index, in key order (`offset 0`
    # keeps the lookup a nested loop): the cost follows the keys touched, not the table — a
    # hash join read the whole raw table at every commit (6.6 s per file at 4.5 M ГИА rows)
    cur.execute(
        f"""
        create temp table _resolved on commit drop as
        with cand as (
            select t.rid, k.nk, t.load_id, t.source_row, t.replaced_by,
                   coalesce(l.precedence, t.load_id) as precedence
            from (select nk from _touched order by nk) k  -- in order: the window's
            cross join lateral (  -- sort by key then only sorts within each key
                select r.ctid as rid, r.load_id, r.source_row, r.replaced_by
                from {table} r where r.nk = k.nk offset 0
            ) t
            left join audit.loads l on l.load_id = t.load_id
        ), ranked as (
            select rid, load_id, source_row, replaced_by,
                   first_value(load_id) over w as win_load,
                   first_value(source_row) over w as win_row,
                   first_value(rid) over w as win_rid,
                   row_number() over w as rn
            from cand
            window w as (partition by nk order by precedence desc, load_id desc)
        )
        select rid, load_id, source_row, replaced_by, win_load, win_row, win_rid,
               case when rn = 1 then null else win_load end as new_replaced_by
        from ranked
        where replaced_by is distinct from (case when rn = 1 then null else win_load end)
        """
    )
    # its size for the planner: usually no row at all (new keys), and then the statements
    # below must not read the raw table (a hash join did, 6–7 s per file at 5 M ГИА rows)
    cur.execute("analyze _resolved")
    # rows displaced now (current before, or displaced by a file that has gone)
    cur.execute(
        f"""
        insert into audit.row_replacements (run_id, source, event, old_load_id, old_source_row,
            new_load_id, new_source_row, old_values, new_values, changed_columns)
        select %s, %s, 'replaced', r.load_id, r.source_row, r.win_load, r.win_row,
               o.v, n.v,
               array(select e.key from jsonb_each(o.v) e
                     where e.value is distinct from n.v -> e.key order by e.key)
        from _resolved r
        join lateral (select to_jsonb(t){strip} as v from {table} t where t.ctid = r.rid) o on true
        join lateral (select to_jsonb(t){strip} as v from {table} t
                      where t.ctid = r.win_rid) n on true
        where r.new_replaced_by is not null
        """,
        (run_id, spec.name),
    )
    cur.execute(
        "insert into audit.row_replacements (run_id, source, event, old_load_id,"
        " old_source_row, new_load_id) select %s, %s, 'restored', load_id, source_row,"
        " replaced_by from _resolved where new_replaced_by is null",
        (run_id, spec.name),
    )
    cur.execute(
        f"update {table} t set replaced_by = r.new_replaced_by from _resolved r"
        " where t.ctid = r.rid"
    )
    cur.execute(
        "select load_id, new_replaced_by, count(*) from _resolved"
        " where new_replaced_by is not null group by 1, 2"
    )
    replaced = {(a, b): n for a, b, n in cur.fetchall()}
    cur.execute("select load_id, count(*) from _resolved where new_replaced_by is null group by 1")
    restored = dict(cur.fetchall())
    return replaced, restored


def backfill_keys(cur) -> int:
    """Rows loaded before natural keys existed (nk NULL): compute their key and resolve which
    row is current, once (a partial index finds them at no cost afterwards)."""
    total = 0
    for spec in SOURCES.values():
        if not spec.natural_key:
            continue
        table = spec.raw_table
        same_source = " and ".join(f"{c} = {int(v)}" for c, v in spec.constant_values.items())
        where = "nk is null" + (f" and {same_source}" if same_source else "")
        cur.execute(f"select 1 from {table} where {where} limit 1")
        if not cur.fetchone():
            continue
        cur.execute("drop table if exists _touched")
        cur.execute(
            f"create temp table _touched on commit drop as with filled as ("
            f" update {table} set nk = {nk_expression(spec)} where {where} returning nk)"
            " select distinct nk from filled order by nk"
        )
        cur.execute("select count(*) from _touched")
        total += cur.fetchone()[0]
        _resolve(cur, spec, None)
    return total


def _paths(cur, load_ids) -> dict[int, str]:
    ids = sorted({i for i in load_ids if i is not None})
    if not ids:
        return {}
    cur.execute("select load_id, rel_path from audit.loads where load_id = any(%s)", (ids,))
    found = dict(cur.fetchall())
    return {i: found.get(i, f"загрузка №{i}") for i in ids}


def _remove_load(cur, spec: SourceSpec, load_id: int) -> int:
    cur.execute(f"delete from {spec.raw_table} where load_id = %s", (load_id,))
    removed = cur.rowcount
    baseline.forget_load(cur, load_id)
    return removed


def _retire_version(cur, spec: SourceSpec, previous: int, by_load: int, run_id: int) -> int:
    """The previous version of a file gives way to load `by_load`: its rows go, it becomes
    'superseded', the event is audited. Returns the rows removed (keys: caller's _touched)."""
    removed = _remove_load(cur, spec, previous)
    cur.execute(
        "update audit.loads set status = 'superseded', superseded_by = %s where load_id = %s",
        (by_load, previous),
    )
    cur.execute(
        "insert into audit.load_events (run_id, load_id, event, by_load_id, rows_removed, actor)"
        " values (%s, %s, 'new_version', %s, %s, %s)",
        (run_id, previous, by_load, removed, actor()),
    )
    return removed


# ---------------------------------------------------------------------------------------
# committing, replacing, withdrawing


def apply_load(
    cur,
    spec: SourceSpec,
    load_id: int,
    rel_path: str,
    stage_table: str,
    run_id: int,
    delivery_precedence: int | None = None,
    redelivery_of: int | None = None,
) -> tuple[int, Applied]:
    """Inside the caller's transaction: retire the previous version of this file, insert
    the stage's accepted rows, resolve natural keys. Returns (rows inserted, what changed)."""
    applied = Applied(redelivery_of=redelivery_of)
    table = spec.raw_table
    cur.execute(
        "update audit.loads set precedence = %s where load_id = %s",
        (delivery_precedence or load_id, load_id),
    )
    cur.execute(
        "select load_id from audit.loads where source = %s and rel_path = %s and status = %s"
        " and load_id <> %s",
        (spec.name, rel_path, ACTIVE, load_id),
    )
    previous = [r[0] for r in cur.fetchall()]

    cols = raw_columns(table)
    col_list = ", ".join(cols)
    # in key order: the key index takes the new keys in one pass over its pages (in the
    # stage's order each key lands on a random page: 700,000 rows into 4.5 M ГИА rows took
    # 13 s, in key order 7–9 s with the default 128MB shared_buffers)
    cur.execute(
        f"insert into {table} ({col_list}, nk) select {col_list}, {nk_expression(spec, 's')}"
        f" from {stage_table} s where _reject_reason is null order by {len(cols) + 1}"
    )
    inserted = cur.rowcount
    _touched(cur, table, [load_id, *previous])
    for prev in previous:
        applied.replaced_version = prev
        applied.replaced_version_rows = _retire_version(cur, spec, prev, load_id, run_id)
    if redelivery_of:
        cur.execute(
            "insert into audit.load_events (run_id, load_id, event, by_load_id, actor)"
            " values (%s, %s, 'redelivered', %s, %s)",
            (run_id, redelivery_of, load_id, actor()),
        )
    replaced, restored = _resolve(cur, spec, run_id)
    paths = _paths(cur, [*(a for a, _ in replaced), *(b for _, b in replaced), *restored])
    for (old, new), n in replaced.items():
        if new == load_id and old != load_id:
            applied.corrected[paths[old]] = applied.corrected.get(paths[old], 0) + n
        elif old == load_id:
            applied.corrected_by[paths[new]] = applied.corrected_by.get(paths[new], 0) + n
        else:  # a third file's row now displaced by a fourth (after a version was removed)
            key = (paths[new], paths[old])
            applied.between[key] = applied.between.get(key, 0) + n
    for old, n in restored.items():
        if old != load_id:
            applied.restored[paths[old]] = n
    return inserted, applied


def retire_for_same_content(
    cur, spec: SourceSpec, previous: int, load_id: int, run_id: int
) -> Applied:
    """A new version of a file whose bytes are already loaded from another file: the
    previous version's rows go (the other file holds the data)."""
    _touched(cur, spec.raw_table, [previous])
    removed = _retire_version(cur, spec, previous, load_id, run_id)
    _, restored = _resolve(cur, spec, run_id)
    paths = _paths(cur, restored)
    return Applied(
        replaced_version=previous,
        replaced_version_rows=removed,
        restored={paths[k]: v for k, v in restored.items()},
    )


class UnknownLoad(LookupError):
    """The file or load an operator named is not loaded (message in Russian)."""


def find_active_load(cur, ref: str) -> tuple[int, str, str]:
    """(load_id, source, rel_path) of the active load named by a load id, a landing path
    (`fis_gia/ege/a.csv`) or a bare file name (when unique)."""
    ref = ref.strip()
    if ref.lstrip("№").isdigit():
        cur.execute(
            "select load_id, source, rel_path, status from audit.loads where load_id = %s",
            (int(ref.lstrip("№")),),
        )
        row = cur.fetchone()
        if not row:
            raise UnknownLoad(f"загрузки №{ref.lstrip('№')} нет в журнале audit.loads")
        if row[3] != ACTIVE:
            raise UnknownLoad(
                f"загрузка №{row[0]} ({row[2]}) не действует (статус «{row[3]}»): отзывать нечего"
            )
        return row[0], row[1], row[2]
    cur.execute(
        "select load_id, source, rel_path from audit.loads where status = %s"
        " and (rel_path = %s or file_name = %s) order by load_id",
        (ACTIVE, ref, ref.rsplit("/", 1)[-1] if "/" not in ref else None),
    )
    rows = cur.fetchall()
    if not rows:
        raise UnknownLoad(
            f"файл «{ref}» не загружен (нет действующей загрузки с таким путём или именем)."
            " Список загруженных файлов: edu-dwh loads"
        )
    if len(rows) > 1:
        listed = ", ".join(f"№{r[0]} {r[2]}" for r in rows)
        raise UnknownLoad(
            f"имя «{ref}» неоднозначно: {listed}. Укажите путь в папке приёма или номер загрузки"
        )
    return rows[0]


def withdraw(cur, ref: str, reason: str | None = None) -> tuple[int, str, int, Applied]:
    """Inside the caller's transaction: withdraw the active load named by `ref`.
    Returns (load_id, rel_path, rows removed, what changed)."""
    load_id, source, rel_path = find_active_load(cur, ref)
    spec = SOURCES[source]
    _touched(cur, spec.raw_table, [load_id])
    removed = _remove_load(cur, spec, load_id)
    cur.execute(
        "update audit.loads set status = 'withdrawn', withdrawn_at = now(),"
        " message = concat_ws('; ', message, %s) where load_id = %s",
        (f"отозван оператором {actor()}" + (f": {reason}" if reason else ""), load_id),
    )
    cur.execute(
        "insert into audit.load_events (load_id, event, rows_removed, actor, reason)"
        " values (%s, 'withdrawn', %s, %s, %s)",
        (load_id, removed, actor(), reason),
    )
    _, restored = _resolve(cur, spec, None)
    paths = _paths(cur, restored)
    applied = Applied(restored={paths[k]: v for k, v in restored.items()})
    return load_id, rel_path, removed, applied
