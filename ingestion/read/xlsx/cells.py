"""Cell values as people read them in Excel, and the rows of a read-only sheet."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

_ZERO_PAD = re.compile(r"^0{2,}$")


def display(value) -> str:
    """A cell value as text, as Excel shows it: 12.0 → "12", dates → ДД.ММ.ГГГГ, None → ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "ИСТИНА" if value else "ЛОЖЬ"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e17:
            return str(int(value))
        text = f"{value:.15g}"
        if "e" in text:
            text = f"{value:.15f}".rstrip("0").rstrip(".")
        return text
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.strftime("%d.%m.%Y")
        return value.strftime("%d.%m.%Y %H:%M" if value.second == 0 else "%d.%m.%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M" if value.second == 0 else "%H:%M:%S")
    if isinstance(value, dt.timedelta):
        total = int(value.total_seconds())
        return f"{total // 3600}:{total % 3600 // 60:02d}"
    return str(value)


def cell_text(cell) -> str:
    """A read-only cell as text: `display` of its value, with zero-padding number formats
    («000000», used to show codes with leading zeros) applied as Excel shows them."""
    value = cell.value
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        fmt = cell.number_format
        if fmt and _ZERO_PAD.match(fmt) and float(value).is_integer():
            return str(int(value)).zfill(len(fmt))
    return display(value)


def sheet_rows(ws, max_row: int | None = None) -> Iterator[tuple[int, tuple]]:
    """(row number, read-only cells) for every row from 1, blank rows included."""
    rows = ws.iter_rows(min_row=1, max_row=max_row)
    yield from enumerate(rows, start=1)
