"""Inline SVG charts for the explorer: drawn in Python, so the pages need no plotting library,
no JavaScript to draw and nothing from the network.

Every text that reaches the SVG (series names, dates, reasons) is escaped: series names come
from the Hub (family ids, licence ids) and are untrusted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 64, 200, 16, 52

PALETTE = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#ff9da7",
    "#9c755f",
    "#bab0ac",
)


def chart(
    chart_id: str,
    dates: Sequence[date],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    stacked: bool,
    marks: dict[date, str],
    y_label: str,
    percent: bool = False,
) -> str:
    """One chart: `series` are (name, one value per date); `marks` are the dates whose figures are
    not the Hub's growth (subset, not comparable), drawn as hatched bands with the reason as a
    tooltip. A line chart's value may be None (not known that day): the line has a gap there,
    never a 0."""
    if not dates or not series:
        return f'<p class="empty" id="{escape(chart_id)}">No data.</p>'
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    ordinals = [d.toordinal() for d in dates]
    span = (ordinals[-1] - ordinals[0]) or 1

    def x(i: int) -> float:
        if len(dates) == 1:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (ordinals[i] - ordinals[0]) / span

    if stacked:
        tops = [sum(values[i] for _, values in series) for i in range(len(dates))]
    else:
        tops = [
            max((values[i] for _, values in series if values[i] is not None), default=0)
            for i in range(len(dates))
        ]
    y_max = _nice_max(max(tops, default=0), percent)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / y_max)

    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(y_label)}">',
        '<defs><pattern id="hatch-' + escape(chart_id) + '" width="6" height="6" '
        'patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<rect width="6" height="6" fill="#fff3cd"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#d08c00" stroke-width="2"/></pattern></defs>',
    ]
    parts += _marked_bands(chart_id, dates, marks, x, plot_w, plot_h)
    parts += _axes(dates, x, y, y_max, y_label, percent)
    if stacked:
        parts += _stacks(dates, series, x, y)
    else:
        parts += _lines(dates, series, x, y)
    parts += _legend(series, bool(marks), chart_id)
    parts.append("</svg>")
    return "\n".join(parts)


def _nice_max(value: float, percent: bool) -> float:
    if percent:
        return 100.0
    if value <= 0:
        return 1.0
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10.0 * magnitude


def _marked_bands(chart_id, dates, marks, x, plot_w, plot_h) -> list[str]:
    width = max(8.0, min(40.0, plot_w / max(len(dates), 1) * 0.6))
    out = []
    for i, day in enumerate(dates):
        if day not in marks:
            continue
        out.append(
            f'<g class="marked-day" data-date="{day.isoformat()}">'
            f"<title>{escape(day.isoformat())}: {escape(marks[day])}</title>"
            f'<rect x="{x(i) - width / 2:.1f}" y="{TOP}" width="{width:.1f}" height="{plot_h}" '
            f'fill="url(#hatch-{escape(chart_id)})" opacity="0.8"/>'
            f'<text x="{x(i):.1f}" y="{TOP + 12}" text-anchor="middle" class="mark">†</text></g>'
        )
    return out


def _axes(dates, x, y, y_max, y_label, percent) -> list[str]:
    out = [
        f'<line x1="{LEFT}" y1="{y(0):.1f}" x2="{WIDTH - RIGHT}" y2="{y(0):.1f}" class="axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{y(0):.1f}" class="axis"/>',
        f'<text x="14" y="{TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f}" class="ylabel" '
        f'transform="rotate(-90 14 {TOP + (HEIGHT - TOP - BOTTOM) / 2:.0f})" '
        f'text-anchor="middle">{escape(y_label)}</text>',
    ]
    for k in range(5):
        value = y_max * k / 4
        label = f"{value:.0f}%" if percent else f"{value:,.0f}"
        out.append(
            f'<line x1="{LEFT}" y1="{y(value):.1f}" x2="{WIDTH - RIGHT}" y2="{y(value):.1f}" '
            f'class="grid"/><text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{label}</text>"
        )
    every = max(1, len(dates) // 8 + (len(dates) % 8 > 0))
    for i, day in enumerate(dates):
        if i % every and i != len(dates) - 1:
            continue
        out.append(
            f'<text x="{x(i):.1f}" y="{y(0) + 16:.1f}" text-anchor="end" '
            f'transform="rotate(-30 {x(i):.1f} {y(0) + 16:.1f})">{day.isoformat()}</text>'
        )
    return out


def _stacks(dates, series, x, y) -> list[str]:
    out = []
    below = [0.0] * len(dates)
    for n, (name, values) in enumerate(series):
        above = [b + v for b, v in zip(below, values, strict=True)]
        color = PALETTE[n % len(PALETTE)]
        if len(dates) == 1:
            out.append(
                f'<rect x="{x(0) - 30:.1f}" y="{y(above[0]):.1f}" width="60" '
                f'height="{y(below[0]) - y(above[0]):.1f}" fill="{color}">'
                f"<title>{escape(name)}: {values[0]:,.0f}</title></rect>"
            )
        else:
            points = [f"{x(i):.1f},{y(above[i]):.1f}" for i in range(len(dates))]
            points += [f"{x(i):.1f},{y(below[i]):.1f}" for i in reversed(range(len(dates)))]
            out.append(
                f'<polygon points="{" ".join(points)}" fill="{color}" fill-opacity="0.85">'
                f"<title>{escape(name)}</title></polygon>"
            )
        below = above
    return out


def _lines(dates, series, x, y) -> list[str]:
    out = []
    for n, (name, values) in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        # one polyline per run of known values: an unknown day is a gap
        runs: list[list[int]] = [[]]
        for i, v in enumerate(values):
            if v is None:
                runs.append([])
            else:
                runs[-1].append(i)
        for run in filter(None, runs):
            points = " ".join(f"{x(i):.1f},{y(values[i]):.1f}" for i in run)
            out.append(
                f'<polyline points="{points}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for i, v in enumerate(values):
            if v is None:
                continue
            out.append(
                f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                f"<title>{escape(name)}, {dates[i].isoformat()}: {v:,.1f}</title></circle>"
            )
    return out


def _legend(series, marked: bool, chart_id: str) -> list[str]:
    out = []
    left = WIDTH - RIGHT + 12
    row = 0
    for n, (name, _) in enumerate(series):
        top = TOP + 4 + 16 * row
        label = name if len(name) <= 26 else name[:25] + "…"
        color = PALETTE[n % len(PALETTE)]
        out.append(
            f'<rect x="{left}" y="{top}" width="10" height="10" fill="{color}"/>'
            f'<text x="{left + 14}" y="{top + 9}" class="legend">{escape(label)}</text>'
        )
        row += 1
    if marked:
        top = TOP + 4 + 16 * row + 6
        out.append(
            f'<rect x="{left}" y="{top}" width="10" height="10" '
            f'fill="url(#hatch-{escape(chart_id)})" stroke="#d08c00"/>'
            f'<text x="{left + 14}" y="{top + 9}" class="legend">† subset / not comparable</text>'
        )
    return out
