"""Operator commands on what is loaded: `edu-dwh loads` and `edu-dwh withdraw`."""

from __future__ import annotations

from ingestion import db, deliveries
from orchestration import run_control
from reporting.labels import STATUS_RU
from sources import SOURCES

DEFAULT_STATUSES = ("loaded", "superseded", "withdrawn")


def _source_names(source: str | None) -> list[str]:
    if not source:
        return list(SOURCES)
    wanted = source.strip().strip("/")
    names = [n for n, s in SOURCES.items() if wanted in (n, s.folder)]
    if not names:
        names = [n for n, s in SOURCES.items() if s.folder.startswith(wanted + "/")]
    if not names:
        known = ", ".join(SOURCES)
        raise ValueError(f"неизвестный источник «{source}»; известны: {known}")
    return names


def list_loads(source: str | None = None, year: int | None = None, include_all=False) -> list[dict]:
    """Loads with their current state: rows loaded, rows current now, rows corrected by later
    files, status and what replaced them."""
    names = _source_names(source)
    statuses = None if include_all else list(DEFAULT_STATUSES)
    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('audit.loads') is not null")
        if not cur.fetchone()[0]:
            return []
        cur.execute(
            "select l.load_id, l.source, l.rel_path, l.finished_at, l.status, l.rows_loaded,"
            " l.superseded_by, s.rel_path, l.withdrawn_at, l.scope -> 'year', l.run_id"
            " from audit.loads l left join audit.loads s on s.load_id = l.superseded_by"
            " where l.source = any(%s) and (%s::text[] is null or l.status = any(%s::text[]))"
            " and (%s::int is null or l.scope -> 'year' @> to_jsonb(%s::text))"
            " order by l.source, l.rel_path, l.load_id",
            (names, statuses, statuses, year, str(year) if year else None),
        )
        rows = cur.fetchall()
        current: dict[int, tuple[int, int]] = {}
        active = [r[0] for r in rows if r[4] == "loaded"]
        for table in sorted({SOURCES[r[1]].raw_table for r in rows if r[4] == "loaded"}):
            cur.execute(
                f"select load_id, count(*) filter (where replaced_by is null),"
                f" count(*) filter (where replaced_by is not null)"
                f" from {table} where load_id = any(%s) group by load_id",
                (active,),
            )
            current.update({r[0]: (r[1], r[2]) for r in cur.fetchall()})
    out = []
    for lid, src, rel, done, status, loaded, sup_id, sup_rel, withdrawn, years, run_id in rows:
        now, corrected = current.get(lid, (0, 0))
        if status == "superseded":
            replaced = f"№{sup_id} {sup_rel or ''}".strip()
        elif status == "withdrawn":
            replaced = f"отозван {withdrawn:%d.%m.%Y %H:%M}" if withdrawn else "отозван"
        else:
            replaced = ""
        out.append(
            {
                "load_id": lid,
                "source": src,
                "file": rel,
                "delivered": done,
                "run_id": run_id,
                "status": status,
                "rows_loaded": loaded,
                "rows_current": now if status == "loaded" else 0,
                "rows_corrected_later": corrected if status == "loaded" else 0,
                "replaced_by": replaced,
                "years": ", ".join(years or []),
            }
        )
    return out


def format_loads(rows: list[dict]) -> str:
    if not rows:
        return "Загрузок не найдено."
    header = ("№", "Источник", "Файл", "Доставлен", "Годы", "Строк", "Действуют",
              "Исправлено позже", "Статус", "Заменён / отозван")  # fmt: skip
    table = [header]
    for r in rows:
        table.append(
            (
                str(r["load_id"]),
                r["source"],
                r["file"],
                f"{r['delivered']:%d.%m.%Y %H:%M}" if r["delivered"] else "",
                r["years"],
                str(r["rows_loaded"]),
                str(r["rows_current"]),
                str(r["rows_corrected_later"]),
                STATUS_RU.get(r["status"], r["status"]),
                r["replaced_by"],
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    active = sum(1 for r in rows if r["status"] == "loaded")
    lines.append(f"Всего: {len(rows)}, действующих файлов: {active}")
    return "\n".join(lines)


def withdraw_file(ref: str, reason: str | None = None, wait_s: float = 0) -> list[str]:
    """Withdraw one loaded file (by load id, landing path or name): its rows go, rows it had
    corrected become current again; audited in audit.load_events / audit.row_replacements.
    The marts change with the next run. Raises deliveries.UnknownLoad for an unknown file."""
    with run_control.exclusive(wait_s) as claim:
        conn = claim.conn
        conn.autocommit = False
        try:
            with conn.cursor() as cur:
                cur.execute("select to_regclass('audit.loads') is not null")
                if not cur.fetchone()[0]:
                    raise deliveries.UnknownLoad("хранилище пусто: ни один файл не загружен")
                load_id, rel_path, removed, applied = deliveries.withdraw(cur, ref, reason)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            conn.autocommit = True
    lines = [f"Файл {rel_path} (загрузка №{load_id}) отозван: удалено строк: {removed}."]
    lines += [line[0].upper() + line[1:] + "." for line in applied.lines(rel_path)]
    lines.append(
        "Витрины будут пересчитаны при следующем запуске (edu-dwh run или DAG). Чтобы вернуть"
        " файл, доставьте его в папку приёма заново."
    )
    return lines


# ---------------------------------------------------------------------------------------
# quarantine copies of rejected files


def quarantine_days() -> int:
    """How long copies of rejected files are kept (they hold personal data)."""
    import os

    return int(os.environ.get("EDU_DWH_QUARANTINE_DAYS", "90"))


def quarantine_files() -> list[tuple[str, int, float]]:
    """(name, size in bytes, age in days) of every copy in the quarantine folder."""
    import time

    from ingestion.config import quarantine_dir

    now = time.time()
    out = []
    for p in sorted(quarantine_dir().iterdir()):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            out.append((p.name, st.st_size, (now - st.st_mtime) / 86400))
    return out


def purge_quarantine(days: int) -> list[str]:
    """Delete quarantine copies older than `days` days; returns their names."""
    import time

    from ingestion.config import quarantine_dir

    limit = time.time() - days * 86400
    removed = []
    for p in sorted(quarantine_dir().iterdir()):
        if p.is_file() and not p.is_symlink() and p.stat().st_mtime < limit:
            p.unlink()
            removed.append(p.name)
    return removed
