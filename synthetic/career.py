"""Career-guidance school reports (uploads/career): sheet «Отчёт», one row per school.

One book per municipality and school year (``proforientatsiya_<АТЕ>_<2022-2023>.xlsx``),
a row for every school of the registry, columns in the contract's order. Headcounts come
from the region's cohorts (``pupils``), so they agree with the other sources:

* ``Обучающихся 6-11 классов``: the school's pupils of grades 6–11 in that school year;
* ``Выпускников 9 классов``: its ОГЭ/ГВЭ-9 graduates (ВТГ) of that year — the ВТГ persons of
  the school in the ОГЭ files; ``Выпускников 11 классов``: its ЕГЭ/ГВЭ-11 graduates (ВТГ);
* ``Выбрали для ГИА предметы профильного уровня``: its ЕГЭ graduates registered for profile
  mathematics, physics, chemistry, informatics or biology (from the ЕГЭ data when generated);
* the rest are binomial draws within their bounds: recommendations ≤ participants ≤ pupils,
  Проектория ≤ pupils, continued ≤ 9th graduates, vocational ≤ 9th + 11th graduates,
  СПО ≤ 9th graduates who left + 11th graduates, ВО ≤ 11th graduates.

``Уровень единой модели профориентации``: the model applies from 1 September 2023. In
2023/2024 about 8 % of schools have no level, the rest are базовый / основной / продвинутый
in the proportions of seed 000's plan (2 / 5 / 13), the better schools higher; in 2022/2023
(pilot) 60 % have none and the rest are mostly базовый.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .population import Region
from .pupils import school_counts
from .xlsx_format import header_widths, write_xlsx

CAREER_YEARS: tuple[int, ...] = (2023, 2024)
SHEET = "Отчёт"
HEADERS: tuple[str, ...] = (
    "Учебный год", "Код АТЕ", "Код ОО", "Обучающихся 6-11 классов",
    "Участников «Билет в будущее»", "Получили рекомендации «Билет в будущее»",
    "Участников открытых уроков «Проектория»", "Выпускников 9 классов",
    "Выпускников 11 классов", "Выпускников 9 классов, продолживших обучение в 10 классе",
    "Выпускников, завершивших профессиональное обучение",
    "Выбрали для ГИА предметы профильного уровня", "Поступили в СПО по профилю",
    "Поступили в ВО по профилю", "Мероприятий с предприятиями",
    "Уровень единой модели профориентации",
)  # fmt: skip
COUNTS: tuple[str, ...] = (
    "students_6_11", "bvb_participants", "bvb_recommendations", "proektoria_participants",
    "grads_9", "grads_11", "grads_9_continued", "vocational_completed", "profile_gia_choice",
    "spo_profile", "vo_profile", "enterprise_events",
)  # fmt: skip
PROFILE_SUBJECTS = (2, 3, 4, 5, 6)  # ЕГЭ: profile mathematics and the science subjects
# Seed 000 (plan 2024): базовый 2 schools, основной 5, продвинутый 13.
MODEL_SHARES = {2023: (0.60, (0.6, 0.3, 0.1)), 2024: (0.08, (2 / 20, 5 / 20, 13 / 20))}
LEVELS = ("базовый", "основной", "продвинутый")

# The book that gets the demo's mistakes (with inject_errors).
MESSY_FILE = (2024, "03")
MESSY_SHEET = "Лист1"


def school_year(year: int) -> str:
    return f"{year - 1}/{year}"


def file_name(year: int, ate: str) -> str:
    return f"uploads/career/proforientatsiya_{ate}_{year - 1}-{year}.xlsx"


def profile_choice(ege_sittings: pd.DataFrame) -> pd.Series:
    """ЕГЭ graduates (ВТГ) per school registered for a profile-level subject."""
    s = ege_sittings
    keep = (
        (s["category"] == "ВТГ").to_numpy()
        & (s["form"] == "ЕГЭ").to_numpy()
        & np.isin(s["subject"].to_numpy(), PROFILE_SUBJECTS)
    )
    part = pd.DataFrame(
        {
            "school_code": s["school_code"].to_numpy()[keep].astype(object),
            "person_id": s["person_id"].to_numpy()[keep],
        }
    )
    return part.groupby("school_code")["person_id"].nunique()


def career_rows(region: Region, year: int, profile: pd.Series | None) -> pd.DataFrame:
    """One row per school of the registry for the school year ending in ``year``."""
    rng = region.rng("career", year)
    schools = region.schools
    codes = schools["school_code"]
    n = len(schools)
    quality = schools["quality"].to_numpy()

    def count(grades) -> np.ndarray:
        return school_counts(region, year, grades).reindex(codes).fillna(0).to_numpy(np.int64)

    students = count(range(6, 12))
    grads_9 = count((9,))
    grads_11 = count((11,))
    p_bvb = np.clip(rng.uniform(0.25, 0.7, n) + 0.05 * (year - 2023), 0, 0.9)
    bvb = rng.binomial(students, p_bvb)
    recommended = rng.binomial(bvb, rng.uniform(0.6, 0.95, n))
    proektoria = rng.binomial(students, rng.uniform(0.4, 0.95, n))
    p_cont = np.clip(0.5 + 0.15 * quality + rng.normal(0, 0.05, n), 0.2, 0.8)
    continued = rng.binomial(grads_9, p_cont)
    vocational = rng.binomial(
        grads_9 + grads_11, np.clip(rng.beta(2.0, 5.5, n) + 0.02 * (year - 2023), 0, 0.95)
    )
    if profile is not None:
        chosen = profile.reindex(codes).fillna(0).to_numpy(np.int64)
        chosen = np.minimum(chosen, grads_11)
    else:
        chosen = rng.binomial(grads_11, 0.6)
    vo = rng.binomial(grads_11, np.clip(0.3 + 0.15 * quality, 0.1, 0.6))
    spo = rng.binomial(grads_9 - continued, 0.35) + rng.binomial(grads_11 - vo, 0.08)
    events = rng.poisson(np.where(schools["has_senior"], 4.0, 2.0) + 2.0 * (quality > 0.3))

    empty_share, shares = MODEL_SHARES[min(max(year, 2023), 2024)]
    key = quality + rng.normal(0, 0.3, n)
    rank = (np.argsort(np.argsort(key)) + 0.5) / n  # 0 = lowest
    cuts = np.cumsum(shares)[:-1]
    level = np.array(LEVELS, dtype=object)[np.searchsorted(cuts, rank)]
    level = np.where(rng.random(n) < empty_share, None, level)

    return pd.DataFrame(
        {
            "school_year": school_year(year),
            "ate_code": schools["ate_code"].to_numpy(),
            "school_code": codes.to_numpy(),
            "students_6_11": students,
            "bvb_participants": bvb,
            "bvb_recommendations": recommended,
            "proektoria_participants": proektoria,
            "grads_9": grads_9,
            "grads_11": grads_11,
            "grads_9_continued": continued,
            "vocational_completed": vocational,
            "profile_gia_choice": chosen,
            "spo_profile": spo,
            "vo_profile": vo,
            "enterprise_events": events,
            "model_level": level,
        }
    )


def write_career(
    out: Path, region: Region, year: int, rows: pd.DataFrame, with_errors: bool
) -> tuple[dict[str, dict], list]:
    """One book per municipality; returns {relative path: info} and the injected errors."""
    from .gia_export import InjectedError

    files: dict[str, dict] = {}
    errors: list[InjectedError] = []
    widths = header_widths(HEADERS, lo=10, hi=24)
    for ate, part in rows.groupby("ate_code", sort=True):
        rel = file_name(year, str(ate))
        data = [
            [sy, a, code, *(int(v) for v in counts), level]
            for sy, a, code, *counts, level in part[
                ["school_year", "ate_code", "school_code", *COUNTS, "model_level"]
            ].itertuples(index=False, name=None)
        ]
        sheet_name = SHEET
        if with_errors and (year, ate) == MESSY_FILE and len(data) >= 3:
            sheet_name = MESSY_SHEET
            errors.append(
                InjectedError(rel, 0, f"sheet named «{MESSY_SHEET}» instead of «{SHEET}»",
                              rejected=False)
            )  # fmt: skip
            text_row = 0
            data[text_row][HEADERS.index("Мероприятий с предприятиями")] = "25"
            errors.append(
                InjectedError(rel, text_row + 2, "number typed as text: «25» in "
                              "«Мероприятий с предприятиями»", rejected=False)
            )  # fmt: skip
            bad_row = len(data) // 2
            participants = data[bad_row][HEADERS.index("Участников «Билет в будущее»")]
            data[bad_row][HEADERS.index("Получили рекомендации «Билет в будущее»")] = (
                participants + 7
            )
            errors.append(
                InjectedError(rel, bad_row + 2, "«Билет в будущее» recommendations > "
                              "participants: the row must be rejected")
            )  # fmt: skip
        write_xlsx(out / rel, sheet_name, [list(HEADERS), *data], widths=widths)
        files[rel] = {"rows": len(data), "encoding": "xlsx", "sheet": sheet_name}
    return files, errors
