"""The transparency chart: every label, "fewer than k" included, lies within the figure."""

from __future__ import annotations

from typing import cast

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from adapters.report_html import chart_figure
from policy.categories import category_label
from policy.resolutions import resolution

LONG = "harassment", "stalking_or_photography", "sexual_harassment"


def _label(key: str) -> str:
    return resolution(key).label


@pytest.mark.parametrize(
    ("categories", "resolutions"),
    [
        pytest.param({"harassment": 1}, {"no_action": 2}, id="only small groups"),
        pytest.param({"harassment": 40, "safety": 1}, {"cancel_talk": 1}, id="one long bar"),
        pytest.param({k: 3 for k in LONG}, {"remove_without_refund": 9}, id="long names"),
        pytest.param({}, {}, id="nothing"),
    ],
)
def test_every_label_lies_within_the_figure(
    categories: dict[str, int], resolutions: dict[str, int]
) -> None:
    fig = chart_figure(
        categories,
        resolutions,
        category_label=category_label,
        resolution_label=_label,
        k=3,
    )
    fig.draw_without_rendering()  # lays the figure out as saving it does
    renderer = cast(FigureCanvasAgg, fig.canvas).get_renderer()
    box = fig.bbox
    texts = [t for ax in fig.axes for t in [*ax.texts, ax.title, *ax.get_yticklabels()]]
    assert texts
    for text in texts:
        if not text.get_text():
            continue
        extent = text.get_window_extent(renderer)
        assert extent.x0 >= box.x0 - 0.5 and extent.x1 <= box.x1 + 0.5, text.get_text()
        assert extent.y0 >= box.y0 - 0.5 and extent.y1 <= box.y1 + 0.5, text.get_text()
    for ax in fig.axes:  # room for a reader's font 20% wider than matplotlib's
        for text in ax.texts:
            extent = text.get_window_extent(renderer)
            assert extent.x0 + 1.2 * extent.width <= ax.bbox.x1 + 0.5, text.get_text()
    if categories:
        shown = [t.get_text().strip() for ax in fig.axes for t in ax.texts]
        assert "fewer than 3" in shown or all(v >= 3 for v in categories.values())
