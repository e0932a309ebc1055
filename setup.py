"""Packaging that pyproject.toml cannot say: the top-level `pretrained/` folder (weights, cards,
lab replays, preview PNGs) ships inside the wheel as `ganplay/pretrained/`, and stays where it is in
the checkout. `ganplay.assets.pretrained_dir()` finds either."""

from setuptools import find_packages, setup

setup(
    packages=find_packages(include=["ganplay", "ganplay.*"]) + ["ganplay.pretrained"],
    package_dir={"ganplay.pretrained": "pretrained"},
)
