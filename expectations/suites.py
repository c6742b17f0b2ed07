"""Great Expectations suites (GX 1.x, as code), one builder per landing source.

Every expectation carries ``meta={"severity": "critical"|"warning", "message_ru": ...}``:
``critical`` failures on the accepted rows of a file reject the file, ``warning`` failures are
reported only. ``message_ru`` is what an auditor reads (the runner appends the row count).

The suites run against a stage table ``raw._stage_<load_id>``: the raw table's columns
(``sources.raw_tables``) plus ``STAGE_HELPER_COLUMNS`` (``_reject_reason``, ``_note``).
Row-level rejects are decided by the ingestion code; GX checks the file as a whole.

Adding a source (vpr, olympiad, career, ...) is one decorated function::

    @register("niko", raw_table="niko_results", baseline_year_column="year",
              baseline_slice=("ate_code", "school_code", "grade"))
    def niko_suite(s: SuiteInputs) -> list[Expectation]:
        return [*s.schema(), *not_null({"year": "Не заполнен год"}), *s.row_count()]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import great_expectations as gx
import great_expectations.expectations as E
from great_expectations.expectations import Expectation
from great_expectations.expectations.row_conditions import Column

from sources import KEY_COLUMNS, raw_columns, raw_tables

CRITICAL = "critical"
WARNING = "warning"
_SEVERITY_LABEL = {CRITICAL: "критично", WARNING: "предупреждение"}

# --- value sets of the source contract (shared/spec/sources.md) ------------------------------

SUBJECTS_EGE: tuple[int, ...] = (1, 2, 22, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 18, 29)
SUBJECTS_OGE: tuple[int, ...] = tuple(c for c in SUBJECTS_EGE if c != 22)
SUBJECTS_ALL: tuple[int, ...] = (*SUBJECTS_EGE, 40)
BASE_MATH = 22

GIA_STAGES = ("досрочный", "основной", "резервный", "дополнительный")
GIA_STATUSES = ("действителен", "аннулирован", "не явился", "удалён", "на апелляции")
VALID = "действителен"

MUNICIPALITY_TYPES = ("городской округ", "муниципальный район")
REGION_CODE = "00"
LOCALITIES = ("город", "село")
SUBORDINATIONS = ("муниципальная", "региональная", "федеральная", "частная")
TARGET_LEVELS = ("регион", "муниципалитет", "ОО")
INDICATOR_CODE_REGEX = r"^(GIA|VPR|OLY|CAR)-\d\d$"

VPR_SUBJECTS: tuple[int, ...] = (1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 18, 40)
OLY_EVENTS = ("ВсОШ", "Большие вызовы", "НТО", "Сириус", "Код будущего", "Большая перемена")
VSOSH = "ВсОШ"
VSOSH_STAGES = ("школьный", "муниципальный", "региональный", "заключительный")
OTHER_STAGES = ("отборочный", "заключительный", "обучение завершено")
OLY_STATUSES = ("участник", "призёр", "победитель")
CAREER_MODEL_LEVELS = ("базовый", "основной", "продвинутый")
SCHOOL_YEAR_REGEX = r"^\d{4}/\d{4}$"

MIN_YEAR = 2000

# Columns the ingestion code adds to a stage table after the raw table's columns
# (ingestion/loader.py, stage_file).
STAGE_HELPER_COLUMNS = ("_reject_reason", "_note")

# A file's row count is plausible between these multiples of the comparable previous rows.
ROW_COUNT_MIN_RATIO = 0.5
ROW_COUNT_MAX_RATIO = 2.0


# --- inputs ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Registry:
    """Codes of the loaded reference files (raw.municipalities / raw.schools)."""

    ate_codes: frozenset[str] = frozenset()
    schools: Mapping[str, str | None] = field(default_factory=dict)  # school_code -> ate_code

    @property
    def school_codes(self) -> frozenset[str]:
        return frozenset(self.schools)


@dataclass(frozen=True)
class SuiteInputs:
    """What a suite builder gets."""

    source: str
    spec: SourceSpec
    registry: Registry | None  # None for reference files: no registry checks
    previous_rows: int | None  # comparable rows loaded before (see SourceSpec); None = unknown

    def stage_columns(self) -> list[str]:
        return stage_columns(self.spec.raw_table)

    def schema(self) -> list[Expectation]:
        """The stage table has exactly the raw table's columns plus ``_reject_reason``."""
        return [
            critical(
                E.ExpectTableColumnsToMatchSet,
                "Состав столбцов промежуточной таблицы не соответствует контракту",
                column_set=self.stage_columns(),
                exact_match=True,
            )
        ]

    def row_count(self) -> list[Expectation]:
        """Row-count plausibility against the comparable previously loaded rows (warning)."""
        if not self.previous_rows:
            return []
        low = math.ceil(self.previous_rows * ROW_COUNT_MIN_RATIO)
        high = math.floor(self.previous_rows * ROW_COUNT_MAX_RATIO)
        return [
            warning(
                E.ExpectTableRowCountToBeBetween,
                f"Число строк вне правдоподобного диапазона {low}–{high} "
                f"({self.spec.baseline_label}: {self.previous_rows} строк)",
                min_value=low,
                max_value=high,
            )
        ]


SuiteBuilder = Callable[[SuiteInputs], Iterable[Expectation]]


@dataclass(frozen=True)
class SourceSpec:
    """How a landing source maps to the warehouse, and its suite builder.

    The row-count baseline (``previous_rows``) is the number of rows of ``raw_table`` that
    belong to loads of this source with status ``loaded``:
    - with ``baseline_year_column``: only rows of the previous year in the same slice, i.e.
      ``(year + 1, *baseline_slice)`` among the distinct values of the stage's accepted rows,
      NULLs comparing equal (a file per sitting, municipality or school is compared with the
      same sitting/municipality/school a year earlier);
    - without it (reference files): all currently loaded rows of the source.
    """

    name: str
    raw_table: str
    builder: SuiteBuilder
    reference: bool = False
    raw_filter: Mapping[str, Any] = field(default_factory=dict)
    baseline_year_column: str | None = None
    baseline_slice: tuple[str, ...] = ()
    baseline_label: str = "прошлый год"


SOURCES: dict[str, SourceSpec] = {}


def register(
    name: str,
    *,
    raw_table: str,
    reference: bool = False,
    raw_filter: Mapping[str, Any] | None = None,
    baseline_year_column: str | None = None,
    baseline_slice: tuple[str, ...] = (),
    baseline_label: str | None = None,
) -> Callable[[SuiteBuilder], SuiteBuilder]:
    """Register ``builder`` as the suite of landing source ``name``."""
    if raw_table not in raw_tables():
        raise ValueError(f"unknown raw table {raw_table!r}")

    def decorate(builder: SuiteBuilder) -> SuiteBuilder:
        SOURCES[name] = SourceSpec(
            name=name,
            raw_table=raw_table,
            builder=builder,
            reference=reference,
            raw_filter=dict(raw_filter or {}),
            baseline_year_column=baseline_year_column,
            baseline_slice=baseline_slice,
            baseline_label=baseline_label
            or ("тот же срез прошлого года" if baseline_year_column else "текущая версия"),
        )
        return builder

    return decorate


def stage_columns(raw_table: str) -> list[str]:
    """Columns of ``raw._stage_<load_id>`` for a raw table (raw columns + helper columns)."""
    return [*raw_columns(raw_table), *KEY_COLUMNS, *STAGE_HELPER_COLUMNS]


def build_suite(
    source: str,
    registry: Registry | None = None,
    previous_rows: int | None = None,
    *,
    name: str | None = None,
) -> gx.ExpectationSuite:
    """The ExpectationSuite of ``source`` (named ``name``, default: the source name).

    ``registry`` is ignored for reference sources. ``previous_rows`` is the comparable row
    count loaded before (see ``SourceSpec``); ``None``/0 = unknown, no row-count expectation.
    """
    try:
        spec = SOURCES[source]
    except KeyError:
        raise ValueError(f"Нет набора проверок для источника {source!r}") from None
    inputs = SuiteInputs(
        source=source,
        spec=spec,
        registry=None if spec.reference else (registry or Registry()),
        previous_rows=previous_rows,
    )
    # Passed to the constructor: ExpectationSuite.add_expectation() needs an active context.
    return gx.ExpectationSuite(
        name=name or source, expectations=list(spec.builder(inputs)), meta={"source": source}
    )


# --- expectation helpers -----------------------------------------------------------------------


def expectation(
    cls: type[Expectation], severity: str, message_ru: str, **kwargs: Any
) -> Expectation:
    """An expectation with our meta; its description (shown in Data Docs) is the Russian text."""
    if severity not in _SEVERITY_LABEL:
        raise ValueError(f"unknown severity {severity!r}")
    return cls(
        meta={"severity": severity, "message_ru": message_ru},
        severity=severity,
        description=f"[{_SEVERITY_LABEL[severity]}] {message_ru}",
        catch_exceptions=True,
        **kwargs,
    )


def critical(cls: type[Expectation], message_ru: str, **kwargs: Any) -> Expectation:
    return expectation(cls, CRITICAL, message_ru, **kwargs)


def warning(cls: type[Expectation], message_ru: str, **kwargs: Any) -> Expectation:
    return expectation(cls, WARNING, message_ru, **kwargs)


def not_null(columns: Mapping[str, str], severity: str = CRITICAL) -> list[Expectation]:
    """``{column: message}`` → not-null expectations."""
    return [
        expectation(E.ExpectColumnValuesToNotBeNull, severity, message, column=column)
        for column, message in columns.items()
    ]


def in_set(column: str, values: Iterable[Any], message_ru: str, **kwargs: Any) -> Expectation:
    return critical(
        E.ExpectColumnValuesToBeInSet, message_ru, column=column, value_set=list(values), **kwargs
    )


def _max_year() -> int:
    return dt.date.today().year + 1


def year_range(column: str = "year", message_ru: str = "Год вне диапазона") -> Expectation:
    return critical(
        E.ExpectColumnValuesToBeBetween,
        f"{message_ru} {MIN_YEAR}–{_max_year()}",
        column=column,
        min_value=MIN_YEAR,
        max_value=_max_year(),
    )


def between(column: str, message_ru: str, low=None, high=None, severity=CRITICAL) -> Expectation:
    return expectation(
        E.ExpectColumnValuesToBeBetween,
        severity,
        message_ru,
        column=column,
        min_value=low,
        max_value=high,
    )


def registry_checks(registry: Registry | None) -> list[Expectation]:
    """School and municipality codes exist in the loaded registry (NULL codes are skipped)."""
    registry = registry or Registry()
    return [
        in_set("school_code", sorted(registry.school_codes), "Коды ОО отсутствуют в справочнике"),
        in_set("ate_code", sorted(registry.ate_codes), "Коды АТЕ отсутствуют в справочнике"),
    ]


# --- ЕГЭ / ОГЭ ---------------------------------------------------------------------------------

_GIA_BASELINE = dict(
    raw_table="gia_results",
    baseline_year_column="year",
    baseline_slice=("stage", "form", "ate_code", "subject_code"),
)


def _gia_common(
    s: SuiteInputs,
    *,
    level: int,
    exam: str,
    forms: tuple[str, ...],
    categories: tuple[str, ...],
    subjects: tuple[int, ...],
) -> list[Expectation]:
    registry = s.registry or Registry()
    return [
        *s.schema(),
        in_set("gia_level", [level], f"Уровень ГИА не соответствует источнику ({exam})"),
        *not_null(
            {
                "year": "Не заполнен год экзамена",
                "form": "Не заполнена форма ГИА",
                "ate_code": "Не заполнен код АТЕ",
                "person_key": "Не сформирован ключ участника (нет ни СНИЛС, ни документа)",
                "subject_code": "Не заполнен код предмета",
                "status": "Не заполнен статус результата",
            }
        ),
        year_range(message_ru="Год экзамена вне диапазона"),
        between("test_score", "Тестовый балл вне диапазона 0–100", 0, 100),
        between("mark", "Отметка вне диапазона 2–5", 2, 5),
        between("primary_score", "Отрицательный первичный балл", 0),
        in_set("stage", GIA_STAGES, "Недопустимый этап экзамена"),
        in_set("form", forms, "Недопустимая форма ГИА"),
        in_set("category", categories, "Недопустимая категория участника"),
        in_set("status", GIA_STATUSES, "Недопустимый статус результата"),
        in_set("subject_code", subjects, f"Код предмета отсутствует в перечне предметов {exam}"),
        *registry_checks(registry),
        critical(
            E.ExpectCompoundColumnsToBeUnique,
            "Повторяющиеся записи об одном экзамене участника "
            "(участник, год, форма, предмет, этап, дата)",
            column_list=["person_key", "year", "form", "subject_code", "stage", "exam_date"],
        ),
        *s.row_count(),
        *not_null({"exam_date": "Не заполнена дата экзамена"}, WARNING),
        *school_belongs_to_ate(registry),
    ]


def school_belongs_to_ate(registry: Registry | None) -> list[Expectation]:
    if registry is None or not registry.schools:
        return []
    # A SQL check rather than expect_column_pair_values_to_be_in_set: that one, combined with
    # a row_condition, breaks in GX 1.24 (negative missing_count -> InvalidCacheValueError), and
    # without one it would report unknown school codes a second time.
    return [
        warning(
            E.UnexpectedRowsExpectation,
            "Код ОО не относится к указанному коду АТЕ (по справочнику ОО)",
            unexpected_rows_query=(
                "select b.source_row, b.school_code, b.ate_code from {batch} b"
                " join raw.schools s on s.school_code = b.school_code"
                " where s.ate_code is distinct from b.ate_code"
            ),
        )
    ]


@register("ege", raw_filter={"gia_level": 11}, **_GIA_BASELINE)
def ege_suite(s: SuiteInputs) -> list[Expectation]:
    valid = Column("status") == VALID
    return [
        *_gia_common(
            s,
            level=11,
            exam="ЕГЭ",
            forms=("ЕГЭ", "ГВЭ"),
            categories=("ВТГ", "ВПЛ", "СПО", "ИНО"),
            subjects=SUBJECTS_EGE,
        ),
        warning(
            E.ExpectColumnValuesToNotBeNull,
            "Нет тестового балла у действительного результата ЕГЭ",
            column="test_score",
            row_condition=valid & (Column("form") == "ЕГЭ") & (Column("subject_code") != BASE_MATH),
        ),
        warning(
            E.ExpectColumnValuesToNotBeNull,
            "Нет отметки у действительного результата базовой математики",
            column="mark",
            row_condition=valid & (Column("subject_code") == BASE_MATH),
        ),
        warning(
            E.ExpectColumnValuesToNotBeNull,
            "Нет отметки у действительного результата ГВЭ",
            column="mark",
            row_condition=valid & (Column("form") == "ГВЭ"),
        ),
        warning(
            E.ExpectColumnValuesToNotBeNull,
            "Не указан код ОО у выпускника текущего года (категория ВТГ)",
            column="school_code",
            row_condition=Column("category") == "ВТГ",
        ),
    ]


@register("oge", raw_filter={"gia_level": 9}, **_GIA_BASELINE)
def oge_suite(s: SuiteInputs) -> list[Expectation]:
    return [
        *_gia_common(
            s,
            level=9,
            exam="ОГЭ",
            forms=("ОГЭ", "ГВЭ"),
            categories=("ВТГ", "ИНО"),
            subjects=SUBJECTS_OGE,
        ),
        warning(
            E.ExpectColumnValuesToNotBeNull,
            "Нет отметки у действительного результата ОГЭ/ГВЭ-9",
            column="mark",
            row_condition=Column("status") == VALID,
        ),
        warning(
            E.ExpectColumnValuesToBeNull,
            "Тестовый балл заполнен, хотя в ОГЭ его нет",
            column="test_score",
        ),
        warning(
            E.ExpectColumnValuesToNotBeNull,
            "Не указан код ОО у участника (категория ВТГ)",
            column="school_code",
            row_condition=Column("category") == "ВТГ",
        ),
    ]


# --- reference files ---------------------------------------------------------------------------


@register("municipalities", raw_table="municipalities", reference=True)
def municipalities_suite(s: SuiteInputs) -> list[Expectation]:
    return [
        *s.schema(),
        *not_null(
            {
                "ate_code": "Не заполнен код АТЕ",
                "name": "Не заполнено наименование территории",
            }
        ),
        critical(E.ExpectColumnValuesToBeUnique, "Коды АТЕ повторяются", column="ate_code"),
        in_set(
            "type",
            MUNICIPALITY_TYPES,
            "Недопустимый тип муниципального образования",
            row_condition=Column("ate_code") != REGION_CODE,
        ),
        *s.row_count(),
    ]


@register("schools", raw_table="schools", reference=True)
def schools_suite(s: SuiteInputs) -> list[Expectation]:
    return [
        *s.schema(),
        *not_null(
            {
                "school_code": "Не заполнен код ОО",
                "ate_code": "Не заполнен код АТЕ школы",
                "name": "Не заполнено наименование ОО",
                "is_shnor": "Не заполнен признак ШНОР (1/0)",
                "is_shsu": "Не заполнен признак ШСУ (1/0)",
            }
        ),
        critical(E.ExpectColumnValuesToBeUnique, "Коды ОО повторяются", column="school_code"),
        in_set("locality", LOCALITIES, "Недопустимый тип местности"),
        in_set("subordination", SUBORDINATIONS, "Недопустимая подчинённость"),
        in_set("is_shnor", [True, False], "Признак ШНОР не является логическим (1/0)"),
        in_set("is_shsu", [True, False], "Признак ШСУ не является логическим (1/0)"),
        *s.row_count(),
    ]


@register("targets", raw_table="targets", reference=True)
def targets_suite(s: SuiteInputs) -> list[Expectation]:
    return [
        *s.schema(),
        *not_null(
            {
                "indicator_code": "Не заполнен код показателя",
                "year": "Не заполнен год целевого значения",
                "level": "Не заполнен уровень",
                "territory_code": "Не заполнен код территории",
                "target_value": "Не заполнено целевое значение",
            }
        ),
        critical(
            E.ExpectColumnValuesToMatchRegex,
            "Код показателя не соответствует формату GIA|VPR|OLY|CAR-NN",
            column="indicator_code",
            regex=INDICATOR_CODE_REGEX,
        ),
        critical(
            E.ExpectColumnValuesToBeBetween,
            f"Год целевого значения вне диапазона {MIN_YEAR}–2100",
            column="year",
            min_value=MIN_YEAR,
            max_value=2100,
        ),
        in_set("level", TARGET_LEVELS, "Недопустимый уровень (регион/муниципалитет/ОО)"),
        in_set(
            "territory_code",
            [REGION_CODE],
            "У уровня «регион» код территории должен быть 00",
            row_condition=Column("level") == "регион",
        ),
        in_set("subject_code", SUBJECTS_ALL, "Код предмета отсутствует в перечне предметов"),
        critical(
            E.ExpectCompoundColumnsToBeUnique,
            "Повторяющиеся целевые значения (показатель, год, уровень, территория, предмет)",
            column_list=["indicator_code", "year", "level", "territory_code", "subject_code"],
        ),
        warning(
            E.ExpectColumnValuesToBeBetween,
            "Отрицательное целевое значение",
            column="target_value",
            min_value=0,
        ),
        *s.row_count(),
    ]


# --- ВПР, olympiads, career reports --------------------------------------------------------------


@register(
    "vpr",
    raw_table="vpr_results",
    baseline_year_column="year",
    baseline_slice=("ate_code", "school_code", "grade", "subject_code"),
)
def vpr_suite(s: SuiteInputs) -> list[Expectation]:
    return [
        *s.schema(),
        *not_null(
            {
                "year": "Не заполнен год ВПР",
                "ate_code": "Не заполнен код АТЕ",
                "school_code": "Не заполнен код ОО",
                "grade": "Не заполнен класс",
                "student_code": "Не заполнен код ученика",
                "subject_code": "Не заполнен код предмета",
                "primary_score": "Не заполнен первичный балл",
                "mark": "Не заполнена отметка",
            }
        ),
        year_range(message_ru="Год ВПР вне диапазона"),
        between("grade", "Класс вне диапазона 4–11", 4, 11),
        in_set("subject_code", VPR_SUBJECTS, "Код предмета отсутствует в перечне предметов ВПР"),
        between("primary_score", "Отрицательный первичный балл", 0),
        between("mark", "Отметка вне диапазона 2–5", 2, 5),
        between("journal_mark", "Отметка по журналу вне диапазона 2–5", 2, 5),
        *registry_checks(s.registry),
        critical(
            E.ExpectCompoundColumnsToBeUnique,
            "Повторяющиеся результаты ученика (год, ОО, код ученика, предмет)",
            column_list=["year", "school_code", "student_code", "subject_code"],
        ),
        *s.row_count(),
        warning(
            E.ExpectColumnValuesToBeInSet,
            "Окружающий мир (код 40) пишут только 4-е классы",
            column="grade",
            value_set=[4],
            row_condition=Column("subject_code") == 40,
        ),
        *school_belongs_to_ate(s.registry),
    ]


@register(
    "olympiad",
    raw_table="olympiad_results",
    baseline_year_column="year",
    baseline_slice=("event", "stage", "ate_code", "school_code"),
)
def olympiad_suite(s: SuiteInputs) -> list[Expectation]:
    return [
        *s.schema(),
        *not_null(
            {
                "school_year": "Не заполнен учебный год",
                "year": "Не определён год (по учебному году)",
                "event": "Не заполнено мероприятие",
                "stage": "Не заполнен этап",
                "subject": "Не заполнен предмет (профиль)",
                "grade": "Не заполнен класс",
                "ate_code": "Не заполнен код АТЕ",
                "person_key": "Не сформирован ключ участника (нет СНИЛС)",
                "status": "Не заполнен статус участника",
            }
        ),
        critical(
            E.ExpectColumnValuesToMatchRegex,
            "Учебный год не в формате ГГГГ/ГГГГ",
            column="school_year",
            regex=SCHOOL_YEAR_REGEX,
        ),
        year_range(message_ru="Год вне диапазона"),
        in_set("event", OLY_EVENTS, "Недопустимое мероприятие"),
        in_set(
            "stage",
            VSOSH_STAGES,
            "Недопустимый этап ВсОШ",
            row_condition=Column("event") == VSOSH,
        ),
        in_set(
            "stage",
            OTHER_STAGES,
            "Недопустимый этап конкурса (не ВсОШ)",
            row_condition=Column("event") != VSOSH,
        ),
        between("grade", "Класс вне диапазона 4–11", 4, 11),
        in_set("status", OLY_STATUSES, "Недопустимый статус участника"),
        between("score", "Отрицательный балл", 0),
        between("max_score", "Отрицательный максимальный балл", 0),
        *registry_checks(s.registry),
        critical(
            E.ExpectCompoundColumnsToBeUnique,
            "Участник учтён повторно (мероприятие, этап, предмет, год)",
            column_list=["person_key", "year", "event", "stage", "subject"],
        ),
        *s.row_count(),
        warning(
            E.ExpectColumnPairValuesAToBeGreaterThanB,
            "Балл больше максимального балла",
            column_A="max_score",
            column_B="score",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        *school_belongs_to_ate(s.registry),
    ]


_CAREER_COUNTS = {
    "students_6_11": "обучающихся 6–11 классов",
    "bvb_participants": "участников «Билет в будущее»",
    "bvb_recommendations": "получивших рекомендации «Билет в будущее»",
    "proektoria_participants": "участников «Проектории»",
    "grads_9": "выпускников 9 классов",
    "grads_11": "выпускников 11 классов",
    "grads_9_continued": "выпускников 9 классов, продолживших обучение",
    "vocational_completed": "завершивших профессиональное обучение",
    "profile_gia_choice": "выбравших профильные предметы ГИА",
    "spo_profile": "поступивших в СПО по профилю",
    "vo_profile": "поступивших в ВО по профилю",
    "enterprise_events": "мероприятий с предприятиями",
}


def _not_more_than(column_a: str, column_b: str, message_ru: str) -> Expectation:
    """column_a ≤ column_b (warning)."""
    return warning(
        E.ExpectColumnPairValuesAToBeGreaterThanB,
        message_ru,
        column_A=column_b,
        column_B=column_a,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
    )


@register(
    "career",
    raw_table="career_reports",
    baseline_year_column="year",
    baseline_slice=("ate_code", "school_code"),
)
def career_suite(s: SuiteInputs) -> list[Expectation]:
    return [
        *s.schema(),
        *not_null(
            {
                "school_year": "Не заполнен учебный год",
                "year": "Не определён год (по учебному году)",
                "ate_code": "Не заполнен код АТЕ",
                "school_code": "Не заполнен код ОО",
            }
        ),
        *not_null({col: f"Не заполнено число {label}" for col, label in _CAREER_COUNTS.items()}),
        *[between(col, f"Отрицательное число {label}", 0) for col, label in _CAREER_COUNTS.items()],
        critical(
            E.ExpectColumnValuesToMatchRegex,
            "Учебный год не в формате ГГГГ/ГГГГ",
            column="school_year",
            regex=SCHOOL_YEAR_REGEX,
        ),
        year_range(message_ru="Год вне диапазона"),
        in_set("model_level", CAREER_MODEL_LEVELS, "Недопустимый уровень модели профориентации"),
        *registry_checks(s.registry),
        critical(
            E.ExpectCompoundColumnsToBeUnique,
            "Повторный отчёт ОО за тот же год",
            column_list=["year", "school_code"],
        ),
        *s.row_count(),
        _not_more_than(
            "bvb_recommendations",
            "bvb_participants",
            "Рекомендации «Билет в будущее» получили больше, чем участвовали",
        ),
        _not_more_than(
            "bvb_participants",
            "students_6_11",
            "Участников «Билет в будущее» больше, чем обучающихся",
        ),
        _not_more_than(
            "grads_9_continued",
            "grads_9",
            "Продолживших обучение в 10 классе больше, чем выпускников 9 классов",
        ),
        *school_belongs_to_ate(s.registry),
    ]
