"""Writers of fis_gia/ege/*.csv and fis_gia/oge/*.csv exactly per sources.md.

One ЕГЭ file per year and stage (``ege_2024_osnovnoy.csv`` …), one ОГЭ file per year,
split by municipality group from 2023 (``oge_2024_khabarovsk.csv`` for г. Хабаровск and
``oge_2024_other_municipalities.csv``). Encodings, column orders and the decimal comma vary
between files (see ``file_format``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .csv_format import CP1251, UTF8, UTF8_BOM, FileFormat, write_csv
from .population import Region
from .schedule import MAIN, STAGES
from .sittings import STATUSES, VALID
from .subjects import subject_name
from .text_columns import Coded, int_text

EGE_COLUMNS: tuple[str, ...] = (
    "Год", "Этап", "Дата экзамена", "Форма", "Код АТЕ", "Код ОО", "Категория участника",
    "Фамилия", "Имя", "Отчество", "СНИЛС", "Серия документа", "Номер документа",
    "Код предмета", "Предмет", "Первичный балл", "Тестовый балл", "Отметка",
    "Статус результата",
)  # fmt: skip
OGE_COLUMNS: tuple[str, ...] = tuple(c for c in EGE_COLUMNS if c != "Тестовый балл")

PERSONAL_FIELDS: dict[str, str] = {
    "Фамилия": "surname",
    "Имя": "first_name",
    "Отчество": "patronymic",
    "СНИЛС": "snils",
    "Серия документа": "doc_series",
    "Номер документа": "doc_number",
}
_PERSONAL = tuple(PERSONAL_FIELDS)

STAGE_SLUGS = ("dosrochny", "osnovnoy", "rezervny", "dopolnitelny")
KHABAROVSK = "01"
# From this year on the ОГЭ export comes in two files per year (by municipality group).
OGE_SPLIT_FROM = 2023


def _personal_first(columns: tuple[str, ...]) -> tuple[str, ...]:
    return _PERSONAL + tuple(c for c in columns if c not in _PERSONAL)


def _scrambled(columns: tuple[str, ...]) -> tuple[str, ...]:
    # A fixed permutation, the same for every seed.
    order = np.random.default_rng(20240531).permutation(len(columns))
    return tuple(columns[i] for i in order)


def file_format(exam: str, year: int, part: str) -> FileFormat:
    """Format of one file. part: the stage slug (ЕГЭ) or the municipality group (ОГЭ)."""
    columns = EGE_COLUMNS if exam == "ege" else OGE_COLUMNS
    contract = FileFormat(CP1251, columns, newline="\r\n")
    utf_personal = FileFormat(UTF8, _personal_first(columns))
    bom_scrambled = FileFormat(UTF8_BOM, _scrambled(columns))
    explicit: dict[tuple[str, int, str], FileFormat] = {
        ("ege", 2023, "osnovnoy"): FileFormat(
            UTF8_BOM, _personal_first(columns), decimal_comma=("Первичный балл",)
        ),
        ("ege", 2023, "rezervny"): FileFormat(UTF8, _scrambled(columns)),
        ("ege", 2023, "dosrochny"): FileFormat(UTF8, columns),
        ("ege", 2023, "dopolnitelny"): FileFormat(UTF8, _scrambled(columns)),
        ("ege", 2024, "osnovnoy"): contract,
        ("ege", 2024, "rezervny"): bom_scrambled,
        ("ege", 2024, "dosrochny"): utf_personal,
        ("ege", 2024, "dopolnitelny"): contract,
        ("oge", 2021, "all"): FileFormat(
            UTF8_BOM, _scrambled(columns), decimal_comma=("Первичный балл",)
        ),
        ("oge", 2022, "all"): utf_personal,
        ("oge", 2023, "other_municipalities"): FileFormat(UTF8, _scrambled(columns)),
        ("oge", 2024, "khabarovsk"): FileFormat(UTF8_BOM, columns),
        ("oge", 2024, "other_municipalities"): FileFormat(
            CP1251, _personal_first(columns), newline="\r\n"
        ),
    }
    return explicit.get((exam, year, part), contract)


def _coded(column: pd.Series) -> Coded:
    return Coded(
        column.cat.codes.to_numpy().astype(np.int64), column.cat.categories.to_numpy(dtype=object)
    )


def _lookup(codes: np.ndarray, texts: list[str]) -> Coded:
    return Coded(np.asarray(codes, dtype=np.int64), np.array(texts, dtype=object))


def export_table(sittings: pd.DataFrame, region: Region, exam: str) -> dict[str, Coded]:
    """Sitting rows → text columns named as in the contract, in the order of an export:
    by date, municipality, school, person."""
    date = _coded(sittings["date"])
    ymd = np.array([int(d[6:10] + d[3:5] + d[:2]) for d in date.values], dtype=np.int64)
    ate, school = _coded(sittings["ate_code"]), _coded(sittings["school_code"])
    person_id = sittings["person_id"].to_numpy()
    # categories are sorted, so their codes sort like the codes themselves
    order = np.lexsort((person_id, school.codes, ate.codes, ymd[date.codes]))
    subject = sittings["subject"].to_numpy()[order]
    form = _coded(sittings["form"]).take(order)
    gve = form.values[form.codes] != "ЕГЭ"
    key = subject * 10 + gve
    uniq, inverse = np.unique(key, return_inverse=True)
    names = [subject_name(int(k // 10), "ГВЭ" if k % 10 else "ЕГЭ") for k in uniq]
    person = region.identity(person_id[order])
    column = {c: sittings[c].to_numpy()[order] for c in ("year", "stage", "primary", "test",
                                                          "mark", "status")}  # fmt: skip
    table = {
        "Год": int_text(column["year"]),
        "Этап": _lookup(column["stage"], list(STAGES)),
        "Дата экзамена": date.take(order),
        "Форма": form,
        "Код АТЕ": ate.take(order),
        "Код ОО": school.take(order),
        "Категория участника": _coded(sittings["category"]).take(order),
        **{name: person[field] for name, field in PERSONAL_FIELDS.items()},
        "Код предмета": int_text(subject),
        "Предмет": _lookup(inverse, names),
        "Первичный балл": int_text(column["primary"]),
        "Тестовый балл": int_text(column["test"]),
        "Отметка": int_text(column["mark"]),
        "Статус результата": _lookup(column["status"], list(STATUSES)),
    }
    if exam == "oge":
        del table["Тестовый балл"]
    return table


@dataclass
class InjectedError:
    """A deliberate mistake in a landing file. ``source_row`` is the row number the
    pipeline reports: for a CSV the 1-based data line (header = line 0), for an XLSX the
    sheet row as Excel shows it, 0 for the whole file. ``rejected``: the pipeline must
    quarantine the row (True) or read past the mistake (False: messy layout)."""

    file: str
    source_row: int
    problem: str
    rejected: bool = True


def inject_errors(
    table: dict[str, Coded], region: Region, year: int, rel: str
) -> tuple[dict[str, Coded], list[InjectedError]]:
    """Insert three deliberately invalid rows, shaped like the file's valid ones, at a
    quarter, half and three quarters of the file; the persons are new ones."""
    people = region.identities.make("errors", year, 3)
    region.register(people)
    text = {c: table[c].text() for c in ("Статус результата", "Форма", "Код предмета")}
    valid = (text["Статус результата"] == STATUSES[VALID]) & (text["Форма"] == "ЕГЭ")
    picks = []
    for subject in ("1", "12", "6"):
        cand = np.flatnonzero(valid & (text["Код предмета"] == subject))
        cand = cand if len(cand) else np.flatnonzero(valid)
        picks.append(cand[len(cand) // 3])
    bad = {c: table[c].take(np.array(picks)).text() for c in table}
    for column, field in PERSONAL_FIELDS.items():
        bad[column] = people[field].to_numpy(dtype=object)
    bad["Тестовый балл"][0] = "105"
    bad["Код ОО"][1] = "999999"
    bad["Статус результата"][2] = "отменён"
    problems = (
        "Тестовый балл 105 > 100",
        "Код ОО 999999 is not in reference/schools.csv",
        "Статус результата «отменён» is not a known status",
    )
    n = len(table["Год"])
    positions = [n // 4, n // 2, (3 * n) // 4]
    out = {c: table[c].insert(positions, bad[c]) for c in table}
    errors = [InjectedError(rel, pos + i + 1, problems[i]) for i, pos in enumerate(positions)]
    return out, errors


def write_ege(
    out: Path, region: Region, year: int, sittings: pd.DataFrame, with_errors: bool
) -> tuple[dict[str, dict], list[InjectedError]]:
    """Write the ЕГЭ/ГВЭ-11 files of a year; returns {relative path: info} and the errors
    injected (into the основной file, when with_errors)."""
    files: dict[str, dict] = {}
    errors: list[InjectedError] = []
    for stage, slug in enumerate(STAGE_SLUGS):
        part = sittings[sittings["stage"] == stage]
        if part.empty:
            continue
        table = export_table(part, region, "ege")
        rel = f"fis_gia/ege/ege_{year}_{slug}.csv"
        if with_errors and stage == MAIN:
            table, errors = inject_errors(table, region, year, rel)
        fmt = file_format("ege", year, slug)
        rows = write_csv(out / rel, table, fmt)
        files[rel] = {"rows": rows, "encoding": fmt.encoding}
    return files, errors


def write_oge(out: Path, region: Region, year: int, sittings: pd.DataFrame) -> dict[str, dict]:
    """Write the ОГЭ/ГВЭ-9 file(s) of a year; returns {relative path: info}."""
    if year >= OGE_SPLIT_FROM:
        khv = (sittings["ate_code"] == KHABAROVSK).to_numpy()
        parts = {"khabarovsk": sittings[khv], "other_municipalities": sittings[~khv]}
    else:
        parts = {"all": sittings}
    files: dict[str, dict] = {}
    for name, part in parts.items():
        if part.empty:
            continue
        suffix = "" if name == "all" else f"_{name}"
        rel = f"fis_gia/oge/oge_{year}{suffix}.csv"
        fmt = file_format("oge", year, name)
        rows = write_csv(out / rel, export_table(part, region, "oge"), fmt)
        files[rel] = {"rows": rows, "encoding": fmt.encoding}
    return files
