"""Pupils of a grade in a school year, from the region's cohorts (population.Region).

The ВПР, olympiad and career modules take their pupils from here, so the same persons
(school, ability, СНИЛС) appear in every source:

* grades 1–9 of the school year ending in Y: ``grade9_cohort(Y + 9 - g)`` (category ВТГ; the
  ИНО of a 9th-grade cohort are external candidates, not pupils of the school);
* grade 11: the ЕГЭ graduates (ВТГ) of Y — ``ege_participants(Y)``, most of whom come from
  ``grade9_cohort(Y - 2)``;
* grade 10: the ЕГЭ graduates (ВТГ) of Y + 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import Region

COLUMNS = ("person_id", "ate_code", "school_code", "ability")


def grade_pupils(region: Region, year: int, grade: int) -> pd.DataFrame:
    """person_id, ate_code, school_code, ability of the pupils of ``grade`` in the school
    year ending in ``year`` (row order: as in the cohort)."""
    if 1 <= grade <= 9:
        frame = region.grade9_cohort(year + 9 - grade)
    elif grade in (10, 11):
        frame = region.ege_participants(year + 11 - grade)
    else:
        raise ValueError(f"grade {grade} outside 1–11")
    frame = frame[frame["category"].to_numpy() == "ВТГ"]
    return frame.loc[:, list(COLUMNS)].reset_index(drop=True)


def with_snils(region: Region, pupils: pd.DataFrame) -> pd.DataFrame:
    """The pupils that have a СНИЛС, with a ``snils`` column (``123-456-789 01``)."""
    snils = region.identity(pupils["person_id"].to_numpy())["snils"].text()
    keep = snils != ""
    out = pupils[keep].copy()
    out["snils"] = snils[keep]
    return out.reset_index(drop=True)


def school_counts(region: Region, year: int, grades: range | tuple[int, ...]) -> pd.Series:
    """Number of pupils per school_code over ``grades`` of the school year ending in year."""
    counts = [grade_pupils(region, year, g)["school_code"].value_counts() for g in grades]
    total = pd.concat(counts, axis=1).fillna(0).sum(axis=1)
    return total.astype(np.int64)
