"""ФИС ГИА exports: ЕГЭ/ГВЭ-11 (fis_gia/ege/) and ОГЭ/ГВЭ-9 (fis_gia/oge/).

One export format at two levels: the sources `ege` and `oge` share their columns (ОГЭ has no
test score), value sets, row rules, natural key and raw table (`gia_level` 11 or 9)."""

from sources import subjects
from sources.spec import (
    DATE,
    INT,
    MAX_YEAR,
    MIN_YEAR,
    PERSONAL,
    TEXT,
    Baseline,
    Column,
    Constant,
    Reference,
    SourceSpec,
)

STAGES = ("досрочный", "основной", "резервный", "дополнительный")
STATUSES = ("действителен", "аннулирован", "не явился", "удалён", "на апелляции")
VALID_STATUS = "действителен"

RAW_TABLE = "raw.gia_results"
# person, year, form, subject, stage, exam date (sources.md)
NATURAL_KEY = ("person_key", "year", "form", "subject_code", "stage", "exam_date")
# among repeats within one file the valid result is kept
REPEAT_ORDER = f"(s.status = '{VALID_STATUS}') desc, s.source_row"
REFERENCES = (Reference("ate_code", "municipalities"), Reference("school_code", "schools"))
SCOPE = ("year", "ate_code", "school_code", "stage", "form", "subject_code")
FEEDBACK_COLUMNS = ("year", "stage", "form", "school_code", "subject_code", "status")
BASELINE = Baseline(year_column="year", slice=("stage", "form", "ate_code", "subject_code"))


def columns(exam_forms, categories, subject_codes, with_test_score: bool) -> tuple:
    cols = [
        Column("Год", "year", INT, required=True, lo=MIN_YEAR, hi=MAX_YEAR),
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
        Column("Код предмета", "subject_code", INT, required=True, allowed=subject_codes),
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


def row_rules(p, reject) -> None:
    valid = p["status"] == VALID_STATUS
    form = p["form"]
    subject = p["subject_code"]
    mark_only = (form == "ГВЭ") | (form == "ОГЭ") | (subject == subjects.BASE_MATHS)
    reject(
        valid & p["primary_score"].isna(),
        "«Первичный балл»: не заполнен у действительного результата",
    )
    reject(
        valid & mark_only & p["mark"].isna(),
        "«Отметка»: не заполнена у действительного результата (обязательна для ОГЭ, ГВЭ и "
        "базовой математики)",
    )
    if "test_score" in p:
        scored = (form == "ЕГЭ") & (subject != subjects.BASE_MATHS)
        reject(
            valid & scored & p["test_score"].isna(),
            "«Тестовый балл»: не заполнен у действительного результата ЕГЭ",
        )
        reject(
            p["test_score"].notna() & mark_only,
            "«Тестовый балл»: должен быть пустым для базовой математики и ГВЭ",
        )
    reject(
        (p["category"] == "ВТГ") & p["school_code"].isna(),
        "«Код ОО»: не заполнен у выпускника текущего года (ВТГ)",
    )
    dates = p["exam_date"]
    reject(
        dates.notna() & p["year"].notna() & (dates.dt.year != p["year"]),
        "«Дата экзамена» не относится к году «Год»",
    )


def _spec(level: int, exam: str, categories, subject_codes) -> SourceSpec:
    name = "ege" if level == 11 else "oge"
    return SourceSpec(
        name=name,
        group="gia",
        folder=f"fis_gia/{name}",
        patterns=("*.csv",),
        raw_table=RAW_TABLE,
        title_ru=f"Результаты {exam}/ГВЭ-{level} (ФИС ГИА)",
        constants=(Constant("gia_level", "smallint", level),),
        natural_key=NATURAL_KEY,
        repeat_order=REPEAT_ORDER,
        references=REFERENCES,
        row_rules=(row_rules,),
        scope=SCOPE,
        feedback_columns=FEEDBACK_COLUMNS,
        baseline=BASELINE,
        columns=columns((exam, "ГВЭ"), categories, subject_codes, with_test_score=level == 11),
    )


EGE = _spec(11, "ЕГЭ", ("ВТГ", "ВПЛ", "СПО", "ИНО"), subjects.EGE)
OGE = _spec(9, "ОГЭ", ("ВТГ", "ИНО"), subjects.OGE)
