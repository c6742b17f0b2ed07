"""Vocabulary and formatting shared by the reporting modules (and by `edu-dwh loads`):
the Russian names of load, run, check and replacement statuses, the tone (colour) a status
is shown in, number and date formatting, and the header colour of every table we write
(HTML pages and XLSX sheets alike). No database, no markup: plain values only."""

from __future__ import annotations

import datetime as dt

from sources import SOURCES

# Load status → (short label: audit page, `edu-dwh loads`; wording for the school's feedback).
_LOAD_STATUSES: dict[str, tuple[str, str]] = {
    "loaded": ("загружен", "загружен"),
    "rejected": ("отклонён", "отклонён полностью"),
    "duplicate": (
        "повтор (уже загружен)",
        "не загружен повторно: файл с тем же содержимым уже загружен",
    ),
    "superseded": (
        "заменён новой версией",
        "загружен, затем заменён новой версией файла с тем же именем",
    ),
    "withdrawn": ("отозван оператором", "отозван оператором: данные файла не учитываются"),
    "skipped": ("пропущен (см. сообщение)", "не загружен: файл отозван оператором"),
    "abandoned": (
        "прерван",
        "обработка прервана — файл будет загружен при следующем запуске",
    ),
    "staged": ("в обработке", "в обработке"),
    "staging": ("в обработке", "в обработке"),
}
STATUS_RU = {status: short for status, (short, _) in _LOAD_STATUSES.items()}
STATUS_FOR_SCHOOLS_RU = {status: long for status, (_, long) in _LOAD_STATUSES.items()}

RUN_STATUS_RU = {
    "published": "опубликован",
    "blocked": "остановлен блокирующей проверкой",
    "failed": "завершён с ошибкой",
    "interrupted": "прерван",
    "loaded": "загружен без пересчёта витрин",
    "running": "выполняется",
}
SEVERITY_RU = {"critical": "блокирующая", "warning": "предупреждение"}
# audit.load_events.event and audit.row_replacements.event
REPLACEMENT_EVENT_RU = {
    "new_version": "файл заменён новой версией",
    "withdrawn": "файл отозван оператором",
    "redelivered": "файл доставлен повторно после отзыва",
    "replaced": "строки исправлены более поздним файлом",
    "restored": "строки восстановлены",
}

# Tones are CSS classes of the shared page frame (reporting/html_templates/base.html).
OK, BAD, WARN = "ok", "bad", "warn"
HEADER_RGB = "DDEBF7"  # table header background: HTML pages and XLSX sheets


def ru(vocabulary: dict[str, str], code):
    """The Russian label of a code; an unknown code is shown as it is."""
    return vocabulary.get(code, code)


def status_tone(status: str | None) -> str:
    """A rejected file is shown in red, a loaded one in green, anything else plain."""
    return {"rejected": BAD, "loaded": OK}.get(status or "", "")


def severity_tone(severity: str | None) -> str:
    return BAD if severity == "critical" else WARN


def source_title(source: str) -> str:
    """The Russian title of a source (its contract spec); the code itself if unknown."""
    spec = SOURCES.get(source)
    return spec.title_ru if spec else source


def decimal_ru(value, digits: int = 2) -> str:
    """12.5 → '12,50'; None → '—'."""
    return "—" if value is None else f"{float(value):.{digits}f}".replace(".", ",")


def when_ru(value) -> str:
    """A timestamp as people read it: '01.06.2024 10:15 (UTC+10:00)'."""
    if not isinstance(value, dt.datetime):
        return "" if value is None else str(value)
    text = value.strftime("%d.%m.%Y %H:%M")
    offset = value.strftime("%z")
    if offset:
        text += f" (UTC{offset[:3]}:{offset[3:]})"
    return text
