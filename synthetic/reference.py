"""Writers of reference/municipalities.csv, reference/schools.csv, reference/targets.csv.

Targets: the planned values of seed ``000_a132c9dd2d970b5e.txt`` (2024, region level),
the planned 2025 below-minimum shares of seed ``002_0c7684862f5a35f2.txt``, its rule
"не должно превышать более 10%" (GIA-01 ≤ 10 % in the priority subjects) for every
municipality, and a 100 % П15 (GIA-09) target for each ШНОР school. 2023 region targets
repeat the 2024 plan (an assumption of the generator, not a seed value).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .csv_format import CP1251, UTF8, UTF8_BOM, FileFormat, write_csv
from .population import Region
from .territory import REGION_CODE

MUNICIPALITY_COLUMNS = ("Код АТЕ", "Наименование", "Тип")
SCHOOL_COLUMNS = ("Код ОО", "Код АТЕ", "Наименование", "Тип местности", "Подчинённость", "ШНОР",
                  "ШСУ")  # fmt: skip
TARGET_COLUMNS = ("Код показателя", "Год", "Уровень", "Код территории", "Предмет",
                  "Целевое значение")  # fmt: skip

PRIORITY_SUBJECTS = (1, 2, 22, 3, 4, 6)  # Russian, maths (profile, base), physics, chem, bio

# Seed 000: "Целевые показатели ... (план 2024 года)".
REGION_PLAN: tuple[tuple[str, int | None, float], ...] = (
    ("GIA-09", None, 100),  # П15: 100 % аттестатов в 9-ых, 11-ых кл.
    ("GIA-06", None, 50),  # сумма трёх лучших предметов ЕГЭ ≥ 220
    ("GIA-07", None, 100),  # не выбравшие 3 предмета, сумма двух ≥ 126
    *(("GIA-01", s, 0) for s in PRIORITY_SUBJECTS),  # не преодолевших порог: отсутствие
    ("GIA-05", None, 5),  # получивших 100 баллов
    ("GIA-08", None, 35),  # ОГЭ: сумма трёх лучших ≥ 12
    ("OLY-01", None, 10),  # победители и призёры регионального этапа ВсОШ
    ("OLY-02", None, 2),  # участники заключительного этапа ВсОШ
    ("CAR-03", None, 30),  # завершившие профессиональное обучение
)
# Seed 002: planned below-minimum shares for 2025.
REGION_GIA01_2025: dict[int, float] = {22: 0.55, 2: 5.7, 1: 0.12, 3: 6.2, 4: 18.3, 6: 16.6}
MUNICIPAL_GIA01_MAX = 10.0


def _value_text(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").replace(".", ",")


def municipalities_frame(region: Region) -> pd.DataFrame:
    m = region.municipalities
    return pd.DataFrame({"Код АТЕ": m["ate_code"], "Наименование": m["name"], "Тип": m["type"]})


def schools_frame(region: Region) -> pd.DataFrame:
    s = region.schools
    return pd.DataFrame(
        {
            "Код ОО": s["school_code"],
            "Код АТЕ": s["ate_code"],
            "Наименование": s["name"],
            "Тип местности": s["locality"],
            "Подчинённость": s["subordination"],
            "ШНОР": s["shnor"].astype(int).astype(str),
            "ШСУ": s["shsu"].astype(int).astype(str),
        }
    )


def targets_frame(region: Region) -> pd.DataFrame:
    rows: list[tuple[str, int, str, str, int | None, float]] = []
    for year in (2023, 2024):
        for code, subject, value in REGION_PLAN:
            if year == 2023 and code == "GIA-01":
                value = MUNICIPAL_GIA01_MAX
            rows.append((code, year, "регион", REGION_CODE, subject, value))
    for subject, value in REGION_GIA01_2025.items():
        rows.append(("GIA-01", 2025, "регион", REGION_CODE, subject, value))
    for ate in region.municipalities["ate_code"]:
        for year, subjects in ((2023, (2, 22)), (2024, PRIORITY_SUBJECTS)):
            for subject in subjects:
                rows.append(("GIA-01", year, "муниципалитет", ate, subject, MUNICIPAL_GIA01_MAX))
    schools = region.schools
    for code in schools.loc[schools["shnor"] & schools["has_senior"], "school_code"]:
        rows.append(("GIA-09", 2024, "ОО", code, None, 100))
    return pd.DataFrame(
        {
            "Код показателя": [r[0] for r in rows],
            "Год": [str(r[1]) for r in rows],
            "Уровень": [r[2] for r in rows],
            "Код территории": [r[3] for r in rows],
            "Предмет": ["" if r[4] is None else str(r[4]) for r in rows],
            "Целевое значение": [_value_text(r[5]) for r in rows],
        }
    )


def write_reference(out: Path, region: Region) -> dict[str, dict]:
    """Write the three reference files; returns {relative path: info}."""
    plan = {
        "municipalities.csv": (municipalities_frame, FileFormat(UTF8, MUNICIPALITY_COLUMNS)),
        "schools.csv": (schools_frame, FileFormat(CP1251, SCHOOL_COLUMNS, newline="\r\n")),
        "targets.csv": (targets_frame, FileFormat(UTF8_BOM, TARGET_COLUMNS)),
    }
    files: dict[str, dict] = {}
    for name, (build, fmt) in plan.items():
        rel = f"reference/{name}"
        rows = write_csv(out / rel, build(region), fmt)
        files[rel] = {"rows": rows, "encoding": fmt.encoding}
    return files
