"""A backdrop: a widget figure's still text rendered once, as an image, so a redraw renders only what moved.

Used by the restyle hooks of the chapter plots (see ``course_lib.widgets.Experiment``'s *restyle*).
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axis import Axis
from matplotlib.text import Text

from ..validate import check_figure
from .style import WIDGET_DPI as DPI

__all__ = ["backdrop"]


def backdrop(fig, moving: list, key, still: list = ()) -> None:
    """Render the figure's still text (ticks, labels, titles, fixed keys) once, as an image under the plot.

    Text costs about 0.1 ms a glyph to render on the course's reference machine, and most of a widget's text
    reads the same after a move.  Later renders draw that image and then, as usual, every line, patch,
    collection, legend and the texts in *moving*; *key* holds whatever the still text depends on (axis
    limits, say), and when it changes the image is rendered again.  Still text must not overlap the data.
    Other artists that never change (a marker key, say) can join the backdrop through *still*.
    """
    check_figure("fig", fig)
    for name, value in (("moving", moving), ("still", still)):
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"{name} must be a list or tuple of matplotlib artists, got {type(value).__name__}")
    state = getattr(fig, "_course_backdrop", None)
    if state is not None and state["image"] in fig.artists and state["key"] == key:
        return
    if state is not None:  # show the hidden text again and drop the old image
        if state["image"] in fig.artists:
            state["image"].remove()
        for artist in state["hidden"]:
            artist.set_visible(True)
    keep = {id(a) for a in moving}
    still = [a for a in [*_text_parts(fig), *still] if id(a) not in keep and a.get_visible()]
    live = [a for a in _all_parts(fig) if id(a) not in {id(b) for b in still} and a.get_visible()]
    for artist in live:
        artist.set_visible(False)
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba", dpi=DPI)
    width, height = (round(v * DPI) for v in fig.get_size_inches())
    rgba = np.frombuffer(buf.getvalue(), dtype=np.uint8).reshape(height, width, 4)
    for artist in live:
        artist.set_visible(True)
    for artist in still:
        artist.set_visible(False)
    image = fig.add_artist(_Backdrop(rgba, still))
    fig._course_backdrop = {"key": key, "image": image, "hidden": still}


class _Backdrop(Artist):
    """A full-figure RGBA image blitted as it is (no resampling, unlike figimage)."""

    zorder = -1  # under every axes

    def __init__(self, rgba: np.ndarray, hidden: list):
        super().__init__()
        self._rgba = np.array(rgba[::-1])  # Agg draws images bottom row first; a writeable copy
        self._hidden = hidden

    def draw(self, renderer) -> None:
        if not self.get_visible():
            return
        if (renderer.height, renderer.width) == self._rgba.shape[:2]:
            gc = renderer.new_gc()
            renderer.draw_image(gc, 0, 0, self._rgba)
            gc.restore()
            return
        for artist in self._hidden:  # saved at another size or dpi: draw the still parts themselves, in place
            artist.set_visible(True)
            artist.draw(renderer)
            artist.set_visible(False)


def _all_parts(fig) -> list:
    """Return every artist of *fig* a backdrop deals with: fig texts and legends, and each axes' children."""
    return [*fig.texts, *fig.legends, *(a for ax in fig.axes for a in ax.get_children())]


def _text_parts(fig) -> list:
    """Return the costly still candidates: texts, axes (ticks and their labels) and axes backgrounds."""
    patches = {id(ax.patch) for ax in fig.axes}
    return [a for a in _all_parts(fig) if isinstance(a, (Text, Axis)) or id(a) in patches]
