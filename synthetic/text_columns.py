"""Text columns stored as integer codes into a table of texts.

Export columns have few distinct values (stages, dates, codes, scores) or repeat per
person (ФИО, СНИЛС); keeping them coded makes sorting, slicing and writing cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Coded:
    """A text column as codes into a table of texts (row i is ``values[codes[i]]``)."""

    codes: np.ndarray
    values: np.ndarray  # object array of str

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, index: np.ndarray) -> Coded:
        return Coded(self.codes[index], self.values)

    def text(self) -> np.ndarray:
        return self.values[self.codes]

    def insert(self, positions: Sequence[int], texts: Sequence[str]) -> Coded:
        """New column with ``texts`` inserted before ``positions`` (like np.insert)."""
        values = np.concatenate([self.values, np.array(list(texts), dtype=object)])
        new_codes = np.arange(len(self.values), len(values))
        return Coded(np.insert(self.codes, positions, new_codes), values)

    @staticmethod
    def of(values: np.ndarray | Sequence[str]) -> Coded:
        codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=False)
        return Coded(codes, np.asarray(uniques, dtype=object))


def int_text(values: np.ndarray) -> Coded:
    """Integers as text; negative values (the generator's "missing") as ''."""
    values = np.asarray(values, dtype=np.int64)
    top = int(values.max()) if len(values) else 0
    table = np.array([""] + [str(i) for i in range(max(top, 0) + 1)], dtype=object)
    return Coded(np.maximum(values, -1) + 1, table)
