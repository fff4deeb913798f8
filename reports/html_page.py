"""The page skeleton every HTML output shares: escaping, a Content-Security-Policy that forbids all scripts,
and inline CSS (no file or network fetch is needed to render it)."""

from __future__ import annotations

import html

#: No script of any kind may run (the report uses none); media only from the report's own folder.
#: ``file:`` is listed because Chromium does not match ``'self'`` for pages opened from disk.
CSP = ("default-src 'none'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; "
       "frame-src 'none'; connect-src 'none'; style-src 'unsafe-inline'; img-src 'self' file: data:; "
       "media-src 'self' file: data:")

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:1.5rem auto;max-width:1200px;color:#1d232a;
padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d6dbe1}h3{font-size:1rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.88rem}
th,td{border:1px solid #d6dbe1;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{text-align:right;font-variant-numeric:tabular-nums}
.small{font-size:.8rem;color:#59636e}.warn{color:#9a3412}.bad{color:#b91c1c;font-weight:600}
.good{color:#15803d;font-weight:600}
.gallery{display:grid;grid-template-columns:repeat(auto-fill,minmax(260px,1fr));gap:.75rem}
.card{border:1px solid #d6dbe1;border-radius:6px;padding:.5rem;overflow-wrap:anywhere}
.card img,.card video{max-width:100%;image-rendering:pixelated;width:128px}
.card audio{width:100%}.pair{display:grid;grid-template-columns:1fr 1fr;gap:.5rem}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:.4rem;margin:.25rem 0;font-size:.8rem}
.plots{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem}
svg text{font-family:system-ui,sans-serif;font-size:11px}
.muted{color:#8a939c}.nowrap{white-space:nowrap}.runline{margin:.25rem 0 .5rem}.toc{margin:.75rem 0}
table.overview td{vertical-align:middle}table.overview td:nth-child(-n+2){white-space:nowrap}
table.overview tr.group th{background:#f6f8fa;text-align:left}
td.chart{padding:.1rem .25rem;line-height:0}
"""


def esc(value: object) -> str:
    """Everything that did not come from this module's literals goes through here (quotes included)."""
    return html.escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{esc(CSP)}\">"
            "<meta name=\"referrer\" content=\"no-referrer\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body>\n{body}\n</body></html>\n")


def table(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    """``rows`` cells are already HTML (escape text with :func:`esc` first)."""
    numeric = numeric or set()
    head = "<thead><tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr></thead>" if header else ""
    body = "".join("<tr>" + "".join(f"<td class=\"num\">{c}</td>" if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table>{head}<tbody>{body}</tbody></table>"


def fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else esc(f"{value:.{digits}g}")
