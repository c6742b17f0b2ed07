"""Tiny landing folders for tests, written exactly per sources.md."""

from __future__ import annotations

from pathlib import Path

EGE_HEADER = [
    "Год", "Этап", "Дата экзамена", "Форма", "Код АТЕ", "Код ОО", "Категория участника",
    "Фамилия", "Имя", "Отчество", "СНИЛС", "Серия документа", "Номер документа",
    "Код предмета", "Предмет", "Первичный балл", "Тестовый балл", "Отметка",
    "Статус результата",
]  # fmt: skip
OGE_HEADER = [h for h in EGE_HEADER if h != "Тестовый балл"]

MUNICIPALITIES = [
    ("01", "г. Тестовск", "городской округ"),
    ("02", "Тестовый", "муниципальный район"),
]
SCHOOLS = [
    ("270001", "01", "Школа № 1", "город", "муниципальная", "0", "0"),
    ("270002", "01", "Лицей № 2", "город", "муниципальная", "0", "0"),
    ("270003", "02", "Сельская школа", "село", "муниципальная", "1", "1"),
]


def write_csv(path: Path, header: list[str], rows: list[list], encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [";".join(header)] + [";".join("" if v is None else str(v) for v in r) for r in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def write_reference(landing: Path) -> None:
    write_csv(
        landing / "reference/municipalities.csv", ["Код АТЕ", "Наименование", "Тип"], MUNICIPALITIES
    )
    write_csv(
        landing / "reference/schools.csv",
        ["Код ОО", "Код АТЕ", "Наименование", "Тип местности", "Подчинённость", "ШНОР", "ШСУ"],
        SCHOOLS,
        encoding="cp1251",
    )


def ege_row(
    snils="111-222-333 44", subject=1, test=70, primary=30, mark=None, school="270001", ate="01",
    category="ВТГ", stage="основной", date="03.06.2023", status="действителен", year=2023,
    form="ЕГЭ", surname="Иванова", series="", number="",
) -> dict:  # fmt: skip
    return {
        "Год": year, "Этап": stage, "Дата экзамена": date, "Форма": form, "Код АТЕ": ate,
        "Код ОО": school, "Категория участника": category, "Фамилия": surname, "Имя": "Анна",
        "Отчество": "Петровна", "СНИЛС": snils, "Серия документа": series,
        "Номер документа": number, "Код предмета": subject, "Предмет": "",
        "Первичный балл": primary, "Тестовый балл": test, "Отметка": mark,
        "Статус результата": status,
    }  # fmt: skip


def write_ege(path: Path, rows: list[dict], header=None, encoding="utf-8") -> Path:
    header = header or EGE_HEADER
    return write_csv(path, header, [[r.get(h) for h in header] for r in rows], encoding)
