"""Subjects, minimum scores, score scales and the calibration targets of the generator.

Subject codes and minimum scores are those of ``shared/spec/sources.md`` and
``shared/spec/indicators.md``. The below-minimum shares for 2023 and 2024 (ЕГЭ, all
categories, best result per person and subject) are the published values of seed
``002_0c7684862f5a35f2.txt`` for Хабаровский край; every other share is a plausible
invention of the generator.
"""

from __future__ import annotations

RUSSIAN = 1
MATH = 2  # ЕГЭ: profile mathematics; ОГЭ and ГВЭ: mathematics
MATH_BASE = 22

SUBJECT_NAMES: dict[int, str] = {
    1: "Русский язык",
    2: "Математика профильная",
    22: "Математика базовая",
    3: "Физика",
    4: "Химия",
    5: "Информатика",
    6: "Биология",
    7: "История",
    8: "География",
    9: "Английский язык",
    10: "Немецкий язык",
    11: "Французский язык",
    12: "Обществознание",
    18: "Литература",
    29: "Китайский язык",
}
# ОГЭ and ГВЭ call subject 2 simply "Математика".
MATH_NAME_PLAIN = "Математика"

ELECTIVES: tuple[int, ...] = (3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18, 29)

# ЕГЭ minimum test scores (indicators.md, the same for every year from 2022).
EGE_MIN_SCORE: dict[int, int] = {
    1: 24,
    2: 27,
    3: 36,
    4: 36,
    5: 40,
    6: 36,
    7: 32,
    8: 37,
    9: 22,
    10: 22,
    11: 22,
    29: 22,
    12: 42,
    18: 32,
}

# Maximum primary score of the ЕГЭ papers (approximately the 2024 specifications).
EGE_PRIMARY_MAX: dict[int, int] = {
    1: 50,
    2: 32,
    3: 45,
    4: 56,
    5: 29,
    6: 59,
    7: 42,
    8: 37,
    9: 82,
    10: 82,
    11: 82,
    29: 82,
    12: 58,
    18: 54,
}

# Shape of the ЕГЭ test-score distribution: median, 95th percentile and the share of
# perfect (100) scores. Together with the below-minimum share these are the anchors of a
# monotone piecewise-linear map from a normal quantile to the test score.
EGE_SCALE: dict[int, tuple[float, float, float]] = {
    1: (70.0, 91.0, 0.0015),
    2: (58.0, 82.0, 0.0006),
    3: (56.0, 80.0, 0.0008),
    4: (55.0, 86.0, 0.006),
    5: (60.0, 88.0, 0.002),
    6: (52.0, 80.0, 0.001),
    7: (56.0, 84.0, 0.002),
    8: (58.0, 80.0, 0.001),
    9: (70.0, 92.0, 0.002),
    10: (66.0, 90.0, 0.0),
    11: (66.0, 90.0, 0.0),
    29: (66.0, 90.0, 0.0),
    12: (57.0, 80.0, 0.0005),
    18: (62.0, 88.0, 0.004),
}

# Share (percent) of ЕГЭ results below the minimum after best-of-retakes, by year and
# subject; for base mathematics (22) the share of mark 2.
EGE_BELOW_MIN_PCT: dict[int, dict[int, float]] = {
    2022: {
        22: 1.4, 2: 10.5, 1: 0.4, 3: 8.9, 4: 24.5, 6: 21.8, 5: 13.0, 7: 9.5, 8: 7.0,
        9: 2.0, 10: 3.0, 11: 3.0, 29: 3.0, 12: 17.5, 18: 5.5,
    },
    2023: {
        22: 0.98, 2: 8.31, 1: 0.26, 3: 7.7, 4: 23.18, 6: 20.49, 5: 12.0, 7: 9.0, 8: 6.5,
        9: 1.8, 10: 3.0, 11: 3.0, 29: 3.0, 12: 16.5, 18: 5.0,
    },
    2024: {
        22: 0.6, 2: 5.74, 1: 0.14, 3: 6.25, 4: 18.38, 6: 16.67, 5: 11.0, 7: 8.5, 8: 6.0,
        9: 1.6, 10: 3.0, 11: 3.0, 29: 3.0, 12: 15.5, 18: 4.5,
    },
}  # fmt: skip

# Mark-only results: share of marks 2, 3, 4 (5 is the rest) and the primary-score bands
# (upper bound of marks 2, 3, 4 and the maximum). Keys: (exam, form, subject).
MARK_SHARES: dict[tuple[str, str, int], tuple[float, float, float]] = {
    ("ege", "ГВЭ", 1): (0.010, 0.30, 0.45),
    ("ege", "ГВЭ", 2): (0.020, 0.40, 0.40),
    ("oge", "ГВЭ", 1): (0.010, 0.30, 0.45),
    ("oge", "ГВЭ", 2): (0.015, 0.40, 0.40),
    ("oge", "ОГЭ", 1): (0.010, 0.25, 0.42),
    ("oge", "ОГЭ", 2): (0.030, 0.42, 0.40),
    ("oge", "ОГЭ", 3): (0.020, 0.40, 0.43),
    ("oge", "ОГЭ", 4): (0.015, 0.20, 0.40),
    ("oge", "ОГЭ", 5): (0.030, 0.35, 0.40),
    ("oge", "ОГЭ", 6): (0.030, 0.50, 0.38),
    ("oge", "ОГЭ", 7): (0.030, 0.40, 0.40),
    ("oge", "ОГЭ", 8): (0.030, 0.40, 0.42),
    ("oge", "ОГЭ", 9): (0.010, 0.15, 0.40),
    ("oge", "ОГЭ", 10): (0.020, 0.25, 0.40),
    ("oge", "ОГЭ", 11): (0.020, 0.25, 0.40),
    ("oge", "ОГЭ", 29): (0.020, 0.25, 0.40),
    ("oge", "ОГЭ", 12): (0.040, 0.50, 0.38),
    ("oge", "ОГЭ", 18): (0.010, 0.30, 0.40),
}
# Base mathematics: the share of marks 2 comes from EGE_BELOW_MIN_PCT.
MATH_BASE_SHARES_34: tuple[float, float] = (0.20, 0.40)

MARK_BANDS: dict[tuple[str, str, int], tuple[int, int, int, int]] = {
    ("ege", "ЕГЭ", 22): (6, 11, 16, 21),
    ("ege", "ГВЭ", 1): (8, 14, 19, 24),
    ("ege", "ГВЭ", 2): (4, 8, 12, 16),
    ("oge", "ГВЭ", 1): (4, 9, 14, 20),
    ("oge", "ГВЭ", 2): (3, 7, 11, 15),
    ("oge", "ОГЭ", 1): (14, 22, 28, 33),
    ("oge", "ОГЭ", 2): (7, 14, 21, 31),
    ("oge", "ОГЭ", 3): (10, 22, 34, 45),
    ("oge", "ОГЭ", 4): (9, 20, 30, 40),
    ("oge", "ОГЭ", 5): (4, 10, 15, 19),
    ("oge", "ОГЭ", 6): (12, 25, 37, 48),
    ("oge", "ОГЭ", 7): (10, 20, 29, 37),
    ("oge", "ОГЭ", 8): (11, 18, 24, 31),
    ("oge", "ОГЭ", 9): (28, 45, 57, 68),
    ("oge", "ОГЭ", 10): (28, 45, 57, 68),
    ("oge", "ОГЭ", 11): (28, 45, 57, 68),
    ("oge", "ОГЭ", 29): (28, 45, 57, 68),
    ("oge", "ОГЭ", 12): (13, 23, 31, 37),
    ("oge", "ОГЭ", 18): (15, 26, 31, 37),
}


def subject_name(subject: int, form: str) -> str:
    """The informational `Предмет` value of an export row."""
    if subject == MATH and form in ("ОГЭ", "ГВЭ"):
        return MATH_NAME_PLAIN
    return SUBJECT_NAMES[subject]
