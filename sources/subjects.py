"""Subject codes of ФИС ГИА and ФИС ОКО (sources.md; names in the dbt seed reference.subjects)."""

EGE = (1, 2, 22, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18, 29)
OGE = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18, 29)
VPR = (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 18, 40)
ALL = tuple(sorted(set(EGE) | set(VPR)))
BASE_MATHS = 22  # ЕГЭ по математике базового уровня: a mark, no test score
SURROUNDING_WORLD = 40  # ВПР «Окружающий мир»: 4th grade only
