"""Реестр ОО: reference/schools.csv."""

from sources.spec import FLAG, TEXT, Column, Reference, SourceSpec

LOCALITIES = ("город", "село")
SUBORDINATIONS = ("муниципальная", "региональная", "федеральная", "частная")

SPEC = SourceSpec(
    name="schools",
    group="reference",
    folder="reference",
    patterns=("schools.csv",),
    raw_table="raw.schools",
    title_ru="Реестр ОО",
    natural_key=("school_code",),
    references=(Reference("ate_code", "municipalities"),),
    registry_label=("Код ОО", "реестре ОО"),
    columns=(
        Column("Код ОО", "school_code", TEXT, required=True),
        Column("Код АТЕ", "ate_code", TEXT, required=True),
        Column("Наименование", "name", TEXT, required=True),
        Column("Тип местности", "locality", TEXT, required=True, allowed=LOCALITIES),
        Column("Подчинённость", "subordination", TEXT, required=True, allowed=SUBORDINATIONS),
        Column("ШНОР", "is_shnor", FLAG, required=True),
        Column("ШСУ", "is_shsu", FLAG, required=True),
    ),
)
