"""ЕГЭ and ГВЭ-11 results of one year (fis_gia/ege)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .gia_results import Registrations, assemble, fail_share, latent, quantiles
from .population import Region, gumbel_top
from .schedule import RESERVE, SEPTEMBER
from .subjects import ELECTIVES, MATH, MATH_BASE, RUSSIAN

# Relative popularity of the ЕГЭ electives among graduates.
ELECTIVE_WEIGHT: dict[int, float] = {
    12: 1.0, 6: 0.42, 5: 0.36, 3: 0.40, 7: 0.26, 4: 0.27, 18: 0.16, 9: 0.15, 8: 0.06,
    10: 0.006, 11: 0.004, 29: 0.008,
}  # fmt: skip
# Choice bends with the level of mathematics.
PROFILE_FACTOR: dict[int, float] = {3: 2.2, 5: 2.2, 4: 1.2}
BASE_FACTOR: dict[int, float] = {3: 0.15, 5: 0.3, 4: 0.6, 12: 1.4, 7: 1.4, 18: 1.5}
OGE_BOOST = 3.0  # an ОГЭ elective of two years before is likelier to be taken again
PROFILE_SHARE = 0.45  # of graduates (ВТГ, ЕГЭ form)
N_ELECTIVES_P_VTG = (0.10, 0.30, 0.47, 0.13)  # 0, 1, 2, 3 electives
N_ELECTIVES_P_OTHER = (0.25, 0.50, 0.25)
RUSSIAN_P_OTHER = {"ВПЛ": 0.55, "СПО": 0.85, "ИНО": 0.8}
PROFILE_P_OTHER = {"ВПЛ": 0.35, "СПО": 0.3, "ИНО": 0.4}
SWITCH_TO_BASE_P = 0.5  # graduates failing profile maths who sit base maths later
NO_RESULT_SHARE = 0.03

_ELECTIVES = np.array(ELECTIVES)


def _retake_rules(
    year: int, vtg: np.ndarray, subject: np.ndarray, form: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Chances of a reserve and a September retake (0 where the rules forbid them)."""
    gve = form == "ГВЭ"
    obligatory = np.isin(subject, (RUSSIAN, MATH, MATH_BASE))
    reserve = np.where(vtg & (obligatory | gve), 0.6, 0.0)
    if year >= 2024:  # since 2024 a graduate may retake one elective in reserve
        reserve = np.where(vtg & ~obligatory & ~gve, 0.25, reserve)
    september = np.where(vtg & (gve | np.isin(subject, (RUSSIAN, MATH_BASE))), 0.6, 0.0)
    return reserve, september


def ege_sittings(region: Region, year: int) -> pd.DataFrame:
    """Sitting rows of ЕГЭ and ГВЭ-11 in ``year`` (columns: see gia_results)."""
    part = region.ege_participants(year)
    rng = region.rng("ege", year)
    n = len(part)
    cat = part["category"].to_numpy()
    gve = part["gve"].to_numpy()
    ability = part["ability"].to_numpy()
    vtg_all = cat == "ВТГ"
    vtg = vtg_all & ~gve
    other = ~vtg_all

    rus = vtg | (other & (rng.random(n) < pd.Series(cat).map(RUSSIAN_P_OTHER).fillna(0)))
    key = ability + rng.normal(0.0, 0.8, n)
    cut = np.quantile(key[vtg], 1 - PROFILE_SHARE) if vtg.any() else np.inf
    # Past graduates and college students choose profile maths more often when able.
    p_other = pd.Series(cat).map(PROFILE_P_OTHER).fillna(0).to_numpy()
    p_other = np.clip(2 * p_other / (1 + np.exp(-ability)), 0, 0.95)
    other_profile = rng.random(n) < p_other
    profile = (vtg & (key > cut)) | (other & other_profile)
    base = vtg & ~profile

    n_el = np.where(
        vtg,
        rng.choice(4, size=n, p=N_ELECTIVES_P_VTG),
        rng.choice(3, size=n, p=N_ELECTIVES_P_OTHER),
    )
    n_el[gve] = 0
    n_el[other & ~rus & ~profile & (n_el == 0)] = 1
    logw = np.tile(np.log([ELECTIVE_WEIGHT[s] for s in ELECTIVES]), (n, 1))
    for s, f in PROFILE_FACTOR.items():
        logw[profile, ELECTIVES.index(s)] += np.log(f)
    for s, f in BASE_FACTOR.items():
        logw[base, ELECTIVES.index(s)] += np.log(f)
    oge = part[["oge_elective_1", "oge_elective_2"]].to_numpy()
    logw += np.log(OGE_BOOST) * ((_ELECTIVES[None, :] == oge[:, [0]]) |
                                 (_ELECTIVES[None, :] == oge[:, [1]]))  # fmt: skip
    top = gumbel_top(rng, logw, 3)
    take = np.arange(3)[None, :] < n_el[:, None]

    el_p, el_j = np.nonzero(take)
    pidx = np.concatenate(
        [np.flatnonzero(rus), np.flatnonzero(profile), np.flatnonzero(base), el_p,
         np.flatnonzero(gve), np.flatnonzero(gve)]
    )  # fmt: skip
    subject = np.concatenate(
        [np.full(rus.sum(), RUSSIAN), np.full(profile.sum(), MATH),
         np.full(base.sum(), MATH_BASE), _ELECTIVES[top[el_p, el_j]],
         np.full(gve.sum(), RUSSIAN), np.full(gve.sum(), MATH)]
    )  # fmt: skip
    form = np.where(np.arange(len(pidx)) >= len(pidx) - 2 * gve.sum(), "ГВЭ", "ЕГЭ")
    fixed = np.full(len(pidx), -1)

    z = latent(rng, ability[pidx])
    reg = _registrations(year, vtg_all, pidx, subject, form, fixed)
    u = quantiles(reg, z)
    # Graduates failing profile mathematics often sit base mathematics later that year.
    p2 = fail_share("ege", year, "ЕГЭ", MATH)
    switch = vtg[pidx] & (subject == MATH) & (u < p2) & (rng.random(len(u)) < SWITCH_TO_BASE_P)
    k = int(switch.sum())
    sw_stage = np.where(rng.random(k) < 0.7, RESERVE, SEPTEMBER)
    pidx = np.concatenate([pidx, pidx[switch]])
    subject = np.concatenate([subject, np.full(k, MATH_BASE)])
    form = np.concatenate([form, np.full(k, "ЕГЭ")])
    fixed = np.concatenate([fixed, sw_stage])
    z = np.concatenate([z, latent(rng, ability[pidx[-k:]]) if k else np.empty(0)])
    reg = _registrations(year, vtg_all, pidx, subject, form, fixed)
    u = quantiles(reg, z)

    # Registrations for an elective never sat (absent) or without a result.
    cand = np.flatnonzero(~gve)
    chosen_nr = np.sort(rng.choice(cand, size=int(round(len(cand) * NO_RESULT_SHARE)),
                                   replace=False))  # fmt: skip
    taken = np.zeros((n, len(ELECTIVES)), dtype=bool)
    taken[el_p, top[el_p, el_j]] = True
    nr_logw = np.where(taken[chosen_nr], -np.inf, logw[chosen_nr])
    nr_subject = _ELECTIVES[gumbel_top(rng, nr_logw, 1)[:, 0]]
    return assemble("ege", year, rng, part, reg, u, chosen_nr, nr_subject, "ЕГЭ")


def _registrations(year, vtg_all, pidx, subject, form, fixed) -> Registrations:
    reserve, september = _retake_rules(year, vtg_all[pidx], subject, form)
    return Registrations(pidx, subject, form, reserve, september, fixed)
