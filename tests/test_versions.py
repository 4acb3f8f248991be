"""The versions tools/versions.py runs the solutions with are the ones pyproject.toml declares."""

import re
import sys

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import versions  # noqa: E402


def lower_bounds() -> dict[str, str]:
    text = (ROOT / "pyproject.toml").read_text()
    block = text[text.index("dependencies = ["):text.index("]", text.index("dependencies = ["))]
    return {m[1]: m[2] for m in re.finditer(r'"([a-z]+)>=([0-9.]+)', block)}


def test_the_lower_set_is_exactly_the_declared_lower_bounds():
    declared = lower_bounds()
    assert {name: declared[name] for name in versions.LOWER} == versions.LOWER, declared


def test_the_colab_set_is_what_colab_ships_and_within_the_bounds():
    assert versions.COLAB == {"numpy": "2.1.3", "matplotlib": "3.10.0", "ipywidgets": "7.7.1", "ipython": "7.34.0",
                              "ipykernel": "6.17.1", "traitlets": "5.7.1"}
    as_tuple = lambda v: tuple(int(x) for x in v.split("."))  # noqa: E731
    for name, lowest in lower_bounds().items():
        if name in versions.COLAB:
            assert as_tuple(versions.COLAB[name]) >= as_tuple(lowest), (name, lowest)
