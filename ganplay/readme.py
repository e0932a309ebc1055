"""README blocks that commands write (never typed by hand): the text between `<!-- NAME:start -->`
and `<!-- NAME:end -->`. Tests compare each block with what its command would write."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def read_block(name: str, readme: str | Path = README) -> str:
    start, end = markers(name)
    text = Path(readme).read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise ValueError(f"{readme} has no {start} ... {end} block")
    return text.split(start, 1)[1].split(end, 1)[0].strip("\n")


def write_block(name: str, content: str, readme: str | Path = README) -> bool:
    """Replace the block's text with `content`; True when the README changed."""
    start, end = markers(name)
    path = Path(readme)
    text = path.read_text(encoding="utf-8")
    if start not in text or end not in text:
        raise ValueError(f"{path} has no {start} ... {end} block")
    head, rest = text.split(start, 1)
    tail = rest.split(end, 1)[1]
    new = f"{head}{start}\n{content.strip(chr(10))}\n{end}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text
