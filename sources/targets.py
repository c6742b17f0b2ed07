"""Целевые показатели: reference/targets.csv."""

from sources import subjects
from sources.municipalities import REGION_CODE
from sources.spec import INT, NUMBER, TEXT, Baseline, Column, SourceSpec

LEVELS = ("регион", "муниципалитет", "ОО")
INDICATOR_CODE_REGEX = r"^(GIA|VPR|OLY|CAR)-\d\d$"


def _rules(p, reject) -> None:
    code = p["indicator_code"]
    reject(
        code.notna() & ~code.str.match(INDICATOR_CODE_REGEX, na=False),
        "«Код показателя»: не соответствует формату GIA|VPR|OLY|CAR-NN",
    )
    reject(
        (p["level"] == "регион") & p["territory_code"].notna()
        & (p["territory_code"] != REGION_CODE),
        f"«Код территории»: у уровня «регион» должен быть {REGION_CODE}",
    )  # fmt: skip


SPEC = SourceSpec(
    name="targets",
    group="reference",
    folder="reference",
    patterns=("targets.csv",),
    raw_table="raw.targets",
    title_ru="Целевые показатели",
    natural_key=("indicator_code", "year", "level", "territory_code", "subject_code"),
    scope=("year",),
    baseline=Baseline(),
    row_rules=(_rules,),
    columns=(
        Column("Код показателя", "indicator_code", TEXT, required=True),
        Column("Год", "year", INT, required=True, lo=2000, hi=2100),
        Column("Уровень", "level", TEXT, required=True, allowed=LEVELS),
        Column("Код территории", "territory_code", TEXT, required=True),
        Column("Предмет", "subject_code", INT, allowed=subjects.ALL),
        Column("Целевое значение", "target_value", NUMBER, required=True),
    ),
)
