"""Stacked bars of monthly cost by category, one bar per tier (or per variant of a stack)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accunode.costs.document import document_total
from accunode.costs.model import CATEGORIES, Estimate


def stacked_bars(estimates: dict[str, Estimate], path: Path, documented: bool = False) -> None:
    import matplotlib.pyplot as plt

    figure, _ = draw(estimates, documented)
    figure.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(figure)


def draw(estimates: dict[str, Estimate], documented: bool = False) -> tuple[Any, Any]:
    """The figure and its axes; the legend sits outside the axes, right of the plot, so it hides no bar."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = list(estimates)
    figure, axes = plt.subplots(figsize=(max(7.5, 1.6 * len(labels) + 4.5), 5))
    bottoms = [0.0] * len(labels)
    colours = plt.get_cmap("tab20").colors
    for index, category in enumerate(CATEGORIES):
        values = [estimates[label].by("category").get(category, 0.0) for label in labels]
        if not any(values):
            continue
        axes.bar(labels, values, bottom=bottoms, label=category, color=colours[index % len(colours)])
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    if documented:
        axes.scatter(labels, [document_total(label) for label in labels], marker="D", color="black", zorder=3,
                     label="the document's figure")
    for position, total in enumerate(bottoms):
        axes.annotate(f"${total:,.0f}", (position, total), ha="center", va="bottom", fontsize=8)
    axes.set_ylabel("USD per month")
    axes.set_title("AccuNode monthly cost by category")
    axes.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    plt.setp(axes.get_xticklabels(), rotation=15, ha="right", fontsize=8)
    figure.tight_layout()
    return figure, axes
