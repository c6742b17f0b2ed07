"""Regional diagnostic works (ДР) of 11th-graders: regional/diagnostic/dr_<year>_<n>.csv.

Who writes: the ЕГЭ graduates (category ВТГ, form ЕГЭ) of year Y, in the school year
Y-1/Y, in every subject they are registered for at the ЕГЭ (a graduate who switched from
profile to base mathematics after failing it writes profile mathematics only). Registrations
without an ЕГЭ result (absent, annulled, …) give the students who write the ДР but have no
ЕГЭ result in that subject. Three works: autumn, winter, spring (``WORK_DATES``); at each a
student is absent (`отсутствовал`, no scores) with ``ABSENT_P``.

Scores: the student's best ЕГЭ result is ranked within its subject (ties broken at random),
turned into a normal score z and mixed with fresh noise, z_n = ρ_n z + √(1 − ρ_n²) ε, with ρ
growing from work 1 to 3 (``RHO``): a student weak at ДР1 is more often below the minimum at
the ЕГЭ, and the later works predict better. Students without an ЕГЭ result draw z from the
lower part of the distribution. The quantile of z_n among the work's writers of the subject
is mapped to scores with the ЕГЭ scales of ``scales`` so that exactly ``share_n`` are below
the minimum: the ЕГЭ share of the subject's linked students plus ``DR1_EXCESS_PP`` × ``FALL``
— region-wide the share falls from ДР1 to ДР3 as in seed 002's table («ДИАГНОСТИЧЕСКАЯ
РАБОТА 3») and ends near the ЕГЭ share. Base mathematics: `Отметка` 2–5 (2 = below), empty
`Тестовый балл`.

Personal data are the persons' own (``Region.identity``), exactly as in their ЕГЭ rows, so
the pipeline links them by `person_key`. Everything draws from ``region.rng("diagnostic",
year)``: no other source changes.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from .csv_format import CP1251, UTF8, UTF8_BOM, FileFormat, write_csv
from .gia_export import PERSONAL_FIELDS, InjectedError
from .population import Region
from .scales import (
    ege_primary_score,
    ege_test_score,
    group_quantile,
    mark_of,
    mark_primary_score,
    ndtri,
)
from .sittings import VALID
from .subjects import EGE_MIN_SCORE, MARK_BANDS, MATH, MATH_BASE, MATH_BASE_SHARES_34
from .text_columns import Coded, int_text

DR_COLUMNS: tuple[str, ...] = (
    "Учебный год", "Номер ДР", "Дата", "Код АТЕ", "Код ОО", "Фамилия", "Имя", "Отчество",
    "СНИЛС", "Серия документа", "Номер документа", "Код предмета", "Первичный балл",
    "Тестовый балл", "Отметка", "Статус",
)  # fmt: skip
WROTE, ABSENT = "выполнял", "отсутствовал"
WORKS: tuple[int, ...] = (1, 2, 3)
# (month, day) of each work; autumn and winter of the first year, spring of the second.
WORK_DATES: dict[int, tuple[int, int]] = {1: (10, 16), 2: (1, 22), 3: (3, 19)}
ABSENT_P: dict[int, float] = {1: 0.05, 2: 0.07, 3: 0.06}
RHO: dict[int, float] = {1: 0.70, 2: 0.78, 3: 0.86}
# Seed 002 («ДИАГНОСТИЧЕСКАЯ РАБОТА 3»): ДР1 share minus the ЕГЭ 2023 share, p.p.
DR1_EXCESS_PP: dict[int, float] = {22: 4.65, 2: 15.97, 1: 10.83, 3: 4.5, 4: 20.62, 6: 8.81}
DEFAULT_EXCESS_PP = 6.0
# Part of the ДР1 excess left at each work (the share falls towards the ЕГЭ share).
FALL: dict[int, float] = {1: 1.0, 2: 0.5, 3: 0.12}
# Students without an ЕГЭ result: z drawn from this lower part of the distribution.
UNLINKED_U_MAX = 0.7


def school_year(year: int) -> str:
    return f"{year - 1}/{year}"


def work_date(year: int, work: int, subject: int) -> str:
    """`ДД.ММ.ГГГГ`: the work's day, Russian and mathematics first, electives a day or two
    later; within the school year year-1/year."""
    month, day = WORK_DATES[work]
    first = year - 1 if month >= 9 else year
    offset = {1: 0, MATH: 1, MATH_BASE: 1}.get(subject, 2 + subject % 2)
    return (dt.date(first, month, day) + dt.timedelta(days=offset)).strftime("%d.%m.%Y")


def _below_ege(subject: np.ndarray, test: np.ndarray, mark: np.ndarray) -> np.ndarray:
    minimum = np.array([EGE_MIN_SCORE.get(int(s), 0) for s in subject])
    return np.where(subject == MATH_BASE, mark == 2, test < minimum)


def diagnostic_rows(region: Region, year: int, sittings: pd.DataFrame) -> pd.DataFrame:
    """One row per student, subject and work (internal columns: year, work, date, ate_code,
    school_code, person_id, subject, primary, test, mark (-1 = empty), status, linked,
    below_ege (the student's best ЕГЭ result below the minimum; False when not linked))."""
    rng = region.rng("diagnostic", year)
    s = sittings[
        (sittings["category"] == "ВТГ").to_numpy() & (sittings["form"] == "ЕГЭ").to_numpy()
    ]
    person = s["person_id"].to_numpy()
    subject = s["subject"].to_numpy()
    # registrations: one per person and subject (base maths of a profile-maths switcher out)
    frame = pd.DataFrame(
        {
            "person_id": person,
            "subject": subject,
            "ate_code": s["ate_code"].astype(str).to_numpy(),
            "school_code": s["school_code"].astype(str).to_numpy(),
            "valid": s["status"].to_numpy() == VALID,
            "test": s["test"].to_numpy(),
            "mark": s["mark"].to_numpy(),
            "primary": s["primary"].to_numpy(),
        }
    )
    best = (
        frame[frame["valid"]]
        .groupby(["person_id", "subject"], sort=False)[["test", "mark", "primary"]]
        .max()
    )
    reg = frame.drop_duplicates(["person_id", "subject"])[
        ["person_id", "subject", "ate_code", "school_code"]
    ]
    profile = set(reg.loc[reg["subject"] == MATH, "person_id"].tolist())
    reg = reg[~((reg["subject"] == MATH_BASE) & reg["person_id"].isin(profile))]
    reg = reg.sort_values(["ate_code", "school_code", "person_id", "subject"], kind="stable")
    reg = reg.join(best, on=["person_id", "subject"]).reset_index(drop=True)
    n = len(reg)
    subj = reg["subject"].to_numpy()
    linked = reg["primary"].notna().to_numpy()
    test = reg["test"].fillna(-1).to_numpy(dtype=np.int64)
    mark = reg["mark"].fillna(-1).to_numpy(dtype=np.int64)
    primary = reg["primary"].fillna(-1).to_numpy(dtype=np.int64)
    below = linked & _below_ege(subj, test, mark)

    # the ЕГЭ result as a normal score: rank within the subject (ties at random)
    z_ege = ndtri(rng.uniform(0.0, UNLINKED_U_MAX, n))
    key = np.where(subj == MATH_BASE, primary, test) + 0.9 * rng.random(n)
    if linked.any():
        z_ege[linked] = ndtri(group_quantile(subj[linked], key[linked]))
    ege_share = {
        int(c): float(below[linked & (subj == c)].mean()) if (linked & (subj == c)).any() else 0.0
        for c in np.unique(subj)
    }

    parts = []
    for work in WORKS:
        absent = rng.random(n) < ABSENT_P[work]
        rho = RHO[work]
        z = rho * z_ege + np.sqrt(1 - rho**2) * rng.normal(size=n)
        present = np.flatnonzero(~absent)
        u = np.full(n, np.nan)
        u[present] = group_quantile(subj[present], z[present])
        p, t, m = (np.full(n, -1, dtype=np.int64) for _ in range(3))
        for code in np.unique(subj[present]):
            rows = present[subj[present] == code]
            excess = DR1_EXCESS_PP.get(int(code), DEFAULT_EXCESS_PP) / 100.0
            share = min(ege_share[int(code)] + excess * FALL[work], 0.95)
            if code == MATH_BASE:
                shares = (share, *MATH_BASE_SHARES_34)
                m[rows] = mark_of(u[rows], shares)
                p[rows] = mark_primary_score(u[rows], shares, MARK_BANDS[("ege", "ЕГЭ", 22)])
            else:
                t[rows] = ege_test_score(int(code), share, u[rows])
                p[rows] = ege_primary_score(int(code), t[rows])
        parts.append(
            pd.DataFrame(
                {
                    "year": year,
                    "work": work,
                    "date": [work_date(year, work, int(c)) for c in subj],
                    "ate_code": reg["ate_code"].to_numpy(),
                    "school_code": reg["school_code"].to_numpy(),
                    "person_id": reg["person_id"].to_numpy(),
                    "subject": subj,
                    "primary": p,
                    "test": t,
                    "mark": m,
                    "status": np.where(absent, ABSENT, WROTE),
                    "linked": linked,
                    "below_ege": below,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def headline(rows: pd.DataFrame) -> dict[str, list[float | None]]:
    """Region-wide % below the minimum per subject: [ДР1, ДР2, ДР3, ЕГЭ of the linked
    students of ДР3] (what the summary's seed-002 table should show)."""
    out: dict[str, list[float | None]] = {}
    wrote = rows[rows["status"] == WROTE]
    minimum = wrote["subject"].map(EGE_MIN_SCORE).fillna(0)
    below = np.where(wrote["subject"] == MATH_BASE, wrote["mark"] == 2, wrote["test"] < minimum)
    wrote = wrote.assign(below=below)

    def pct(flags: pd.Series) -> float | None:
        return round(float(100 * flags.mean()), 2) if len(flags) else None

    for code, part in wrote.groupby("subject"):
        shares = [pct(part.loc[part["work"] == w, "below"]) for w in WORKS]
        last = part[(part["work"] == WORKS[-1]) & part["linked"]]
        shares.append(pct(last["below_ege"]))
        out[str(int(code))] = shares
    return out


def _personal_first(columns: tuple[str, ...]) -> tuple[str, ...]:
    personal = tuple(PERSONAL_FIELDS)
    return personal + tuple(c for c in columns if c not in personal)


def file_format(year: int, work: int) -> FileFormat:
    """Encodings and column orders vary between files, like the ФИС exports."""
    formats = (
        FileFormat(CP1251, DR_COLUMNS, newline="\r\n"),
        FileFormat(UTF8_BOM, DR_COLUMNS),
        FileFormat(UTF8, _personal_first(DR_COLUMNS)),
    )
    return formats[(year + work) % len(formats)]


def _table(rows: pd.DataFrame, region: Region) -> dict[str, Coded]:
    person = region.identity(rows["person_id"].to_numpy())
    return {
        "Учебный год": Coded.of(np.array([school_year(int(y)) for y in rows["year"]], object)),
        "Номер ДР": int_text(rows["work"].to_numpy()),
        "Дата": Coded.of(rows["date"].to_numpy(dtype=object)),
        "Код АТЕ": Coded.of(rows["ate_code"].to_numpy(dtype=object)),
        "Код ОО": Coded.of(rows["school_code"].to_numpy(dtype=object)),
        **{name: person[field] for name, field in PERSONAL_FIELDS.items()},
        "Код предмета": int_text(rows["subject"].to_numpy()),
        "Первичный балл": int_text(rows["primary"].to_numpy()),
        "Тестовый балл": int_text(rows["test"].to_numpy()),
        "Отметка": int_text(rows["mark"].to_numpy()),
        "Статус": Coded.of(rows["status"].to_numpy(dtype=object)),
    }


def _inject(
    table: dict[str, Coded], region: Region, year: int, rel: str
) -> tuple[dict[str, Coded], list[InjectedError]]:
    """Two invalid rows (new persons), shaped like the file's valid ones: an absent student
    with a test score, and base mathematics with a test score."""
    people = region.identities.make("dr_errors", year, 2)
    region.register(people)
    text = {c: table[c].text() for c in ("Статус", "Код предмета")}
    picks = []
    for subject in ("1", "22"):
        cand = np.flatnonzero((text["Статус"] == WROTE) & (text["Код предмета"] == subject))
        cand = cand if len(cand) else np.flatnonzero(text["Статус"] == WROTE)
        picks.append(cand[len(cand) // 3])
    bad = {c: table[c].take(np.array(picks)).text() for c in table}
    for column, field in PERSONAL_FIELDS.items():
        bad[column] = people[field].to_numpy(dtype=object)
    bad["Статус"][0] = ABSENT  # keeps its scores
    bad["Тестовый балл"][1] = "55"  # base mathematics has no test score
    problems = (
        "«Статус» «отсутствовал», но баллы заполнены",
        "«Тестовый балл» у базовой математики",
    )
    n = len(table["Номер ДР"])
    positions = [n // 3, (2 * n) // 3]
    out = {c: table[c].insert(positions, bad[c]) for c in table}
    errors = [InjectedError(rel, pos + i + 1, problems[i]) for i, pos in enumerate(positions)]
    return out, errors


def write_diagnostic(
    out: Path, region: Region, year: int, rows: pd.DataFrame, with_errors: bool
) -> tuple[dict[str, dict], list[InjectedError]]:
    """One file per work: regional/diagnostic/dr_<year>_<n>.csv; with_errors: two invalid
    rows in the last work's file. Returns {relative path: info} and the injected errors."""
    files: dict[str, dict] = {}
    errors: list[InjectedError] = []
    for work in WORKS:
        part = rows[rows["work"] == work]
        if part.empty:
            continue
        rel = f"regional/diagnostic/dr_{year}_{work}.csv"
        table = _table(part, region)
        if with_errors and work == WORKS[-1]:
            table, errors = _inject(table, region, year, rel)
        fmt = file_format(year, work)
        files[rel] = {"rows": write_csv(out / rel, table, fmt), "encoding": fmt.encoding}
    return files, errors
