"""Charts of the municipality report pack as geometry: plain numbers and labels computed here,
drawn as inline SVG by the macros of ``html_templates/charts.html`` (escaped like any other
value: no markup is built in Python). No scripts, fonts or images: a report opens offline.

Two kinds: a trend chart (one line per territory over the years, each point a circle that
carries the mart value it shows) and the ranking bar (RNK-02 of every municipality, coloured
by its «светофор», one bar highlighted).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# RNK-04 levels → bar colour (the same in the legend of every chart)
TRAFFIC_COLOURS = {
    "оптимальный": "#2e7d32",
    "допустимый": "#f2b705",
    "недостаточный": "#ef6c00",
    "критический": "#c62828",
}
TRAFFIC_ORDER = tuple(TRAFFIC_COLOURS)
UNKNOWN_COLOUR = "#9e9e9e"
LINE_COLOURS = ("#1f5fa8", "#b0282e", "#5b8c2a", "#7a4fa0")


@dataclass
class Point:
    x: float
    y: float
    value: float
    label: str  # the value as printed (Russian decimal comma)
    attrs: dict[str, str]  # data-* attributes naming the mart row the value comes from


@dataclass
class Series:
    name: str
    colour: str
    points: list[Point]
    dashed: bool = False

    @property
    def path(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


@dataclass
class Tick:
    at: float
    label: str


@dataclass
class LineChart:
    title: str
    unit: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    x_ticks: list[Tick]
    y_ticks: list[Tick]
    series: list[Series]
    chart_id: str = ""

    @property
    def n_points(self) -> int:
        return sum(len(s.points) for s in self.series)


@dataclass
class Bar:
    label: str
    y: float
    width: float
    colour: str
    score_label: str
    place: int | None
    highlighted: bool
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class RankingChart:
    title: str
    width: int
    height: int
    left: float
    top: float
    plot_width: float
    bar_height: float
    bars: list[Bar]
    x_ticks: list[Tick]
    legend: list[tuple[str, str]]
    chart_id: str = ""


def _nice_step(span: float, ticks: int = 4) -> float:
    raw = span / ticks if span > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover - unreachable


def _tick_label(value: float, step: float) -> str:
    digits = 0 if float(step).is_integer() else (1 if float(step * 10).is_integer() else 2)
    return f"{value:.{digits}f}".replace(".", ",")


def line_chart(
    title: str,
    unit: str,
    years: list[int],
    lines: list[tuple[str, dict[int, tuple[float, str, dict[str, str]]]]],
    width: int = 330,
    height: int = 190,
) -> LineChart | None:
    """``lines``: (name, {year: (value, printed label, data attributes)}) per territory.
    None when no line has a point (the report then says there is no data, never shows
    an empty frame)."""
    values = [v for _, pts in lines for v, _, _ in pts.values()]
    if not values or not years:
        return None
    left, top, right, bottom = 44.0, 30.0, width - 12.0, height - 42.0
    low = min(0.0, min(values))
    high = max(values)
    step = _nice_step(high - low)
    top_value = low + step * max(1, math.ceil((high - low) / step - 1e-9))
    if top_value <= high:  # a point on the frame's edge is hard to read
        top_value += step

    def y_of(value: float) -> float:
        return bottom - (value - low) / (top_value - low) * (bottom - top)

    if len(years) == 1:
        x_of = {years[0]: (left + right) / 2}
    else:
        span = right - left - 30
        x_of = {y: left + 15 + i * span / (len(years) - 1) for i, y in enumerate(years)}
    y_ticks = []
    tick = low
    while tick <= top_value + 1e-9:
        y_ticks.append(Tick(round(y_of(tick), 1), _tick_label(tick, step)))
        tick += step
    series = []
    for i, (name, pts) in enumerate(lines):
        points = [
            Point(round(x_of[y], 1), round(y_of(v), 1), v, label, attrs)
            for y in years
            if y in pts
            for v, label, attrs in [pts[y]]
        ]
        if points:
            series.append(Series(name, LINE_COLOURS[i % len(LINE_COLOURS)], points, i > 0))
    return LineChart(
        title=title,
        unit=unit,
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        x_ticks=[Tick(round(x_of[y], 1), str(y)) for y in years],
        y_ticks=y_ticks,
        series=series,
    )


def ranking_chart(
    title: str,
    rows: list[dict],
    highlight: str | None,
    width: int = 680,
) -> RankingChart | None:
    """``rows``: municipality rows of RNK-02 (territory_code, territory_name, score, place,
    traffic_light, label, attrs) in ranking order. None when there are none."""
    if not rows:
        return None
    bar_height, gap = 14.0, 5.0
    left, top = 210.0, 28.0
    plot_width = width - left - 70
    bars = []
    for i, row in enumerate(rows):
        score = float(row["score"])
        bars.append(
            Bar(
                label=f"{row['place']}. {row['territory_name']}",
                y=top + i * (bar_height + gap),
                width=round(max(score, 0.0) / 100 * plot_width, 1),
                colour=TRAFFIC_COLOURS.get(row["traffic_light"], UNKNOWN_COLOUR),
                score_label=row["label"],
                place=row["place"],
                highlighted=row["territory_code"] == highlight,
                attrs=row["attrs"],
            )
        )
    height = int(top + len(rows) * (bar_height + gap) + 40)
    x_ticks = [
        Tick(round(left + v / 100 * plot_width, 1), str(v)) for v in (0, 20, 40, 60, 80, 100)
    ]
    return RankingChart(
        title=title,
        width=width,
        height=height,
        left=left,
        top=top,
        plot_width=plot_width,
        bar_height=bar_height,
        bars=bars,
        x_ticks=x_ticks,
        legend=[(name, TRAFFIC_COLOURS[name]) for name in TRAFFIC_ORDER],
    )
