"""Write a transparency report to disk: Markdown and a self-contained HTML page."""

from __future__ import annotations

from pathlib import Path

from adapters.report_html import chart_svg, report_html
from models.settings import Settings
from policy.anonymise import tally
from policy.categories import category_label
from policy.report_labels import resolution_label
from record.transparency import EditionFacts


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def render_pages(markdown: str, facts: EditionFacts, settings: Settings) -> str:
    """The HTML page for a report's Markdown, its chart drawn from the same facts."""
    chart = chart_svg(
        tally(i.category for i in facts.incidents),
        tally(r for i in facts.incidents for r in i.resolutions),
        category_label=category_label,
        resolution_label=resolution_label,
        k=settings.report_min_count,
    )
    return report_html(markdown, title=f"Transparency report: {facts.name}", chart=chart)


def write_report(
    markdown: str, facts: EditionFacts, settings: Settings, *, draft: bool = False
) -> list[Path]:
    """Write <slug>-transparency-report.md and .html (a draft goes to data_dir/drafts)."""
    folder = settings.data_dir / "drafts" if draft else settings.published
    stem = f"{facts.slug}-transparency-report" + ("-draft" if draft else "")
    md, page = folder / f"{stem}.md", folder / f"{stem}.html"
    _write(md, markdown)
    _write(page, render_pages(markdown, facts, settings))
    return [md, page]
