"""Google Colab support: the "Open in Colab" badge and the setup cell of every notebook.

The repository slug and branch live here and nowhere else. After changing them, run
``course badges`` to restamp every solution notebook, then ``course release``.
"""

from __future__ import annotations

import re

REPOSITORY = "segmentation-course/cnn-segmentation-course"
BRANCH = "main"
PACKAGE = "cnn-segmentation-course"

BADGE_TAG = "colab-badge"
SETUP_TAG = "setup"
# The setup cell reports the machine (torch version, GPU): nbval must not compare that.
NBVAL_IGNORE_TAG = "nbval-ignore-output"
_BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(path: str, repository: str | None = None, branch: str | None = None) -> str:
    """Colab address that opens ``path`` (relative to the repository root) from GitHub."""
    repository, branch = _slug(repository, branch)
    return f"https://colab.research.google.com/github/{repository}/blob/{branch}/{path}"


def badge_source(path: str, repository: str | None = None, branch: str | None = None) -> str:
    """Markdown of the badge cell for the notebook at ``path``."""
    url = colab_url(path, repository, branch)
    return f'<a href="{url}" target="_parent"><img src="{_BADGE_IMAGE}" alt="Open In Colab"/></a>'


def setup_source(repository: str | None = None, branch: str | None = None) -> str:
    """Source of the setup cell: installs the course on Colab (keeping Colab's torch)."""
    repository, branch = _slug(repository, branch)
    return f'''\
# Setup: run this cell first. On Colab it installs the course package and keeps Colab's
# own PyTorch; on your own machine (where you installed the course) it only checks things.
import sys

if "google.colab" in sys.modules:
    import importlib, subprocess
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                    "{PACKAGE} @ git+https://github.com/{repository}@{branch}"], check=True)
    importlib.invalidate_caches()

import course

course.setup()'''


def in_colab() -> bool:
    """True inside a Google Colab runtime."""
    import sys

    return "google.colab" in sys.modules


def stamp(nb, path: str, repository: str | None = None, branch: str | None = None) -> bool:
    """Rewrite the badge and setup cells of ``nb`` (in place); return True if anything changed.

    The badge must be the first cell, tagged ``colab-badge``; the setup cell is tagged
    ``setup`` (and gets ``nbval-ignore-output``). A notebook without them raises ``ValueError``.
    """
    badge, setup = _tagged_cell(nb, BADGE_TAG, path), _tagged_cell(nb, SETUP_TAG, path)
    if nb.cells[0] is not badge:
        raise ValueError(f"{path}: the first cell must be the Colab badge (tag {BADGE_TAG!r})")
    wanted = {id(badge): badge_source(path, repository, branch),
              id(setup): setup_source(repository, branch)}
    changed = NBVAL_IGNORE_TAG not in setup.metadata["tags"]
    if changed:
        setup.metadata["tags"].append(NBVAL_IGNORE_TAG)
    for cell in (badge, setup):
        if cell.source != wanted[id(cell)]:
            cell.source = wanted[id(cell)]
            changed = True
    return changed


def badge_path(source: str) -> str | None:
    """The repository path a badge cell points to, or None if it is no badge."""
    match = re.search(r"colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/([^\"]+)", source)
    return match.group(1) if match else None


def _slug(repository: str | None, branch: str | None) -> tuple[str, str]:
    return repository or REPOSITORY, branch or BRANCH


def _tagged_cell(nb, tag: str, path: str):
    for cell in nb.cells:
        if tag in cell.get("metadata", {}).get("tags", []):
            return cell
    raise ValueError(f"{path}: no cell tagged {tag!r}; every lesson needs one (see docs/authoring.md)")
