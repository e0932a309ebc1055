"""ganplay: an interactive GAN playground.

Layers (data flows down, nothing imports upward): config -> data / models / losses -> train -> cli.
See docs/ARCHITECTURE.md.
"""

__version__ = "0.1.0"
