"""Inline SVG charts for the weekly report: no scripts, no external styles or fonts, readable printed.

Each function returns one `<svg>` element with a `<title>` per mark (a browser shows it on hover) and
the numbers written beside the marks, so the chart still reads without hovering.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BLUE = "#2b6cb0"
RED = "#c53030"
GREEN = "#2f855a"
GREY = "#a0aec0"
AMBER = "#b7791f"
INK = "#1a202c"
MUTED = "#4a5568"
FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"'


def _svg(width: int, height: int, label: str, body: list[str]) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{escape(label)}" {FONT} font-size="12">'
        f"<title>{escape(label)}</title>{''.join(body)}</svg>"
    )


def _nice_max(value: float) -> float:
    """The top of a y axis with four gridlines at round numbers."""
    for step in (0.25, 0.5, 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2500, 5000, 10_000, 25_000):
        if value <= step * 4:
            return step * 4
    return value


def grouped_bars(
    label: str, categories: Sequence[str], series: Sequence[tuple[str, str, Sequence[int]]]
) -> str:
    """Bars per category, one per series (name, colour, values), with a y axis and a legend."""
    width, height, left, right, top, bottom = 720, 260, 44, 12, 28, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    # Counts: the axis never splits one sign-in into quarters.
    top_value = _nice_max(max([4, *(v for _, _, values in series for v in values)]))
    body: list[str] = []
    for n in range(5):
        value = top_value * n / 4
        y = top + plot_h - plot_h * n / 4
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        body.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{value:g}</text>')
    slot = plot_w / max(len(categories), 1)
    bar = min(28.0, slot * 0.8 / max(len(series), 1))
    for i, category in enumerate(categories):
        x0 = left + slot * i + (slot - bar * len(series)) / 2
        for s, (name, colour, values) in enumerate(series):
            value = values[i]
            h = plot_h * value / top_value
            x, y = x0 + s * bar, top + plot_h - h
            body.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar - 2:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(category)}: {value} {escape(name.lower())}</title></rect>"
            )
            body.append(
                f'<text x="{x + (bar - 2) / 2:.1f}" y="{y - 3:.1f}" text-anchor="middle" fill="{INK}" '
                f'font-size="10">{value}</text>'
            )
        body.append(
            f'<text x="{left + slot * i + slot / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
            f'fill="{MUTED}">{escape(category)}</text>'
        )
    body += _legend([(name, colour) for name, colour, _ in series], left, 14)
    return _svg(width, height, label, body)


def rate_line(label: str, categories: Sequence[str], rates: Sequence[float | None]) -> str:
    """A failure rate per category as a line on a 0-100 % scale; days without attempts leave a gap."""
    width, height, left, right, top, bottom = 720, 220, 44, 12, 20, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((r for r in rates if r is not None), default=0.0)
    top_rate = 1.0 if peak > 0.5 else 0.5 if peak > 0.2 else 0.2 if peak > 0.1 else 0.1
    body: list[str] = []
    for n in range(5):
        y = top + plot_h - plot_h * n / 4
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e2e8f0"/>')
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">'
            f"{top_rate * n / 4 * 100:g}%</text>"
        )
    slot = plot_w / max(len(categories), 1)
    points: list[tuple[float, float, float]] = []
    segments: list[list[tuple[float, float]]] = [[]]
    for i, (category, rate) in enumerate(zip(categories, rates, strict=True)):
        x = left + slot * i + slot / 2
        body.append(
            f'<text x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle" fill="{MUTED}">'
            f"{escape(category)}</text>"
        )
        if rate is None:
            segments.append([])
            continue
        y = top + plot_h - plot_h * min(rate, top_rate) / top_rate
        segments[-1].append((x, y))
        points.append((x, y, rate))
    for segment in segments:
        if len(segment) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
            body.append(f'<polyline points="{path}" fill="none" stroke="{RED}" stroke-width="2"/>')
    for x, y, rate in points:
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{RED}"><title>{rate:.1%}</title></circle>'
        )
        body.append(
            f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" fill="{INK}" font-size="10">'
            f"{rate:.0%}</text>"
        )
    return _svg(width, height, label, body)


def stacked_bar(label: str, parts: Sequence[tuple[str, str, int]]) -> str:
    """One horizontal bar split into parts (name, colour, count), each labelled with its count."""
    width, height, left, right = 720, 84, 8, 8
    total = sum(n for _, _, n in parts)
    body: list[str] = []
    x = float(left)
    plot_w = width - left - right
    if total == 0:
        body.append(f'<rect x="{left}" y="28" width="{plot_w}" height="28" fill="#edf2f7"/>')
        body.append(f'<text x="{width / 2}" y="47" text-anchor="middle" fill="{MUTED}">none</text>')
    for name, colour, count in parts:
        if not total or not count:
            continue
        w = plot_w * count / total
        body.append(
            f'<rect x="{x:.1f}" y="28" width="{w:.1f}" height="28" fill="{colour}">'
            f"<title>{escape(name)}: {count}</title></rect>"
        )
        if w > 24:
            body.append(
                f'<text x="{x + w / 2:.1f}" y="47" text-anchor="middle" fill="#fff" font-weight="600">'
                f"{count}</text>"
            )
        x += w
    body += _legend([(f"{name} ({count})", colour) for name, colour, count in parts], left, 14)
    return _svg(width, height, label, body)


def horizontal_bars(label: str, rows: Sequence[tuple[str, str, int]]) -> str:
    """One bar per row (name, colour, count), longest scale first, counts at the bar ends."""
    row_h, left, right = 30, 150, 48
    width = 720
    height = row_h * len(rows) + 12
    peak = max((n for _, _, n in rows), default=0) or 1
    body: list[str] = []
    for i, (name, colour, count) in enumerate(rows):
        y = 6 + i * row_h
        w = (width - left - right) * count / peak
        body.append(f'<text x="{left - 8}" y="{y + 18}" text-anchor="end" fill="{INK}">{escape(name)}</text>')
        body.append(
            f'<rect x="{left}" y="{y + 4}" width="{max(w, 1):.1f}" height="20" fill="{colour}">'
            f"<title>{escape(name)}: {count}</title></rect>"
        )
        body.append(f'<text x="{left + max(w, 1) + 6:.1f}" y="{y + 18}" fill="{INK}">{count}</text>')
    return _svg(width, height, label, body)


def _legend(entries: Sequence[tuple[str, str]], x: float, y: float) -> list[str]:
    body = []
    for name, colour in entries:
        body.append(f'<rect x="{x:.1f}" y="{y - 9}" width="10" height="10" fill="{colour}"/>')
        body.append(f'<text x="{x + 14:.1f}" y="{y}" fill="{INK}">{escape(name)}</text>')
        x += 24 + 7 * len(name)
    return body
