"""Interactive explorers used by the lessons.

Each widget module has three parts, as in mpl-interactions: pure ``compute`` functions
(unit-tested against PyTorch), ``draw`` functions that turn their result into a matplotlib
figure, and thin wiring built on :class:`course.widgets.core.Explorer`. Only core
ipywidgets are used, so the explorers work on Colab (ipywidgets 7) and in JupyterLab (8).
"""
