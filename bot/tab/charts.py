"""Charts as SVG made on the server: a <title> and <desc> each, role="img", no script,
no inline style (the CSP allows none): colours come from the stylesheet's classes, so
the Teams themes (default, dark, high contrast) apply. Every chart is also a table in
the page; the SVG is for the eye."""

from __future__ import annotations

# i18n: this module says nothing to people
from markupsafe import Markup, escape

from dialogs.dashboard.pages import Chart

WIDTH, HEIGHT = 600, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 56


def svg(chart: Chart) -> Markup:
    numbers = [v for v in chart.values if v is not None]
    top = _ceiling(chart.unit, max(numbers, default=0.0))
    low = min(0.0, min(numbers, default=0.0))
    if chart.stacks:
        body = _stacked(chart, low, top)
    else:
        body = _line(chart, low, top) if chart.kind == "line" else _bars(chart, low, top)
    ident = f"chart-{escape(chart.key)}"
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{ident}-t {ident}-d" preserveAspectRatio="xMidYMid meet">'
        f'<title id="{ident}-t">{escape(chart.title)}</title>'
        f'<desc id="{ident}-d">{escape(chart.desc)} {escape(_summary(chart))}</desc>'
        f"{_axes(chart, low, top)}{body}</svg>"
    )


def _summary(chart: Chart) -> str:
    if chart.stacks:
        return "; ".join(
            f"{label}: "
            + ", ".join(f"{name} {v:g}" for name, values in chart.stacks for v in (values[i],))
            for i, label in enumerate(chart.labels)
        )
    return "; ".join(f"{a}: {b}" for a, b in zip(chart.labels, chart.shown, strict=False))


def _ceiling(unit: str, highest: float) -> float:
    if unit == "share":
        return 1.0
    if unit == "percent":
        return 100.0
    if unit == "score":
        return 100.0
    if highest <= 0:
        return 1.0
    step = 10 ** len(str(int(highest))) / 10 if highest >= 10 else 1.0
    return float(-(-highest // step) * step) if highest >= 1 else 1.0


def _y(value: float, low: float, top: float) -> float:
    span = (top - low) or 1.0
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - (value - low) / span)


def _x(i: int, n: int) -> float:
    inner = WIDTH - LEFT - RIGHT
    return LEFT + inner * (i + 0.5) / max(n, 1)


def _tick(unit: str, value: float) -> str:
    if unit == "share":
        return f"{round(100 * value)}%"
    return f"{value:g}"


def _axes(chart: Chart, low: float, top: float) -> str:
    parts = []
    for value in (low, (low + top) / 2, top):
        y = _y(value, low, top)
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(_tick(chart.unit, value))}</text>"
        )
    n = len(chart.labels)
    every = max(1, -(-n // 8))
    for i, label in enumerate(chart.labels):
        if i % every == 0:
            parts.append(
                f'<text class="label" x="{_x(i, n):.1f}" y="{HEIGHT - BOTTOM + 18}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    return "".join(parts)


def _bars(chart: Chart, low: float, top: float) -> str:
    n = len(chart.values)
    width = (WIDTH - LEFT - RIGHT) / max(n, 1) * 0.6
    base = _y(max(low, 0.0), low, top)
    parts = []
    for i, value in enumerate(chart.values):
        if value is None:
            continue
        y = _y(value, low, top)
        x = _x(i, n) - width / 2
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{min(y, base):.1f}" width="{width:.1f}" '
            f'height="{abs(base - y):.1f}"/>'
        )
    return "".join(parts)


def _line(chart: Chart, low: float, top: float) -> str:
    n = len(chart.values)
    points: list[str] = []
    parts: list[str] = []
    for i, value in enumerate(chart.values):
        if value is None:
            if len(points) > 1:
                parts.append(f'<polyline class="line" points="{" ".join(points)}"/>')
            points = []
            continue
        x, y = _x(i, n), _y(value, low, top)
        points.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle class="dot" cx="{x:.1f}" cy="{y:.1f}" r="4"/>')
    if len(points) > 1:
        parts.append(f'<polyline class="line" points="{" ".join(points)}"/>')
    return "".join(parts)


def _stacked(chart: Chart, low: float, top: float) -> str:
    """One bar per label, a segment per series (classes s0, s1...: the stylesheet's)."""
    n = len(chart.labels)
    width = (WIDTH - LEFT - RIGHT) / max(n, 1) * 0.6
    parts = []
    for i in range(n):
        base = 0.0
        for s, (_, values) in enumerate(chart.stacks):
            value = values[i]
            if value <= 0:
                continue
            y0, y1 = _y(base, low, top), _y(base + value, low, top)
            parts.append(
                f'<rect class="bar s{s}" x="{_x(i, n) - width / 2:.1f}" y="{y1:.1f}" '
                f'width="{width:.1f}" height="{y0 - y1:.1f}"/>'
            )
            base += value
    legend = "".join(
        f'<rect class="bar s{s}" x="{LEFT + 150 * s}" y="{HEIGHT - 22}" width="12" height="12"/>'
        f'<text class="label" x="{LEFT + 150 * s + 16}" y="{HEIGHT - 12}">{escape(name)}</text>'
        for s, (name, _) in enumerate(chart.stacks)
    )
    return "".join(parts) + legend
