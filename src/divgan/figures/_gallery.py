"""The ``index.html`` gallery: each figure with its claims, caption and checked numbers."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from divgan.figures._common import decode_number


@dataclass
class Entry:
    """One figure's row in the gallery (read back from its JSON sidecar, or a failure)."""

    name: str
    number: int
    title: str
    claims: str
    caption: str
    png: str | None = None
    svg: str | None = None
    checks: list[dict] = field(default_factory=list)
    seconds: float | None = None
    error: str | None = None


def _fmt(v) -> str:
    v = decode_number(v)
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, (int, float)):
        if math.isinf(v):
            return "+∞" if v > 0 else "−∞"
        if math.isnan(v):
            return "NaN"
        if v == 0:
            return "0"
        return f"{v:.6g}"
    return str(v)


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; }
section { border-top: 1px solid #ccc; padding: 1em 0; }
img { max-width: 100%; border: 1px solid #eee; }
table { border-collapse: collapse; font-size: 0.9em; margin-top: 0.5em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: left; vertical-align: top; }
td.num { text-align: right; font-family: ui-monospace, monospace; }
.ok { color: #16691d; } .bad { color: #b00020; font-weight: bold; }
.claims { color: #555; } .caption { font-style: italic; }
.error { color: #b00020; white-space: pre-wrap; font-family: ui-monospace, monospace; }
"""


def _checks_table(checks: list[dict]) -> str:
    if not checks:
        return "<p>No numbers checked.</p>"
    rows = []
    for c in checks:
        ok = c.get("ok")
        mark = (
            ""
            if ok is None
            else ('<span class="ok">✓</span>' if ok else '<span class="bad">✗</span>')
        )
        rows.append(
            "<tr>"
            f"<td>{html.escape(str(c.get('label', '')))}</td>"
            f"<td class='num'>{html.escape(_fmt(c.get('exact')))}</td>"
            f"<td class='num'>{html.escape(_fmt(c.get('estimate')))}</td>"
            f"<td class='num'>{html.escape(_fmt(c.get('gap')))}</td>"
            f"<td class='num'>{html.escape(_fmt(c.get('tol')))}</td>"
            f"<td>{mark}</td>"
            f"<td>{html.escape(str(c.get('note', '')))}</td>"
            "</tr>"
        )
    head = (
        "<tr><th>quantity</th><th>exact / reference</th><th>divgan / estimate</th>"
        "<th>|gap|</th><th>tolerance</th><th></th><th>note</th></tr>"
    )
    return f"<table>{head}{''.join(rows)}</table>"


def write_gallery(out_dir: Path, entries: list[Entry], *, quick: bool, seed: int) -> Path:
    """Write ``out_dir/index.html`` for ``entries`` (in order) and return its path."""
    out_dir = Path(out_dir)
    parts = []
    for e in entries:
        head = f"Figure {e.number}: {html.escape(e.title)}"
        caption = "<br>".join(html.escape(line) for line in e.caption.strip().splitlines())
        body = [
            f'<section id="{html.escape(e.name)}">',
            f"<h2>{head}</h2>",
            f'<p class="claims">Lecture claims {html.escape(e.claims)} · '
            f"<code>{html.escape(e.name)}</code>"
            + (f" · drawn in {e.seconds:.1f} s" if e.seconds is not None else "")
            + "</p>",
            f'<p class="caption">{caption}</p>',
        ]
        if e.error is not None:
            body.append(f'<p class="bad">FAILED</p><p class="error">{html.escape(e.error)}</p>')
        else:
            body.append(
                f'<a href="{html.escape(e.png)}"><img src="{html.escape(e.png)}" alt="{head}"></a>'
            )
            body.append(
                f'<p>Vector: <a href="{html.escape(e.svg)}">{html.escape(e.svg)}</a> · '
                f'numbers: <a href="{html.escape(e.name)}.json">{html.escape(e.name)}.json</a></p>'
            )
            body.append(_checks_table(e.checks))
        body.append("</section>")
        parts.append("\n".join(body))
    failed = [e.name for e in entries if e.error is not None]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    summary = (
        f"{len(entries)} figure(s), {len(failed)} failed"
        + (f" ({', '.join(failed)})" if failed else "")
        + f"; {'quick' if quick else 'full'} settings, seed {seed}; drawn {stamp}."
    )
    page = (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<title>divgan: the lecture's figures</title>"
        f"<style>{_CSS}</style></head><body>\n"
        "<h1>divgan: the lecture's figures</h1>\n"
        f"<p>{html.escape(summary)} Every number below was computed when the figure was drawn; "
        "“exact / reference” is a closed form or an independent library, "
        "“divgan / estimate” is divgan's value or a sample-based estimate.</p>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
