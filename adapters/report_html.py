"""Render the published transparency report as one self-contained HTML page.

The page embeds its chart (categories and resolutions, matplotlib) as inline SVG, so it
needs no other file and fetches nothing. Small groups are drawn as hatched bars labelled
"fewer than k", never with their exact size.
"""

from __future__ import annotations

import html
import io
from collections.abc import Callable, Mapping
from typing import cast

import matplotlib as mpl
import nh3
from markdown_it import MarkdownIt
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from policy.anonymise import merge_small

STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
       color: #1b1b1b; }
table { border-collapse: collapse; margin: 0.5rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: left; }
figure { margin: 1.5rem 0; } svg { max-width: 100%; height: auto; }
"""


def _panel(
    ax: Axes, title: str, counts: Mapping[str, int], label: Callable[[str], str], k: int
) -> None:
    merged = merge_small(counts, k=k)
    names = [label(key) for key in merged][::-1]
    values = list(merged.values())[::-1]
    lengths = [v if v >= k else k / 2 for v in values]
    bars = ax.barh(names, lengths, color="#3b6ea8")
    for bar, value in zip(bars, values, strict=True):
        shown = str(value) if value >= k else f"fewer than {k}"
        if value < k:
            bar.set_hatch("//")
            bar.set_facecolor("#9db7d5")
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, f" {shown}", va="center")
    ax.set_title(title, loc="left")
    ax.set_xticks([])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    if not merged:
        ax.set_yticks([])
        ax.text(0.5, 0.5, "none", transform=ax.transAxes, ha="center")


def chart_svg(
    categories: Mapping[str, int],
    resolutions: Mapping[str, int],
    *,
    category_label: Callable[[str], str],
    resolution_label: Callable[[str], str],
    k: int,
) -> str:
    """Two bar charts as an inline <svg> element (no XML header, no date)."""
    # labels stay text (readable, searchable); fixed ids make the page reproducible
    with mpl.rc_context({"svg.fonttype": "none", "svg.hashsalt": "care"}):
        fig = chart_figure(
            categories,
            resolutions,
            category_label=category_label,
            resolution_label=resolution_label,
            k=k,
        )
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = buffer.getvalue()
    return svg[svg.index("<svg") :]


def chart_figure(
    categories: Mapping[str, int],
    resolutions: Mapping[str, int],
    *,
    category_label: Callable[[str], str],
    resolution_label: Callable[[str], str],
    k: int,
) -> Figure:
    """The chart's figure, laid out so every bar's label lies inside it."""
    rows = max(len(merge_small(categories, k=k)) + len(merge_small(resolutions, k=k)), 2)
    fig = Figure(figsize=(8, 1.2 + 0.45 * rows), layout="constrained")
    FigureCanvasAgg(fig)  # a canvas that measures text, to fit the labels
    top, bottom = fig.subplots(2, 1)
    _panel(top, "Incidents by category", categories, lambda s: _short(category_label(s)), k)
    _panel(bottom, "Resolutions taken", resolutions, lambda s: _short(resolution_label(s)), k)
    _fit_labels(fig)
    return fig


def _fit_labels(fig: Figure, *, slack: float = 1.3, rounds: int = 4) -> None:
    """Widen each panel's x range until the label after each bar fits inside the panel.

    The SVG keeps its labels as text, drawn in the reader's font: ``slack`` leaves room
    for a font that runs wider than matplotlib's own.
    """
    for _ in range(rounds):
        fig.draw_without_rendering()  # the layout as saving makes it
        renderer = cast(FigureCanvasAgg, fig.canvas).get_renderer()
        moved = False
        for ax in fig.axes:
            labels = [t for t in ax.texts if t.get_transform() == ax.transData]
            if not labels:
                continue
            to_data = ax.transData.inverted()
            needed = 0.0
            for label in labels:
                (x0, _), (x1, _) = to_data.transform(label.get_window_extent(renderer))
                needed = max(needed, x0 + (x1 - x0) * slack)
            low, high = ax.get_xlim()
            if needed > high:
                ax.set_xlim(low, needed)
                moved = True
        if not moved:
            return


def _short(text: str, width: int = 42) -> str:
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def report_html(markdown: str, *, title: str, chart: str) -> str:
    """The report's Markdown as HTML (raw HTML in summaries is escaped), with the chart."""
    body = MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown)
    body = nh3.clean(body)
    head = body.find("</h1>")
    figure = f'<figure aria-label="Incidents by category and resolutions taken">{chart}</figure>'
    body = body[: head + 5] + figure + body[head + 5 :] if head >= 0 else figure + body
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n{body}</body>\n</html>\n"
    )
