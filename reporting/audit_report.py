"""A self-contained audit page (Russian) for quality auditors: per run, every file with its
status, counts and message, its rejected-row reasons, and every Great Expectations check
that failed or warned — written beside the GX Data Docs, readable without internet access
(the GX index needs CDN scripts to show its tables)."""

from __future__ import annotations

import html
from pathlib import Path

from ingestion import db
from ingestion.config import data_docs_dir

STATUS_RU = {
    "loaded": "загружен",
    "rejected": "отклонён",
    "duplicate": "повтор (уже загружен)",
    "superseded": "заменён новой версией",
    "withdrawn": "отозван оператором",
    "skipped": "пропущен (см. сообщение)",
    "abandoned": "прерван",
    "staged": "в обработке",
    "staging": "в обработке",
}
RUN_STATUS_RU = {
    "published": "опубликован",
    "blocked": "остановлен блокирующей проверкой",
    "failed": "завершён с ошибкой",
    "interrupted": "прерван",
    "loaded": "загружен без пересчёта витрин",
    "running": "выполняется",
}
SEVERITY_RU = {"critical": "блокирующая", "warning": "предупреждение"}

STYLE = """
body{font-family:Arial,Helvetica,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:8px 0 24px}td,th{border:1px solid #bbb;padding:4px 8px;
vertical-align:top;font-size:14px}th{background:#e3edf7;text-align:left}
.rejected{color:#b00020;font-weight:bold}.loaded{color:#1b5e20}.warn{color:#8a5a00}
"""


def _e(value) -> str:
    return html.escape("" if value is None else str(value))


def write_audit_report(run_id: int | None = None, out: Path | None = None) -> Path:
    """Write audit.html for one run (default: the latest) and return its path."""
    out = out or data_docs_dir() / "audit.html"
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

    paths = {r[0]: r[2] for r in loads}
    parts = [
        "<!doctype html><html lang='ru'><head><meta charset='utf-8'>",
        f"<title>Проверка данных: запуск №{_e(run_id)}</title><style>{STYLE}</style></head><body>",
        f"<h1>Проверка данных: запуск №{_e(run_id)}</h1>",
    ]
    if run:
        parts.append(
            "<table>"
            f"<tr><th>Начат</th><td>{_e(run[1])}</td></tr>"
            f"<tr><th>Завершён</th><td>{_e(run[2])}</td></tr>"
            f"<tr><th>Папка приёма</th><td>{_e(run[3])}</td></tr>"
            f"<tr><th>Статус</th><td>{_e(RUN_STATUS_RU.get(run[4], run[4]))}</td></tr>"
            f"<tr><th>Итог</th><td>{_e(run[5])}</td></tr>"
            f"<tr><th>Проверок Great Expectations</th><td>{n_checks} (успешно {n_ok})</td></tr>"
            "</table>"
        )
    parts.append("<h2>Файлы</h2><table><tr><th>№</th><th>Источник</th><th>Файл</th>"
                 "<th>Кодировка</th><th>Статус</th><th>Прочитано</th><th>Загружено</th>"
                 "<th>В карантине</th><th>Сообщение</th></tr>")  # fmt: skip
    for load_id, source, rel, enc, status, read, loaded, quarantined, message in loads:
        css = "rejected" if status == "rejected" else "loaded" if status == "loaded" else ""
        parts.append(
            f"<tr><td>{load_id}</td><td>{_e(source)}</td><td>{_e(rel)}</td><td>{_e(enc)}</td>"
            f"<td class='{css}'>{_e(STATUS_RU.get(status, status))}</td><td>{read}</td>"
            f"<td>{loaded}</td><td>{quarantined}</td><td>{_e(message)}</td></tr>"
        )
    parts.append("</table><h2>Замены файлов и строк</h2>")
    if file_events or row_events:
        parts.append("<table><tr><th>Событие</th><th>Файл</th><th>Заменён / исправлен"
                     " файлом</th><th>Строк</th><th>Подробности</th></tr>")  # fmt: skip
        event_ru = {
            "new_version": "файл заменён новой версией",
            "withdrawn": "файл отозван оператором",
            "redelivered": "файл доставлен повторно после отзыва",
            "replaced": "строки исправлены более поздним файлом",
            "restored": "строки восстановлены",
        }
        for event, rel, lid, by_rel, by_id, removed, actor, reason in file_events:
            by = f"{by_rel} (№{by_id})" if by_id else ""
            detail = "; ".join(x for x in (actor, reason) if x)
            parts.append(
                f"<tr><td>{_e(event_ru.get(event, event))}</td><td>{_e(rel)} (№{lid})</td>"
                f"<td>{_e(by)}</td><td>{removed}</td><td>{_e(detail)}</td></tr>"
            )
        for event, old_rel, new_rel, count, first_rows, changed in row_events:
            rows_txt = ", ".join(str(x) for x in first_rows or [])
            detail = f"строки файла: {rows_txt}" + (f"; изменены: {changed}" if changed else "")
            parts.append(
                f"<tr><td>{_e(event_ru.get(event, event))}</td><td>{_e(old_rel)}</td>"
                f"<td>{_e(new_rel)}</td><td>{count}</td><td>{_e(detail)}</td></tr>"
            )
        parts.append("</table><p>Старые и новые значения каждой строки: таблица"
                     " <code>audit.row_replacements</code>.</p>")  # fmt: skip
    else:
        parts.append("<p>Замен не было.</p>")
    parts.append("<h2>Причины отклонения строк</h2>")
    if reasons:
        parts.append("<table><tr><th>Файл</th><th>Причина</th><th>Строк</th>"
                     "<th>Первая строка</th></tr>")  # fmt: skip
        for load_id, reason, count, first in reasons:
            parts.append(
                f"<tr><td>{_e(paths.get(load_id))}</td><td>{_e(reason)}</td>"
                f"<td>{count}</td><td>{first}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append("<p>Отклонённых строк нет.</p>")
    parts.append("<h2>Не пройденные проверки Great Expectations</h2>")
    if checks:
        parts.append(
            "<table><tr><th>Файл</th><th>Набор</th><th>Важность</th><th>Столбец</th>"
            "<th>Проверка</th><th>Строк с нарушением</th><th>Всего строк</th></tr>"
        )
        for load_id, suite, severity, column, message, unexpected, total in checks:
            css = "rejected" if severity == "critical" else "warn"
            parts.append(
                f"<tr><td>{_e(paths.get(load_id))}</td><td>{_e(suite)}</td>"
                f"<td class='{css}'>{_e(SEVERITY_RU.get(severity, severity))}</td>"
                f"<td>{_e(column)}</td><td>{_e(message)}</td><td>{_e(unexpected)}</td>"
                f"<td>{_e(total)}</td></tr>"
            )
        parts.append("</table>")
        parts.append(
            "<p>Блокирующие нарушения в наборе <code>*.all_rows</code> относятся к строкам, "
            "уже отклонённым при загрузке (см. причины выше); решают только наборы "
            "<code>*.accepted</code>.</p>"
        )
    else:
        parts.append("<p>Все проверки пройдены.</p>")
    parts.append(
        "<p>Подробные результаты каждой проверки: <a href='index.html'>Data Docs Great "
        "Expectations</a> (для оформления таблиц нужен доступ в интернет).</p></body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")
    return out
