"""Справочник муниципалитетов (АТЕ): reference/municipalities.csv."""

from sources.spec import TEXT, Baseline, Column, SourceSpec

REGION_CODE = "00"  # the region itself is territory 00
TYPES = ("городской округ", "муниципальный район")

SPEC = SourceSpec(
    name="municipalities",
    group="reference",
    folder="reference",
    patterns=("municipalities.csv",),
    raw_table="raw.municipalities",
    title_ru="Справочник муниципалитетов (АТЕ)",
    natural_key=("ate_code",),
    registry_label=("Код АТЕ", "справочнике муниципалитетов"),
    baseline=Baseline(),
    columns=(
        Column("Код АТЕ", "ate_code", TEXT, required=True),
        Column("Наименование", "name", TEXT, required=True),
        Column("Тип", "type", TEXT, required=True, allowed=TYPES),
    ),
)
