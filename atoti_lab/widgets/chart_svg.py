"""Static SVG of a pivot's chart views, for the places where widgets cannot run (GitHub,
nbviewer, nbconvert). Made in Python from the widget's Arrow result, no browser.

The data rules are those of the browser's charts (``js/src/charts/options.ts``): categories are the
row tuples, in the order of the grid (its ``sort`` applied, see ``_sort``), series the column tuples
x measures, totals left out (kept when there are no levels); a member not expanded is a category.
The drawing is plainer than ECharts' (no tooltips or zoom) but of the same kind.

>>> import pyarrow as pa
>>> table = pa.table({"City": ["Lyon", "Paris"], "Amount": [1.0, 3.0]})
>>> svg = render_chart_svg(table, {"rows": 1, "columns": 0, "measures": ["Amount"]}, "clustered-column-chart")
>>> svg.startswith("<svg") and svg.count("<rect class=\\"atl-bar\\"") == 2
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from ._sort import same_members, sort_spec, sorted_rows

__all__ = ["ChartData", "chart_data", "render_chart_svg"]

WIDTH = 720
HEIGHT = 360
MAX_CATEGORIES = 200
MAX_SERIES = 20
PALETTE = ("#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452", "#9a60b4", "#ea7ccc")


@dataclass
class ChartData:
    categories: list[str]
    series: list[tuple[str, list[float | None]]]  # name, one value per category
    measures: list[str]


def _label(values: Sequence[Any]) -> str:
    parts = [str(v) for v in values if v is not None]
    return " / ".join(parts) if parts else "Total"


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def chart_data(table: pa.Table, info: Mapping[str, Any], sort: Mapping[str, Any] | None = None) -> ChartData:
    """Categories and series of a widget result (see the module docstring); ``sort`` as in the state."""
    measures = [str(m) for m in info.get("measures", [])]
    n_rows = int(info.get("rows", 0))
    n_cols = int(info.get("columns", 0))
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    n_levels = n_rows + n_cols
    if n_levels + len(measures) != table.num_columns:
        return ChartData([], [], measures)
    blank = {i for i in info.get("expansion_levels", []) if isinstance(i, int)}  # null: not expanded

    def is_total(values: tuple[Any, ...], offset: int) -> bool:
        return any(v is None and offset + i not in blank for i, v in enumerate(values))

    row_order = _sorted_row_order(columns, n_rows, n_levels, measures, sort)
    categories: dict[tuple[Any, ...], int] = {}
    column_tuples: dict[tuple[Any, ...], int] = {}
    cells: dict[tuple[int, int, int], float | None] = {}
    for r in range(table.num_rows):
        row = tuple(columns[i][r] for i in range(n_rows))
        col = tuple(columns[i][r] for i in range(n_rows, n_levels))
        if (n_rows and is_total(row, 0)) or (n_cols and is_total(col, n_rows)):
            continue  # a total
        if row not in categories:
            categories[row] = len(categories)
        c = column_tuples.setdefault(col, len(column_tuples))
        for m in range(len(measures)):
            cells[(categories[row], c, m)] = _number(columns[n_levels + m][r])
    shown = list(categories)
    if row_order is not None:
        rank = {t: i for i, t in enumerate(row_order)}
        shown.sort(key=lambda t: rank.get(t, len(rank)))
    shown = shown[:MAX_CATEGORIES]
    series = []
    for col, c in column_tuples.items():
        for m, measure in enumerate(measures):
            if len(series) >= MAX_SERIES:
                break
            name = (_label(col) + (f" / {measure}" if len(measures) > 1 else "")) if n_cols else measure
            series.append((name, [cells.get((categories[row], c, m)) for row in shown]))
    labels = [_label(row) if n_rows else "Total" for row in shown]
    return ChartData(labels, series, measures)


def _sorted_row_order(
    columns: Sequence[Sequence[Any]],
    n_rows: int,
    n_levels: int,
    measures: Sequence[str],
    sort: Mapping[str, Any] | None,
) -> list[tuple[Any, ...]] | None:
    """The row tuples in the grid's sorted order, or None without a sort that applies."""
    spec = sort_spec({"sort": sort}) if sort is not None else None
    if spec is None or spec["measure"] not in measures or not columns:
        return None
    m = list(measures).index(spec["measure"])
    tuples: dict[tuple[Any, ...], Any] = {}
    matched = False
    for r in range(len(columns[0])):
        row = tuple(columns[i][r] for i in range(n_rows))
        tuples.setdefault(row, None)
        if same_members([columns[i][r] for i in range(n_rows, n_levels)], spec["members"]):
            tuples[row] = columns[n_levels + m][r]
            matched = True
    if not matched:
        return None
    rows = list(tuples)  # the result lists rows in member order, parents and totals first
    order = sorted_rows(rows, [tuples[t] for t in rows], descending=spec["descending"])
    return [rows[i] for i in order]


def _fmt(value: float) -> str:
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e9:
        return f"{value / 1e9:.3g}G"
    if magnitude >= 1e6:
        return f"{value / 1e6:.3g}M"
    if magnitude >= 1e3:
        return f"{value / 1e3:.3g}k"
    return f"{value:.3g}"


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    if high <= low:
        high = low + 1
    step = 10 ** math.floor(math.log10((high - low) / count))
    for multiple in (1, 2, 5, 10):
        if (high - low) / (step * multiple) <= count:
            step *= multiple
            break
    start = math.floor(low / step) * step
    return [start + i * step for i in range(math.ceil((high - start) / step) + 1)]


def render_chart_svg(
    table: pa.Table, info: Mapping[str, Any], view: str, *, title: str = "", sort: Mapping[str, Any] | None = None
) -> str:
    """An SVG drawing of ``view`` for a widget result ``table`` with its ``atoti_lab.pivot`` ``info``
    (categories in the order of the state's ``sort``)."""
    data = chart_data(table, info, sort)
    esc = html.escape
    opening = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="atl-chart-snapshot" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="11" role="img" '
        f'aria-label="{esc(title or view)}">'
    )
    out = [opening]
    if not data.categories or not data.series:
        out.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="#888">No data to chart</text>')
        out.append("</svg>")
        return "".join(out)
    # Legend
    x = 10.0
    for i, (name, _) in enumerate(data.series if view not in {"pie-chart", "heatmap", "scatter-plot"} else []):
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x:.1f}" y="6" width="10" height="10" fill="{color}"/>')
        out.append(f'<text x="{x + 14:.1f}" y="15">{esc(name)}</text>')
        x += 24 + 6.5 * len(name)
    if view == "pie-chart":
        _pie(out, data)
    elif view == "heatmap":
        _heatmap(out, data)
    elif view == "scatter-plot":
        _scatter(out, data)
    else:
        _cartesian(out, data, view)
    out.append("</svg>")
    return "".join(out)


def _cartesian(out: list[str], data: ChartData, view: str) -> None:
    horizontal = view in {"clustered-bar-chart", "stacked-bar-chart"}
    stacked = view in {"stacked-column-chart", "stacked-bar-chart"}
    line = view in {"line-chart", "area-chart"}
    n = len(data.categories)
    values = [[v or 0.0 for v in vs] for _, vs in data.series]
    if stacked:
        pos = [sum(max(v[k], 0) for v in values) for k in range(n)]
        neg = [sum(min(v[k], 0) for v in values) for k in range(n)]
        low, high = min([0.0, *neg]), max([0.0, *pos])
    else:
        flat = [v for vs in values for v in vs]
        low, high = min([0.0, *flat]), max([0.0, *flat])
    ticks = _ticks(low, high)
    low, high = ticks[0], ticks[-1]
    left, right, top, bottom = (110 if horizontal else 60), WIDTH - 20, 30, HEIGHT - 40
    span = high - low or 1.0

    def value_pos(v: float) -> float:  # along the value axis
        if horizontal:
            return left + (v - low) / span * (right - left)
        return bottom - (v - low) / span * (bottom - top)

    band = ((bottom - top) if horizontal else (right - left)) / n

    def category_pos(k: int) -> float:
        return (top if horizontal else left) + band * k

    for t in ticks:  # grid lines and value labels
        p = value_pos(t)
        if horizontal:
            out.append(f'<line x1="{p:.1f}" y1="{top}" x2="{p:.1f}" y2="{bottom}" stroke="#e0e6f1"/>')
            out.append(f'<text x="{p:.1f}" y="{bottom + 14}" text-anchor="middle" fill="#6e7079">{_fmt(t)}</text>')
        else:
            out.append(f'<line x1="{left}" y1="{p:.1f}" x2="{right}" y2="{p:.1f}" stroke="#e0e6f1"/>')
            out.append(f'<text x="{left - 6}" y="{p + 4:.1f}" text-anchor="end" fill="#6e7079">{_fmt(t)}</text>')
    step = max(1, math.ceil(n / 30))
    for k in range(0, n, step):  # category labels
        label = html.escape(data.categories[k][:18])
        c = category_pos(k) + band / 2
        if horizontal:
            out.append(f'<text x="{left - 6}" y="{c + 4:.1f}" text-anchor="end" fill="#333">{label}</text>')
        else:
            out.append(f'<text x="{c:.1f}" y="{bottom + 14}" text-anchor="middle" fill="#333">{label}</text>')
    zero = value_pos(0.0)
    if line:
        for i, vs in enumerate(values):
            color = PALETTE[i % len(PALETTE)]
            points = []
            for k in range(n):
                c = category_pos(k) + band / 2
                points.append((c, value_pos(vs[k])))
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            if view == "area-chart":
                area = f"{points[0][0]:.1f},{zero:.1f} {path} {points[-1][0]:.1f},{zero:.1f}"
                out.append(f'<polygon class="atl-area" points="{area}" fill="{color}" fill-opacity="0.35"/>')
            out.append(f'<polyline class="atl-line" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        return
    groups = 1 if stacked else len(values)
    width = band * 0.8 / groups
    for k in range(n):
        up = down = 0.0
        for i, vs in enumerate(values):
            v = vs[k]
            if stacked:
                start = up if v >= 0 else down
                end = start + v
                if v >= 0:
                    up = end
                else:
                    down = end
                offset = category_pos(k) + band * 0.1
            else:
                start, end = 0.0, v
                offset = category_pos(k) + band * 0.1 + width * i
            a, b = sorted((value_pos(start), value_pos(end)))
            color = PALETTE[i % len(PALETTE)]
            if horizontal:
                rect = f'x="{a:.1f}" y="{offset:.1f}" width="{b - a:.1f}" height="{width:.1f}"'
            else:
                rect = f'x="{offset:.1f}" y="{a:.1f}" width="{width:.1f}" height="{b - a:.1f}"'
            out.append(f'<rect class="atl-bar" {rect} fill="{color}"/>')


def _pie(out: list[str], data: ChartData) -> None:
    n = len(data.series)
    radius = min(HEIGHT / 2 - 40, WIDTH / (2 * n) - 20)
    for s, (name, values) in enumerate(data.series):
        cx, cy = WIDTH * (s + 0.5) / n, HEIGHT / 2 + 10
        slices = [(data.categories[k], v) for k, v in enumerate(values) if v is not None and v > 0]
        total = sum(v for _, v in slices) or 1.0
        angle = -math.pi / 2
        out.append(f'<text x="{cx:.1f}" y="16" text-anchor="middle">{html.escape(name)}</text>')
        for i, (label, v) in enumerate(slices):
            sweep = 2 * math.pi * v / total
            color = PALETTE[i % len(PALETTE)]
            if len(slices) == 1:
                out.append(f'<circle class="atl-slice" cx="{cx:.1f}" cy="{cy:.1f}" r="{radius:.1f}" fill="{color}"/>')
            else:
                x1, y1 = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
                x2, y2 = cx + radius * math.cos(angle + sweep), cy + radius * math.sin(angle + sweep)
                large = 1 if sweep > math.pi else 0
                out.append(
                    f'<path class="atl-slice" d="M{cx:.1f},{cy:.1f} L{x1:.1f},{y1:.1f} '
                    f'A{radius:.1f},{radius:.1f} 0 {large} 1 {x2:.1f},{y2:.1f} Z" fill="{color}">'
                    f"<title>{html.escape(label)}: {_fmt(v)}</title></path>"
                )
            angle += sweep


def _scatter(out: list[str], data: ChartData) -> None:
    xs = data.series[0][1]
    ys = data.series[1][1] if len(data.series) > 1 else None
    points = [
        (x if ys is not None else float(k), ys[k] if ys is not None else x)
        for k, x in enumerate(xs)
        if x is not None and (ys is None or ys[k] is not None)
    ]
    if not points:
        return
    left, right, top, bottom = 60, WIDTH - 20, 30, HEIGHT - 40
    xt = _ticks(min(p[0] for p in points), max(p[0] for p in points))
    yt = _ticks(min(p[1] for p in points), max(p[1] for p in points))
    for t in yt:
        y = bottom - (t - yt[0]) / ((yt[-1] - yt[0]) or 1) * (bottom - top)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" stroke="#e0e6f1"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#6e7079">{_fmt(t)}</text>')
    for x, y in points:
        px = left + (x - xt[0]) / ((xt[-1] - xt[0]) or 1) * (right - left)
        py = bottom - (y - yt[0]) / ((yt[-1] - yt[0]) or 1) * (bottom - top)
        out.append(f'<circle class="atl-point" cx="{px:.1f}" cy="{py:.1f}" r="4" fill="{PALETTE[0]}"/>')


def _heatmap(out: list[str], data: ChartData) -> None:
    first = data.measures[0] if data.measures else ""
    columns = [(name, vs) for name, vs in data.series if len(data.measures) == 1 or name.endswith(f"/ {first}")]
    columns = columns or data.series[:1]
    values = [v for _, vs in columns for v in vs if v is not None]
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    left, right, top, bottom = 110, WIDTH - 20, 20, HEIGHT - 60
    w = (right - left) / len(columns)
    h = (bottom - top) / len(data.categories)
    for x, (name, vs) in enumerate(columns):
        out.append(
            f'<text x="{left + w * (x + 0.5):.1f}" y="{bottom + 14}" text-anchor="middle">{html.escape(name[:18])}</text>'
        )
        for y, v in enumerate(vs):
            if v is None:
                continue
            t = (v - low) / ((high - low) or 1)
            color = f"rgb({int(49 + t * 180)},{int(54 + t * 30)},{int(149 - t * 110)})"
            out.append(
                f'<rect class="atl-cell" x="{left + w * x:.1f}" y="{top + h * y:.1f}" width="{w:.1f}" '
                f'height="{h:.1f}" fill="{color}"><title>{_fmt(v)}</title></rect>'
            )
    for y, label in enumerate(data.categories):
        out.append(
            f'<text x="{left - 6}" y="{top + h * (y + 0.5) + 4:.1f}" text-anchor="end">{html.escape(label[:18])}</text>'
        )
