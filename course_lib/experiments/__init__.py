"""Each chapter's widget experiments: ``from course_lib.experiments.ch01 import contention_experiment``.

A builder binds controls to a pure model call and a plot helper through ``course_lib.widgets.Experiment``;
models and plots never import this package.
"""
