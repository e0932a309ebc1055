"""Where the shipped data is: the one resolver for `pretrained/` (stdlib only, no torch).

    installed wheel        <site-packages>/ganplay/pretrained/   (pyproject.toml maps the top-level
                                                                  folder into the package as data)
    checkout / editable    <repo>/pretrained/                    (the folder stays where it is)

Every reader of shipped weights, cards, previews, the classifier and the lab's replays asks
`pretrained_dir()` instead of computing a path from its own `__file__`.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
PACKAGED = PACKAGE / "pretrained"         # inside an installed wheel
CHECKOUT = PACKAGE.parent / "pretrained"  # next to the package in a source checkout


def pretrained_dir() -> Path:
    """The `pretrained/` folder of this installation: the packaged copy when there is one (a wheel
    install), else the checkout's top-level folder (which may not exist yet: `ganplay zoo build`
    creates it)."""
    return PACKAGED if PACKAGED.is_dir() else CHECKOUT


def pretrained(*parts: str) -> Path:
    """A path inside `pretrained/`, e.g. `pretrained("lab", "ring8", "gan.npz")`."""
    return pretrained_dir().joinpath(*parts)
