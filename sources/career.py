"""Career-guidance reports of schools: uploads in uploads/career/ (sheet «Отчёт»)."""

from sources.gia import REFERENCES
from sources.spec import INT, SCHOOL_YEAR, TEXT, Baseline, Column, SourceSpec

MODEL_LEVELS = ("базовый", "основной", "продвинутый")

# A part can never exceed its whole: each is a row rule (the school's report is quarantined
# with the reason and told in its feedback), so one impossible report cannot break a share
# (CAR-01…04) for the whole region.
PARTS = (
    ("bvb_recommendations", ("bvb_participants",),
     "«Получили рекомендации «Билет в будущее»» больше, чем «Участников «Билет в будущее»»"),
    ("bvb_participants", ("students_6_11",),
     "«Участников «Билет в будущее»» больше, чем «Обучающихся 6-11 классов»"),
    ("proektoria_participants", ("students_6_11",),
     "«Участников открытых уроков «Проектория»» больше, чем «Обучающихся 6-11 классов»"),
    ("grads_9_continued", ("grads_9",),
     "«Выпускников 9 классов, продолживших обучение в 10 классе» больше, чем «Выпускников"
     " 9 классов»"),
    ("vocational_completed", ("grads_9", "grads_11"),
     "«Выпускников, завершивших профессиональное обучение» больше, чем выпускников 9 и 11"
     " классов вместе"),
)  # fmt: skip


def _rules(p, reject) -> None:
    for part, wholes, reason in PARTS:
        whole = sum((p[w].fillna(0) for w in wholes), start=0)
        reject(p[part].notna() & (p[part] > whole), reason)


def _count(header: str, name: str) -> Column:
    return Column(header, name, INT, required=True, lo=0)


SPEC = SourceSpec(
    name="career",
    group="uploads",
    folder="uploads/career",
    patterns=("*.xlsx",),
    raw_table="raw.career_reports",
    title_ru="Отчёт ОО о профориентации (лист «Отчёт»)",
    natural_key=("year", "school_code"),
    sheet="Отчёт",
    references=REFERENCES,
    row_rules=(_rules,),
    scope=("year", "ate_code", "school_code"),
    feedback_columns=("school_year", "ate_code", "school_code"),
    baseline=Baseline(year_column="year", slice=("ate_code", "school_code")),
    columns=(
        Column("Учебный год", "school_year", SCHOOL_YEAR, required=True),
        Column("Код АТЕ", "ate_code", TEXT, required=True),
        Column("Код ОО", "school_code", TEXT, required=True),
        _count("Обучающихся 6-11 классов", "students_6_11"),
        _count("Участников «Билет в будущее»", "bvb_participants"),
        _count("Получили рекомендации «Билет в будущее»", "bvb_recommendations"),
        _count("Участников открытых уроков «Проектория»", "proektoria_participants"),
        _count("Выпускников 9 классов", "grads_9"),
        _count("Выпускников 11 классов", "grads_11"),
        _count("Выпускников 9 классов, продолживших обучение в 10 классе", "grads_9_continued"),
        _count("Выпускников, завершивших профессиональное обучение", "vocational_completed"),
        _count("Выбрали для ГИА предметы профильного уровня", "profile_gia_choice"),
        _count("Поступили в СПО по профилю", "spo_profile"),
        _count("Поступили в ВО по профилю", "vo_profile"),
        _count("Мероприятий с предприятиями", "enterprise_events"),
        Column("Уровень единой модели профориентации", "model_level", TEXT, allowed=MODEL_LEVELS),
    ),
)
