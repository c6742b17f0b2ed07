"""Matching a file's header to the contract — one matcher and one set of Russian messages
for CSV and XLSX alike.

The formats differ only in how leniently a header text is compared (`csv_key` for machine
exports: spaces, line breaks, case and «ё» folded; `header_key` for books filled in by
people: also quote marks, dashes and , . : ; * ignored) and in where a problem is located
(a sheet and a row of a book; nothing for a CSV).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sources import TASKS, Column, SourceSpec
from sources.vpr import TASK_HEADER


class HeaderProblem(ValueError):
    """The header does not match the contract."""


def norm(text) -> str:
    """A header text as quoted in messages: BOM removed, «ё» → «е», spaces collapsed."""
    return " ".join(str(text).replace("\ufeff", "").replace("ё", "е").replace("Ё", "Е").split())


def csv_key(text) -> str:
    """Matching key of a CSV header text, and of a value against a column's allowed values
    (`parse`): `norm`, lower case."""
    return norm(text).lower()


_QUOTES = "«»\"“”„‟'‘’‚‹›`´"
_PUNCT = ",.:;*"
_KEY_TABLE = str.maketrans(
    {**{q: " " for q in _QUOTES + _PUNCT}, **{d: "-" for d in "‐‑‒–—―−"}, "\u200b": ""}
)


def header_key(text) -> str:
    """Matching key of a header text typed by people: `csv_key` plus quote marks, dashes and
    , . : ; * ignored."""
    key = csv_key(text).translate(_KEY_TABLE)
    key = " ".join(key.split())
    return re.sub(r"\s*-\s*", "-", key)


@dataclass
class FileHeader:
    encoding: str  # "utf-8", "utf-8-sig", "cp1251" or "xlsx"
    columns: list[str]  # as in the file
    mapping: dict[str, Column]  # file column → contract column
    unknown: list[str]


@dataclass
class HeaderMatch:
    """How a row of header texts matches the contract."""

    mapping: dict[str, Column]  # header text → contract column
    unknown: list[str]  # texts matching no contract column (normalised)
    missing: list[str]  # contract headers not found
    duplicate: str | None  # the first text found twice (normalised), if any

    @property
    def score(self) -> int:
        return len({c.header for c in self.mapping.values()})

    @property
    def complete(self) -> bool:
        return not self.missing and self.duplicate is None


class HeaderMatcher:
    """The contract's columns by matching key; ВПР task columns «З1», «З2», … by pattern."""

    def __init__(self, spec: SourceSpec, key: Callable[[str], str] = header_key):
        self.spec = spec
        self.key = key
        self.by_key = {key(c.header): c for c in spec.columns if c.kind != TASKS}
        self.tasks = next((c for c in spec.columns if c.kind == TASKS), None)

    def column(self, text: str) -> Column | None:
        key = self.key(text)
        if key in self.by_key:
            return self.by_key[key]
        if self.tasks is not None and TASK_HEADER.match(norm(text)):
            return self.tasks
        return None

    def match(self, texts: list[str]) -> HeaderMatch:
        mapping: dict[str, Column] = {}
        unknown: list[str] = []
        seen: set[str] = set()
        duplicate = None
        for text in texts:
            key = self.key(text)
            if key in seen and norm(text):  # blank header cells are not duplicates
                duplicate = duplicate or norm(text)
                continue
            seen.add(key)
            col = self.column(text)
            if col is not None:
                mapping[text] = col
            elif key:
                unknown.append(norm(text))
        present = {c.header for c in mapping.values()}
        missing = [
            c.header for c in self.spec.columns if c.kind != TASKS and c.header not in present
        ]
        return HeaderMatch(mapping, unknown, missing, duplicate)


def header_problem(
    match: HeaderMatch,
    spec: SourceSpec,
    *,
    duplicate_at: str = "",
    missing_at: str = "",
    unrecognised_hint: str = "",
) -> HeaderProblem | None:
    """The problem with a matched header, in Russian, or None if it is complete.
    `duplicate_at` / `missing_at` locate the header (e.g. «лист «…», строка 3»);
    `unrecognised_hint` ends the message when no contract column was recognised at all."""
    if match.duplicate:
        where = f" ({duplicate_at})" if duplicate_at else ""
        return HeaderProblem(f"столбец «{match.duplicate}» встречается в заголовке дважды{where}")
    if not match.missing:
        return None
    msg = "в заголовке нет обязательных столбцов: " + ", ".join(f"«{m}»" for m in match.missing)
    msg += unknown_names_note(list(match.unknown), recognised=bool(match.mapping))
    if not match.mapping:
        msg += (
            f". Заголовок не распознан ни по одному столбцу — проверьте, что это файл "
            f"«{spec.title_ru}»{unrecognised_hint}"
        )
    elif missing_at:
        msg += f" ({missing_at})"
    return HeaderProblem(msg)


def empty_file(where: str = "") -> HeaderProblem:
    """No header row at all (`where`: e.g. «все листы пусты»)."""
    return HeaderProblem(f"файл пуст: {where + ', ' if where else ''}нет строки заголовка")


_DATA_LIKE = re.compile(r"\d{3}|@|^\s*[\d\s.,:/-]+\s*$")


def unknown_names_note(unknown: list[str], recognised: bool) -> str:
    """'; неизвестные столбцы: …' for a header problem — quoting only what looks like a
    column name. A first row that is data (no contract column recognised, or cells with
    numbers: СНИЛС, document numbers, dates) is never quoted: it may be personal data."""
    if not unknown:
        return ""
    if not recognised:
        return "; первая строка не похожа на заголовок (возможно, строка заголовка пропущена)"
    names = [u for u in unknown if not _DATA_LIKE.search(u) and len(u) <= 80]
    hidden = len(unknown) - len(names)
    note = "; неизвестные столбцы: " + ", ".join(f"«{u}»" for u in names) if names else ""
    if hidden:
        note += f"; ещё {hidden} ячеек заголовка похожи на данные (значения не приводятся)"
    return note
