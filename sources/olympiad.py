"""Olympiad and contest results: school uploads in uploads/olympiad/ (sheet «Результаты»)."""

from sources.gia import REFERENCES
from sources.spec import INT, NUMBER, PERSONAL, SCHOOL_YEAR, TEXT, Baseline, Column, SourceSpec

EVENTS = ("ВсОШ", "Большие вызовы", "НТО", "Сириус", "Код будущего", "Большая перемена")
VSOSH = "ВсОШ"
VSOSH_STAGES = ("школьный", "муниципальный", "региональный", "заключительный")
OTHER_STAGES = ("отборочный", "заключительный", "обучение завершено")
STATUSES = ("участник", "призёр", "победитель")


def _rules(p, reject) -> None:
    vsosh = p["event"] == VSOSH
    other = p["event"].notna() & ~vsosh
    stage = p["stage"]
    reject(
        vsosh & stage.notna() & ~stage.isin(VSOSH_STAGES),
        "«Этап»: для ВсОШ допустимы школьный, муниципальный, региональный, заключительный",
    )
    reject(
        other & stage.notna() & ~stage.isin(OTHER_STAGES),
        "«Этап»: для этого мероприятия допустимы отборочный, заключительный, обучение завершено",
    )
    reject(vsosh & p["score"].isna(), "«Балл»: не заполнен (обязателен для ВсОШ)")
    reject(vsosh & p["max_score"].isna(), "«Максимальный балл»: не заполнен (обязателен для ВсОШ)")
    reject(
        p["score"].notna() & p["max_score"].notna() & (p["score"] > p["max_score"]),
        "«Балл» больше «Максимальный балл»",
    )
    reject(p["max_score"] == 0, "«Максимальный балл» не может быть 0")


SPEC = SourceSpec(
    name="olympiad",
    group="uploads",
    folder="uploads/olympiad",
    patterns=("*.xlsx",),
    raw_table="raw.olympiad_results",
    title_ru="Результаты олимпиад и конкурсов (лист «Результаты»)",
    natural_key=("person_key", "year", "event", "stage", "subject"),
    sheet="Результаты",
    references=REFERENCES,
    row_rules=(_rules,),
    scope=("year", "ate_code", "school_code"),
    feedback_columns=(
        "school_year",
        "event",
        "stage",
        "subject",
        "grade",
        "ate_code",
        "school_code",
        "status",
    ),  # fmt: skip
    baseline=Baseline(year_column="year", slice=("event", "stage", "ate_code", "school_code")),
    columns=(
        Column("Учебный год", "school_year", SCHOOL_YEAR, required=True),
        Column("Мероприятие", "event", TEXT, required=True, allowed=EVENTS),
        Column("Этап", "stage", TEXT, required=True, allowed=VSOSH_STAGES + OTHER_STAGES[::2]),
        Column("Предмет", "subject", TEXT, required=True),
        Column("Класс", "grade", INT, required=True, lo=4, hi=11, sql_type="smallint"),
        Column("Код АТЕ", "ate_code", TEXT, required=True),
        Column("Код ОО", "school_code", TEXT),
        Column("СНИЛС", "", PERSONAL),
        Column("Балл", "score", NUMBER, lo=0),
        Column("Максимальный балл", "max_score", NUMBER, lo=0),
        Column("Статус", "status", TEXT, required=True, allowed=STATUSES),
    ),
)
