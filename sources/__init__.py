"""The source contract (../shared/spec/sources.md) as data: files, headers, types, values.

One `SourceSpec` per landing source. Everything that reads or checks a file takes its
rules from here, so the contract lives in one place.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

# kinds of column values
TEXT = "text"
INT = "int"
NUMBER = "number"
DATE = "date"
FLAG = "flag"  # 1/0
PERSONAL = "personal"  # dropped / pseudonymised, never stored
SCHOOL_YEAR = "school_year"  # '2023/2024' → stored as text, year = 2024
TASKS = "tasks"  # ВПР per-task columns З1, З2, … (any number) → jsonb task_scores

STAGES = ("досрочный", "основной", "резервный", "дополнительный")
STATUSES = ("действителен", "аннулирован", "не явился", "удалён", "на апелляции")
VALID_STATUS = "действителен"
EGE_SUBJECTS = (1, 2, 22, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18, 29)
OGE_SUBJECTS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18, 29)
BASE_MATHS = 22
# Years a file may carry: a year after next is a typing error (the GX suites agree).
MAX_YEAR = dt.date.today().year + 1
VPR_SUBJECTS = (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 18, 40)
OLY_EVENTS = ("ВсОШ", "Большие вызовы", "НТО", "Сириус", "Код будущего", "Большая перемена")
VSOSH_STAGES = ("школьный", "муниципальный", "региональный", "заключительный")
OTHER_STAGES = ("отборочный", "заключительный", "обучение завершено")
OLY_STATUSES = ("участник", "призёр", "победитель")
CAREER_MODEL_LEVELS = ("базовый", "основной", "продвинутый")


@dataclass(frozen=True)
class Column:
    header: str  # Russian header as in the file
    name: str  # column in the raw table ('' for personal columns)
    kind: str
    required: bool = False  # value must be present (for every row)
    allowed: tuple = ()  # allowed values (text) or () for any
    lo: float | None = None
    hi: float | None = None


@dataclass(frozen=True)
class SourceSpec:
    name: str  # ege, oge, municipalities, ...
    folder: str  # relative to the landing root
    patterns: tuple[str, ...]  # file name patterns in the folder
    raw_table: str
    columns: tuple[Column, ...]
    title_ru: str
    constants: dict = field(default_factory=dict)  # raw columns with a fixed value
    # The row's natural key (sources.md, "Several files, re-deliveries and corrections"):
    # a second row with this key in one file is a repeat (quarantined); a row whose key was
    # already loaded from another file is a correction of that row (the later delivery wins).
    natural_key: tuple[str, ...] = ()
    sheet: str | None = None  # XLSX uploads: the template's sheet name

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def stored(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.kind != PERSONAL)


# ЕГЭ/ОГЭ: person, year, form, subject, stage, exam date (sources.md).
GIA_NATURAL_KEY = ("person_key", "year", "form", "subject_code", "stage", "exam_date")


def _gia_columns(exam_forms: tuple[str, ...], categories, subjects, with_test_score: bool):
    cols = [
        Column("Год", "year", INT, required=True, lo=2000, hi=MAX_YEAR),
        Column("Этап", "stage", TEXT, required=True, allowed=STAGES),
        Column("Дата экзамена", "exam_date", DATE),
        Column("Форма", "form", TEXT, required=True, allowed=exam_forms),
        Column("Код АТЕ", "ate_code", TEXT, required=True),
        Column("Код ОО", "school_code", TEXT),
        Column("Категория участника", "category", TEXT, required=True, allowed=categories),
        Column("Фамилия", "", PERSONAL),
        Column("Имя", "", PERSONAL),
        Column("Отчество", "", PERSONAL),
        Column("СНИЛС", "", PERSONAL),
        Column("Серия документа", "", PERSONAL),
        Column("Номер документа", "", PERSONAL),
        Column("Код предмета", "subject_code", INT, required=True, allowed=subjects),
        Column("Предмет", "subject_name", TEXT),
        Column("Первичный балл", "primary_score", INT, lo=0),
    ]
    if with_test_score:
        cols.append(Column("Тестовый балл", "test_score", INT, lo=0, hi=100))
    cols += [
        Column("Отметка", "mark", INT, lo=2, hi=5),
        Column("Статус результата", "status", TEXT, required=True, allowed=STATUSES),
    ]
    return tuple(cols)


SOURCES: dict[str, SourceSpec] = {
    "municipalities": SourceSpec(
        name="municipalities",
        folder="reference",
        patterns=("municipalities.csv",),
        raw_table="raw.municipalities",
        title_ru="Справочник муниципалитетов (АТЕ)",
        natural_key=("ate_code",),
        columns=(
            Column("Код АТЕ", "ate_code", TEXT, required=True),
            Column("Наименование", "name", TEXT, required=True),
            Column(
                "Тип",
                "type",
                TEXT,
                required=True,
                allowed=("городской округ", "муниципальный район"),
            ),
        ),
    ),
    "schools": SourceSpec(
        name="schools",
        folder="reference",
        patterns=("schools.csv",),
        raw_table="raw.schools",
        title_ru="Реестр ОО",
        natural_key=("school_code",),
        columns=(
            Column("Код ОО", "school_code", TEXT, required=True),
            Column("Код АТЕ", "ate_code", TEXT, required=True),
            Column("Наименование", "name", TEXT, required=True),
            Column("Тип местности", "locality", TEXT, required=True, allowed=("город", "село")),
            Column(
                "Подчинённость",
                "subordination",
                TEXT,
                required=True,
                allowed=("муниципальная", "региональная", "федеральная", "частная"),
            ),
            Column("ШНОР", "is_shnor", FLAG, required=True),
            Column("ШСУ", "is_shsu", FLAG, required=True),
        ),
    ),
    "targets": SourceSpec(
        name="targets",
        folder="reference",
        patterns=("targets.csv",),
        raw_table="raw.targets",
        title_ru="Целевые показатели",
        natural_key=("indicator_code", "year", "level", "territory_code", "subject_code"),
        columns=(
            Column("Код показателя", "indicator_code", TEXT, required=True),
            Column("Год", "year", INT, required=True, lo=2000, hi=2100),
            Column(
                "Уровень", "level", TEXT, required=True, allowed=("регион", "муниципалитет", "ОО")
            ),
            Column("Код территории", "territory_code", TEXT, required=True),
            Column("Предмет", "subject_code", INT),
            Column("Целевое значение", "target_value", NUMBER, required=True),
        ),
    ),
    "ege": SourceSpec(
        name="ege",
        folder="fis_gia/ege",
        patterns=("*.csv",),
        raw_table="raw.gia_results",
        title_ru="Результаты ЕГЭ/ГВЭ-11 (ФИС ГИА)",
        constants={"gia_level": 11},
        natural_key=GIA_NATURAL_KEY,
        columns=_gia_columns(("ЕГЭ", "ГВЭ"), ("ВТГ", "ВПЛ", "СПО", "ИНО"), EGE_SUBJECTS, True),
    ),
    "oge": SourceSpec(
        name="oge",
        folder="fis_gia/oge",
        patterns=("*.csv",),
        raw_table="raw.gia_results",
        title_ru="Результаты ОГЭ/ГВЭ-9 (ФИС ГИА)",
        constants={"gia_level": 9},
        natural_key=GIA_NATURAL_KEY,
        columns=_gia_columns(("ОГЭ", "ГВЭ"), ("ВТГ", "ИНО"), OGE_SUBJECTS, False),
    ),
}

SOURCES["vpr"] = SourceSpec(
    name="vpr",
    folder="fis_oko/vpr",
    patterns=("*.csv", "*.xlsx"),
    raw_table="raw.vpr_results",
    title_ru="Результаты ВПР (ФИС ОКО)",
    natural_key=("year", "school_code", "student_code", "subject_code", "grade"),
    columns=(
        Column("Год", "year", INT, required=True, lo=2000, hi=MAX_YEAR),
        Column("Код АТЕ", "ate_code", TEXT, required=True),
        Column("Код ОО", "school_code", TEXT, required=True),
        Column("Класс", "grade", INT, required=True, lo=4, hi=11),
        Column("Литера", "class_letter", TEXT),
        Column("Код ученика", "student_code", TEXT, required=True),
        Column("Код предмета", "subject_code", INT, required=True, allowed=VPR_SUBJECTS),
        Column("Первичный балл", "primary_score", INT, required=True, lo=0),
        Column("Отметка", "mark", INT, required=True, lo=2, hi=5),
        Column("Отметка по журналу", "journal_mark", INT, lo=2, hi=5),
        Column("З", "task_scores", TASKS),  # З1, З2, … optional
    ),
)
SOURCES["olympiad"] = SourceSpec(
    name="olympiad",
    folder="uploads/olympiad",
    patterns=("*.xlsx",),
    raw_table="raw.olympiad_results",
    title_ru="Результаты олимпиад и конкурсов (лист «Результаты»)",
    natural_key=("person_key", "year", "event", "stage", "subject"),
    sheet="Результаты",
    columns=(
        Column("Учебный год", "school_year", SCHOOL_YEAR, required=True),
        Column("Мероприятие", "event", TEXT, required=True, allowed=OLY_EVENTS),
        Column("Этап", "stage", TEXT, required=True, allowed=VSOSH_STAGES + OTHER_STAGES[::2]),
        Column("Предмет", "subject", TEXT, required=True),
        Column("Класс", "grade", INT, required=True, lo=4, hi=11),
        Column("Код АТЕ", "ate_code", TEXT, required=True),
        Column("Код ОО", "school_code", TEXT),
        Column("СНИЛС", "", PERSONAL),
        Column("Балл", "score", NUMBER, lo=0),
        Column("Максимальный балл", "max_score", NUMBER, lo=0),
        Column("Статус", "status", TEXT, required=True, allowed=OLY_STATUSES),
    ),
)
SOURCES["career"] = SourceSpec(
    name="career",
    folder="uploads/career",
    patterns=("*.xlsx",),
    raw_table="raw.career_reports",
    title_ru="Отчёт ОО о профориентации (лист «Отчёт»)",
    natural_key=("year", "school_code"),
    sheet="Отчёт",
    columns=(
        Column("Учебный год", "school_year", SCHOOL_YEAR, required=True),
        Column("Код АТЕ", "ate_code", TEXT, required=True),
        Column("Код ОО", "school_code", TEXT, required=True),
        Column("Обучающихся 6-11 классов", "students_6_11", INT, required=True, lo=0),
        Column("Участников «Билет в будущее»", "bvb_participants", INT, required=True, lo=0),
        Column(
            "Получили рекомендации «Билет в будущее»",
            "bvb_recommendations",
            INT,
            required=True,
            lo=0,
        ),
        Column(
            "Участников открытых уроков «Проектория»",
            "proektoria_participants",
            INT,
            required=True,
            lo=0,
        ),
        Column("Выпускников 9 классов", "grads_9", INT, required=True, lo=0),
        Column("Выпускников 11 классов", "grads_11", INT, required=True, lo=0),
        Column(
            "Выпускников 9 классов, продолживших обучение в 10 классе",
            "grads_9_continued",
            INT,
            required=True,
            lo=0,
        ),
        Column(
            "Выпускников, завершивших профессиональное обучение",
            "vocational_completed",
            INT,
            required=True,
            lo=0,
        ),
        Column(
            "Выбрали для ГИА предметы профильного уровня",
            "profile_gia_choice",
            INT,
            required=True,
            lo=0,
        ),
        Column("Поступили в СПО по профилю", "spo_profile", INT, required=True, lo=0),
        Column("Поступили в ВО по профилю", "vo_profile", INT, required=True, lo=0),
        Column("Мероприятий с предприятиями", "enterprise_events", INT, required=True, lo=0),
        Column(
            "Уровень единой модели профориентации",
            "model_level",
            TEXT,
            allowed=CAREER_MODEL_LEVELS,
        ),
    ),
)

# Order matters: reference data first (the registry checks of the others use it).
SOURCE_ORDER = (
    "municipalities", "schools", "targets", "ege", "oge", "vpr", "olympiad", "career",
)  # fmt: skip
