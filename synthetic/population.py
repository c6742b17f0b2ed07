"""The region model every source module draws from.

``Region`` holds the municipalities, the school registry (each school with a latent
quality) and the pupils. Pupils are created per cohort, lazily and deterministically:

* ``grade9_cohort(Y)`` — the pupils who finish the 9th grade in year Y (ОГЭ participants
  of Y). A pupil of grade g in year Y belongs to ``grade9_cohort(Y + 9 - g)``, so a future
  ВПР or olympiad module finds the same persons (same school, ability, СНИЛС) there.
* ``ege_participants(Y)`` — everyone registered for ЕГЭ/ГВЭ-11 in Y: graduates (ВТГ), most
  of whom come from ``grade9_cohort(Y - 2)`` of the same municipality, graduates of past
  years (ВПЛ, partly last year's graduates), college students (СПО) and others (ИНО).

Every random draw comes from a stream keyed by (seed, purpose, year), so adding a module
or a year never changes what the existing ones produce.
"""

from __future__ import annotations

import zlib
from functools import cached_property

import numpy as np
import pandas as pd

from .identity import NAMESPACE_CAPACITY, Identities
from .territory import CITY, MUNICIPALITIES
from .text_columns import Coded

IDENTITY_COLUMNS = ("surname", "first_name", "patronymic", "snils", "doc_series", "doc_number")
N_SCHOOLS = 350
OGE_PARTICIPANTS = 11_000  # per year at scale 1
EGE_PARTICIPANTS = 6_000  # per year at scale 1, all categories

# ЕГЭ participants by category (the rest are ВТГ).
EGE_SHARE_VPL = 0.085
EGE_SHARE_SPO = 0.057
EGE_SHARE_INO = 0.006
# Share of ЕГЭ graduates who sat ОГЭ in the region two years before.
EGE_FROM_OGE_SHARE = 0.66
# Share of ВПЛ who were graduates in the region the year before.
VPL_REPEATERS_SHARE = 0.45
VPL_NO_SCHOOL_SHARE = 0.6
OGE_SHARE_INO = 0.015
OGE_SHARE_GVE = 0.02
EGE_SHARE_GVE = 0.012

# ОГЭ elective popularity (relative weights) and how it bends with ability.
OGE_ELECTIVE_WEIGHT: dict[int, tuple[float, float]] = {
    3: (0.09, 0.5),
    4: (0.08, 0.4),
    5: (0.42, 0.3),
    6: (0.27, 0.0),
    7: (0.03, 0.0),
    8: (0.40, -0.3),
    9: (0.10, 0.6),
    10: (0.004, 0.3),
    11: (0.003, 0.3),
    12: (0.55, -0.2),
    18: (0.03, 0.1),
    29: (0.005, 0.3),
}

_SUBORDINATION = ("муниципальная", "региональная", "федеральная", "частная")
_FEDERAL_NAMES = (
    "ФГКОУ «Хабаровское президентское кадетское училище»",
    "Лицей ФГБОУ ВО «Дальневосточный государственный университет путей сообщения»",
    "Школа-интернат № 8 ОАО «РЖД»",
    "ФГКОУ «Средняя общеобразовательная школа № 48» Минобороны России",
)
_PRIVATE_NAMES = (
    "ЧОУ «Гимназия Ступени»",
    "АНОО «Школа Лидер»",
    "ЧОУ «Православная гимназия во имя святителя Иннокентия»",
    "АНО ОО «Школа Мир знаний»",
    "ЧОУ «Лицей Эрудит»",
    "АНОО «Частная школа Созвездие»",
)


def _tag(value: str | int) -> int:
    return value if isinstance(value, int) else zlib.crc32(value.encode("utf-8"))


def _largest_remainder(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    raw = weights / weights.sum() * total
    counts = np.maximum(np.floor(raw).astype(int), minimum)
    while counts.sum() < total:
        counts[np.argmax(raw - counts)] += 1
    while counts.sum() > total:
        counts[np.argmax(np.where(counts > minimum, counts - raw, -np.inf))] -= 1
    return counts


def gumbel_top(rng: np.random.Generator, log_weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of k items per row sampled without replacement (Gumbel-top-k)."""
    keys = log_weights + rng.gumbel(size=log_weights.shape)
    return np.argsort(-keys, axis=1, kind="stable")[:, :k]


class Region:
    """A synthetic region: territories, schools and pupils, deterministic for a seed."""

    def __init__(self, seed: int = 42, scale: float = 1.0, first_ege_year: int = 2022) -> None:
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.seed = seed
        self.scale = scale
        self.first_ege_year = first_ege_year
        self.identities = Identities(seed)
        self._grade9: dict[int, pd.DataFrame] = {}
        self._ege: dict[int, pd.DataFrame] = {}
        # namespace -> identity columns (object arrays), row i = person ns * capacity + i
        self._identity: dict[int, dict[str, np.ndarray]] = {}
        self._identity_all: tuple[dict[int, int], dict[str, np.ndarray]] | None = None

    def rng(self, *tags: str | int) -> np.random.Generator:
        """An independent random stream for one purpose (e.g. ``rng("ege", 2024)``)."""
        return np.random.default_rng([self.seed, *(_tag(t) for t in tags)])

    # ------------------------------------------------------------------ territories
    @cached_property
    def municipalities(self) -> pd.DataFrame:
        """ate_code, name, type, weight (share of pupils), effect (latent quality)."""
        frame = pd.DataFrame(
            {
                "ate_code": [m.code for m in MUNICIPALITIES],
                "name": [m.name for m in MUNICIPALITIES],
                "type": [m.type for m in MUNICIPALITIES],
                "weight": [m.weight for m in MUNICIPALITIES],
                "p15": [m.p15 for m in MUNICIPALITIES],
            }
        )
        frame["weight"] = frame["weight"] / frame["weight"].sum()
        # П15 of seed 000 spans 74–84 %: about ±0.4 standard deviations of ability.
        frame["effect"] = (frame["p15"] - 79.5) * 0.08
        return frame

    @cached_property
    def schools(self) -> pd.DataFrame:
        """The school registry plus the latent columns quality, size, has_senior."""
        rng = self.rng("schools")
        muns = self.municipalities
        counts = _largest_remainder(muns["weight"].to_numpy() ** 0.6, N_SCHOOLS, 3)
        rows: list[dict] = []
        regional_no = 0
        federal_i = private_i = 0
        for m, count in zip(MUNICIPALITIES, counts, strict=True):
            effect = float(muns.loc[muns["ate_code"] == m.code, "effect"].iloc[0])
            city = m.type == CITY
            if city:
                settlement_idx = np.zeros(count, dtype=int)
            else:
                n_centre = max(1, int(round(count * 0.35)))
                others = len(m.settlements) - 1
                tail = np.arange(count - n_centre) % max(others, 1) + (1 if others else 0)
                settlement_idx = np.concatenate([np.zeros(n_centre, dtype=int), tail])
            sub_p = (0.86, 0.05, 0.04, 0.05) if city else (0.95, 0.05, 0.0, 0.0)
            subs = rng.choice(4, size=count, p=sub_p)
            subs[0] = 0  # the first school of every municipality is a municipal one
            number_in_settlement: dict[int, int] = {}
            city_number = 0
            for j in range(count):
                s_idx = int(settlement_idx[j])
                settlement = m.settlements[s_idx]
                locality = "город" if (city or settlement.startswith("г. ")) else "село"
                centre = s_idx == 0
                sub = _SUBORDINATION[subs[j]]
                quality = effect + rng.normal(0.0, 0.3)
                quality += {"муниципальная": 0.0, "региональная": -0.3,
                            "федеральная": 0.15, "частная": 0.05}[sub]  # fmt: skip
                if locality == "село":
                    quality -= 0.12
                senior_p = 0.93 if city else (0.95 if centre else 0.6)
                has_senior = bool(j == 0 or rng.random() < senior_p)
                size = rng.lognormal(0.0, 0.45) * (1.0 if (city or centre) else 0.35)
                if not has_senior:
                    size *= 0.5
                if sub == "региональная":
                    regional_no += 1
                    size *= 0.4
                    place = m.genitive or settlement
                    name = f"КГБОУ «Школа-интернат № {regional_no}» {place}"
                elif sub == "федеральная":
                    name = _FEDERAL_NAMES[federal_i % len(_FEDERAL_NAMES)]
                    federal_i += 1
                elif sub == "частная":
                    name = f"{_PRIVATE_NAMES[private_i % len(_PRIVATE_NAMES)]} {m.genitive}"
                    private_i += 1
                    size *= 0.3
                elif city:
                    city_number += int(rng.integers(1, 3))
                    kind = "СОШ" if has_senior else "ООШ"
                    name = f"МБОУ {kind} № {city_number} {m.genitive}"
                else:
                    k = number_in_settlement.get(s_idx, 0) + 1
                    number_in_settlement[s_idx] = k
                    kind = "СОШ" if has_senior else "ООШ"
                    name = f"МБОУ {kind} № {k} {settlement}"
                rows.append(
                    {
                        "ate_code": m.code,
                        "name": name,
                        "locality": locality,
                        "subordination": sub,
                        "quality": quality,
                        "size": size,
                        "has_senior": has_senior,
                    }
                )
        frame = pd.DataFrame(rows)
        frame.insert(0, "school_code", [f"{270001 + i:06d}" for i in range(len(frame))])
        # Gymnasiums and lyceums: the best municipal city schools with senior grades.
        city_mun = (frame["locality"] == "город") & (frame["subordination"] == "муниципальная")
        best = city_mun & frame["has_senior"] & (frame["quality"] > frame["quality"].quantile(0.9))
        for n_best, i in enumerate(frame.index[best]):
            kind = "Гимназия" if n_best % 2 == 0 else "Лицей"
            number = frame.at[i, "name"].split("№ ")[1]
            frame.at[i, "name"] = f"МАОУ «{kind} № {number.split(' ')[0]}» " + " ".join(
                number.split(" ")[1:]
            )
        public = frame["subordination"].isin(["муниципальная", "региональная"])
        shnor_key = frame["quality"] + rng.normal(0, 0.1, len(frame))
        shnor_cut = shnor_key[public].quantile(0.11)
        frame["shnor"] = public & (shnor_key <= shnor_cut)
        rural = (frame["locality"] == "село").astype(float)
        shsu_key = -frame["quality"] + 0.6 * rural + rng.normal(0, 0.2, len(frame))
        shsu_cut = shsu_key[public].quantile(0.89)
        frame["shsu"] = public & (shsu_key >= shsu_cut)
        # The share of the region's pupils a school has.
        mun_w = frame["ate_code"].map(muns.set_index("ate_code")["weight"])
        frame["pupil_share"] = (
            mun_w * frame["size"] / frame.groupby("ate_code")["size"].transform("sum")
        )
        return frame

    def _pick_schools(self, rng: np.random.Generator, n: int, senior_only: bool) -> np.ndarray:
        schools = self.schools
        share = schools["pupil_share"].to_numpy().copy()
        if senior_only:
            share = share * schools["has_senior"].to_numpy()
        return rng.choice(len(schools), size=n, p=share / share.sum())

    def _senior_in_same_municipality(
        self, rng: np.random.Generator, school_idx: np.ndarray
    ) -> np.ndarray:
        """For each school index, a random senior school of the same municipality."""
        schools = self.schools
        ate = schools["ate_code"].to_numpy()
        out = np.empty(len(school_idx), dtype=np.int64)
        for code in np.unique(ate[school_idx]):
            rows = np.flatnonzero(ate[school_idx] == code)
            cand = np.flatnonzero((ate == code) & schools["has_senior"].to_numpy())
            w = schools["size"].to_numpy()[cand]
            out[rows] = rng.choice(cand, size=len(rows), p=w / w.sum())
        return out

    def register(self, people: pd.DataFrame) -> None:
        """Keep the identities of new persons (a frame from ``Identities.make``)."""
        if people.empty:
            return
        ns = int(people["person_id"].iloc[0]) // NAMESPACE_CAPACITY
        self._identity[ns] = {c: people[c].to_numpy(dtype=object) for c in IDENTITY_COLUMNS}
        self._identity_all = None

    def identity(self, person_ids: np.ndarray) -> dict[str, Coded]:
        """ФИО, СНИЛС and document (text columns) of each person id, aligned with the input."""
        if self._identity_all is None:
            spaces = sorted(self._identity)
            sizes = [len(self._identity[ns]["snils"]) for ns in spaces]
            offsets = dict(zip(spaces, np.cumsum([0, *sizes[:-1]]).tolist(), strict=True))
            values = {
                c: np.concatenate([self._identity[ns][c] for ns in spaces])
                for c in IDENTITY_COLUMNS
            }
            self._identity_all = (offsets, values)
        offsets, values = self._identity_all
        ids = np.asarray(person_ids, dtype=np.int64)
        ns = ids // NAMESPACE_CAPACITY
        base = np.zeros(len(ids), dtype=np.int64)
        for space in np.unique(ns):
            base[ns == space] = offsets[int(space)]
        codes = base + ids % NAMESPACE_CAPACITY
        return {c: Coded(codes, values[c]) for c in IDENTITY_COLUMNS}

    # ------------------------------------------------------------------ pupils
    def _count(self, base: int, year: int) -> int:
        # Slowly growing cohorts (the region's demography of the 2020s).
        return max(1, int(round(base * self.scale * (1.0 + 0.02 * (year - 2022)))))

    def grade9_cohort(self, year: int) -> pd.DataFrame:
        """Pupils finishing the 9th grade in ``year``.

        Columns: person_id, ate_code, school_code, category (ВТГ/ИНО), gve (ГВЭ-9 instead of
        ОГЭ), ability, oge_elective_1, oge_elective_2 (0 for ГВЭ), early (досрочный).
        """
        if year in self._grade9:
            return self._grade9[year]
        rng = self.rng("grade9", year)
        n = self._count(OGE_PARTICIPANTS, year)
        ident = self.identities.make("grade9", year, n)
        self.register(ident)
        schools = self.schools
        s_idx = self._pick_schools(rng, n, senior_only=False)
        ability = schools["quality"].to_numpy()[s_idx] + rng.normal(0.0, 1.0, n)
        ino = rng.random(n) < OGE_SHARE_INO
        ability = ability - 0.3 * ino
        gve_key = -ability + rng.normal(0.0, 1.0, n)
        gve = (~ino) & (gve_key >= np.quantile(gve_key, 1 - OGE_SHARE_GVE))
        subjects = np.array(list(OGE_ELECTIVE_WEIGHT))
        base = np.log([OGE_ELECTIVE_WEIGHT[s][0] for s in subjects])
        slope = np.array([OGE_ELECTIVE_WEIGHT[s][1] for s in subjects])
        chosen = subjects[gumbel_top(rng, base[None, :] + np.outer(ability, slope), 2)]
        chosen = np.where(gve[:, None], 0, chosen)
        frame = pd.DataFrame(
            {
                "person_id": ident["person_id"].to_numpy(),
                "ate_code": schools["ate_code"].to_numpy()[s_idx],
                "school_code": schools["school_code"].to_numpy()[s_idx],
                "category": np.where(ino, "ИНО", "ВТГ"),
                "gve": gve,
                "ability": ability,
                "oge_elective_1": chosen[:, 0],
                "oge_elective_2": chosen[:, 1],
                "early": rng.random(n) < 0.004,
            }
        )
        self._grade9[year] = frame
        return frame

    def ege_participants(self, year: int) -> pd.DataFrame:
        """Everyone registered for ЕГЭ / ГВЭ-11 in ``year``.

        Columns: person_id, ate_code, school_code ('' for some ВПЛ), category, gve, ability,
        oge_elective_1, oge_elective_2 (their ОГЭ electives of year - 2, else 0), early.
        """
        if year in self._ege:
            return self._ege[year]
        rng = self.rng("ege_participants", year)
        schools = self.schools
        codes = schools["school_code"].to_numpy()
        ates = schools["ate_code"].to_numpy()
        quality = schools["quality"].to_numpy()
        code_to_idx = pd.Series(np.arange(len(schools)), index=codes)

        total = self._count(EGE_PARTICIPANTS, year)
        n_vpl = int(round(total * EGE_SHARE_VPL))
        n_spo = int(round(total * EGE_SHARE_SPO))
        n_ino = max(1, int(round(total * EGE_SHARE_INO)))
        n_vtg = total - n_vpl - n_spo - n_ino

        # Graduates who sat ОГЭ here two years before (the abler ones stay for grade 10).
        g9 = self.grade9_cohort(year - 2)
        pool = g9[(g9["category"] == "ВТГ") & ~g9["gve"]]
        n_cont = min(int(round(n_vtg * EGE_FROM_OGE_SHARE)), len(pool))
        keys = pool["ability"].to_numpy() * 0.6 + rng.gumbel(size=len(pool))
        cont = pool.iloc[np.sort(np.argsort(-keys, kind="stable")[:n_cont])]
        old_idx = code_to_idx[cont["school_code"].to_numpy()].to_numpy()
        moved = ~schools["has_senior"].to_numpy()[old_idx] | (rng.random(n_cont) < 0.15)
        new_idx = old_idx.copy()
        new_idx[moved] = self._senior_in_same_municipality(rng, old_idx[moved])
        cont_frame = pd.DataFrame(
            {
                "person_id": cont["person_id"].to_numpy(),
                "school_idx": new_idx,
                "category": "ВТГ",
                "ability": cont["ability"].to_numpy() + rng.normal(0.0, 0.3, n_cont),
                "oge_elective_1": cont["oge_elective_1"].to_numpy(),
                "oge_elective_2": cont["oge_elective_2"].to_numpy(),
            }
        )

        def newcomers(kind: str, category: str, n: int, shift: float, senior: bool):
            ident = self.identities.make(kind, year, n)
            self.register(ident)
            idx = self._pick_schools(rng, n, senior_only=senior)
            return pd.DataFrame(
                {
                    "person_id": ident["person_id"].to_numpy(),
                    "school_idx": idx,
                    "category": category,
                    "ability": quality[idx] + rng.normal(0.0, 1.0, n) + shift,
                    "oge_elective_1": 0,
                    "oge_elective_2": 0,
                }
            )

        parts = [cont_frame, newcomers("grade11_new", "ВТГ", n_vtg - n_cont, 0.0, True)]

        # ВПЛ: partly last year's graduates (the weaker ones more often), partly older.
        n_rep = 0
        if year - 1 >= self.first_ege_year:
            prev = self.ege_participants(year - 1)
            prev = prev[(prev["category"] == "ВТГ") & ~prev["gve"]]
            n_rep = min(int(round(n_vpl * VPL_REPEATERS_SHARE)), len(prev))
            keys = -0.5 * prev["ability"].to_numpy() + rng.gumbel(size=len(prev))
            rep = prev.iloc[np.sort(np.argsort(-keys, kind="stable")[:n_rep])]
            parts.append(
                pd.DataFrame(
                    {
                        "person_id": rep["person_id"].to_numpy(),
                        "school_idx": code_to_idx[rep["school_code"].to_numpy()].to_numpy(),
                        "category": "ВПЛ",
                        "ability": rep["ability"].to_numpy() + rng.normal(0.0, 0.3, n_rep),
                        "oge_elective_1": 0,
                        "oge_elective_2": 0,
                    }
                )
            )
        parts.append(newcomers("vpl", "ВПЛ", n_vpl - n_rep, -0.15, True))
        parts.append(newcomers("spo", "СПО", n_spo, -0.35, False))
        parts.append(newcomers("ino11", "ИНО", n_ino, -0.2, False))
        frame = pd.concat(parts, ignore_index=True)
        idx = frame.pop("school_idx").to_numpy()
        frame.insert(1, "ate_code", ates[idx])
        frame.insert(2, "school_code", codes[idx])
        n = len(frame)
        vtg = (frame["category"] == "ВТГ").to_numpy()
        gve_key = np.where(vtg, -frame["ability"].to_numpy() + rng.normal(0.0, 1.0, n), -np.inf)
        n_gve = int(round(vtg.sum() * EGE_SHARE_GVE))
        gve = np.zeros(n, dtype=bool)
        gve[np.argsort(-gve_key, kind="stable")[:n_gve]] = True
        frame.insert(4, "gve", gve)
        no_school = (frame["category"] == "ВПЛ").to_numpy() & (rng.random(n) < VPL_NO_SCHOOL_SHARE)
        frame.loc[no_school, "school_code"] = ""
        early_p = frame["category"].map({"ВТГ": 0.01, "ВПЛ": 0.2, "СПО": 0.2, "ИНО": 0.1})
        frame["early"] = rng.random(n) < early_p.to_numpy()
        self._ege[year] = frame
        return frame


__all__ = ["Region", "gumbel_top"]
