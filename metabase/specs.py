"""Card and dashboard files: loading, checking, and rendering card SQL.

A card file ``cards/<group>/<name>.yml`` holds one question; a dashboard file
``dashboards/<name>.yml`` one dashboard. The key of either is its path relative to this
folder without the extension (``cards/gia/region_below_min_by_subject``); the provisioner
finds what it created by that key, written into the description as ``[edu-dwh:<key>]``.

Card SQL is Metabase native SQL for PostgreSQL: ``{{tag}}`` variables, always inside an
optional clause ``[[ … ]]`` so that every card also runs with no filter set (its own
defaults, e.g. the latest year present). It may read only the schemas ``marts`` and
``reference``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SPEC_DIR = Path(__file__).resolve().parent
ROOT_COLLECTION = "Мониторинг качества образования"
COLLECTION_SEPARATOR = " / "
GRID_WIDTH = 24  # Metabase ≥ 0.46 dashboard grid
DISPLAYS = {"table", "bar", "row", "line", "area", "combo", "scalar", "pie"}
ALLOWED_SCHEMAS = {"marts", "reference"}
# data a card needs (tests: a card of a family with data must return rows); DR: diagnostic
# works (marts.gia_early_warning), GRP: indicators per school group
FAMILIES = {"GIA", "VPR", "OLY", "CAR", "RNK", "TGT", "REF", "DR", "GRP"}


class SpecError(ValueError):
    """One or more card / dashboard files are invalid; the message lists every problem."""


@dataclass(frozen=True)
class TemplateTag:
    """A native-query variable shared by cards and wired to dashboard filters of that slug."""

    name: str
    type: str  # Metabase template-tag type: "number" or "text"
    display_name: str

    @property
    def parameter_type(self) -> str:
        """The Metabase parameter type of a filter on this tag (card and dashboard)."""
        return "number/=" if self.type == "number" else "string/="

    @property
    def section_id(self) -> str:
        return "number" if self.type == "number" else "string"

    @property
    def base_type(self) -> str:
        return "type/Integer" if self.type == "number" else "type/Text"


TEMPLATE_TAGS: dict[str, TemplateTag] = {
    t.name: t
    for t in (
        TemplateTag("year", "number", "Год"),
        TemplateTag("municipality", "text", "Муниципалитет"),
        TemplateTag("subject", "text", "Предмет"),
        TemplateTag("grade", "number", "Класс"),
        TemplateTag("school_group_kind", "text", "Вид группы школ"),
        TemplateTag("school_group", "text", "Группа школ"),
    )
}


@dataclass(frozen=True)
class CardSpec:
    key: str
    name: str
    description: str
    display: str
    collection: tuple[str, ...]
    sql: str
    parameters: tuple[str, ...]
    family: str
    visualization_settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DashcardSpec:
    card: str
    row: int
    col: int
    size_x: int
    size_y: int


@dataclass(frozen=True)
class FilterSpec:
    slug: str
    name: str
    values_card: str | None = None
    values_column: str | None = None

    @property
    def tag(self) -> TemplateTag:
        return TEMPLATE_TAGS[self.slug]


@dataclass(frozen=True)
class DashboardSpec:
    key: str
    name: str
    description: str
    collection: tuple[str, ...]
    filters: tuple[FilterSpec, ...]
    cards: tuple[DashcardSpec, ...]


@dataclass(frozen=True)
class Specs:
    cards: dict[str, CardSpec]
    dashboards: dict[str, DashboardSpec]

    @property
    def collections(self) -> list[tuple[str, ...]]:
        """Every collection path used, parents first."""
        paths: set[tuple[str, ...]] = set()
        for item in [*self.cards.values(), *self.dashboards.values()]:
            for n in range(1, len(item.collection) + 1):
                paths.add(item.collection[:n])
        return sorted(paths, key=lambda p: (len(p), p))


# ----------------------------------------------------------------------------- SQL

TAG_RE = re.compile(r"\{\{\s*([A-Za-z0-9_.]+)\s*\}\}")
OPTIONAL_RE = re.compile(r"\[\[(.*?)\]\]", re.S)
FORBIDDEN_SCHEMA_RE = re.compile(
    r"\b(raw|audit|staging|intermediate|public|pg_catalog|information_schema)\s*\.", re.I
)
RELATION_RE = re.compile(r"\b(?:from|join)\s+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_]\w*)?)", re.I)
CTE_RE = re.compile(r"\b([A-Za-z_]\w*)\s+as\s+(?:not\s+)?(?:materialized\s+)?\(", re.I)
ALIAS_RE = re.compile(r'\bas\s+"([^"]+)"', re.I)
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL truncates longer column names (NAMEDATALEN − 1)


def sql_tags(sql: str) -> set[str]:
    """The ``{{tag}}`` names used in a native query."""
    return set(TAG_RE.findall(sql))


def sql_problems(sql: str, declared: tuple[str, ...]) -> list[str]:
    """What is wrong with a card's SQL (empty list: nothing)."""
    problems = []
    used = sql_tags(sql)
    if used != set(declared):
        problems.append(
            f"template tags in SQL {sorted(used)} differ from parameters {sorted(declared)}"
        )
    outside = TAG_RE.findall(OPTIONAL_RE.sub("", sql))
    if outside:
        problems.append(f"tags outside an optional clause [[ … ]]: {sorted(set(outside))}")
    stripped = OPTIONAL_RE.sub("", sql)
    if "[[" in stripped or "]]" in stripped:
        problems.append("unbalanced optional clause [[ … ]]")
    if sql.rstrip().endswith(";"):
        problems.append("trailing semicolon (Metabase runs the text as one statement)")
    for alias in ALIAS_RE.findall(sql):
        if len(alias.encode("utf-8")) > MAX_IDENTIFIER_BYTES:
            problems.append(
                f"column alias «{alias}» is longer than {MAX_IDENTIFIER_BYTES} bytes in UTF-8"
                " (PostgreSQL would truncate it)"
            )
    bad = sorted({m.group(1).lower() for m in FORBIDDEN_SCHEMA_RE.finditer(sql)})
    if bad:
        problems.append(f"reads schemas other than marts/reference: {bad}")
    ctes = {m.group(1).lower() for m in CTE_RE.finditer(sql)}
    for m in RELATION_RE.finditer(sql):
        name = m.group(1).lower()
        rest = sql[m.end() :].lstrip()
        if rest.startswith("("):  # a set-returning function, e.g. generate_series(…)
            continue
        if "." in name:
            if name.split(".", 1)[0] not in ALLOWED_SCHEMAS:
                problems.append(f"reads {name}: only marts.* and reference.* are allowed")
        elif name not in ctes:
            problems.append(f"reads {name}: not schema-qualified and not a CTE")
    return problems


def render_sql(sql: str, values: dict[str, Any] | None = None) -> str:
    """Metabase's substitution of a native query, for PostgreSQL.

    An optional clause ``[[ … ]]`` is kept (with its variables substituted) when every
    variable inside has a value, else dropped; numbers are written as literals, text as a
    quoted string. This is what Metabase sends to the database for variables of type
    ``number`` and ``text``; tests run the result to check every card for real.
    """
    values = {k: v for k, v in (values or {}).items() if v is not None and v != ""}

    def literal(name: str) -> str:
        value = values[name]
        tag = TEMPLATE_TAGS.get(name)
        if tag is not None and tag.type == "number":
            if isinstance(value, bool) or not isinstance(value, int | float):
                value = float(value) if "." in str(value) else int(str(value))
            return str(value)
        return "'" + str(value).replace("'", "''") + "'"

    def substitute(text: str) -> str:
        return TAG_RE.sub(lambda m: literal(m.group(1)), text)

    def optional(m: re.Match) -> str:
        inner = m.group(1)
        return substitute(inner) if sql_tags(inner) <= values.keys() else ""

    rendered = OPTIONAL_RE.sub(optional, sql)
    missing = sql_tags(rendered) - values.keys()
    if missing:
        raise KeyError(f"required template tags without a value: {sorted(missing)}")
    return substitute(rendered)


# ----------------------------------------------------------------------------- loading


def key_of(path: Path, base: Path) -> str:
    return path.relative_to(base).with_suffix("").as_posix()


def _collection_path(value: Any, where: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return (ROOT_COLLECTION,)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: collection must be a non-empty string")
        return (ROOT_COLLECTION,)
    parts = tuple(p.strip() for p in value.split(COLLECTION_SEPARATOR.strip()))
    if parts[0] != ROOT_COLLECTION or not all(parts):
        problems.append(
            f"{where}: collection must be «{ROOT_COLLECTION}» or a sub-collection of it"
            f" («{ROOT_COLLECTION}{COLLECTION_SEPARATOR}…»), got «{value}»"
        )
        return (ROOT_COLLECTION,)
    return parts


def _text(data: dict, name: str, where: str, problems: list[str], limit: int = 254) -> str:
    value = data.get(name)
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{where}: `{name}` is required (non-empty text)")
        return ""
    value = value.strip()
    if len(value) > limit:
        problems.append(f"{where}: `{name}` longer than {limit} characters")
    return value


def _int(data: dict, name: str, where: str, problems: list[str], minimum: int) -> int:
    value = data.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        problems.append(f"{where}: `{name}` must be an integer ≥ {minimum}")
        return minimum
    return value


def _read(path: Path, where: str, problems: list[str]) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        problems.append(f"{where}: not valid YAML: {exc}")
        return {}
    if not isinstance(data, dict):
        problems.append(f"{where}: expected a mapping at the top level")
        return {}
    return data


CARD_FIELDS = {
    "name", "description", "display", "collection", "sql", "parameters", "family",
    "visualization_settings",
}  # fmt: skip
DASHBOARD_FIELDS = {"name", "description", "collection", "filters", "cards"}


def load_card(path: Path, base: Path, problems: list[str]) -> CardSpec:
    key = key_of(path, base)
    data = _read(path, key, problems)
    unknown = set(data) - CARD_FIELDS
    if unknown:
        problems.append(f"{key}: unknown fields {sorted(unknown)}")
    display = data.get("display")
    if display not in DISPLAYS:
        problems.append(f"{key}: display must be one of {sorted(DISPLAYS)}, got {display!r}")
    family = data.get("family")
    if family not in FAMILIES:
        problems.append(f"{key}: family must be one of {sorted(FAMILIES)}, got {family!r}")
    params = data.get("parameters") or []
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        problems.append(f"{key}: parameters must be a list of template tag names")
        params = []
    for p in params:
        if p not in TEMPLATE_TAGS:
            problems.append(f"{key}: unknown parameter {p!r} (known: {sorted(TEMPLATE_TAGS)})")
    if len(set(params)) != len(params):
        problems.append(f"{key}: a parameter is listed twice")
    sql = data.get("sql")
    if not isinstance(sql, str) or not sql.strip():
        problems.append(f"{key}: `sql` is required")
        sql = ""
    else:
        sql = sql.strip() + "\n"
        problems.extend(f"{key}: {p}" for p in sql_problems(sql, tuple(params)))
    vis = data.get("visualization_settings") or {}
    if not isinstance(vis, dict):
        problems.append(f"{key}: visualization_settings must be a mapping")
        vis = {}
    return CardSpec(
        key=key,
        name=_text(data, "name", key, problems),
        description=_text(data, "description", key, problems, limit=2000),
        display=str(display),
        collection=_collection_path(data.get("collection"), key, problems),
        sql=sql,
        parameters=tuple(params),
        family=str(family),
        visualization_settings=vis,
    )


def load_dashboard(
    path: Path, base: Path, cards: dict[str, CardSpec], problems: list[str]
) -> DashboardSpec:
    key = key_of(path, base)
    data = _read(path, key, problems)
    unknown = set(data) - DASHBOARD_FIELDS
    if unknown:
        problems.append(f"{key}: unknown fields {sorted(unknown)}")

    filters = []
    for i, f in enumerate(data.get("filters") or []):
        where = f"{key} filter #{i + 1}"
        if not isinstance(f, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        slug = f.get("slug")
        if slug not in TEMPLATE_TAGS:
            problems.append(f"{where}: slug must be one of {sorted(TEMPLATE_TAGS)}")
            continue
        values = f.get("values") or {}
        values_card = values.get("card") if isinstance(values, dict) else None
        values_column = values.get("column") if isinstance(values, dict) else None
        if values and (values_card not in cards or not values_column):
            problems.append(f"{where}: values must name an existing card and its column")
        filters.append(
            FilterSpec(
                slug=slug,
                name=_text(f, "name", where, problems),
                values_card=values_card,
                values_column=values_column,
            )
        )
    slugs = [f.slug for f in filters]
    if len(set(slugs)) != len(slugs):
        problems.append(f"{key}: a filter slug is listed twice")

    dashcards = []
    for i, c in enumerate(data.get("cards") or []):
        where = f"{key} card #{i + 1}"
        if not isinstance(c, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        card = c.get("card")
        if card not in cards:
            problems.append(f"{where}: unknown card {card!r}")
            continue
        dc = DashcardSpec(
            card=card,
            row=_int(c, "row", where, problems, 0),
            col=_int(c, "col", where, problems, 0),
            size_x=_int(c, "size_x", where, problems, 1),
            size_y=_int(c, "size_y", where, problems, 1),
        )
        if dc.col + dc.size_x > GRID_WIDTH:
            problems.append(f"{where}: col + size_x exceeds the grid width {GRID_WIDTH}")
        dashcards.append(dc)
    if not dashcards:
        problems.append(f"{key}: a dashboard needs at least one card")
    used = [d.card for d in dashcards]
    if len(set(used)) != len(used):
        problems.append(f"{key}: a card is placed twice")
    cells: dict[tuple[int, int], str] = {}
    for d in dashcards:
        for r in range(d.row, d.row + d.size_y):
            for col in range(d.col, d.col + d.size_x):
                if (r, col) in cells and cells[(r, col)] != d.card:
                    problems.append(f"{key}: {d.card} overlaps {cells[(r, col)]}")
                    break
                cells[(r, col)] = d.card
            else:
                continue
            break
    for f in filters:
        if not any(f.slug in cards[d.card].parameters for d in dashcards):
            problems.append(f"{key}: filter {f.slug!r} is wired to no card")

    return DashboardSpec(
        key=key,
        name=_text(data, "name", key, problems),
        description=_text(data, "description", key, problems, limit=2000),
        collection=_collection_path(data.get("collection"), key, problems),
        filters=tuple(filters),
        cards=tuple(dashcards),
    )


def load_specs(base: Path | str = SPEC_DIR) -> Specs:
    """Every card and dashboard file under ``base``; raises SpecError listing all problems."""
    base = Path(base)
    problems: list[str] = []
    cards = {}
    for path in sorted((base / "cards").rglob("*.yml")):
        spec = load_card(path, base, problems)
        cards[spec.key] = spec
    dashboards = {}
    for path in sorted((base / "dashboards").rglob("*.yml")):
        spec = load_dashboard(path, base, cards, problems)
        dashboards[spec.key] = spec
    names: dict[str, str] = {}
    for spec in [*cards.values(), *dashboards.values()]:
        kind = "card" if spec.key.startswith("cards/") else "dashboard"
        other = names.setdefault(f"{kind}:{spec.name}", spec.key)
        if other != spec.key:
            problems.append(f"{spec.key}: same name as {other} («{spec.name}»)")
    if problems:
        raise SpecError("invalid Metabase specs:\n  " + "\n  ".join(problems))
    return Specs(cards=cards, dashboards=dashboards)
