"""Anatomy of an Outage: models, plots, widgets and exercise checks for the course notebooks.

Each chapter imports the modules it needs (``from course_lib import timeline``); this package
imports nothing eagerly so that a notebook pays only for what it uses.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
