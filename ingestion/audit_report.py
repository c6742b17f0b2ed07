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
    "superseded": "заменён исправленным файлом",
    "abandoned": "прерван",
    "staged": "в обработке",
    "staging": "в обработке",
}
RUN_STATUS_RU = {
    "published": "опубликован",
    "blocked": "остановлен блокирующей проверкой",
    "failed": "завершён с ошибкой",
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
    parts.append("</table><h2>Причины отклонения строк</h2>")
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
