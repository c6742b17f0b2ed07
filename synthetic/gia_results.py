"""Shared assembly of ГИА results (ЕГЭ/ГВЭ-11 and ОГЭ/ГВЭ-9) into sitting rows.

``ege.py`` and ``oge.py`` decide who registers for which subject and which retake rules
apply; this module ranks the results into quantiles, expands them into sittings, adds
registrations without a result (absent, annulled, removed, under appeal) and turns
quantiles into scores and dates. Output columns (internal, English):

year, stage (0–3, see schedule.STAGES), date, form, ate_code, school_code, category,
person_id, subject, primary, test, mark (-1 = empty), status (see sittings.STATUSES);
date, form, ate_code, school_code and category are categoricals.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scales import (
    ege_primary_score,
    ege_test_score,
    group_quantile,
    mark_of,
    mark_primary_score,
)
from .schedule import EARLY, MAIN, exam_date
from .sittings import ABSENT, ANNULLED, APPEAL, REMOVED, expand
from .subjects import (
    EGE_BELOW_MIN_PCT,
    MARK_BANDS,
    MARK_SHARES,
    MATH_BASE,
    MATH_BASE_SHARES_34,
)

FORM_CODES = {"ЕГЭ": 0, "ОГЭ": 1, "ГВЭ": 2}
NO_RESULT_STATUS_P = {ABSENT: 0.85, ANNULLED: 0.06, REMOVED: 0.04, APPEAL: 0.05}
# How strongly a subject result follows the person's general ability.
ABILITY_LOADING = 0.8
SUBJECT_NOISE = 0.6


def below_min_share(year: int, subject: int) -> float:
    """Calibrated share (0–1) of ЕГЭ results below the minimum; nearest year if absent."""
    known = sorted(EGE_BELOW_MIN_PCT)
    nearest = min(known, key=lambda y: (abs(y - year), -y))
    return EGE_BELOW_MIN_PCT[nearest][subject] / 100.0


def fail_share(exam: str, year: int, form: str, subject: int) -> float:
    if exam == "ege" and form == "ЕГЭ":
        return below_min_share(year, subject)
    return MARK_SHARES[(exam, form, subject)][0]


@dataclass
class Registrations:
    """Results to produce (one per participant and subject) and their retake rules."""

    pidx: np.ndarray  # row of the participant frame
    subject: np.ndarray
    form: np.ndarray  # str
    reserve_prob: np.ndarray
    september_prob: np.ndarray
    fixed_stage: np.ndarray  # -1, or the single stage this result is sat at


def latent(rng: np.random.Generator, ability: np.ndarray) -> np.ndarray:
    return ABILITY_LOADING * ability + SUBJECT_NOISE * rng.normal(size=len(ability))


def _spread(values: pd.Series, index: np.ndarray) -> pd.Categorical:
    """values[index] as a categorical (sorted categories) without hashing every row."""
    small = pd.Categorical(values.to_numpy())
    return pd.Categorical.from_codes(small.codes[index], categories=small.categories)


def _form_codes(form: np.ndarray) -> np.ndarray:
    out = np.full(len(form), -1, dtype=np.int64)
    for name, code in FORM_CODES.items():
        out[form == name] = code
    return out


def quantiles(reg: Registrations, z: np.ndarray) -> np.ndarray:
    return group_quantile(_form_codes(reg.form) * 1000 + reg.subject, z)


def _scores(
    exam: str, year: int, form: str, subject: int, u: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    empty = np.full(len(u), -1, dtype=np.int64)
    if exam == "ege" and form == "ЕГЭ" and subject != MATH_BASE:
        test = ege_test_score(subject, below_min_share(year, subject), u)
        return ege_primary_score(subject, test), test, empty
    if exam == "ege" and form == "ЕГЭ":
        shares = (below_min_share(year, subject), *MATH_BASE_SHARES_34)
    else:
        shares = MARK_SHARES[(exam, form, subject)]
    bands = MARK_BANDS[(exam, form, subject)]
    return mark_primary_score(u, shares, bands), empty, mark_of(u, shares)


def assemble(
    exam: str,
    year: int,
    rng: np.random.Generator,
    participants: pd.DataFrame,
    reg: Registrations,
    u: np.ndarray,
    no_result_pidx: np.ndarray,
    no_result_subject: np.ndarray,
    no_result_form: str,
) -> pd.DataFrame:
    """Sitting rows of one exam family and year (see the module docstring)."""
    form_code = _form_codes(reg.form)
    keys, inverse = np.unique(form_code * 1000 + reg.subject, return_inverse=True)
    code_form = {v: k for k, v in FORM_CODES.items()}
    p_fail = np.array(
        [fail_share(exam, year, code_form[int(k // 1000)], int(k % 1000)) for k in keys]
    )[inverse]
    early = participants["early"].to_numpy()
    main_stage = np.where(early[reg.pidx], EARLY, MAIN)
    sit = expand(rng, u, p_fail, main_stage, reg.reserve_prob, reg.september_prob, reg.fixed_stage)
    # Registrations without a result.
    k = len(no_result_pidx)
    statuses = np.array(list(NO_RESULT_STATUS_P))
    nr_status = rng.choice(statuses, size=k, p=list(NO_RESULT_STATUS_P.values()))
    nr_u = np.where(nr_status == ABSENT, np.nan, rng.uniform(0.02, 0.98, k))
    nr_stage = np.where(early[no_result_pidx], EARLY, MAIN)

    pidx = np.concatenate([reg.pidx[sit.result], no_result_pidx])
    frame = pd.DataFrame(
        {
            "stage": np.concatenate([sit.stage, nr_stage]),
            "form": np.concatenate([reg.form[sit.result], np.full(k, no_result_form)]),
            "subject": np.concatenate([reg.subject[sit.result], no_result_subject]),
            "u": np.concatenate([sit.u, nr_u]),
            "status": np.concatenate([sit.status, nr_status]),
        }
    )
    # Annulled, removed and appealed sittings are separate registrations (above), so
    # every result keeps exactly its calibrated best sitting.
    primary = np.full(len(frame), -1, dtype=np.int64)
    test = primary.copy()
    mark = primary.copy()
    scored = frame["u"].notna().to_numpy() & (frame["status"] != REMOVED).to_numpy()
    for (form_, subj), rows in frame[scored].groupby(["form", "subject"]).indices.items():
        where = np.flatnonzero(scored)[rows]
        p_, t_, m_ = _scores(exam, year, form_, int(subj), frame["u"].to_numpy()[where])
        primary[where], test[where], mark[where] = p_, t_, m_
    stage = frame["stage"].to_numpy()
    subject = frame["subject"].to_numpy()
    keys, inverse = np.unique(stage * 1000 + subject, return_inverse=True)
    key_dates = [exam_date(exam, year, int(c // 1000), int(c % 1000)) for c in keys]
    dates, date_of_key = np.unique(np.array(key_dates, dtype=object), return_inverse=True)
    forms = list(FORM_CODES)
    out = pd.DataFrame(
        {
            "year": year,
            "stage": stage,
            "date": pd.Categorical.from_codes(date_of_key[inverse], categories=dates),
            "form": pd.Categorical.from_codes(_form_codes(frame["form"].to_numpy()), forms),
            "ate_code": _spread(participants["ate_code"], pidx),
            "school_code": _spread(participants["school_code"], pidx),
            "category": _spread(participants["category"], pidx),
            "person_id": participants["person_id"].to_numpy()[pidx],
            "subject": subject,
            "primary": primary,
            "test": test,
            "mark": mark,
            "status": frame["status"].to_numpy(),
        }
    )
    return out
