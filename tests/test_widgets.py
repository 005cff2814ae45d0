"""The widget layer: controls drive a pure model, errors are shown, the plot is one PNG."""

from __future__ import annotations

import math

import pytest

from course_lib.widgets import Experiment, float_slider, int_slider


def _compute(k, scale):
    if k > 8:
        raise ValueError(f"k must be <= 8, got {k}")
    if scale == 3.0:
        raise RuntimeError("a bug in the model")
    return [scale * i**k for i in range(5)]


def _draw(fig, result):
    fig.add_subplot().plot(result)


def _experiment(strict=True):
    controls = {"k": int_slider("k", 2, 1, 10), "scale": float_slider("scale", 1.0, 0.5, 4.0, 0.5)}
    return Experiment(controls, _compute, _draw, summary=lambda r: f"last={r[-1]:g}", strict=strict)


def test_moving_a_control_recomputes_and_redraws():
    """Setting a control runs the model and replaces the output with exactly one PNG."""
    exp = _experiment()
    exp.controls["k"].value = 3
    assert exp.result[-1] == 64
    assert "last=64" in exp.readout.value
    assert len(exp.output.outputs) == 1 and "image/png" in exp.output.outputs[0]["data"]


def test_set_updates_several_controls_with_one_redraw():
    """set() changes several controls and redraws once with all of them."""
    exp = _experiment()
    exp.set(k=1, scale=2.0)
    assert exp.result == [0, 2, 4, 6, 8] and exp.values == {"k": 1, "scale": 2.0}


def test_bad_parameter_is_shown_not_raised():
    """A ValueError from the model's validation is shown to the learner in the readout and output."""
    exp = _experiment()
    exp.controls["k"].value = 9
    assert exp.error and "k must be <= 8" in exp.error
    assert "course-error" in exp.readout.value
    assert exp.output.outputs[0]["output_type"] == "stream"
    exp.controls["k"].value = 2
    assert exp.error is None


def test_unexpected_error_is_reraised_under_tests_and_shown_otherwise():
    """A bug (not a validation error) is re-raised in strict mode and only shown otherwise."""
    with pytest.raises(RuntimeError):
        _experiment(strict=True).set(scale=3.0)
    exp = _experiment(strict=False)
    exp.set(scale=3.0)
    assert "RuntimeError" in exp.error


def test_controls_update_on_release_only():
    """Sliders use continuous_update=False so a drag does not queue dozens of redraws."""
    exp = _experiment()
    assert all(c.continuous_update is False for c in exp.controls.values())


def test_run_button_experiment_says_when_the_plot_is_stale():
    """With a Run button, moving a control marks the readout stale until Run redraws."""
    controls = {"k": int_slider("k", 2, 1, 10), "scale": float_slider("scale", 1.0, 0.5, 4.0, 0.5)}
    exp = Experiment(controls, _compute, _draw, summary=lambda r: f"last={r[-1]:g}", run_button=True)
    exp.controls["k"].value = 3
    assert exp.result[-1] == 16 and "press Run" in exp.readout.value
    exp.update()
    assert exp.result[-1] == 64 and "press Run" not in exp.readout.value


def test_margins_survive_every_redraw():
    """The experiment's margins apply to the axes of every redraw (clf resets them otherwise)."""
    exp = Experiment({"k": int_slider("k", 2, 1, 10), "scale": float_slider("scale", 1.0, 0.5, 4.0, 0.5)},
                     _compute, _draw, margins={"left": 0.3})
    exp.controls["k"].value = 3
    assert abs(exp.figure.axes[0].get_position().x0 - 0.3) < 1e-9


def test_restyle_updates_in_place_and_falls_back_to_a_full_draw():
    """A restyle hook that returns True keeps the axes; one that returns False gets a full redraw."""
    calls = []

    def restyle(fig, result):
        calls.append(result[-1])
        if result[-1] > 100:
            return False
        fig.axes[0].lines[0].set_ydata(result)
        return True

    exp = Experiment({"k": int_slider("k", 2, 1, 10), "scale": float_slider("scale", 1.0, 0.5, 4.0, 0.5)},
                     _compute, _draw, restyle=restyle)
    first_axes = exp.figure.axes[0]
    exp.controls["k"].value = 3
    assert exp.figure.axes[0] is first_axes and list(first_axes.lines[0].get_ydata()) == exp.result
    exp.controls["k"].value = 4  # 256 > 100: restyle declines, the figure is rebuilt
    assert exp.figure.axes[0] is not first_axes and calls == [64, 256]


def test_set_refuses_what_a_control_cannot_show_and_sets_nothing():
    """Experiment.set names an out-of-range, unknown or mistyped value in the readout instead of clamping it."""
    import html

    import numpy as np

    from course_lib.experiments import ch00, ch01

    exp = ch01.contention_experiment()
    before = dict(exp.values)
    for kwargs, fragment in [({"clients": 10_000}, "clients must be in [1, 200]"),
                             ({"clients": float("nan")}, "clients must be a number"),
                             ({"clients": True}, "clients must be a number"),
                             ({"strategy": "bogus"}, "strategy must be one of"),
                             ({"nope": 1}, "there is no control 'nope'")]:
        exp.set(**kwargs)
        assert fragment in exp.error and html.escape(fragment) in exp.readout.value
        assert exp.values == before
    exp.set(clients=np.int64(5))
    assert exp.error is None and exp.values["clients"] == 5
    slider = ch00.time_slider()
    slider.set(minutes=10_000)
    assert "positions, from -8 to" in slider.error


def test_a_declared_default_must_lie_on_its_sliders_grid():
    """A default a slider cannot return to (off its lo + k*step grid) is refused when it is declared."""
    import pytest

    from course_lib.params import Param

    with pytest.raises(ValueError, match="not on its slider's grid"):
        Param("rate", 163.0, lo=0.0, hi=1e6, view=(150.0, 400.0), step=5.0)
    assert Param("rate", 165.0, lo=0.0, hi=1e6, view=(150.0, 400.0), step=5.0).default == 165.0


def test_every_plain_compute_function_defaults_to_its_widgets_opening_values():
    """`X_compute()` called bare must give the night the widget `X_experiment()` opens on (a test or learner calling
    the plain function sees the chapter's picture): each keyword default equals the control's initial value."""
    import importlib
    import inspect
    import pkgutil

    import course_lib.experiments as pkg

    checked = 0
    for info in pkgutil.iter_modules(pkg.__path__):
        mod = importlib.import_module(f"course_lib.experiments.{info.name}")
        for name, fn in vars(mod).items():
            if not (name.endswith("_compute") and callable(fn)) or fn.__module__ != mod.__name__:
                continue
            build = getattr(mod, name[:-len("_compute")] + "_experiment", None)
            if build is None:
                continue
            exp = build()
            for pname, param in inspect.signature(fn).parameters.items():
                if param.default is inspect.Parameter.empty or pname not in exp.controls:
                    continue
                value = exp.controls[pname].value
                assert param.default == value or (isinstance(value, float) and math.isclose(param.default, value)), \
                    f"{mod.__name__}.{name}({pname}={param.default!r}) but the widget opens on {value!r}"
                checked += 1
    assert checked >= 10
