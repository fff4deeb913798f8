"""Small inline SVG bar charts (no JavaScript, no plotting library, no external file)."""

from __future__ import annotations

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
