"""Packaging that pyproject.toml cannot say: the top-level `pretrained/` folder (weights, cards,
lab replays, preview PNGs) ships inside the wheel as `ganplay/pretrained/`, and stays where it is in
the checkout. `ganplay.assets.pretrained_dir()` finds either."""

from setuptools import find_namespace_packages, setup

setup(
    # namespace packages too: ganplay/dashboard/views/ (page scripts) has no __init__.py
    packages=find_namespace_packages(include=["ganplay", "ganplay.*"], exclude=["*.__pycache__"])
    + ["ganplay.pretrained"],
    package_dir={"ganplay.pretrained": "pretrained"},
)
