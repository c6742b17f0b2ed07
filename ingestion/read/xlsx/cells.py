"""Cell values as people read them in Excel."""

from __future__ import annotations

import datetime as dt


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


def cell_text(value, pad: int | None = None) -> str:
    """A cell value as text: `display` of it, with a zero-padding number format («000000»,
    used to show codes with leading zeros; `pad` = its width) applied as Excel shows it."""
    if pad and isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        if float(value).is_integer():
            return str(int(value)).zfill(pad)
    return display(value)


def shown(values: list, row: int, zero_pad: dict[tuple[int, int], int]) -> list[str]:
    """The texts of one sheet row (1-based number `row`), as people see them."""
    out = [v if type(v) is str else display(v) for v in values]
    if zero_pad:
        for c, v in enumerate(values, start=1):
            pad = zero_pad.get((row, c))
            if pad:
                out[c - 1] = cell_text(v, pad)
    return out
