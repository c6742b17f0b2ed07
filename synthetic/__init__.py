"""Synthetic region generator: a landing folder shaped like Хабаровский край.

``generate(out_dir, seed=42, scale=1.0)`` writes reference data, ФИС ГИА exports
(ЕГЭ/ГВЭ-11, ОГЭ/ГВЭ-9), ФИС ОКО ВПР results, the school uploads (olympiads, career
guidance) and the regional diagnostic works (ДР) exactly per ``shared/spec/sources.md``.

Layout of the package (one module per concern, one writer per source):

- ``territory``, ``subjects``, ``names``, ``identity`` — static tables and stable identities;
- ``population.Region`` — municipalities, schools with a latent quality, pupils by cohort
  (the model every source module draws from); ``pupils`` — the pupils of a grade in a school
  year, taken from those cohorts;
- ``ege``, ``oge`` (who sits what), ``gia_results``, ``sittings``, ``scales``, ``schedule``
  (results, retakes, scores, dates);
- ``vpr``, ``olympiad``, ``career`` — ВПР works, competition results and school reports
  (rows and their writers); ``diagnostic`` — the diagnostic works of the ЕГЭ graduates,
  scored against their own ЕГЭ results;
- ``reference``, ``gia_export``, ``csv_format``, ``xlsx_format`` — the writers;
- ``core.generate`` — the entry point.
"""

from .core import EGE_YEARS, OGE_YEARS, SOURCES, generate

__all__ = ["EGE_YEARS", "OGE_YEARS", "SOURCES", "generate"]
