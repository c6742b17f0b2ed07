"""Olympiad and competition results (uploads/olympiad): sheet «Результаты».

One book per municipality and school year (``olimpiady_<АТЕ>_<2022-2023>.xlsx``), columns
in the contract's order. The pupils are those of the region's cohorts with a СНИЛС
(``pupils.grade_pupils``); the abler a pupil, the likelier they take part and advance.

ВсОШ, per school year:

* школьный — many rows (grades 4–11, ``SCHOOL_ROWS`` at scale 1), maximum 100;
* муниципальный — the best school-stage scorers of grades 7–11 (``MUNI_SHARE``). The
  maximum score of a subject and grade is that of seed ``001_8cf94bdfb0c064c7.txt`` (pass
  score ÷ its percent). The number of participants of grades 9–11 with ≥ 75 % per subject
  and grade is the seed's 2022/2023 count (``SEED_001``); for 2023/2024 a Poisson draw
  around it. Everyone else stays below 75 %;
* региональный — municipal participants of grades 9–11 whose score reaches the seed's pass
  score for the regional stage (2022/2023 scores, also used for 2023/2024), 85 % of them
  attend; about 10 winners and prizewinners a year (seed 000: plan 10);
* заключительный — 1–3 of the regional winners and prizewinners (seed 000: plan 2).

Other events (seed 000 plans in brackets): Большие вызовы (отборочный, заключительный 2–4;
plan 3), НТО (отборочный; заключительный 2–4 in grades 5–7 and 2–4 in 8–11; plan 3 + 3),
Большая перемена (отборочный, заключительный 8–12; plan 10), Сириус (отборочный, обучение
завершено 3–7; plan 5), Код будущего (online applications as отборочный, обучение завершено
≈ 80: the seed's three offline sites in Комсомольский район with 10, 9 and 8 participants and
≈ 53 online; plan 80). Every count except the seed's ≥ 75 % counts is multiplied by scale.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .population import Region
from .pupils import grade_pupils, with_snils
from .xlsx_format import header_widths, write_xlsx

OLY_YEARS: tuple[int, ...] = (2023, 2024)
SHEET = "Результаты"
HEADERS: tuple[str, ...] = (
    "Учебный год", "Мероприятие", "Этап", "Предмет", "Класс", "Код АТЕ", "Код ОО", "СНИЛС",
    "Балл", "Максимальный балл", "Статус",
)  # fmt: skip
EVENTS = ("ВсОШ", "Большие вызовы", "НТО", "Сириус", "Код будущего", "Большая перемена")
STAGES = ("школьный", "муниципальный", "региональный", "заключительный", "отборочный",
          "обучение завершено")  # fmt: skip

# Seed 001 «Олимпиадное движение в 2022 году»: municipal-stage participants with ≥ 75 % in
# 2022/2023 (grades 9, 10, 11) and the pass scores for the regional stage 2022/2023
# (score, percent of the maximum) for grades 9, 10, 11. French, 10th grade: «-» → 0.
SEED_001: dict[str, tuple[tuple[int, int, int], tuple[tuple[int, int], ...]]] = {
    "Английский язык": ((2, 10, 13), ((51, 60), (51, 60), (51, 60))),
    "Китайский язык": ((3, 1, 0), ((14, 18), (14, 18), (14, 18))),
    "Французский язык": ((0, 0, 0), ((17, 15), (17, 15), (17, 15))),
    "Немецкий язык": ((0, 1, 0), ((16, 16), (16, 16), (16, 16))),
    "Экономика": ((0, 2, 1), ((31, 34), (34, 38), (30, 33))),
    "Физическая культура": ((6, 6, 1), ((68, 68), (68, 68), (68, 68))),
    "ОБЖ": ((0, 1, 4), ((150, 50), (150, 50), (150, 50))),
    "Информатика": ((9, 6, 1), ((120, 24), (110, 22), (100, 20))),
    "Физика": ((2, 1, 2), ((14, 28), (14, 24), (14, 28))),
    "Литература": ((7, 16, 22), ((55, 65), (60, 70), (60, 71))),
    "География": ((0, 0, 0), ((26, 34), (26, 32), (26, 27))),
    "Математика": ((6, 0, 8), ((10, 31), (10, 29), (14, 29))),
    "Химия": ((3, 3, 1), ((34, 43), (34, 47), (36, 45))),
    "Обществознание": ((0, 2, 3), ((45, 45), (45, 45), (45, 45))),
    "Астрономия": ((0, 0, 1), ((7, 15), (8, 17), (7, 15))),
    "Экология": ((0, 1, 2), ((21, 51), (21, 49), (21, 45))),
    "История": ((2, 1, 1), ((26, 26), (26, 21), (26, 21))),
    "Биология": ((1, 6, 5), ((25, 58), (34, 53), (38, 52))),
    "Право": ((0, 11, 5), ((38, 40), (37, 50), (41, 50))),
    "МХК": ((0, 2, 3), ((51, 17), (51, 17), (51, 17))),
    "Русский язык": ((0, 0, 0), ((25, 25), (25, 25), (25, 25))),
}
# Popularity at the school stage and the lowest grade of the school stage.
SUBJECTS: dict[str, tuple[float, int]] = {
    "Математика": (1.0, 4), "Русский язык": (0.9, 4), "Английский язык": (0.75, 5),
    "Литература": (0.45, 5), "Обществознание": (0.55, 6), "История": (0.5, 5),
    "Биология": (0.55, 5), "География": (0.4, 5), "Физика": (0.35, 7), "Химия": (0.3, 8),
    "Информатика": (0.3, 5), "Экология": (0.2, 5), "Физическая культура": (0.45, 5),
    "ОБЖ": (0.25, 5), "Право": (0.2, 9), "Экономика": (0.15, 5), "МХК": (0.15, 5),
    "Астрономия": (0.1, 5), "Немецкий язык": (0.03, 5), "Французский язык": (0.02, 5),
    "Китайский язык": (0.04, 5),
}  # fmt: skip
SCHOOL_ROWS = 7_000  # ВсОШ school-stage rows a year at scale 1
GRADE_SHARE = {4: 0.06, 5: 0.12, 6: 0.13, 7: 0.14, 8: 0.14, 9: 0.15, 10: 0.13, 11: 0.13}
MUNI_SHARE = 0.28  # of school-stage participants of grades 7–11
HIGH = 0.75  # OLY-03: share of the maximum
REGIONAL_ATTENDANCE = 0.85
SCHOOL_MAX = 100

BIG_CHALLENGES_TRACKS = (
    "Беспилотный транспорт и логистические системы", "Биотехнологии",
    "Генетика и биомедицина", "Информационная безопасность", "Космические технологии",
    "Нанотехнологии", "Большие данные, искусственный интеллект",
    "Современная энергетика", "Умный город и безопасность", "Агропромышленные технологии",
)  # fmt: skip
NTO_JUNIOR_TRACKS = ("НТО Junior: Технологии и общество", "НТО Junior: Технологии и природа",
                     "НТО Junior: Технологии и человек")  # fmt: skip
NTO_TRACKS = (
    "Искусственный интеллект", "Автономные транспортные системы",
    "Большие данные и машинное обучение", "Инженерные биологические системы",
    "Информационная безопасность", "Летающая робототехника",
    "Технологии дополненной реальности", "Спутниковые системы",
    "Нейротехнологии и когнитивные науки",
)  # fmt: skip
BIG_BREAK_TRACKS = (
    "Твори!", "Исследуй!", "Создавай будущее!", "Помни!", "Меняй мир вокруг!",
    "Сохраняй природу!", "Будь здоров!", "Расскажи о главном!", "Путешествуй!",
    "Познавай себя!",
)  # fmt: skip
SIRIUS_PROGRAMMES = (
    "Математика: образовательная программа «Сириус»",
    "Физика: образовательная программа «Сириус»",
    "Химия: образовательная программа «Сириус»",
    "Биология: образовательная программа «Сириус»",
    "Информатика: образовательная программа «Сириус»",
    "Литературное творчество: программа «Сириус»",
)  # fmt: skip
# Seed 000 «Код будущего»: online providers and three offline sites (participants).
CODE_PROVIDERS = (
    "Университет 2035", "Мобильное электронное образование",
    "Томский государственный университет", "Maximum Education", "Innopolis University",
    "Foxford", "Уфимский университет науки и технологий", "Университет Синергия", "Инжинириум",
)  # fmt: skip
CODE_COURSES = (
    "Python-разработчик",
    "Разработка игр",
    "Веб-разработка",
    "Программирование на Java",
    "Анализ данных",
    "Разработка мобильных приложений",
)
CODE_OFFLINE_ATE = "09"
CODE_OFFLINE_SITES: tuple[tuple[str, str, int], ...] = (
    ("с. Хурба", "№ 2 с. Хурба", 10),
    ("п. Ягодный", "пос. Ягодный", 9),
    ("с. Большая Картель", "с. Большая Картель", 8),
)
CODE_ONLINE_APPLIED = 70  # seed 000: online applications
CODE_ONLINE_COMPLETED = (50, 57)  # a range, drawn per year

# The books that get the demo's mistakes (with inject_errors).
TITLE_ROW_FILE = (2024, "10")
MISSING_SNILS_FILE = (2024, "02")

COLUMNS = ("school_year", "event", "stage", "subject", "grade", "ate_code", "school_code",
           "snils", "score", "max_score", "status", "person_id")  # fmt: skip


def school_year(year: int) -> str:
    return f"{year - 1}/{year}"


def file_name(year: int, ate: str) -> str:
    return f"uploads/olympiad/olimpiady_{ate}_{year - 1}-{year}.xlsx"


def municipal_max(subject: str, grade: int) -> int:
    """Maximum score of the municipal (and regional) stage: seed 001 pass score ÷ percent."""
    score, pct = SEED_001[subject][1][min(max(grade, 9), 11) - 9]
    return int(round(score * 100 / pct))


def pass_score(subject: str, grade: int) -> int:
    return SEED_001[subject][1][grade - 9][0]


def _scaled(region: Region, n: float) -> int:
    return max(1, int(round(n * region.scale)))


class _Pool:
    """The pupils of grades 4–11 with a СНИЛС in one school year."""

    def __init__(self, region: Region, year: int):
        frames = []
        for grade in range(4, 12):
            part = with_snils(region, grade_pupils(region, year, grade))
            part["grade"] = grade
            frames.append(part)
        self.frame = pd.concat(frames, ignore_index=True)
        self.ability = self.frame["ability"].to_numpy()
        self.grade = self.frame["grade"].to_numpy()

    def pick(self, rng: np.random.Generator, n: int, mask: np.ndarray, weight: float = 1.0):
        """Row indices of n distinct pupils among ``mask``, likelier the abler."""
        cand = np.flatnonzero(mask)
        n = min(n, len(cand))
        if n <= 0:
            return np.empty(0, dtype=np.int64)
        keys = weight * self.ability[cand] + rng.gumbel(size=len(cand))
        if n < len(cand):
            return np.sort(cand[np.argpartition(-keys, n - 1)[:n]])
        return cand

    def rows(self, idx: np.ndarray, **columns) -> pd.DataFrame:
        f = self.frame
        out = pd.DataFrame(
            {
                "grade": f["grade"].to_numpy()[idx],
                "ate_code": f["ate_code"].to_numpy()[idx],
                "school_code": f["school_code"].to_numpy()[idx],
                "snils": f["snils"].to_numpy()[idx],
                "person_id": f["person_id"].to_numpy()[idx],
                "ability": self.ability[idx],
            }
        )
        for name, value in columns.items():
            out[name] = value
        return out


def _round_half(values: np.ndarray, up: bool) -> np.ndarray:
    return (np.ceil(values * 2) if up else np.floor(values * 2)) / 2


def _cat(arrays: list[np.ndarray], dtype=object) -> np.ndarray:
    return np.concatenate(arrays) if arrays else np.empty(0, dtype=dtype)


def _ranked_status(frame: pd.DataFrame, by: list[str], p: np.ndarray, share: float) -> np.ndarray:
    """победитель: the best of a group with ≥ 50 %; призёр: the next up to `share` of the
    group with ≥ 50 %; else участник."""
    f = frame.assign(_p=p)
    rank = f.groupby(by)["_p"].rank(method="first", ascending=False).to_numpy() - 1
    size = f.groupby(by)["_p"].transform("size").to_numpy()
    good = p >= 0.5
    status = np.where(good & (rank == 0), "победитель", "участник").astype(object)
    status[good & (rank > 0) & (rank < np.ceil(share * size))] = "призёр"
    return status


def vsosh(region: Region, year: int, pool: _Pool) -> pd.DataFrame:
    """ВсОШ rows of a school year (all four stages)."""
    rng = region.rng("olympiad_vsosh", year)
    scale = region.scale
    high_rng = region.rng("olympiad_high", year)
    school_cols: dict[str, list[np.ndarray]] = {k: [] for k in ("idx", "subject", "p", "score")}
    muni_cols: dict[str, list[np.ndarray]] = {k: [] for k in ("idx", "subject", "p", "score",
                                                              "max_score")}  # fmt: skip
    for grade, share in GRADE_SHARE.items():
        subjects = [s for s, (_, lo) in SUBJECTS.items() if grade >= lo]
        weights = np.array([SUBJECTS[s][0] for s in subjects])
        total = SCHOOL_ROWS * scale * share
        for subject, w in zip(subjects, weights / weights.sum(), strict=True):
            n_school = int(round(total * w))
            n_muni = int(round(MUNI_SHARE * n_school)) if grade >= 7 else 0
            n_high = 0
            if grade >= 9:
                seed_high = SEED_001[subject][0][grade - 9]
                n_high = seed_high if year <= 2023 else int(high_rng.poisson(seed_high))
                n_high = int(round(n_high * scale)) if scale != 1 else n_high
                n_muni = max(n_muni, n_high + 2 if n_high else n_muni)
            n_school = max(n_school, n_muni, 1)
            idx = pool.pick(rng, n_school, pool.grade == grade)
            if len(idx) == 0:
                continue
            p_school = np.clip(
                0.38 + 0.14 * pool.ability[idx] + rng.normal(0, 0.15, len(idx)), 0.02, 1.0
            )
            for name, value in (
                ("idx", idx),
                ("subject", np.full(len(idx), subject)),
                ("p", p_school),
                ("score", _round_half(p_school * SCHOOL_MAX, up=False)),
            ):
                school_cols[name].append(value)  # fmt: skip
            if n_muni == 0:
                continue
            key = p_school + rng.normal(0, 0.03, len(idx))
            chosen = np.sort(np.argsort(-key, kind="stable")[: min(n_muni, len(idx))])
            m = len(chosen)
            n_high = min(n_high, m)
            hi_key = pool.ability[idx[chosen]] + rng.normal(0, 0.3, m)
            is_high = np.zeros(m, dtype=bool)
            is_high[np.argsort(-hi_key, kind="stable")[:n_high]] = True
            p_muni = np.where(
                is_high, rng.uniform(HIGH, 0.97, m), 0.72 * rng.beta(1.5, 5.0, m)
            )  # fmt: skip
            maximum = municipal_max(subject, grade)
            score = np.where(
                is_high,
                np.minimum(_round_half(p_muni * maximum, up=True), maximum),
                _round_half(p_muni * maximum, up=False),
            )
            for name, value in (
                ("idx", idx[chosen]),
                ("subject", np.full(m, subject)),
                ("p", p_muni),
                ("score", score),
                ("max_score", np.full(m, float(maximum))),
            ):
                muni_cols[name].append(value)  # fmt: skip
    school = pool.rows(_cat(school_cols["idx"], np.int64),
                       **{k: _cat(v) for k, v in school_cols.items() if k != "idx"})  # fmt: skip
    school["max_score"] = float(SCHOOL_MAX)
    school["stage"] = "школьный"
    school["status"] = _ranked_status(school, ["school_code", "subject", "grade"],
                                      school["p"].to_numpy(), 0.3)  # fmt: skip
    muni = pool.rows(_cat(muni_cols["idx"], np.int64),
                     **{k: _cat(v) for k, v in muni_cols.items() if k != "idx"})  # fmt: skip
    muni["stage"] = "муниципальный"
    muni["status"] = _ranked_status(muni, ["ate_code", "subject", "grade"],
                                    muni["p"].to_numpy(), 0.3)  # fmt: skip

    # Regional stage: reached the pass score, and came.
    senior = muni["grade"].to_numpy() >= 9
    passes = np.array(
        [g >= 9 and sc >= pass_score(s, g)
         for s, g, sc in zip(muni["subject"], muni["grade"], muni["score"], strict=True)],
        dtype=bool,
    )  # fmt: skip
    came = rng.random(len(muni)) < REGIONAL_ATTENDANCE
    regional = muni[senior & passes & came].copy().reset_index(drop=True)
    r = len(regional)
    n_top = min(r, _scaled(region, int(rng.integers(8, 13))))
    top_key = regional["ability"].to_numpy() + rng.normal(0, 0.3, r)
    top = np.argsort(-top_key, kind="stable")[:n_top]
    p_reg = 0.6 * rng.beta(2.0, 3.0, r)
    p_top = np.sort(rng.uniform(0.62, 0.92, n_top))[::-1]
    p_reg[top] = p_top
    status = np.full(r, "участник", dtype=object)
    n_win = max(1, int(round(n_top / 3))) if n_top else 0
    status[top[:n_win]] = "победитель"
    status[top[n_win:]] = "призёр"
    regional["p"] = p_reg
    regional["score"] = _round_half(p_reg * regional["max_score"].to_numpy(), up=False)
    regional["status"] = status
    regional["stage"] = "региональный"

    # Final stage: some of the regional winners and prizewinners.
    n_final = min(n_top, _scaled(region, int(rng.integers(1, 4))))
    final = regional.iloc[np.sort(top[:n_final])].copy()
    p_fin = rng.uniform(0.3, 0.85, n_final)
    final["max_score"] = 100.0
    final["score"] = _round_half(p_fin * 100, up=False)
    final["status"] = np.where(rng.random(n_final) < 0.3, "призёр", "участник")
    final["stage"] = "заключительный"
    out = pd.concat([school, muni, regional, final], ignore_index=True)
    out["event"] = "ВсОШ"
    return out


def _event_rows(pool: _Pool, idx, event, stage, subject, status="участник", score=None,
                max_score=None) -> pd.DataFrame:  # fmt: skip
    part = pool.rows(idx, event=event, stage=stage, subject=subject, status=status)
    part["score"] = np.nan if score is None else score
    part["max_score"] = np.nan if max_score is None else max_score
    return part


def _finalists(rng: np.random.Generator, pool: _Pool, entrants: np.ndarray, n: int):
    """n of the entrants (pool rows), the abler likelier; sorted."""
    n = min(n, len(entrants))
    keys = pool.ability[entrants] + rng.gumbel(size=len(entrants)) * 0.7
    return np.sort(entrants[np.argsort(-keys, kind="stable")[:n]])


def _statuses(rng: np.random.Generator, n: int, p_prize: float) -> np.ndarray:
    status = np.where(rng.random(n) < p_prize, "призёр", "участник").astype(object)
    if n and rng.random() < 0.3:
        status[0] = "победитель"
    return status


def other_events(region: Region, year: int, pool: _Pool) -> pd.DataFrame:
    """Большие вызовы, НТО, Большая перемена, Сириус, Код будущего rows of a school year."""
    rng = region.rng("olympiad_events", year)
    g = pool.grade
    parts: list[pd.DataFrame] = []

    def tracks(names, n):
        return np.array(names, dtype=object)[rng.integers(len(names), size=n)]

    # Большие вызовы
    entrants = pool.pick(rng, _scaled(region, 60), (g >= 7) & (g <= 11), 1.2)
    track = tracks(BIG_CHALLENGES_TRACKS, len(entrants))
    parts.append(_event_rows(pool, entrants, "Большие вызовы", "отборочный", track))
    fin = _finalists(rng, pool, entrants, _scaled(region, int(rng.integers(2, 5))))
    parts.append(
        _event_rows(pool, fin, "Большие вызовы", "заключительный",
                    track[np.searchsorted(entrants, fin)], _statuses(rng, len(fin), 0.3))
    )  # fmt: skip

    # НТО: Junior (5–7) and the main profiles (8–11)
    for lo, hi, names, n in ((5, 7, NTO_JUNIOR_TRACKS, 90), (8, 11, NTO_TRACKS, 160)):
        entrants = pool.pick(rng, _scaled(region, n), (g >= lo) & (g <= hi), 1.2)
        track = tracks(names, len(entrants))
        score = np.round(np.clip(40 + 18 * pool.ability[entrants]
                                 + rng.normal(0, 15, len(entrants)), 0, 100))  # fmt: skip
        parts.append(_event_rows(pool, entrants, "НТО", "отборочный", track, score=score,
                                 max_score=100.0))  # fmt: skip
        fin = _finalists(rng, pool, entrants, _scaled(region, int(rng.integers(2, 5))))
        parts.append(
            _event_rows(pool, fin, "НТО", "заключительный", track[np.searchsorted(entrants, fin)],
                        _statuses(rng, len(fin), 0.25))
        )  # fmt: skip

    # Большая перемена (grades 5–10)
    entrants = pool.pick(rng, _scaled(region, 350), (g >= 5) & (g <= 10), 0.6)
    track = tracks(BIG_BREAK_TRACKS, len(entrants))
    score = np.round(np.clip(55 + 12 * pool.ability[entrants]
                             + rng.normal(0, 14, len(entrants)), 0, 100))  # fmt: skip
    parts.append(_event_rows(pool, entrants, "Большая перемена", "отборочный", track,
                             score=score, max_score=100.0))  # fmt: skip
    fin = _finalists(rng, pool, entrants, _scaled(region, int(rng.integers(8, 13))))
    parts.append(
        _event_rows(pool, fin, "Большая перемена", "заключительный",
                    track[np.searchsorted(entrants, fin)], _statuses(rng, len(fin), 0.3))
    )  # fmt: skip

    # Сириус (grades 6–11): selection, then the completed programmes
    entrants = pool.pick(rng, _scaled(region, 40), (g >= 6) & (g <= 11), 1.5)
    track = tracks(SIRIUS_PROGRAMMES, len(entrants))
    parts.append(_event_rows(pool, entrants, "Сириус", "отборочный", track))
    fin = _finalists(rng, pool, entrants, _scaled(region, int(rng.integers(3, 8))))
    parts.append(_event_rows(pool, fin, "Сириус", "обучение завершено",
                             track[np.searchsorted(entrants, fin)]))  # fmt: skip

    # Код будущего (grades 8–11): offline sites of seed 000, then online courses
    taken = np.zeros(len(g), dtype=bool)
    f = pool.frame
    names = region.schools.set_index("school_code")["name"]
    school_name = names.reindex(f["school_code"].to_numpy()).to_numpy(dtype=object)
    in_ate = (f["ate_code"].to_numpy() == CODE_OFFLINE_ATE) & (g >= 8)
    for settlement, site, n in CODE_OFFLINE_SITES:
        here = in_ate & np.array([str(s).endswith(settlement) for s in school_name]) & ~taken
        idx = pool.pick(rng, _scaled(region, n), here, 0.3)
        short = _scaled(region, n) - len(idx)
        if short > 0:  # a small settlement: pupils of neighbouring schools join the site
            taken[idx] = True
            idx = np.sort(np.r_[idx, pool.pick(rng, short, in_ate & ~taken, 0.3)])
        taken[idx] = True
        course = f"Основы программирования на Python (очная площадка {site})"
        parts.append(_event_rows(pool, idx, "Код будущего", "обучение завершено", course))
    applied = pool.pick(rng, _scaled(region, CODE_ONLINE_APPLIED), (g >= 8) & ~taken, 0.5)
    course = np.array(
        [f"{c} ({p})" for c, p in zip(tracks(CODE_COURSES, len(applied)),
                                      tracks(CODE_PROVIDERS, len(applied)), strict=True)],
        dtype=object,
    )  # fmt: skip
    parts.append(_event_rows(pool, applied, "Код будущего", "отборочный", course))
    n_done = _scaled(region, int(rng.integers(*CODE_ONLINE_COMPLETED)))
    done = _finalists(rng, pool, applied, n_done)
    parts.append(_event_rows(pool, done, "Код будущего", "обучение завершено",
                             course[np.searchsorted(applied, done)]))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def olympiad_rows(region: Region, year: int) -> pd.DataFrame:
    """All rows of a school year, sorted as a municipality would list them."""
    pool = _Pool(region, year)
    rows = pd.concat([vsosh(region, year, pool), other_events(region, year, pool)],
                     ignore_index=True)  # fmt: skip
    rows["school_year"] = school_year(year)
    rows["ev"] = rows["event"].map({e: i for i, e in enumerate(EVENTS)})
    rows["st"] = rows["stage"].map({s: i for i, s in enumerate(STAGES)})
    rows = rows.sort_values(
        ["ate_code", "ev", "st", "subject", "school_code", "grade", "score", "snils"],
        ascending=[True, True, True, True, True, True, False, True],
        kind="stable",
    )
    return rows.loc[:, list(COLUMNS)].reset_index(drop=True)


# ---------------------------------------------------------------------------------- writer
def _number(value: float):
    if value != value:  # NaN
        return None
    return int(value) if float(value).is_integer() else float(value)


def sheet_rows(part: pd.DataFrame) -> list[list]:
    values = zip(
        part["school_year"].tolist(), part["event"].tolist(), part["stage"].tolist(),
        part["subject"].tolist(), part["grade"].tolist(), part["ate_code"].tolist(),
        part["school_code"].tolist(), part["snils"].tolist(), part["score"].tolist(),
        part["max_score"].tolist(), part["status"].tolist(), strict=True,
    )  # fmt: skip
    return [
        [sy, ev, st, subj, int(gr), ate, school, snils, _number(sc), _number(mx), status]
        for sy, ev, st, subj, gr, ate, school, snils, sc, mx, status in values
    ]


def write_olympiad(
    out: Path, region: Region, year: int, rows: pd.DataFrame, with_errors: bool
) -> tuple[dict[str, dict], list]:
    """One book per municipality; returns {relative path: info} and the injected errors."""
    from .gia_export import InjectedError

    files: dict[str, dict] = {}
    errors: list[InjectedError] = []
    widths = header_widths(HEADERS)
    for ate, part in rows.groupby("ate_code", sort=True):
        rel = file_name(year, str(ate))
        data = sheet_rows(part)
        sheet: list = [list(HEADERS), *data]
        header_row = 1
        if with_errors and (year, ate) == MISSING_SNILS_FILE:
            cand = np.flatnonzero(part["stage"].to_numpy() == "школьный")
            cand = cand if len(cand) else np.arange(len(data))
            i = int(cand[len(cand) // 2])
            sheet[1 + i][HEADERS.index("СНИЛС")] = None
            errors.append(InjectedError(rel, i + 2, "СНИЛС empty: the row must be rejected"))
        if with_errors and (year, ate) == TITLE_ROW_FILE:
            name = region.municipalities.set_index("ate_code").at[ate, "name"]
            title = f"Результаты олимпиад и конкурсов, {school_year(year)} учебный год ({name})"
            blank_after = len(data) // 2
            sheet = [[title], list(HEADERS), *data[:blank_after], None, *data[blank_after:]]
            header_row = 2
            errors.append(
                InjectedError(rel, 1, "title row above the header (header in row 2)",
                              rejected=False)
            )  # fmt: skip
            errors.append(
                InjectedError(rel, blank_after + 3, "blank row between data rows",
                              rejected=False)
            )  # fmt: skip
        write_xlsx(out / rel, SHEET, sheet, header_row=header_row, widths=widths)
        files[rel] = {"rows": len(data), "encoding": "xlsx", "sheet": SHEET}
    return files, errors


__all__ = ["OLY_YEARS", "olympiad_rows", "write_olympiad"]
