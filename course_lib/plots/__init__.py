"""Plot helpers: each ``draw_*`` takes a matplotlib Axes (or Figure) and a model result, never calls show()."""
