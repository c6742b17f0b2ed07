"""Feedback report for the school/municipality that sent a file: what was accepted, which rows
were rejected and why (with the Excel row numbers people see), what was corrected
automatically, and what to do next. Written as XLSX (sheet «Замечания») and as a
self-contained HTML page with the same base name: one list of blocks (`Block`) feeds both,
the page through html_templates/feedback.html.

Built from audit.loads, audit.quarantine and audit.corrections. Never shows personal data:
row values come from the pseudonymised row_data minus person_key, and anything that looks
like a СНИЛС is masked as a last line of defence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill

from ingestion.excel_text import as_text
from reporting.labels import BAD, HEADER_RGB, OK, STATUS_FOR_SCHOOLS_RU, ru, source_title, when_ru
from reporting.pages import Toned, write_page
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

STATUS_RU = STATUS_FOR_SCHOOLS_RU  # the school's wording of each load status

# Values shown for a rejected row (raw column names; never person_key or personal columns).
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
    wanted = (spec.feedback_columns if spec else ()) or tuple(
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


@dataclass(frozen=True)
class Block:
    """One piece of the report, written the same way to the page and to the sheet.

    kind: facts (label → value pairs), heading, paragraph (text, tone) or table (titles and
    `rows`, a callable giving a fresh iterator: each format reads the rows once, streamed)."""

    kind: str
    text: str = ""
    tone: str = ""
    pairs: tuple = ()
    titles: tuple[str, ...] = ()
    rows: Callable[[], Iterable[tuple]] = tuple


def _write_sheet(path: Path, title: str, blocks: list[Block]) -> None:
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    ws.column_dimensions["A"].width = 30
    ws.column_dimensions["B"].width = 80
    ws.column_dimensions["C"].width = 60
    ws.append([_cell(ws, title, bold=True, size=14)])
    for block in blocks:
        if block.kind == "facts":
            for label, value in block.pairs:
                value = value.value if isinstance(value, Toned) else value
                ws.append([_cell(ws, label, bold=True), _cell(ws, value)])
        elif block.kind == "heading":
            ws.append([_cell(ws, block.text, bold=True, size=12)])
        elif block.kind == "paragraph":
            ws.append([_cell(ws, block.text, wrap=False)])
        elif block.kind == "table":
            ws.append([_cell(ws, t, bold=True, fill=True) for t in block.titles])
            for values in block.rows():
                ws.append([_cell(ws, v) for v in values])
    wb.save(path)


def _cell(ws, value, bold=False, size=None, fill=False, wrap=True) -> WriteOnlyCell:
    cell = as_text(WriteOnlyCell(ws, value=value))
    if bold or size:
        cell.font = Font(bold=bold, size=size or 11)
    if fill:
        cell.fill = PatternFill("solid", fgColor=HEADER_RGB)
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
    # XLSX: source_row is the Excel row number; CSV: the data line number after the header
    row_label = ROW_CSV if str(file_name).lower().endswith(".csv") else ROW_XLSX
    title = f"Результат загрузки файла «{_mask(file_name)}»"
    rejected_file = status == "rejected"
    facts = [
        ("Файл", _mask(file_name)),
        ("Вид данных", source_title(source)),
        ("Получен", when_ru(started_at)),
        ("Номер загрузки", int(load_id)),
        ("Статус", Toned(ru(STATUS_RU, status), BAD if rejected_file else OK)),
        ("Строк прочитано", rows_read or 0),
        ("Строк принято", rows_loaded or 0),
        ("Строк отклонено", rows_quarantined or listed_rejected or 0),
        ("Строк исправлено автоматически", corrected),
    ]
    text = _QUARANTINE_COPY.sub("", message or "").strip().replace("в карантине", "отклонено")
    if text:
        facts.append(("Причина" if rejected_file else "Сообщение", _mask(text)))
    blocks = [Block("facts", pairs=tuple(facts))]

    if listed_rejected:

        def rejected_rows() -> Iterator[tuple]:
            rows = _stream(
                conn,
                "select source_row, reason, row_data from audit.quarantine where load_id = %s"
                " order by source_row limit %s",
                (load_id, MAX_LISTED),
                f"feedback_rejected_{int(load_id)}",
            )
            for source_row, reason, row_data in rows:
                yield source_row, _mask(reason), _row_values(source, row_data)

        blocks.append(Block("heading", f"Отклонённые строки ({listed_rejected})"))
        blocks.append(
            Block("table", titles=(row_label, "Причина", "Значения строки"), rows=rejected_rows)
        )
        if listed_rejected > MAX_LISTED:
            blocks.append(
                Block("paragraph", f"Показаны первые {MAX_LISTED} строк из {listed_rejected}.")
            )

    if corrected:

        def corrected_rows() -> Iterator[tuple]:
            rows = _stream(
                conn,
                "select source_row, string_agg(note, '; ' order by note) from audit.corrections"
                " where load_id = %s group by source_row order by source_row limit %s",
                (load_id, MAX_LISTED),
                f"feedback_corrected_{int(load_id)}",
            )
            for source_row, note in rows:
                yield source_row, _mask(note)

        blocks.append(Block("heading", f"Исправлено автоматически ({corrected})"))
        blocks.append(Block("table", titles=(row_label, "Что исправлено"), rows=corrected_rows))
        if corrected > MAX_LISTED:
            blocks.append(Block("paragraph", f"Показаны первые {MAX_LISTED} строк из {corrected}."))

    blocks.append(Block("heading", "Что делать"))
    if status == "duplicate":
        todo = DUPLICATE
    elif rejected_file and not listed_rejected:
        todo = RESEND_FILE
    elif listed_rejected or rejected_file:
        todo = RESEND
    else:
        todo = ALL_GOOD
    blocks.append(Block("paragraph", todo, tone="todo"))
    if corrected:
        blocks.append(Block("paragraph", CHECK_CORRECTIONS))

    _write_sheet(xlsx_path, title, blocks)
    write_page(html_path, "feedback.html", title=title, blocks=blocks)
    return xlsx_path
