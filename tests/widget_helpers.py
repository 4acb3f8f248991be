"""Helpers for the widget tests: find controls inside an explorer, and artists by gid."""


def find(widget, kind) -> list:
    """Every widget of type ``kind`` inside ``widget``."""
    found = [widget] if isinstance(widget, kind) else []
    for child in getattr(widget, "children", ()):
        found += find(child, kind)
    return found


def artists(fig, gid: str) -> list:
    return [a for a in fig.findobj() if a.get_gid() == gid]


def one(fig, gid: str):
    found = artists(fig, gid)
    assert len(found) == 1, f"expected one artist with gid {gid!r}, got {len(found)}"
    return found[0]
