"""Small inline SVG charts (no JavaScript, no plotting library, no external file): bar charts, and the
overview's one-row interval strips."""

from __future__ import annotations

from dataclasses import dataclass

from reports.html_page import esc

BAR_HEIGHT = 16
LABEL_WIDTH = 190
PLOT_WIDTH = 260


def bar_chart(title: str, bars: list[tuple[str, float, str]], unit: str = "") -> str:
    """``bars``: (label, value >= 0, css colour).  Bars are scaled to the largest value."""
    if not bars:
        return ""
    top = max((value for _, value, _ in bars), default=0.0) or 1.0
    height = 24 + len(bars) * (BAR_HEIGHT + 4)
    width = LABEL_WIDTH + PLOT_WIDTH + 90
    parts = [f"<svg role=\"img\" aria-label=\"{esc(title)}\" width=\"{width}\" height=\"{height}\" "
             f"viewBox=\"0 0 {width} {height}\" xmlns=\"http://www.w3.org/2000/svg\">",
             f"<text x=\"0\" y=\"14\" font-weight=\"600\">{esc(title)}</text>"]
    for index, (label, value, colour) in enumerate(bars):
        y = 22 + index * (BAR_HEIGHT + 4)
        length = max(0.0, value) / top * PLOT_WIDTH
        parts.append(f"<text x=\"{LABEL_WIDTH - 6}\" y=\"{y + 12}\" text-anchor=\"end\">{esc(label)}</text>")
        parts.append(f"<rect x=\"{LABEL_WIDTH}\" y=\"{y}\" width=\"{length:.1f}\" height=\"{BAR_HEIGHT}\" "
                     f"fill=\"{esc(colour)}\"/>")
        parts.append(f"<text x=\"{LABEL_WIDTH + length + 4:.1f}\" y=\"{y + 12}\">{esc(f'{value:.4g}{unit}')}</text>")
    parts.append("</svg>")
    return "".join(parts)


STRIP_WIDTH = 220
STRIP_HEIGHT = 22
_STRIP_MARGIN = 8


@dataclass(frozen=True)
class StripMark:
    """A value with its interval on one overview row's chart."""

    value: float
    ci: tuple[float, float] | None = None


def interval_strip(label: str, mark: StripMark, axis: tuple[float, float], *, mirrored: bool, colour: str,
                   tick: float | None = None) -> str:
    """One row of a chart drawn a row at a time: ``mark`` as a dot with its interval as a whisker, on ``axis``
    (low, high: the row's own scale), mirrored (high on the left) when lower is better so that right is always
    better, with an optional grey vertical ``tick`` (the baseline).  No axis numbers: the table beside the
    chart prints them; ``label`` is the accessible name and tooltip."""
    low, high = axis
    if not high > low:
        raise ValueError(f"interval_strip {label!r}: axis ({low}, {high}) is empty; expected low < high")

    def x(value: float) -> float:
        share = min(1.0, max(0.0, (value - low) / (high - low)))
        return _STRIP_MARGIN + (1.0 - share if mirrored else share) * (STRIP_WIDTH - 2 * _STRIP_MARGIN)

    middle = STRIP_HEIGHT / 2
    parts = [f"<svg class=\"strip\" role=\"img\" aria-label=\"{esc(label)}\" width=\"{STRIP_WIDTH}\" "
             f"height=\"{STRIP_HEIGHT}\" viewBox=\"0 0 {STRIP_WIDTH} {STRIP_HEIGHT}\" "
             "xmlns=\"http://www.w3.org/2000/svg\">", f"<title>{esc(label)}</title>",
             f"<line x1=\"{_STRIP_MARGIN}\" y1=\"{middle}\" x2=\"{STRIP_WIDTH - _STRIP_MARGIN}\" y2=\"{middle}\" "
             "stroke=\"#e5e7eb\"/>"]
    if tick is not None:
        parts.append(f"<line x1=\"{x(tick):.1f}\" y1=\"1\" x2=\"{x(tick):.1f}\" y2=\"{STRIP_HEIGHT - 1}\" "
                     "stroke=\"#6b7280\" stroke-width=\"2\"/>")
    if mark.ci is not None:
        left, right = x(mark.ci[0]), x(mark.ci[1])
        parts.append(f"<line x1=\"{left:.1f}\" y1=\"{middle}\" x2=\"{right:.1f}\" y2=\"{middle}\" "
                     f"stroke=\"{esc(colour)}\" stroke-width=\"2\"/>")
        parts += [f"<line x1=\"{end:.1f}\" y1=\"{middle - 4}\" x2=\"{end:.1f}\" y2=\"{middle + 4}\" "
                  f"stroke=\"{esc(colour)}\" stroke-width=\"2\"/>" for end in (left, right)]
    parts.append(f"<circle cx=\"{x(mark.value):.1f}\" cy=\"{middle}\" r=\"4.5\" fill=\"{esc(colour)}\"/>")
    parts.append("</svg>")
    return "".join(parts)
