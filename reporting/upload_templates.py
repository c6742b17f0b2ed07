"""Blank XLSX templates that schools fill in: olympiad results and the career-guidance report.

Each template has the contract's headers in row 1 of the contract's sheet (`spec.sheet`),
drop-down lists for controlled values, number checks on counts and grades, text format on
codes (leading zeros survive) and СНИЛС, a frozen header, and an «Инструкция» sheet in Russian.
A template filled in as instructed loads with no rejected rows (ingestion/read/xlsx reads it).

    python -m reporting.upload_templates OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ingestion.excel_text import as_text
from reporting.labels import HEADER_RGB
from sources import (
    INT,
    NUMBER,
    PERSONAL,
    SCHOOL_YEAR,
    SOURCES,
    TEXT,
    Column,
    SourceSpec,
)
from sources.olympiad import EVENTS as OLY_EVENTS
from sources.olympiad import OTHER_STAGES, VSOSH_STAGES

LAST_ROW = 1_048_576  # validations and formats cover the whole column
TEXT_FORMAT = "@"
INSTRUCTION_SHEET = "Инструкция"

_HEADER_FILL = PatternFill("solid", fgColor=HEADER_RGB)
_THIN = Side(style="thin", color="9BC2E6")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")

YEAR_HELP = "учебный год через косую черту: 2023/2024"
CODE_HELP = "вводится как текст: ведущие нули сохраняются"

# What to write in each column (from ../shared/spec/sources.md).
HELP: dict[str, dict[str, str]] = {
    "olympiad": {
        "Учебный год": f"{YEAR_HELP} (год, в котором проходило мероприятие)",
        "Мероприятие": "выберите из списка: " + ", ".join(OLY_EVENTS),
        "Этап": (
            "ВсОШ: "
            + ", ".join(VSOSH_STAGES)
            + "; остальные мероприятия: "
            + ", ".join(OTHER_STAGES)
        ),  # fmt: skip
        "Предмет": (
            "для ВсОШ — предмет олимпиады (Русский язык, Математика, Физика, …); "
            "для остальных мероприятий — название программы или направления"
        ),
        "Класс": "класс, в котором учится обучающийся: целое число от 4 до 11",
        "Код АТЕ": f"код муниципалитета (АТЕ) по региональному справочнику; {CODE_HELP}",
        "Код ОО": f"код образовательной организации по реестру ОО; {CODE_HELP}",
        "СНИЛС": (
            "СНИЛС обучающегося, 11 цифр (можно с дефисами и пробелом: 123-456-789 01). "
            "В хранилище не сохраняется: заменяется обезличенным ключом, чтобы ученик "
            "учитывался один раз на мероприятие, этап и предмет"
        ),
        "Балл": "набранный балл, число ≥ 0; для ВсОШ обязателен, для остальных может быть пустым",
        "Максимальный балл": (
            "максимально возможный балл, число > 0; для ВсОШ обязателен; не меньше «Балл»"
        ),
        "Статус": "выберите из списка: участник, призёр, победитель",
    },
    "career": {
        "Учебный год": f"{YEAR_HELP} (год, за который составлен отчёт)",
        "Код АТЕ": f"код муниципалитета (АТЕ) по региональному справочнику; {CODE_HELP}",
        "Код ОО": f"код образовательной организации по реестру ОО; {CODE_HELP}",
        "Обучающихся 6-11 классов": "численность обучающихся 6–11 классов, целое число ≥ 0",
        "Участников «Билет в будущее»": "число участников проекта «Билет в будущее»",
        "Получили рекомендации «Билет в будущее»": (
            "сколько участников «Билета в будущее» получили рекомендации; "
            "не больше числа участников"
        ),
        "Участников открытых уроков «Проектория»": (
            "число разных обучающихся, участвовавших в открытых уроках «Проектория» "
            "(каждый ученик считается один раз)"
        ),
        "Выпускников 9 классов": "численность выпускников 9 классов",
        "Выпускников 11 классов": "численность выпускников 11 классов",
        "Выпускников 9 классов, продолживших обучение в 10 классе": (
            "сколько выпускников 9 классов продолжили обучение в 10 классе; "
            "не больше числа выпускников 9 классов"
        ),
        "Выпускников, завершивших профессиональное обучение": (
            "выпускники 9 и 11 классов, завершившие программу профессионального обучения"
        ),
        "Выбрали для ГИА предметы профильного уровня": (
            "число выпускников, выбравших для ГИА предметы профильного уровня"
        ),
        "Поступили в СПО по профилю": "поступили в СПО по профилю обучения",
        "Поступили в ВО по профилю": "поступили в вузы по профилю обучения",
        "Мероприятий с предприятиями": "число совместных профориентационных мероприятий",
        "Уровень единой модели профориентации": (
            "выберите из списка: базовый, основной, продвинутый; пусто, если уровень не присвоен"
        ),
    },
}

GENERAL_RULES: dict[str, list[str]] = {
    "olympiad": [
        "Заполняйте лист «Результаты»: одна строка — результат одного обучающегося "
        "на одном мероприятии, этапе и по одному предмету (направлению).",
        "Балл и максимальный балл обязательны для ВсОШ; дробная часть — через запятую.",
    ],
    "career": [
        "Заполняйте лист «Отчёт»: одна строка — одна школа за один учебный год. "
        "Муниципалитет может прислать отчёты нескольких школ в одном файле — по строке на школу.",
        "Все числовые столбцы обязательны: если значение равно нулю, впишите 0 "
        "(пустая ячейка — ошибка).",
    ],
}
COMMON_RULES = [
    "Не переименовывайте лист и столбцы, не добавляйте строки над заголовком и не "
    "объединяйте ячейки: первая строка — заголовок, данные — со второй строки.",
    "Учебный год записывается через косую черту: 2023/2024.",
    "Коды АТЕ и ОО — как в региональных справочниках, вместе с ведущими нулями "
    "(в этих столбцах текстовый формат ячеек).",
    "Числа вводите цифрами, без пробелов, единиц измерения и пояснений; значения из "
    "выпадающих списков выбирайте из списка.",
    "Повторная отправка: новый файл заменяет ранее загруженный файл этой школы за этот учебный "
    "год (данные не складываются). Поэтому присылайте файл целиком, а не только "
    "исправленные строки.",
    "После загрузки вы получите отчёт: сколько строк принято, какие строки отклонены и "
    "почему (с номерами строк Excel), что исправлено автоматически.",
]


def _width(col: Column) -> float:
    if col.kind == SCHOOL_YEAR:
        return 13
    if col.header in ("Код АТЕ", "Код ОО", "Класс"):
        return 11
    if col.kind == PERSONAL:
        return 17
    longest = max(len(w) for w in col.header.split())
    return max(14.0, min(30.0, len(col.header) / 2.2, longest + 4.0)) if col.header else 14


def _validation(spec: SourceSpec, col: Column) -> DataValidation | None:
    label = col.header
    if col.allowed and col.kind not in (INT, NUMBER):
        values = list(col.allowed)
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
        dv.error = "Выберите значение из списка: " + ", ".join(values)
        dv.prompt = "Выберите из списка"
    elif col.kind == INT and col.lo is not None and col.hi is not None:
        dv = DataValidation(
            type="whole", operator="between", formula1=f"{col.lo:g}", formula2=f"{col.hi:g}"
        )
        dv.error = f"Целое число от {col.lo:g} до {col.hi:g}"
        dv.prompt = dv.error
    elif col.kind == INT:
        dv = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0")
        dv.error = "Целое число не меньше 0, без пробелов и пояснений"
        dv.prompt = "Целое число ≥ 0"
    elif col.kind == NUMBER:
        dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0")
        dv.error = "Число не меньше 0 (дробная часть — через запятую)"
        dv.prompt = "Число ≥ 0"
    elif col.kind == SCHOOL_YEAR:
        dv = DataValidation(type="textLength", operator="equal", formula1="9")
        dv.error = "Учебный год пишется так: 2023/2024"
        dv.prompt = "Например, 2023/2024"
    elif col.kind == PERSONAL:
        dv = DataValidation(type="textLength", operator="between", formula1="11", formula2="14")
        dv.error = "СНИЛС: 11 цифр, например 12345678901 или 123-456-789 01"
        dv.prompt = "11 цифр СНИЛС обучающегося"
    else:
        return None
    dv.allow_blank = True
    dv.showErrorMessage = True
    dv.showInputMessage = True
    dv.errorStyle = "stop"
    dv.errorTitle = label[:32]
    dv.promptTitle = label[:32]
    dv.error = dv.error[:255]
    dv.prompt = dv.prompt[:255]
    return dv


def _data_sheet(wb: Workbook, spec: SourceSpec) -> None:
    ws = wb.active
    ws.title = spec.sheet
    for i, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(i)
        cell = as_text(ws.cell(row=1, column=i, value=col.header))
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
        dim = ws.column_dimensions[letter]
        dim.width = _width(col)
        is_code = col.kind == TEXT and col.name.endswith("_code")
        if is_code or col.kind in (PERSONAL, SCHOOL_YEAR):
            dim.number_format = TEXT_FORMAT  # the column's style: new entries stay text
        elif col.kind == INT:
            dim.number_format = "0"
        dv = _validation(spec, col)
        if dv is not None:
            dv.add(f"{letter}2:{letter}{LAST_ROW}")
            ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 60 if spec.name == "career" else 32
    ws.freeze_panes = "A2"
    ws.sheet_view.zoomScale = 100


def _instruction_sheet(wb: Workbook, spec: SourceSpec) -> None:
    ws = wb.create_sheet(INSTRUCTION_SHEET)
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 90
    ws["A1"] = f"{spec.title_ru}: как заполнить шаблон"
    ws["A1"].font = Font(bold=True, size=13)
    row = 3
    for rule in GENERAL_RULES[spec.name] + COMMON_RULES:
        as_text(ws.cell(row=row, column=1, value="•"))
        cell = as_text(ws.cell(row=row, column=2, value=rule))
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=3)
        cell.alignment = _WRAP
        ws.row_dimensions[row].height = 15 * (1 + len(rule) // 100)
        row += 1
    row += 1
    for i, title in enumerate(("Столбец", "Обязательно", "Что указать"), start=1):
        cell = as_text(ws.cell(row=row, column=i, value=title))
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.border = _BORDER
    for col in spec.columns:
        row += 1
        required = "да" if col.required or col.kind == PERSONAL else "нет"
        if spec.name == "olympiad" and col.header in ("Балл", "Максимальный балл"):
            required = "для ВсОШ"
        text = HELP[spec.name][col.header]
        for i, value in enumerate((col.header, required, text), start=1):
            cell = as_text(ws.cell(row=row, column=i, value=value))
            cell.alignment = _WRAP
            cell.border = _BORDER
        ws.row_dimensions[row].height = 15 * (1 + len(text) // 85)


def write_template(spec: SourceSpec, path: Path) -> Path:
    wb = Workbook()
    _data_sheet(wb, spec)
    _instruction_sheet(wb, spec)
    wb.active = 0
    wb.properties.title = spec.title_ru
    wb.properties.creator = "edu-dwh"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_templates(out_dir: Path) -> list[Path]:
    """Write olympiad_template.xlsx and career_template.xlsx into out_dir."""
    out_dir = Path(out_dir)
    return [
        write_template(SOURCES["olympiad"], out_dir / "olympiad_template.xlsx"),
        write_template(SOURCES["career"], out_dir / "career_template.xlsx"),
    ]


if __name__ == "__main__":  # pragma: no cover
    for written in write_templates(Path(sys.argv[1] if len(sys.argv) > 1 else ".")):
        print(written)
