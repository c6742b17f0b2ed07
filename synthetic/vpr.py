"""ВПР results (fis_oko/vpr): one row per student per work, with per-task scores.

Files: ``fis_oko/vpr/vpr_<year>_<АТЕ>.csv`` for most municipalities (encodings vary:
cp1251 with CRLF, UTF-8, UTF-8 with BOM) and ``vpr_<year>_<АТЕ>.xlsx`` for a few
(``XLSX_MUNICIPALITIES``: one sheet, header in row 1, some zero task scores written as
``X`` or Cyrillic ``Х`` = no answer). Columns exactly per the contract, З1 … З19 (empty
beyond a work's number of tasks).

Works of 2023 and 2024: grades 4 (subjects 1, 2, 40), 5 (1, 2, 6, 7), 6 (1, 2, 8, 12),
7 (1, 2, 3, 9), 8 (1, 2, 4, 6) and a little of grade 11 (7, 8, 3). The pupils are those of
the region's cohorts (``pupils.grade_pupils``). The export holds the classes sampled for
it: each class writes Russian and mathematics with probability 0.42, every other subject
with 0.22 (grade 11: 0.15); a pupil of a writing class is present with probability 0.92.

Scores: a work's latent level is ability + noise; each task k gives Binomial(max_k, p_k)
points with p_k falling with the task's difficulty; the primary score is the sum of the task
scores and the mark (2–5) follows from fixed shares of the maximum (``MARK_CUTS``).
Journal marks: 15 % empty, otherwise mostly equal to the ВПР mark or one above it.

Unobjective schools (VPR-04 of indicators.md): four municipal schools with senior grades,
the same in every year. Two write ВПР marks above the journal marks (rule a: `повысили`
≥ 15 % over their works with a journal mark); two have, in one grade×subject per year
(Russian or mathematics, grades 4–8, all their classes writing), scores far above the
region's school means (rule b: mean > m + 2s), with journal marks that agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .csv_format import CP1251, UTF8, UTF8_BOM, FileFormat, write_csv
from .population import Region
from .pupils import grade_pupils
from .text_columns import Coded, int_text
from .xlsx_format import header_widths, write_xlsx

VPR_YEARS: tuple[int, ...] = (2023, 2024)

# (grade, subject) → (number of tasks, maximum primary score)
WORKS: dict[tuple[int, int], tuple[int, int]] = {
    (4, 1): (15, 38), (4, 2): (12, 20), (4, 40): (10, 32),
    (5, 1): (12, 45), (5, 2): (14, 20), (5, 6): (10, 29), (5, 7): (10, 15),
    (6, 1): (14, 51), (6, 2): (13, 16), (6, 8): (10, 37), (6, 12): (10, 23),
    (7, 1): (14, 47), (7, 2): (16, 19), (7, 3): (11, 18), (7, 9): (10, 30),
    (8, 1): (17, 51), (8, 2): (19, 25), (8, 4): (11, 36), (8, 6): (12, 35),
    (11, 7): (12, 21), (11, 8): (17, 22), (11, 3): (18, 26),
}  # fmt: skip
GRADES: tuple[int, ...] = (4, 5, 6, 7, 8, 11)
MAX_TASKS = max(k for k, _ in WORKS.values())
# Share of the maximum primary score needed for the marks 3, 4 and 5.
MARK_CUTS = (0.34, 0.58, 0.83)
CLASS_SIZE = 26
LETTERS = "АБВГДЕЖИКЛМН"
P_CLASS_MAIN = 0.42  # a class writes Russian / mathematics (grades 4–8)
P_CLASS_OTHER = 0.22  # ... another subject
P_CLASS_11 = 0.15  # grade 11, each subject
P_PRESENT = 0.92
# Latent level of a work: LEVEL + LOADING * ability + NOISE * N(0, 1).
LEVEL = 0.55
LOADING = 0.75
NOISE = 0.55
SLOPE = 1.35  # of the per-task logistic curve
DIFFICULTY = (-1.6, 1.4)  # easiest and hardest task
# Journal marks.
P_JOURNAL_EMPTY = 0.15
P_JOURNAL_UP = 0.29  # journal one above the ВПР mark (ВПР «понизили»)
P_JOURNAL_DOWN = 0.025  # journal one below (ВПР «повысили»)
P_JOURNAL_UP_FROM_2 = 0.6  # a ВПР «2» is usually a «3» in the journal
# Unobjective schools.
N_RULE_A = 2
N_RULE_B = 2
P_RULE_A_DOWN = 0.35  # rule-a schools: journal one below the ВПР mark
RULE_B_BOOST = 2.6  # latent shift of the boosted grade×subject


@dataclass(frozen=True)
class Unobjective:
    rule_a: tuple[str, ...]  # school codes
    rule_b: tuple[str, ...]
    boosted: dict[int, dict[str, tuple[int, int]]]  # year → school → (grade, subject)


def task_max(grade: int, subject: int) -> np.ndarray:
    """Maximum points of each task: spread evenly, the larger tasks last."""
    k, total = WORKS[(grade, subject)]
    base, rest = divmod(total, k)
    out = np.full(k, base, dtype=np.int64)
    if rest:
        out[k - rest :] += 1
    return out


def mark_of(primary: np.ndarray, maximum: int) -> np.ndarray:
    cuts = [int(np.ceil(c * maximum)) for c in MARK_CUTS]
    return 2 + np.searchsorted(cuts, primary, side="right")


def unobjective_schools(region: Region, years: tuple[int, ...] = VPR_YEARS) -> Unobjective:
    schools = region.schools
    eligible = schools[
        (schools["subordination"] == "муниципальная")
        & schools["has_senior"]
        & (schools["pupil_share"] >= schools["pupil_share"].quantile(0.4))
    ]
    rng = region.rng("vpr_unobjective")
    picked = rng.choice(eligible["school_code"].to_numpy(), N_RULE_A + N_RULE_B, replace=False)
    rule_a = tuple(sorted(picked[:N_RULE_A]))
    rule_b = tuple(sorted(picked[N_RULE_A:]))
    boosted: dict[int, dict[str, tuple[int, int]]] = {}
    for year in years:
        rng_y = region.rng("vpr_unobjective", year)
        combos = [(g, s) for g in (4, 5, 6, 7, 8) for s in (1, 2)]
        boosted[year] = {
            code: combos[int(rng_y.integers(len(combos)))] for code in rule_b
        }  # fmt: skip
    return Unobjective(rule_a, rule_b, boosted)


def _classes(rng: np.random.Generator, school_code: np.ndarray) -> np.ndarray:
    """Class index (0 = А) of each pupil of one grade: pupils of a school split at random
    into ceil(n / CLASS_SIZE) classes of equal size."""
    n = len(school_code)
    order = np.lexsort((rng.random(n), school_code))
    sorted_codes = school_code[order]
    starts = np.r_[0, np.flatnonzero(sorted_codes[1:] != sorted_codes[:-1]) + 1]
    sizes = np.diff(np.r_[starts, n])
    rank = np.arange(n) - np.repeat(starts, sizes)
    group_n = np.repeat(sizes, sizes)
    n_classes = np.maximum(1, -(-group_n // CLASS_SIZE))
    per_class = -(-group_n // n_classes)
    out = np.empty(n, dtype=np.int64)
    out[order] = rank // per_class
    return out


def vpr_works(region: Region, year: int, unobjective: Unobjective) -> pd.DataFrame:
    """One row per work: ate_code, school_code, grade, letter, person_id, subject, primary,
    mark, journal (-1 = empty), t1 … t<MAX_TASKS> (-1 = no such task)."""
    rng = region.rng("vpr", year)
    boosted = unobjective.boosted.get(year, {})
    rule_a = np.array(unobjective.rule_a, dtype=object)
    parts = []
    for grade in GRADES:
        pupils = grade_pupils(region, year, grade)
        n = len(pupils)
        codes = pupils["school_code"].to_numpy()
        klass = _classes(rng, codes)
        level = pupils["ability"].to_numpy()
        subjects = [s for g, s in WORKS if g == grade]
        for subject in subjects:
            if grade == 11:
                p_class = P_CLASS_11
            else:
                p_class = P_CLASS_MAIN if subject in (1, 2) else P_CLASS_OTHER
            # class participation: one draw per (school, class)
            key = pd.factorize(pd.Series(codes).astype(str) + ":" + klass.astype(str))[0]
            writes = (rng.random(key.max() + 1) < p_class)[key]
            forced = np.isin(codes, rule_a) & (subject in (1, 2)) & (grade <= 8)
            boost = np.zeros(n, dtype=bool)
            for code, combo in boosted.items():
                if combo == (grade, subject):
                    boost |= codes == code
            present = (writes | forced | boost) & (rng.random(n) < P_PRESENT)
            idx = np.flatnonzero(present)
            m = len(idx)
            z = (
                LEVEL
                + LOADING * level[idx]
                + NOISE * rng.normal(size=m)
                + RULE_B_BOOST * boost[idx]
            )
            tmax = task_max(grade, subject)
            k = len(tmax)
            difficulty = np.linspace(*DIFFICULTY, k)
            p = 1.0 / (1.0 + np.exp(-SLOPE * (z[:, None] - difficulty[None, :])))
            points = rng.binomial(np.broadcast_to(tmax, (m, k)), p)
            primary = points.sum(axis=1)
            mark = mark_of(primary, int(tmax.sum()))
            journal = _journal(rng, mark, np.isin(codes[idx], rule_a), boost[idx])
            tasks = np.full((m, MAX_TASKS), -1, dtype=np.int64)
            tasks[:, :k] = points
            frame = pd.DataFrame(
                {
                    "ate_code": pupils["ate_code"].to_numpy()[idx],
                    "school_code": codes[idx],
                    "grade": grade,
                    "letter": np.array(list(LETTERS))[np.minimum(klass[idx], len(LETTERS) - 1)],
                    "person_id": pupils["person_id"].to_numpy()[idx],
                    "subject": subject,
                    "primary": primary,
                    "mark": mark,
                    "journal": journal,
                }
            )
            task_frame = pd.DataFrame(tasks, columns=[f"t{i + 1}" for i in range(MAX_TASKS)])
            parts.append(pd.concat([frame, task_frame], axis=1))
    works = pd.concat(parts, ignore_index=True)
    works["student_code"] = _student_codes(rng, works)
    order = np.lexsort(
        (
            works["student_code"].to_numpy(),
            works["subject"].to_numpy(),
            works["letter"].to_numpy(),
            works["grade"].to_numpy(),
            works["school_code"].to_numpy(),
        )
    )
    return works.iloc[order].reset_index(drop=True)


def _journal(
    rng: np.random.Generator, mark: np.ndarray, rule_a: np.ndarray, boost: np.ndarray
) -> np.ndarray:
    m = len(mark)
    u = rng.random(m)
    up = np.where(mark == 2, P_JOURNAL_UP_FROM_2, P_JOURNAL_UP)
    down = np.where(rule_a, P_RULE_A_DOWN, P_JOURNAL_DOWN)
    down = np.where(boost, 0.0, down)
    shift = np.where(u < down, -1, np.where(u > 1.0 - up, 1, 0))
    shift = np.where(boost & (shift > 0) & (rng.random(m) < 0.7), 0, shift)
    journal = np.clip(mark + shift, 2, 5)
    return np.where(rng.random(m) < P_JOURNAL_EMPTY, -1, journal)


def _student_codes(rng: np.random.Generator, works: pd.DataFrame) -> np.ndarray:
    """ФИС ОКО-like anonymous codes: 5 digits from 10001, unique within school (and year),
    one per pupil, in a random order."""
    persons = works[["school_code", "person_id"]].drop_duplicates()
    persons = persons.assign(key=rng.random(len(persons))).sort_values(["school_code", "key"])
    number = persons.groupby("school_code").cumcount().to_numpy() + 10001
    code = pd.Series(
        np.char.zfill(number.astype(str), 5),
        index=pd.MultiIndex.from_frame(persons[["school_code", "person_id"]]),
    )
    key = pd.MultiIndex.from_frame(works[["school_code", "person_id"]])
    return code.reindex(key).to_numpy(dtype=object)


# ---------------------------------------------------------------------------------- writer
BASE_COLUMNS: tuple[str, ...] = (
    "Год", "Код АТЕ", "Код ОО", "Класс", "Литера", "Код ученика", "Код предмета",
    "Первичный балл", "Отметка", "Отметка по журналу",
)  # fmt: skip
TASK_COLUMNS: tuple[str, ...] = tuple(f"З{i + 1}" for i in range(MAX_TASKS))
COLUMNS = BASE_COLUMNS + TASK_COLUMNS
XLSX_MUNICIPALITIES: tuple[str, ...] = ("04", "05", "13", "17")
XLSX_SHEET = "Результаты ВПР"
P_NO_ANSWER_MARK = 0.5  # share of zero task scores written as X / Х in XLSX files
_ENCODINGS = (FileFormat(CP1251, COLUMNS, newline="\r\n"), FileFormat(UTF8, COLUMNS),
              FileFormat(UTF8_BOM, COLUMNS))  # fmt: skip


def file_name(year: int, ate: str) -> str:
    ext = "xlsx" if ate in XLSX_MUNICIPALITIES else "csv"
    return f"fis_oko/vpr/vpr_{year}_{ate}.{ext}"


def _csv_table(year: int, part: pd.DataFrame) -> dict[str, Coded]:
    table = {
        "Год": int_text(np.full(len(part), year)),
        "Код АТЕ": Coded.of(part["ate_code"].to_numpy()),
        "Код ОО": Coded.of(part["school_code"].to_numpy()),
        "Класс": int_text(part["grade"].to_numpy()),
        "Литера": Coded.of(part["letter"].to_numpy()),
        "Код ученика": Coded.of(part["student_code"].to_numpy()),
        "Код предмета": int_text(part["subject"].to_numpy()),
        "Первичный балл": int_text(part["primary"].to_numpy()),
        "Отметка": int_text(part["mark"].to_numpy()),
        "Отметка по журналу": int_text(part["journal"].to_numpy()),
    }
    for i, name in enumerate(TASK_COLUMNS):
        table[name] = int_text(part[f"t{i + 1}"].to_numpy())
    return table


def _xlsx_rows(rng: np.random.Generator, year: int, part: pd.DataFrame) -> list[list]:
    tasks = part[[f"t{i + 1}" for i in range(MAX_TASKS)]].to_numpy()
    cells = tasks.astype(object)
    cells[tasks < 0] = None
    zero = np.argwhere(tasks == 0)
    marked = zero[rng.random(len(zero)) < P_NO_ANSWER_MARK]
    latin = rng.random(len(marked)) < 0.5
    for (r, c), is_latin in zip(marked, latin, strict=True):
        cells[r, c] = "X" if is_latin else "Х"  # Latin X or Cyrillic Х
    base = zip(
        part["ate_code"].tolist(),
        part["school_code"].tolist(),
        part["grade"].tolist(),
        part["letter"].tolist(),
        part["student_code"].tolist(),
        part["subject"].tolist(),
        part["primary"].tolist(),
        part["mark"].tolist(),
        part["journal"].tolist(),
        cells.tolist(),
        strict=True,
    )
    rows: list[list] = [list(COLUMNS)]
    for ate, school, grade, letter, code, subject, primary, mark, journal, task in base:
        rows.append(
            [year, ate, school, grade, letter, code, subject, primary, mark,
             journal if journal >= 0 else None, *task]
        )  # fmt: skip
    return rows


def write_vpr(out: Path, region: Region, year: int, works: pd.DataFrame) -> dict[str, dict]:
    """Write the ВПР files of a year, one per municipality; returns {relative path: info}."""
    files: dict[str, dict] = {}
    for ate, part in works.groupby("ate_code", sort=True):
        rel = file_name(year, str(ate))
        if rel.endswith(".xlsx"):
            rows = _xlsx_rows(region.rng("vpr_xlsx", year, str(ate)), year, part)
            write_xlsx(out / rel, XLSX_SHEET, rows, widths=header_widths(COLUMNS, lo=6))
            files[rel] = {"rows": len(part), "encoding": "xlsx", "sheet": XLSX_SHEET}
        else:
            fmt = _ENCODINGS[(int(str(ate)) + year) % len(_ENCODINGS)]
            rows = write_csv(out / rel, _csv_table(year, part), fmt)
            files[rel] = {"rows": rows, "encoding": fmt.encoding}
    return files
