"""A colour-blind-safe palette (Okabe & Ito) and small shared styling helpers."""

from __future__ import annotations

from ..validate import check_axes, check_type

__all__ = ["OKABE_ITO", "PALETTE", "SERIES", "WIDGET_DPI", "tidy"]

OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}
# Meanings used across chapters, so a colour means the same thing in every plot.
PALETTE = {
    "ok": OKABE_ITO["blue"],
    "bad": OKABE_ITO["vermillion"],
    "warn": OKABE_ITO["orange"],
    "mitigated": OKABE_ITO["sky"],
    "neutral": "#7f7f7f",
    "accent": OKABE_ITO["purple"],
    "good": OKABE_ITO["green"],
    "future": "#ececec",  # a light grey for what has not happened yet at a slider's time
}
WIDGET_DPI = 80  # resolution of a widget's PNG: small images keep a redraw inside the 100 ms budget
SERIES = [OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]


def tidy(ax, title: str = "", xlabel: str = "", ylabel: str = ""):
    """Give *ax* a title and labels and drop the top/right spines; return *ax*."""
    check_axes("ax", ax)
    for _name, _text in (("title", title), ("xlabel", xlabel), ("ylabel", ylabel)):
        check_type(_name, _text, str)
    if title:
        ax.set_title(title, fontsize=10)
    if xlabel:
        ax.set_xlabel(xlabel)
    if ylabel:
        ax.set_ylabel(ylabel)
    ax.spines[["top", "right"]].set_visible(False)
    return ax
