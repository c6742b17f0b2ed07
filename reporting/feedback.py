"""Feedback report for the school/municipality that sent a file: what was accepted, which rows
were rejected and why (with the Excel row numbers people see), what was corrected
automatically, and what to do next. Written as XLSX (sheet «Замечания») and as a
self-contained HTML page with the same base name.

Built from audit.loads, audit.quarantine and audit.corrections. Never shows personal data:
row values come from the pseudonymised row_data minus person_key, and anything that looks
like a СНИЛС is masked as a last line of defence.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from ingestion.excel_text import as_text
from sources import PERSONAL, SOURCES, TASKS

SHEET = "Замечания"
ROW_XLSX = "Строка в Excel"
ROW_CSV = "Строка данных (после заголовка)"
MAX_LISTED = 50_000  # rows listed per table; the counts always cover everything
RESEND = (
    "Исправьте отмеченные строки и отправьте файл повторно: новый файл заменит предыдущий "
    "для этой школы и года."
)
RESEND_FILE = (
    "Исправьте файл по указанной причине и отправьте его повторно: новый файл заменит "
    "предыдущий для этой школы и года."
)
ALL_GOOD = "Замечаний нет: все строки приняты."
DUPLICATE = "Ничего делать не нужно: этот файл уже был загружен раньше."
CHECK_CORRECTIONS = (
    "Автоматические исправления приняты; проверьте, что значения поняты верно, и в следующий "
    "раз заполняйте эти ячейки так, как указано в инструкции шаблона."
)

STATUS_RU = {
    "loaded": "загружен",
    "rejected": "отклонён полностью",
    "duplicate": "не загружен повторно: файл с тем же содержимым уже загружен",
    "superseded": "загружен, затем заменён новой версией файла с тем же именем",
    "withdrawn": "отозван оператором: данные файла не учитываются",
    "skipped": "не загружен: файл отозван оператором",
    "staged": "в обработке",
    "staging": "в обработке",
    "abandoned": "обработка прервана — файл будет загружен при следующем запуске",
}

# Values shown for a rejected row (raw column names; never person_key or personal columns).
KEY_COLUMNS: dict[str, tuple[str, ...]] = {
    "olympiad": (
        "school_year", "event", "stage", "subject", "grade", "ate_code", "school_code", "status",
    ),
    "career": ("school_year", "ate_code", "school_code"),
    "vpr": ("year", "school_code", "grade", "class_letter", "student_code", "subject_code"),
    "ege": ("year", "stage", "form", "school_code", "subject_code", "status"),
    "oge": ("year", "stage", "form", "school_code", "subject_code", "status"),
}  # fmt: skip
_NEVER = {"person_key", "load_id", "source_row", "extra", "task_scores", "_note", "_reject_reason"}

_SNILS = re.compile(r"(?<!\d)\d{3}[- ]?\d{3}[- ]?\d{3}[- ]?\d{2}(?!\d)")
_QUARANTINE_COPY = re.compile(r"\.?\s*Копия файла сохранена в карантине:.*$", re.S)


def _mask(text) -> str:
    """Text for the report: СНИЛС-like digit runs masked."""
    return _SNILS.sub("***", "" if text is None else str(text))


def _labels(source: str) -> dict[str, str]:
    spec = SOURCES.get(source)
    labels = {"year": "Год"}
    if spec is not None:
        labels.update({c.name: c.header for c in spec.columns if c.name})
    return labels


def _row_values(source: str, row_data) -> str:
    if not isinstance(row_data, dict):
        return ""
    spec = SOURCES.get(source)
    personal = {c.name for c in spec.columns if c.kind in (PERSONAL, TASKS)} if spec else set()
    labels = _labels(source)
    wanted = KEY_COLUMNS.get(source) or tuple(
        c.name for c in (spec.stored if spec else ()) if c.name and c.kind != TASKS
    )
    parts = []
    for name in wanted:
        if name in _NEVER or name in personal:
            continue
        value = row_data.get(name)
        if value is None or value == "":
            continue
        parts.append(f"{labels.get(name, name)}: {value}")
    return _mask("; ".join(parts))


def _when(value) -> str:
    if not isinstance(value, dt.datetime):
        return "" if value is None else str(value)
    text = value.strftime("%d.%m.%Y %H:%M")
    offset = value.strftime("%z")
    if offset:
        text += f" (UTC{offset[:3]}:{offset[3:]})"
    return text


def _table_exists(cur, name: str) -> bool:
    cur.execute("select to_regclass(%s) is not null", (name,))
    return bool(cur.fetchone()[0])


def _stream(conn, sql: str, params, name: str) -> Iterator[tuple]:
    """Rows of a query without holding them all (named cursor inside a transaction)."""
    if conn.autocommit:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            yield from cur
        return
    with conn.cursor(name=name) as cur:
        cur.itersize = 2000
        cur.execute(sql, params)
        yield from cur


def _safe_name(name: str) -> str:
    stem = Path(name).stem
    stem = re.sub(r"[^\w.-]+", "_", stem, flags=re.U).strip("._")
    return stem[:80] or "file"


class _Report:
    """Writes the same content to the XLSX sheet and the HTML page, row by row."""

    def __init__(self, xlsx_path: Path, html_path: Path, title: str):
        self.xlsx_path = xlsx_path
        self.wb = Workbook(write_only=True)
        self.ws = self.wb.create_sheet(SHEET)
        self.ws.column_dimensions["A"].width = 30
        self.ws.column_dimensions["B"].width = 80
        self.ws.column_dimensions["C"].width = 60
        self.html = open(html_path, "w", encoding="utf-8")
        self.table_open = False
        self.html.write(
            '<!DOCTYPE html>\n<html lang="ru">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>\n"
            "body{font-family:Arial,Helvetica,sans-serif;margin:2em;color:#222;max-width:75em}\n"
            "h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}\n"
            "table{border-collapse:collapse;margin:.5em 0}\n"
            "th,td{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}\n"
            "th{background:#ddebf7}table.summary th{background:#f3f3f3;font-weight:normal}\n"
            ".rejected{color:#a00000;font-weight:bold}.ok{color:#006100;font-weight:bold}\n"
            ".todo{background:#fff2cc;padding:.8em;border:1px solid #e0c060}\n"
            "</style>\n</head>\n<body>\n"
        )
        self._cell_row([_cell(self.ws, title, bold=True, size=14)])
        self.html.write(f"<h1>{html.escape(title)}</h1>\n")

    def _cell_row(self, cells) -> None:
        self.ws.append(cells)

    def _close_table(self) -> None:
        if self.table_open:
            self.html.write("</table>\n")
            self.table_open = False

    def blank(self) -> None:
        self._close_table()
        self.ws.append([])

    def summary(self, label: str, value, css: str = "") -> None:
        if not self.table_open:
            self.html.write('<table class="summary">\n')
            self.table_open = True
        self.ws.append([_cell(self.ws, label, bold=True), _cell(self.ws, value)])
        cls = f' class="{css}"' if css else ""
        self.html.write(
            f"<tr><th>{html.escape(label)}</th><td{cls}>{html.escape(str(value))}</td></tr>\n"
        )

    def heading(self, text: str) -> None:
        self._close_table()
        self.ws.append([_cell(self.ws, text, bold=True, size=12)])
        self.html.write(f"<h2>{html.escape(text)}</h2>\n")

    def paragraph(self, text: str, css: str = "") -> None:
        self._close_table()
        self.ws.append([_cell(self.ws, text, wrap=False)])
        cls = f' class="{css}"' if css else ""
        self.html.write(f"<p{cls}>{html.escape(text)}</p>\n")

    def table_header(self, *titles: str) -> None:
        self._close_table()
        self.ws.append([_cell(self.ws, t, bold=True, fill=True) for t in titles])
        self.html.write("<table>\n<tr>" + "".join(f"<th>{html.escape(t)}</th>" for t in titles))
        self.html.write("</tr>\n")
        self.table_open = True

    def table_row(self, *values) -> None:
        self.ws.append([_cell(self.ws, v) for v in values])
        self.html.write(
            "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in values) + "</tr>\n"
        )

    def close(self) -> None:
        self._close_table()
        self.html.write("</body>\n</html>\n")
        self.html.close()
        self.wb.save(self.xlsx_path)


def _cell(ws, value, bold=False, size=None, fill=False, wrap=True) -> WriteOnlyCell:
    cell = as_text(WriteOnlyCell(ws, value=value))
    if bold or size:
        cell.font = Font(bold=bold, size=size or 11)
    if fill:
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    return cell


def write_feedback(conn, load_id: int, out_dir: Path) -> Path:
    """Write the feedback report of one load; returns the XLSX path (the HTML page is next
    to it, same name with .html)."""
    with conn.cursor() as cur:
        cur.execute(
            "select source, rel_path, file_name, status, message, rows_read, rows_loaded,"
            " rows_quarantined, started_at, finished_at from audit.loads where load_id = %s",
            (load_id,),
        )
        found = cur.fetchone()
        if found is None:
            raise ValueError(f"загрузка №{load_id} не найдена в audit.loads")
        (source, rel_path, file_name, status, message, rows_read, rows_loaded,
         rows_quarantined, started_at, _finished_at) = found  # fmt: skip
        has_corrections = _table_exists(cur, "audit.corrections")
        corrected = 0
        if has_corrections:
            cur.execute(
                "select count(distinct source_row) from audit.corrections where load_id = %s",
                (load_id,),
            )
            corrected = cur.fetchone()[0]
        cur.execute("select count(*) from audit.quarantine where load_id = %s", (load_id,))
        listed_rejected = cur.fetchone()[0]

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"замечания_{int(load_id)}_{_safe_name(file_name)}"
    xlsx_path, html_path = out_dir / f"{base}.xlsx", out_dir / f"{base}.html"
    spec = SOURCES.get(source)
    # XLSX: source_row is the Excel row number; CSV: the data line number after the header
    row_label = ROW_CSV if str(file_name).lower().endswith(".csv") else ROW_XLSX
    report = _Report(xlsx_path, html_path, f"Результат загрузки файла «{_mask(file_name)}»")
    try:
        rejected_file = status == "rejected"
        report.summary("Файл", _mask(file_name))
        report.summary("Вид данных", spec.title_ru if spec else source)
        report.summary("Получен", _when(started_at))
        report.summary("Номер загрузки", int(load_id))
        report.summary(
            "Статус", STATUS_RU.get(status, status), "rejected" if rejected_file else "ok"
        )
        report.summary("Строк прочитано", rows_read or 0)
        report.summary("Строк принято", rows_loaded or 0)
        report.summary("Строк отклонено", rows_quarantined or listed_rejected or 0)
        report.summary("Строк исправлено автоматически", corrected)
        text = _QUARANTINE_COPY.sub("", message or "").strip().replace("в карантине", "отклонено")
        if text:
            report.summary("Причина" if rejected_file else "Сообщение", _mask(text))

        if listed_rejected:
            report.heading(f"Отклонённые строки ({listed_rejected})")
            report.table_header(row_label, "Причина", "Значения строки")
            rows = _stream(
                conn,
                "select source_row, reason, row_data from audit.quarantine where load_id = %s"
                " order by source_row limit %s",
                (load_id, MAX_LISTED),
                f"feedback_rejected_{int(load_id)}",
            )
            for source_row, reason, row_data in rows:
                report.table_row(source_row, _mask(reason), _row_values(source, row_data))
            if listed_rejected > MAX_LISTED:
                report.paragraph(f"Показаны первые {MAX_LISTED} строк из {listed_rejected}.")

        if corrected:
            report.heading(f"Исправлено автоматически ({corrected})")
            report.table_header(row_label, "Что исправлено")
            rows = _stream(
                conn,
                "select source_row, string_agg(note, '; ' order by note) from audit.corrections"
                " where load_id = %s group by source_row order by source_row limit %s",
                (load_id, MAX_LISTED),
                f"feedback_corrected_{int(load_id)}",
            )
            for source_row, note in rows:
                report.table_row(source_row, _mask(note))
            if corrected > MAX_LISTED:
                report.paragraph(f"Показаны первые {MAX_LISTED} строк из {corrected}.")

        report.heading("Что делать")
        if status == "duplicate":
            report.paragraph(DUPLICATE, "todo")
        elif rejected_file and not listed_rejected:
            report.paragraph(RESEND_FILE, "todo")
        elif listed_rejected or rejected_file:
            report.paragraph(RESEND, "todo")
        else:
            report.paragraph(ALL_GOOD, "todo")
        if corrected:
            report.paragraph(CHECK_CORRECTIONS)
    finally:
        report.close()
    return xlsx_path
