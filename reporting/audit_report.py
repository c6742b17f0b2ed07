"""A self-contained audit page (Russian) for quality auditors: per run, every file with its
status, counts and message, its rejected-row reasons, and every Great Expectations check
that failed or warned — written beside the GX Data Docs, readable without internet access
(the GX index needs CDN scripts to show its tables). Markup: html_templates/audit.html."""

from __future__ import annotations

from pathlib import Path

from ingestion import db
from ingestion.config import data_docs_dir
from reporting.labels import (
    REPLACEMENT_EVENT_RU,
    RUN_STATUS_RU,
    SEVERITY_RU,
    STATUS_RU,
    ru,
    severity_tone,
    status_tone,
)
from reporting.pages import Linked, Toned, write_page

__all__ = ["STATUS_RU", "write_audit_report"]  # STATUS_RU: kept importable from here


def write_audit_report(run_id: int | None = None, out: Path | None = None) -> Path:
    """Write audit.html for one run (default: the latest) and return its path."""
    with db.transaction() as conn, conn.cursor() as cur:
        if run_id is None:
            cur.execute("select max(run_id) from audit.runs")
            run_id = cur.fetchone()[0]
        cur.execute(
            "select run_id, started_at, finished_at, landing_dir, status, message"
            " from audit.runs where run_id = %s",
            (run_id,),
        )
        run = cur.fetchone()
        cur.execute(
            "select load_id, source, rel_path, encoding, status, rows_read, rows_loaded,"
            " rows_quarantined, message from audit.loads where run_id = %s order by load_id",
            (run_id,),
        )
        loads = cur.fetchall()
        cur.execute(
            "select q.load_id, q.reason, count(*), min(q.source_row)"
            " from audit.quarantine q join audit.loads l using (load_id)"
            " where l.run_id = %s group by 1, 2 order by 1, 3 desc",
            (run_id,),
        )
        reasons = cur.fetchall()
        cur.execute(
            "select v.load_id, v.suite_name, v.severity, v.column_name,"
            " v.observed ->> 'message_ru', v.unexpected_count, v.element_count"
            " from audit.validation_results v where v.run_id = %s and not v.success"
            " order by v.load_id, v.severity, v.suite_name",
            (run_id,),
        )
        checks = cur.fetchall()
        cur.execute(
            "select count(*), count(*) filter (where success) from audit.validation_results"
            " where run_id = %s",
            (run_id,),
        )
        n_checks, n_ok = cur.fetchone()
        cur.execute(
            "select e.event, l.rel_path, e.load_id, b.rel_path, e.by_load_id, e.rows_removed,"
            " e.actor, e.reason from audit.load_events e join audit.loads l using (load_id)"
            " left join audit.loads b on b.load_id = e.by_load_id"
            " where e.run_id = %s or (e.run_id is null and e.happened_at >="
            " (select started_at from audit.runs where run_id = %s)"
            " and e.happened_at <= coalesce((select finished_at from audit.runs"
            " where run_id = %s), now())) order by e.event_id",
            (run_id, run_id, run_id),
        )
        file_events = cur.fetchall()
        cur.execute(
            "select r.event, o.rel_path, n.rel_path, count(*),"
            " (array_agg(r.old_source_row order by r.old_source_row))[1:5],"
            " (array_agg(array_to_string(r.changed_columns, ', ') order by r.old_source_row))[1]"
            " from audit.row_replacements r join audit.loads o on o.load_id = r.old_load_id"
            " left join audit.loads n on n.load_id = r.new_load_id"
            " where r.run_id = %s group by 1, 2, 3 order by 1, 2, 3",
            (run_id,),
        )
        row_events = cur.fetchall()

    out = out or data_docs_dir() / "audit.html"
    cards, file_links = _lineage_pages(out, [(r[0], r[1], r[2]) for r in loads])
    paths = {r[0]: r[2] for r in loads}
    facts = []
    if run:
        facts = [
            ("Начат", run[1]),
            ("Завершён", run[2]),
            ("Папка приёма", run[3]),
            ("Статус", ru(RUN_STATUS_RU, run[4])),
            ("Итог", run[5]),
            ("Проверок Great Expectations", f"{n_checks} (успешно {n_ok})"),
        ]
    files = [
        (load_id, source, rel, enc, Toned(ru(STATUS_RU, status), status_tone(status)), read,
         loaded, quarantined, message, _indicators_cell(file_links.get(load_id)))
        for load_id, source, rel, enc, status, read, loaded, quarantined, message in loads
    ]  # fmt: skip
    replacements = []
    for event, rel, lid, by_rel, by_id, removed, actor, reason in file_events:
        by = f"{by_rel} (№{by_id})" if by_id else ""
        detail = "; ".join(x for x in (actor, reason) if x)
        replacements.append(
            (ru(REPLACEMENT_EVENT_RU, event), f"{rel} (№{lid})", by, removed, detail)
        )
    for event, old_rel, new_rel, count, first_rows, changed in row_events:
        rows_txt = ", ".join(str(x) for x in first_rows or [])
        detail = f"строки файла: {rows_txt}" + (f"; изменены: {changed}" if changed else "")
        replacements.append((ru(REPLACEMENT_EVENT_RU, event), old_rel, new_rel, count, detail))
    return write_page(
        out,
        "audit.html",
        cards=cards,
        title=f"Проверка данных: запуск №{run_id}",
        run=facts,
        loads=files,
        replacements=replacements,
        reasons=[
            (paths.get(load_id), reason, count, first) for load_id, reason, count, first in reasons
        ],
        checks=[
            (
                paths.get(load_id),
                suite,
                Toned(ru(SEVERITY_RU, severity), severity_tone(severity)),
                column,
                message,
                unexpected,
                total,
            )
            for load_id, suite, severity, column, message, unexpected, total in checks
        ],  # fmt: skip
    )


def _indicators_cell(link: tuple[int, str] | None) -> Linked | None:
    if link is None:
        return None
    n, href = link
    return Linked(f"{n} {_plural(n, 'показатель', 'показателя', 'показателей')}", href)


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def _lineage_pages(
    audit_page: Path, loads: list[tuple[int, str | None, str | None]]
) -> tuple[list[tuple[str, str]], dict[int, tuple[int, str]]]:
    """Lineage pages beside the audit page (reporting/lineage.py): the cards of the region and
    municipality rows of the rating-set indicators of the latest year (cards/), and one page
    per file of the run with the indicators it counted in (files/). Returns the cards'
    (label, relative link) and load_id → (number of indicators, relative link); nothing
    before the marts are built."""
    from reporting.lineage import write_file_pages, write_rating_set_cards

    with db.transaction() as conn, conn.cursor() as cur:
        cur.execute("select to_regclass('marts.indicator_row_sources')")
        if cur.fetchone()[0] is None:
            return [], {}
        cards = write_rating_set_cards(cur, audit_page.parent / "cards", audit_page)
        files = write_file_pages(cur, loads, audit_page.parent / "files", audit_page, cards)
    return [(label, href) for label, href, _ in cards], files
