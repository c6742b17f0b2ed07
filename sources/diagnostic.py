"""Regional diagnostic works (ДР) of 11th-graders: regional/diagnostic/*.csv.

Mock exams in the ЕГЭ format the region runs during the school year (seed 002: ДР 1, 2 and
3). Same CSV rules as the ФИС exports; personal data is pseudonymised with the same key, so
a student's diagnostic results link to the same student's ЕГЭ results (DR-02, DR-03)."""

from sources import subjects
from sources.gia import REFERENCES
from sources.spec import (
    DATE,
    INT,
    PERSONAL,
    SCHOOL_YEAR,
    TEXT,
    Baseline,
    Column,
    SourceSpec,
)

WROTE = "выполнял"
ABSENT = "отсутствовал"
STATUSES = (WROTE, ABSENT)


def _rules(p, reject) -> None:
    # What the indicators need of a participant: the test score (or, for base mathematics,
    # the mark). The primary score is stored when given but not required (no indicator
    # reads it); a mark in a test-scored subject is stored and ignored.
    wrote = p["status"] == WROTE
    absent = p["status"] == ABSENT
    subject = p["subject_code"]
    base_maths = subject == subjects.BASE_MATHS
    reject(
        wrote & ~base_maths & p["test_score"].isna(),
        "«Тестовый балл»: не заполнен у участника, выполнявшего работу",
    )
    reject(
        wrote & base_maths & p["mark"].isna(),
        "«Отметка»: не заполнена у участника по базовой математике",
    )
    reject(
        base_maths & p["test_score"].notna(),
        "«Тестовый балл»: должен быть пустым для базовой математики",
    )
    reject(
        absent & (p["primary_score"].notna() | p["test_score"].notna() | p["mark"].notna()),
        "«Статус» «отсутствовал», но баллы или отметка заполнены",
    )
    # the work is written during its school year: 1 September of the first year to
    # 31 August of the second (`year` is the second year of «Учебный год»)
    dates = p["work_date"]
    school_year_of_date = dates.dt.year + (dates.dt.month >= 9)
    reject(
        dates.notna() & p["year"].notna() & (school_year_of_date != p["year"]),
        "«Дата» не относится к учебному году «Учебный год»",
    )


SPEC = SourceSpec(
    name="diagnostic",
    group="regional",
    folder="regional/diagnostic",
    patterns=("*.csv",),
    raw_table="raw.diagnostic_results",
    title_ru="Результаты региональных диагностических работ (ДР)",
    # person, school year, work number, subject (sources.md)
    natural_key=("person_key", "year", "work_number", "subject_code"),
    # among repeats within one file the row of a student who wrote the work is kept
    repeat_order=f"(s.status = '{WROTE}') desc, s.source_row",
    references=REFERENCES,
    row_rules=(_rules,),
    scope=("year", "ate_code", "school_code", "work_number", "subject_code"),
    feedback_columns=("school_year", "work_number", "school_code", "subject_code", "status"),
    baseline=Baseline(year_column="year", slice=("work_number", "ate_code", "subject_code")),
    columns=(
        Column("Учебный год", "school_year", SCHOOL_YEAR, required=True),
        Column("Номер ДР", "work_number", INT, required=True, lo=1, hi=99, sql_type="smallint"),
        Column("Дата", "work_date", DATE),
        Column("Код АТЕ", "ate_code", TEXT, required=True),
        Column("Код ОО", "school_code", TEXT),
        Column("Фамилия", "", PERSONAL),
        Column("Имя", "", PERSONAL),
        Column("Отчество", "", PERSONAL),
        Column("СНИЛС", "", PERSONAL),
        Column("Серия документа", "", PERSONAL),
        Column("Номер документа", "", PERSONAL),
        Column("Код предмета", "subject_code", INT, required=True, allowed=subjects.EGE),
        Column("Первичный балл", "primary_score", INT, lo=0),
        Column("Тестовый балл", "test_score", INT, lo=0, hi=100),
        Column("Отметка", "mark", INT, lo=2, hi=5, sql_type="smallint"),
        Column("Статус", "status", TEXT, required=True, allowed=STATUSES),
    ),
)
