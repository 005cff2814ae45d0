"""Thin widget builders: controls -> model -> plot, with errors shown to the learner.

Every experiment in the course is an :class:`Experiment`: a dict of ipywidgets controls, a pure
``compute(**values)`` function (the model call a test can make directly), a ``draw(fig, result)``
function and a ``summary(result)`` that gives the text readout beside the plot.  The plot is redrawn
by replacing the Output widget's outputs with one PNG (no ``with out:``), which renders in JupyterLab
and Voila and keeps nbval strict.  Bad parameters (``ValueError``/``TypeError`` from the model's
validation) are shown in the output area in plain words; any other exception is shown too and, under
pytest or with ``strict=True``, re-raised so that tests never miss it.
"""

from __future__ import annotations

import base64
import html
import io
import numbers
import os
from collections.abc import Callable, Mapping

import ipywidgets as W
from matplotlib.figure import Figure

from .plots.style import WIDGET_DPI as DPI  # one resolution for widget PNGs and plot backdrops
from .validate import check_bool, check_int, check_number, check_type

__all__ = ["Experiment", "control", "dropdown", "float_slider", "int_slider", "toggle"]

# Fixed margins instead of constrained layout: the layout engine re-draws the figure to measure it, which
# tripled the cost of a redraw on the course's 2-core reference machine.
MARGINS = {"left": 0.1, "right": 0.97, "bottom": 0.16, "top": 0.88, "wspace": 0.3, "hspace": 0.45}


def int_slider(description: str, value: int, lo: int, hi: int, step: int = 1, **kw) -> W.IntSlider:
    """Return an IntSlider that updates on release (models here are not instant)."""
    check_type("description", description, str)
    value, lo, hi, step = (check_int(k, v) for k, v in (("value", value), ("lo", lo), ("hi", hi), ("step", step)))
    if lo > hi or step <= 0:
        raise ValueError(f"need lo <= hi and step > 0, got lo={lo}, hi={hi}, step={step}")
    return W.IntSlider(value=value, min=lo, max=hi, step=step, description=description,
                       continuous_update=False, style={"description_width": "initial"}, **kw)


def float_slider(description: str, value: float, lo: float, hi: float, step: float, **kw) -> W.FloatSlider:
    """Return a FloatSlider that updates on release."""
    check_type("description", description, str)
    value, lo, hi, step = (check_number(k, v) for k, v in (("value", value), ("lo", lo), ("hi", hi), ("step", step)))
    if lo > hi or step <= 0:
        raise ValueError(f"need lo <= hi and step > 0, got lo={lo:g}, hi={hi:g}, step={step:g}")
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                         continuous_update=False, style={"description_width": "initial"}, **kw)


def dropdown(description: str, options, value=None, **kw) -> W.Dropdown:
    """Return a Dropdown."""
    check_type("description", description, str)
    if isinstance(options, (str, bytes)) or not isinstance(options, (list, tuple, dict)) or not options:
        raise TypeError(f"options must be a non-empty list, tuple or dict of choices, got {type(options).__name__}")
    choices = list(options.values()) if isinstance(options, dict) else [o[1] if isinstance(o, tuple) else o
                                                                         for o in options]
    if value is not None and not any(value is c or (type(value) is type(c) and value == c) for c in choices):
        raise ValueError(f"value must be one of the options {choices!r:.80}, got {value!r:.40}")
    return W.Dropdown(options=options, value=value if value is not None else next(iter(options)),
                      description=description, style={"description_width": "initial"}, **kw)


def toggle(description: str, value: bool = False, **kw) -> W.Checkbox:
    """Return a keyboard-operable checkbox."""
    check_type("description", description, str)
    value = check_bool("value", value)
    return W.Checkbox(value=value, description=description, indent=False, **kw)


def control(param, value=None) -> W.ValueWidget:
    """Return the control for a declared :class:`course_lib.params.Param`: its range, step and label, once."""
    from .params import Param

    check_type("param", param, Param, "a params.Param")
    try:
        value = param.default if value is None else param.check(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"value: {exc}") from None
    if param.kind == "choice":
        return dropdown(param.text, list(param.choices), value)
    if param.kind == "bool":
        return toggle(param.text, value)
    lo, hi = param.window
    if param.kind == "int":
        return int_slider(param.text, value, int(lo), int(hi), int(param.step or 1))
    return float_slider(param.text, value, lo, hi, param.step or (hi - lo) / 100)


def figure_png(fig: Figure) -> str:
    """Render *fig* to a base64 PNG string."""
    buf = io.BytesIO()
    # zlib level 1: a few ms cheaper per redraw than the default 6, for a PNG about 10 % larger
    fig.savefig(buf, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return base64.b64encode(buf.getvalue()).decode("ascii")


class Experiment:
    """Controls bound to a pure model and a plot; ``.widget`` is what the notebook displays."""

    def __init__(self, controls: Mapping[str, W.ValueWidget], compute: Callable, draw: Callable,
                 summary: Callable | None = None, figsize=(8.0, 3.6), height: str = "330px",
                 run_button: bool = False, strict: bool | None = None, margins: dict | None = None,
                 layout: str | None = None, restyle: Callable | None = None):
        check_type("controls", controls, Mapping, "a dict {name: ipywidgets control}")
        for name, control in controls.items():
            if not isinstance(name, str) or not isinstance(control, W.ValueWidget):
                raise TypeError(f"controls must map names (str) to ipywidgets value controls, got {name!r}: "
                                f"{type(control).__name__}")
        for name, fn, required in (("compute", compute, True), ("draw", draw, True), ("summary", summary, False),
                                   ("restyle", restyle, False)):
            if not callable(fn) and (required or fn is not None):
                raise TypeError(f"{name} must be a callable{'' if required else ' or None'}, got {type(fn).__name__}")
        if isinstance(figsize, (str, bytes)) or not hasattr(figsize, "__len__") or len(figsize) != 2:
            raise TypeError(f"figsize must be a (width, height) pair in inches, got {figsize!r:.40}")
        figsize = tuple(check_number("figsize", v, lo=1.0, hi=30.0) for v in figsize)
        check_type("height", height, str, "a CSS length such as '330px'")
        run_button = check_bool("run_button", run_button)
        if strict is not None:
            strict = check_bool("strict", strict)
        if margins is not None:
            check_type("margins", margins, dict, "a dict of Figure.subplots_adjust arguments")
            unknown = set(margins) - set(MARGINS)
            if unknown:
                raise ValueError(f"margins has unknown keys {sorted(map(str, unknown))}; choose from {sorted(MARGINS)}")
            margins = {k: check_number(f"margins[{k!r}]", v, lo=0.0, hi=1.0) for k, v in margins.items()}
        if layout is not None and (not isinstance(layout, str) or layout not in ("constrained", "compressed", "tight")):
            raise ValueError(f"layout must be None, 'constrained', 'compressed' or 'tight', got {layout!r:.40}")
        self.controls = dict(controls)
        self.compute, self.draw, self.summary = compute, draw, summary
        # restyle(fig, result) -> bool updates the artists of the previous draw in place and returns True, or
        # returns False when the picture must be rebuilt; building artists is half of a redraw's cost.
        self.restyle = restyle
        self.strict = ("PYTEST_CURRENT_TEST" in os.environ) if strict is None else strict
        # Figure.clf() resets the subplot parameters, so the margins are applied again after every clear.
        self.margins = {**MARGINS, **(margins or {})} if layout is None else None
        self.figure = Figure(figsize=figsize, layout=layout)
        self.readout = W.HTML(value="", layout=W.Layout(min_height="1.6em"))
        self.output = W.Output(layout=W.Layout(height=height, overflow="hidden"))
        self.result = None
        self.error: str | None = None
        self._quiet = False
        items = list(self.controls.values())
        if run_button:
            button = W.Button(description="Run", button_style="primary", icon="play")
            button.on_click(lambda _: self.update())
            items.append(button)
            for control in self.controls.values():
                control.observe(self._mark_stale, names="value")
        else:
            for control in self.controls.values():
                control.observe(self._on_change, names="value")
        box = W.HBox(items, layout=W.Layout(flex_flow="row wrap"))
        self.widget = W.VBox([box, self.readout, self.output])
        self.update()

    @property
    def values(self) -> dict:
        return {name: c.value for name, c in self.controls.items()}

    def set(self, **values) -> None:
        """Set several controls, then redraw once (for tests and scripted demos).

        A value the control cannot show (unknown control, out of the slider's range, not one of a dropdown's
        options, wrong type) is refused in the readout, like a model's own validation error, and nothing is set:
        a slider would otherwise clamp it silently and the plot would show another value than the one asked for.
        """
        problem = next((p for p in (self._refusal(n, v) for n, v in values.items()) if p), None)
        if problem:
            self._show_error(f"Check the controls: {problem}")
            return
        self._quiet = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._quiet = False
        self.update()

    def _refusal(self, name: str, value) -> str | None:
        """Return why *value* cannot be set on control *name*, or None."""
        if name not in self.controls:
            return f"there is no control {name!r}; the controls are {', '.join(self.controls)}"
        control = self.controls[name]
        if hasattr(control, "options"):
            values = [o[1] if isinstance(o, tuple) else o for o in control.options]
            if value in values:
                return None
            listed = (f"one of {values}" if len(values) <= 12 else
                      f"one of the control's {len(values)} positions, from {values[0]!r} to {values[-1]!r}")
            return f"{name} must be {listed}, got {value!r}"
        if isinstance(control, W.Checkbox):
            return None if isinstance(value, bool) else f"{name} must be True or False, got {value!r}"
        if hasattr(control, "min") and hasattr(control, "max"):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or value != value:
                return f"{name} must be a number in [{control.min}, {control.max}], got {value!r}"
            if not control.min <= value <= control.max:
                return f"{name} must be in [{control.min}, {control.max}], got {value!r}"
        return None

    def _on_change(self, _change) -> None:
        if not self._quiet:
            self.update()

    def _mark_stale(self, _change) -> None:
        """Say that the plot no longer matches the controls (Run-button experiments only)."""
        if not self._quiet and "course-stale" not in self.readout.value:
            self.readout.value = ("<span class='course-stale' style='color:#6b5b00'>Settings changed: press Run "
                                  "to update the plot.</span> " + self.readout.value)

    def update(self) -> None:
        """Run the model with the controls' values and replace the plot and readout."""
        try:
            self.result = self.compute(**self.values)
        except (ValueError, TypeError) as exc:
            self._show_error(f"Check the controls: {exc}")
            return
        except Exception as exc:
            self._show_error(f"The model failed: {type(exc).__name__}: {exc}")
            if self.strict:
                raise
            return
        stale_error, self.error = self.error, None
        reused = (self.restyle is not None and not stale_error and bool(self.figure.axes)
                  and self.restyle(self.figure, self.result))
        if not reused:
            self.figure.clf()
            if self.margins:
                self.figure.subplots_adjust(**self.margins)
            self.draw(self.figure, self.result)
        text = self.summary(self.result) if self.summary else ""
        self.readout.value = f"<span class='course-readout'>{html.escape(text)}</span>"
        self.output.outputs = ({"output_type": "display_data",
                                "data": {"image/png": figure_png(self.figure), "text/plain": "<Figure>"},
                                "metadata": {}},)

    def _show_error(self, message: str) -> None:
        self.error = message
        self.readout.value = f"<span class='course-error' style='color:#b3261e'>⚠ {html.escape(message)}</span>"
        self.output.outputs = ({"output_type": "stream", "name": "stdout", "text": message + "\n"},)

    def _ipython_display_(self):
        from IPython.display import display
        display(self.widget)
