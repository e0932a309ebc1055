"""The Hugging Face Space's file set: exactly what a Docker Space built from this checkout needs.

    ganplay space --out DIR     copy the set into DIR (then upload DIR with huggingface_hub)
    ganplay space               print it

The set is what the Dockerfile's COPY instructions take from the build context (every file under
each source), minus what `.dockerignore` excludes, plus the files the Hub reads itself: the
Dockerfile, README.md (its front matter configures the Space), .dockerignore and .gitattributes.
Uploading this folder, not the repository, sends no git history (whose old binaries the Hub would
refuse) and nothing the image does not use. The tests build the same set and replay the
Dockerfile on it. Stdlib only; it needs a source checkout (a wheel has no Dockerfile).
"""

from __future__ import annotations

import fnmatch
import json
import shlex
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HUB_FILES = ("Dockerfile", "README.md", ".dockerignore", ".gitattributes")


class SpaceError(ValueError):
    pass


# -- the Dockerfile ------------------------------------------------------------------------------
def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: continuation lines joined, comments and blanks dropped."""
    rows, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):  # a comment inside a continued instruction
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        whole = (pending + stripped).strip()
        pending = ""
        op, _, rest = whole.partition(" ")
        rows.append((op.upper(), rest.strip()))
    return rows


def arguments(rest: str) -> list[str]:
    """An instruction's arguments: the exec form (a JSON list) or shell-style words."""
    if rest.startswith("["):
        return json.loads(rest)
    return shlex.split(rest)


def copy_sources(dockerfile: str) -> list[str]:
    """The build-context paths the Dockerfile's COPY/ADD instructions read (not other stages')."""
    out = []
    for op, rest in instructions(dockerfile):
        if op not in ("COPY", "ADD"):
            continue
        words = arguments(rest)
        if any(w.startswith("--from") for w in words):
            continue
        out += [_context_path(w) for w in [w for w in words if not w.startswith("--")][:-1]]
    return out


def _context_path(word: str) -> str:
    while word.startswith("./"):
        word = word[2:]
    return word.strip("/") or "."


# -- .dockerignore -------------------------------------------------------------------------------
def ignore_rules(text: str) -> list[tuple[bool, list[str]]]:
    """(is_exception, pattern segments) per .dockerignore line, in order."""
    rules = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = line[1:].strip() if exception else line
        segments = [s for s in pattern.strip("/").split("/") if s not in ("", ".")]
        if segments:
            rules.append((exception, segments))
    return rules


def _match(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":  # any number of directories, none included
        return any(_match(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _match(pattern[1:], parts[1:])


def ignored(path: str, rules: list[tuple[bool, list[str]]]) -> bool:
    """Docker's rule: the last pattern that matches the path or one of its parent folders wins."""
    parts = path.split("/")
    verdict = False
    for exception, pattern in rules:
        if any(_match(pattern, parts[:k]) for k in range(1, len(parts) + 1)):
            verdict = not exception
    return verdict


# -- the set -------------------------------------------------------------------------------------
def file_set(root: str | Path = ROOT) -> list[str]:
    """Every file the Space receives, as sorted paths relative to `root`."""
    root = Path(root)
    dockerfile = root / "Dockerfile"
    if not dockerfile.is_file():
        raise SpaceError(f"no Dockerfile in {root}: the Space is built from a source checkout")
    ignore = root / ".dockerignore"
    rules = ignore_rules(ignore.read_text()) if ignore.is_file() else []
    found: set[str] = set()
    for source in copy_sources(dockerfile.read_text()):
        matches = sorted(root.glob(source)) if any(c in source for c in "*?[") else [root / source]
        if not matches or not all(m.exists() for m in matches):
            raise SpaceError(f"the Dockerfile copies {source!r}, which is not in {root}")
        for match in matches:
            files = [match] if match.is_file() else [p for p in match.rglob("*") if p.is_file()]
            found.update(p.relative_to(root).as_posix() for p in files)
    found = {p for p in found if not ignored(p, rules)}
    found.update(name for name in HUB_FILES if (root / name).is_file())
    return sorted(found)


def build(out: str | Path, root: str | Path = ROOT) -> list[str]:
    """Copy the file set into the folder `out` (created; it must be empty or new)."""
    out, root = Path(out), Path(root)
    if out.exists() and any(out.iterdir()):
        raise SpaceError(f"{out} is not empty: give a new or empty folder")
    if out.resolve().is_relative_to(root.resolve()):
        raise SpaceError(f"{out} is inside the checkout: give a folder outside {root}")
    files = file_set(root)
    for rel in files:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, target)
    return files
