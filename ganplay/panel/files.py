"""Files the panel's visitors cause, kept bounded: our interpolation GIFs and Gradio's cache.

- GIFs are written to a folder of this process (`write_gif`) and only the newest `KEEP_GIFS` are
  kept: Gradio copies each into its cache before the event's response goes out, and at most a
  few interpolations run at once, so an older file is never read again. The folder goes at exit;
  a process stopped by SIGTERM's or SIGKILL's default action runs no exit handler, so the folder
  is named after its process (`ganplay-panel-PID-*`) and the next panel to make one deletes those
  of processes no longer alive (ours only: same owner, nothing but GIFs inside).
- Gradio's cache holds every output: each image is a PNG there, each GIF a copy. The Blocks get
  `delete_cache=DELETE_CACHE` (Gradio deletes files older than an hour every 5 minutes, and all of
  them at shutdown), and `CacheBudget.prune()`, run before each event, deletes the oldest files
  once the cache holds more than its budget (`GANPLAY_PANEL_CACHE_MB`, 256 MB, and `MAX_FILES`),
  visitors' uploads before the pictures events made, until what `full()` counts (the parts
  below too) is within both limits. Files younger than
  `GANPLAY_PANEL_CACHE_MIN_AGE_S` (30 s) are spared: a browser fetches an image as soon as its
  event ends, so a file is deleted only after whoever caused it has had it. A prune looks at every
  cached file, so it runs at most every `PRUNE_EVERY_S` (0.2 s), not before every one of many
  concurrent slider moves. Disk use is then at most the budget plus what that many seconds of
  requests write. Gradio's upload route writes to the same cache with no event to prune first:
  `guard.RequestGuard` refuses uploads while the cache is `full()` (over its bytes, or over
  `MAX_FILES` files). A prune also deletes the parts Gradio's multipart parser left behind in the
  upload folder (under another field name than "files", or cut off) once `ORPHAN_MIN_AGE_S` old.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
import threading
import time
import weakref
from pathlib import Path

KEEP_GIFS = 8
DELETE_CACHE = (300, 3600)  # Gradio's own sweep: every 5 minutes, files older than an hour
CACHE_MB = 256
MAX_FILES = 4096  # files, whatever their size: 1,000 files of 8 bytes per upload cost inodes and prunes
CACHE_MIN_AGE_S = 30.0
ORPHAN_MIN_AGE_S = 30.0
PRUNE_EVERY_S = 0.2

_gif_lock = threading.Lock()
_gif_dir: Path | None = None


GIF_PREFIX = "interp-"
GIF_FOLDER_PREFIX = "ganplay-panel-"
OLD_FOLDER_AGE_S = 86400.0  # a folder named before PIDs were (no way to tell if its process lives)


def gif_folder() -> Path:
    """This process's folder for interpolation GIFs (made on first use, removed at exit; those of
    processes that died without exiting are removed when it is made)."""
    global _gif_dir
    with _gif_lock:
        if _gif_dir is None or not _gif_dir.is_dir():
            sweep_gif_folders()
            _gif_dir = Path(tempfile.mkdtemp(prefix=f"{GIF_FOLDER_PREFIX}{os.getpid()}-"))
            atexit.register(shutil.rmtree, _gif_dir, True)
        return _gif_dir


def sweep_gif_folders(parent: str | os.PathLike | None = None) -> list[str]:
    """Delete the GIF folders under `parent` (the temp folder) left by panels that are gone: named
    `ganplay-panel-PID-*` with PID no longer a live process (a folder of a live one is kept,
    whoever it is), or from before PIDs were in the names and untouched for `OLD_FOLDER_AGE_S`;
    only folders of this user that hold nothing but interpolation GIFs. Returns those deleted."""
    parent = Path(parent or tempfile.gettempdir())
    gone = []
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return gone
    for entry in entries:
        if not entry.name.startswith(GIF_FOLDER_PREFIX):
            continue
        named = re.fullmatch(rf"{GIF_FOLDER_PREFIX}(\d+)-\w+", entry.name)
        try:
            st = entry.stat(follow_symlinks=False)
            if not entry.is_dir(follow_symlinks=False) or st.st_uid != os.getuid():
                continue
            if named:
                if _alive(int(named.group(1))):
                    continue
            elif not re.fullmatch(rf"{GIF_FOLDER_PREFIX}\w{{8}}", entry.name) or \
                    time.time() - st.st_mtime < OLD_FOLDER_AGE_S:
                continue
            inside = os.listdir(entry.path)
            if any(not (n.startswith(GIF_PREFIX) and n.endswith(".gif")) for n in inside):
                continue  # not only ours
            shutil.rmtree(entry.path)
            gone.append(entry.path)
        except OSError:
            continue
    return gone


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: alive
    return True


def write_gif(data: bytes) -> str:
    """Write GIF bytes where Gradio can serve them from; keep only the newest KEEP_GIFS."""
    folder = gif_folder()
    # a short name: the panel's file box shortens longer ones with an ellipsis on a phone
    with tempfile.NamedTemporaryFile("wb", suffix=".gif", prefix=GIF_PREFIX, dir=folder,
                                     delete=False) as f:
        f.write(data)
    with _gif_lock:
        gifs = sorted(folder.glob(f"{GIF_PREFIX}*.gif"), key=_mtime)
        for old in gifs[:-KEEP_GIFS]:
            old.unlink(missing_ok=True)
    return f.name


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


class CacheBudget:
    """Keeps the files a Blocks app has put in Gradio's cache under `max_bytes` (oldest first,
    never one younger than `min_age_s`, never a component's default value)."""

    def __init__(self, blocks, max_bytes: int | None = None, min_age_s: float | None = None,
                 max_files: int = MAX_FILES):
        self.blocks = blocks
        self.max_bytes = int(_env_float("GANPLAY_PANEL_CACHE_MB", CACHE_MB) * 2**20) \
            if max_bytes is None else max_bytes
        self.min_age_s = _env_float("GANPLAY_PANEL_CACHE_MIN_AGE_S", CACHE_MIN_AGE_S) \
            if min_age_s is None else min_age_s
        self.max_files = max_files
        self._lock = threading.Lock()
        self._last_prune = -float("inf")
        self.held = 0  # bytes in the cache after the last prune
        self.count = 0  # files in the cache after the last prune

    def full(self) -> bool:
        """Whether the cache holds more than its budget, in bytes or files, even after pruning
        (its files too young)."""
        self.prune()
        return self.held > self.max_bytes or self.count > self.max_files

    def prune(self) -> int:
        """Delete the oldest cached files over the budget; returns the bytes freed (0 when the last
        prune was under `PRUNE_EVERY_S` ago)."""
        with self._lock:
            if time.monotonic() - self._last_prune < PRUNE_EVERY_S:
                return 0
            self._last_prune = time.monotonic()
            keep: set[str] = set()
            for block in list(self.blocks.blocks.values()):
                keep.update(getattr(block, "keep_in_cache", ()))
            owners: dict[str, list[set]] = {}
            for temp_set in list(self.blocks.temp_file_sets):
                for path in list(temp_set):
                    if path not in keep:
                        owners.setdefault(path, []).append(temp_set)
            uploads = getattr(self.blocks, "upload_file_set", None) or set()
            files = []
            for path, sets in owners.items():
                try:
                    st = os.lstat(path)
                except FileNotFoundError:
                    for s in sets:
                        s.discard(path)
                    continue
                # visitors' uploads go first (a flood of them is what fills the cache), oldest first
                files.append((path not in uploads, st.st_ctime, st.st_size, path))
            now = time.time()
            young_orphans = []
            for ctime, size, path in _orphan_parts():
                if now - ctime >= ORPHAN_MIN_AGE_S:  # its request (at most 4 MB) ended long ago
                    with contextlib.suppress(OSError):
                        os.remove(path)
                else:
                    young_orphans.append(size)
            total = sum(size for _, _, size, _ in files) + sum(young_orphans)
            freed = 0
            files_left = len(files)
            for _, ctime, size, path in sorted(files):
                # within both limits, counted as `full()` counts: the young parts too
                if total <= self.max_bytes and files_left + len(young_orphans) <= self.max_files:
                    break
                if now - ctime < self.min_age_s:
                    continue  # too young; an older output may follow the uploads
                try:
                    os.remove(path)
                except FileNotFoundError:
                    pass
                for s in owners[path]:
                    s.discard(path)
                with contextlib.suppress(OSError):
                    os.rmdir(os.path.dirname(path))  # Gradio's per-file hash folder, if now empty
                total -= size
                freed += size
                files_left -= 1
            self.held, self.count = total, files_left + len(young_orphans)
            return freed


def _orphan_parts() -> list[tuple[float, int, str]]:
    """Files Gradio's multipart parser wrote to the upload folder (tmp*) that no route moved into
    the cache: parts of an upload under another field name than "files", or of an upload cut
    off. Nothing reads or deletes them."""
    from gradio.utils import get_upload_folder

    folder = get_upload_folder()
    if os.path.abspath(folder) == os.path.abspath(tempfile.gettempdir()):
        return []  # GRADIO_TEMP_DIR set to the system's temp folder: its tmp* are not all Gradio's
    found = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.startswith("tmp") and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        st = entry.stat(follow_symlinks=False)
                        found.append((st.st_ctime, st.st_size, entry.path))
    except OSError:
        pass
    return found


_budgets: "weakref.WeakKeyDictionary[object, CacheBudget]" = weakref.WeakKeyDictionary()


def budget_for(blocks) -> CacheBudget:
    """The one CacheBudget of `blocks` (its handlers prune it, its upload guard asks it)."""
    if blocks not in _budgets:
        _budgets[blocks] = CacheBudget(blocks)
    return _budgets[blocks]

