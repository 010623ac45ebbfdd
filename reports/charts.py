"""Charts drawn on the server as SVG: one bar per row of a report's table, on a y axis of round
steps, numbers written as the page's language writes them. No script draws them; each bar carries
its row and exact value (``data-row``, ``data-value``) so what is drawn can be read back."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from django.utils.formats import get_format
from django.utils.html import escape

from reports.selectors import Table

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 96, 12, 28, 100
PALETTE = ("#b3121f", "#1f5fa8", "#2f855a", "#b7791f", "#6b46c1", "#4a5568")
PLACES = {"count": 0, "money": 2, "percent": 2}
NUMERIC = ' class="n"'


class Numbers:
    """Numbers as the active language writes them (Turkish: 1.234,56), with its separators read once."""

    def __init__(self):
        self.table = str.maketrans({",": get_format("THOUSAND_SEPARATOR"), ".": get_format("DECIMAL_SEPARATOR")})

    def __call__(self, value, kind: str) -> str:
        if kind in PLACES and value is not None:
            return f"{Decimal(value):,.{PLACES[kind]}f}".translate(self.table)
        return str(value)


def table_html(table: Table, labels: dict, numbers: Numbers) -> str:
    """*table* as HTML: a row per chart bar (``data-row``), each cell with its exact value (``data-value``)."""
    head = "".join(f'<th scope="col"{NUMERIC if c.kind != "text" else ""}>{escape(c.label)}</th>' for c in table.columns)
    body = []
    for index, row in enumerate(table.rows):
        cells = "".join(
            f'<td{NUMERIC if c.kind != "text" else ""} data-key="{c.key}" data-value="{escape(row[c.key])}">'
            f'{escape(labels.get((c.key, row[c.key]), row[c.key]) if c.kind == "text" else numbers(row[c.key], c.kind))}</td>'
            for c in table.columns)
        body.append(f'<tr data-row="{index}">{cells}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _step(top: Decimal) -> Decimal:
    """A round step (1, 2 or 5 × 10ⁿ) giving about five ticks up to *top*."""
    raw = top / 5
    power = Decimal(10) ** (len(str(int(raw))) - 1) if raw >= 1 else Decimal("1")
    return next(power * m for m in (1, 2, 5, 10) if power * m >= raw)


def _name(row: dict, keys: tuple[str, ...], labels: dict) -> str:
    return " · ".join(str(labels.get((k, row[k]), row[k])) for k in keys)


def bar_chart(table: Table, labels: dict, numbers: Numbers) -> str:
    """*table*'s chart as an SVG element; *labels* maps (column, value) to the words shown for it."""
    chart = table.chart
    kind = next(c.kind for c in table.columns if c.key == chart.value)
    values = [Decimal(row[chart.value]) for row in table.rows]
    highest = max(max(values, default=Decimal(0)), Decimal(1))
    step = _step(highest)
    ticks = int((highest / step).to_integral_value(rounding=ROUND_CEILING))
    top = step * ticks
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(values), 1)
    series = list(dict.fromkeys(_name(row, chart.series, labels) for row in table.rows)) if chart.series else []
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT + 20 + 24 * ((len(series) + 2) // 3)}" role="img" '
             f'aria-label="{escape(table.title)}" data-report="{escape(table.name)}" data-value-key="{chart.value}">']
    for i in range(ticks + 1):
        y = TOP + plot_h - plot_h * i / ticks
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
                     f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(numbers(step * i, kind))}</text>')
    value_label = next(c.label for c in table.columns if c.key == chart.value)
    parts.append(f'<text class="axis-title" x="{LEFT + 8}" y="{TOP - 2}">{escape(value_label)}</text>')
    parts.append(f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{TOP + plot_h}"/>'
                 f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" y2="{TOP + plot_h}"/>')
    every = max(1, round(len(values) / 24))  # at most about 24 names under the bars
    previous = None
    for index, (row, value) in enumerate(zip(table.rows, values)):
        x = LEFT + slot * index + slot * 0.12
        h = float(plot_h * value / top)
        name = _name(row, chart.label, labels)
        colour = PALETTE[series.index(_name(row, chart.series, labels)) % len(PALETTE)] if series else PALETTE[0]
        tip = f"{name}{' · ' + _name(row, chart.series, labels) if series else ''}: {numbers(value, kind)}"
        parts.append(f'<rect class="bar" data-row="{index}" data-value="{value}" x="{x:.1f}" y="{TOP + plot_h - h:.1f}" '
                     f'width="{slot * 0.76:.1f}" height="{h:.1f}" fill="{colour}"><title>{escape(tip)}</title></rect>')
        if name != previous and index % every == 0:
            cx, cy = x + slot * 0.38, TOP + plot_h + 12
            parts.append(f'<text class="label" x="{cx:.1f}" y="{cy:.1f}" text-anchor="end" transform="rotate(-40 {cx:.1f} {cy:.1f})">'
                         f'{escape(name if len(name) <= 16 else name[:15] + "…")}</text>')
        previous = name
    for i, name in enumerate(series):
        x, y = LEFT + (i % 3) * 200, HEIGHT + 24 * (i // 3) + 20
        parts.append(f'<rect class="key" x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[i % len(PALETTE)]}"/>'
                     f'<text class="legend" x="{x + 18}" y="{y + 11}">{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
