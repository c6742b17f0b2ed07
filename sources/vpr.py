"""ВПР results: ФИС ОКО exports in fis_oko/vpr/ (CSV, or the XLSX workbook of the same columns)."""

import re

from sources import subjects
from sources.gia import REFERENCES
from sources.spec import (
    INT,
    MAX_YEAR,
    MIN_YEAR,
    TASKS,
    TEXT,
    Baseline,
    Column,
    SourceSpec,
    SqlCheck,
)

TASK_HEADER = re.compile(r"^З\d+$")  # per-task columns З1, З2, … (any number, optional)
NO_ANSWER = frozenset({"x", "х"})  # Latin and Cyrillic X in a task column (lowercased): no answer


def _rules(p, reject) -> None:
    reject(
        (p["subject_code"] == subjects.SURROUNDING_WORLD) & p["grade"].notna() & (p["grade"] != 4),
        "«Код предмета» 40 (окружающий мир) допустим только для 4 класса",
    )


# Primary score not above the known maximum (dbt seed reference.vpr_max_scores; until the
# first dbt build loads the seed the maximum is unknown and the check waits).
MAX_SCORE = SqlCheck(
    needs="reference.vpr_max_scores",
    where="exists (select 1 from reference.vpr_max_scores m where m.year = s.year"
    " and m.subject_code = s.subject_code and m.grade = s.grade"
    " and s.primary_score > m.max_primary_score)",
    reason_sql="'«Первичный балл» ' || s.primary_score"
    " || ' больше максимального для предмета и класса'",
)

SPEC = SourceSpec(
    name="vpr",
    group="oko",
    folder="fis_oko/vpr",
    patterns=("*.csv", "*.xlsx"),
    raw_table="raw.vpr_results",
    title_ru="Результаты ВПР (ФИС ОКО)",
    natural_key=("year", "school_code", "student_code", "subject_code", "grade"),
    references=REFERENCES,
    row_rules=(_rules,),
    sql_checks=(MAX_SCORE,),
    scope=("year", "ate_code", "school_code", "grade", "subject_code"),
    feedback_columns=(
        "year",
        "school_code",
        "grade",
        "class_letter",
        "student_code",
        "subject_code",
    ),  # fmt: skip
    baseline=Baseline(
        year_column="year", slice=("ate_code", "school_code", "grade", "subject_code")
    ),
    columns=(
        Column("Год", "year", INT, required=True, lo=MIN_YEAR, hi=MAX_YEAR),
        Column("Код АТЕ", "ate_code", TEXT, required=True),
        Column("Код ОО", "school_code", TEXT, required=True),
        Column("Класс", "grade", INT, required=True, lo=4, hi=11, sql_type="smallint"),
        Column("Литера", "class_letter", TEXT),
        Column("Код ученика", "student_code", TEXT, required=True),
        Column("Код предмета", "subject_code", INT, required=True, allowed=subjects.VPR),
        Column("Первичный балл", "primary_score", INT, required=True, lo=0),
        Column("Отметка", "mark", INT, required=True, lo=2, hi=5, sql_type="smallint"),
        Column("Отметка по журналу", "journal_mark", INT, lo=2, hi=5, sql_type="smallint"),
        Column("З", "task_scores", TASKS),
    ),
)
