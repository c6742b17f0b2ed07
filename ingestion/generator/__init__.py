"""Synthetic region generator: a landing folder shaped like Хабаровский край.

``generate(out_dir, seed=42, scale=1.0)`` writes reference data and ФИС ГИА exports
(ЕГЭ/ГВЭ-11, ОГЭ/ГВЭ-9) exactly per ``shared/spec/sources.md``.

Layout of the package (one module per concern, one writer per source):

- ``territory``, ``subjects``, ``names``, ``identity`` — static tables and stable identities;
- ``population.Region`` — municipalities, schools with a latent quality, pupils by cohort
  (the model every source module draws from, so ВПР, olympiad and career uploads can be
  added as further writer modules over the same persons);
- ``ege``, ``oge`` (who sits what), ``gia_results``, ``sittings``, ``scales``, ``schedule``
  (results, retakes, scores, dates);
- ``reference``, ``gia_export``, ``csv_format`` — the writers;
- ``core.generate`` — the entry point.
"""

from .core import EGE_YEARS, OGE_YEARS, generate

__all__ = ["EGE_YEARS", "OGE_YEARS", "generate"]
