"""Stable person identities: id, ФИО, СНИЛС and identity document.

A person id encodes the namespace the person was created in (kind of cohort and year),
so adding a new cohort or a new source module never renumbers existing persons. СНИЛС and
document numbers are keyed bijections of the id: unique by construction, and a person keeps
them in every year and file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .names import draw_names

# Kinds of person namespaces. Append new kinds at the end; never renumber.
KINDS: dict[str, int] = {
    "grade9": 1,  # the 9th-grade cohort of a year (ОГЭ participants)
    "grade11_new": 2,  # 11th-grade graduates not seen in the region's ОГЭ two years before
    "vpl": 3,  # graduates of past years (ЕГЭ ВПЛ)
    "spo": 4,  # students of vocational colleges (ЕГЭ СПО)
    "ino11": 5,  # other ЕГЭ participants (ИНО)
    "errors": 6,  # persons of the deliberately invalid rows
    "dr_errors": 7,  # persons of the deliberately invalid rows of the diagnostic works
}
_YEAR0 = 2015
_YEARS_PER_KIND = 20
NAMESPACE_CAPACITY = 500_000
_SNILS_MOD = 900_000_000
_DOC_MOD = 100_000_000
NO_SNILS_SHARE = 0.02


class _Permutation:
    """A keyed bijection of [0, domain): xorshift-multiply rounds on enough bits, with
    cycle walking back into the domain. Scrambles consecutive ids into unrelated numbers."""

    def __init__(self, rng: np.random.Generator, domain: int) -> None:
        self.domain = domain
        self.bits = int(domain - 1).bit_length()
        self.mask = np.uint64((1 << self.bits) - 1)
        self.keys = [
            (
                np.uint64(rng.integers(0, 1 << self.bits)),
                np.uint64(rng.integers(1, 1 << 30) * 2 + 1),
            )
            for _ in range(3)
        ]

    def _round(self, v: np.ndarray) -> np.ndarray:
        shift = np.uint64(self.bits // 2)
        for add, mul in self.keys:
            v = (v + add) & self.mask
            v ^= v >> shift
            v = (v * mul) & self.mask
        return v

    def __call__(self, x: np.ndarray) -> np.ndarray:
        if (x < 0).any() or (x >= self.domain).any():
            raise ValueError("value outside the permutation's domain")
        y = self._round(x.astype(np.uint64))
        out = y >= self.domain
        while out.any():
            y[out] = self._round(y[out])
            out = y >= self.domain
        return y.astype(np.int64)


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(values.astype(np.int64).astype(str), width)


def snils_checksum(number9: np.ndarray) -> np.ndarray:
    """Control number of a СНИЛС given its first nine digits (as integers)."""
    total = np.zeros(len(number9), dtype=np.int64)
    rest = number9.astype(np.int64).copy()
    for weight in range(1, 10):  # the last digit has weight 1
        total += (rest % 10) * weight
        rest //= 10
    check = np.where(total < 100, total, total % 101)
    return np.where(check >= 100, 0, check)


def format_snils(number9: np.ndarray) -> np.ndarray:
    """`123-456-789 01` strings."""
    n = number9.astype(np.int64)
    a = _zfill(n // 1_000_000, 3)
    b = _zfill((n // 1_000) % 1_000, 3)
    c = _zfill(n % 1_000, 3)
    d = _zfill(snils_checksum(n), 2)
    out = np.char.add(np.char.add(np.char.add(a, "-"), b), "-")
    return np.char.add(np.char.add(np.char.add(out, c), " "), d)


class Identities:
    """Creates persons with stable identities, deterministic for the generator's seed."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        rng = np.random.default_rng([seed, 9001])
        self._snils_perm = _Permutation(rng, _SNILS_MOD)
        self._doc_perm = _Permutation(rng, _DOC_MOD)

    @staticmethod
    def namespace(kind: str, year: int) -> int:
        if not _YEAR0 <= year < _YEAR0 + _YEARS_PER_KIND:
            raise ValueError(f"year {year} outside the generator's range")
        return KINDS[kind] * _YEARS_PER_KIND + (year - _YEAR0)

    def make(self, kind: str, year: int, n: int) -> pd.DataFrame:
        """n new persons of namespace (kind, year): id, sex, ФИО, СНИЛС, document."""
        if n > NAMESPACE_CAPACITY:
            raise ValueError(f"{n} persons exceed the namespace capacity; lower the scale")
        ns = self.namespace(kind, year)
        ids = ns * NAMESPACE_CAPACITY + np.arange(n, dtype=np.int64)
        rng = np.random.default_rng([self.seed, 1, ns])
        female, surname, first, patronymic = draw_names(rng, n)
        snils9 = self._snils_perm(ids) + 100_000_000
        snils = format_snils(snils9)
        no_snils = rng.random(n) < NO_SNILS_SHARE
        snils = np.where(no_snils, "", snils)
        doc = self._doc_perm(ids)
        # Passport series: region code 08 (Хабаровский край) and two digits.
        series = np.char.add("08", _zfill(doc // 1_000_000, 2))
        number = _zfill(doc % 1_000_000, 6)
        return pd.DataFrame(
            {
                "person_id": ids,
                "female": female,
                "surname": surname,
                "first_name": first,
                "patronymic": patronymic,
                "snils": snils,
                "doc_series": series,
                "doc_number": number,
            }
        )
