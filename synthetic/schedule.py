"""Exam timetables: the date of a sitting by exam, year, stage and subject.

The templates follow the 2024 ЕГЭ/ОГЭ timetables (one date per subject and stage); other
years are shifted by a few days. ГВЭ uses the dates of the same subject.
"""

from __future__ import annotations

import datetime as dt

STAGES: tuple[str, ...] = ("досрочный", "основной", "резервный", "дополнительный")
EARLY, MAIN, RESERVE, SEPTEMBER = range(4)

_FOREIGN = (9, 10, 11, 29)
_ALL = (1, 2, 22, 3, 4, 5, 6, 7, 8, 12, 18, *_FOREIGN)


def _days(spec: dict[tuple[int, int], tuple[int, ...]]) -> dict[int, tuple[int, int]]:
    out: dict[int, tuple[int, int]] = {}
    for day, subjects in spec.items():
        for s in subjects:
            out.setdefault(s, day)
    return out


_EGE: dict[int, dict[int, tuple[int, int]]] = {
    EARLY: _days({(3, 22): (8, 18, 4), (3, 26): (1,), (3, 29): (2, 22),
                  (4, 2): (*_FOREIGN, 6, 3), (4, 5): (12, 5), (4, 8): (7,)}),
    MAIN: _days({(5, 23): (7, 18, 4), (5, 28): (1,), (5, 31): (2, 22), (6, 4): (12, 3),
                 (6, 7): (6, 8, *_FOREIGN), (6, 13): (5,)}),
    RESERVE: _days({(6, 20): (5,), (6, 24): (1,), (6, 25): (8, 18, *_FOREIGN),
                    (6, 26): (2, 22), (6, 27): (6, 7, 3), (6, 28): (12, 4)}),
    SEPTEMBER: _days({(9, 4): (1,), (9, 9): (2, 22), (9, 23): _ALL}),
}  # fmt: skip

_OGE: dict[int, dict[int, tuple[int, int]]] = {
    EARLY: _days({(4, 18): (2,), (4, 21): (1,), (4, 23): (3, 4, 6, 8, 12),
                  (4, 25): (5, 7, 18, *_FOREIGN)}),
    MAIN: _days({(5, 21): _FOREIGN, (5, 24): (6, 18, 4), (5, 28): (12, 7, 3), (6, 3): (1,),
                 (6, 6): (2,), (6, 11): (8, 5)}),
    RESERVE: _days({(6, 24): (1,), (6, 25): (2,), (6, 26): (6, 12, 4, 18),
                    (6, 27): (3, 5, 7, 8, *_FOREIGN)}),
    SEPTEMBER: _days({(9, 4): (2,), (9, 9): (1,), (9, 12): (6, 12, 4, 18),
                      (9, 17): (3, 5, 7, 8, *_FOREIGN)}),
}  # fmt: skip

# Days added to the template in other years (the timetable moves a little every year).
_SHIFT = {2020: 4, 2021: 2, 2022: 3, 2023: 2, 2024: 0}


def exam_date(exam: str, year: int, stage: int, subject: int) -> str:
    """`ДД.ММ.ГГГГ` of a sitting; exam is ``ege`` or ``oge``."""
    table = _EGE if exam == "ege" else _OGE
    month, day = table[stage][subject]
    shift = 0 if stage == SEPTEMBER else _SHIFT.get(year, (year * 3) % 5)
    date = dt.date(year, month, day) + dt.timedelta(days=shift)
    return date.strftime("%d.%m.%Y")
