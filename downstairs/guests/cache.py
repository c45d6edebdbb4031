"""The cache of built guests: where it lives, and how an entry is published safely.

Guests built from Debian's packages (bare-metal programs, Linux kernels, disk images) are kept
under `$DOWNSTAIRS_CACHE` (default `~/.cache/downstairs`), one subdirectory per kind. An entry's
name carries a hash of everything that went into it, so a changed input makes a new entry and
an unchanged one is found again without building.

Two processes (say, two pytest workers) may ask for the same entry at once. `exclusive()` takes
an fcntl lock on a file beside the entry, so the second waits for the first and then finds the
entry ready. `publish()` builds into a temporary directory next to the entry and renames it into
place: a crash halfway leaves no half-built entry behind.
"""

import contextlib
import fcntl
import hashlib
import os
import pathlib
import shutil
import tempfile
from collections.abc import Callable, Iterator


def root() -> pathlib.Path:
    """The top of the cache: $DOWNSTAIRS_CACHE, or ~/.cache/downstairs."""
    top = os.environ.get("DOWNSTAIRS_CACHE") or os.path.join(os.path.expanduser("~"), ".cache", "downstairs")
    return pathlib.Path(top)


def cache_dir(kind: str) -> pathlib.Path:
    """The directory for one kind of guest, e.g. cache_dir("linux")."""
    return root() / kind


def digest(*parts: str | bytes) -> str:
    """A short hash of the parts, in order, each kept apart from the next (names an entry)."""
    h = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:16]


@contextlib.contextmanager
def exclusive(entry: pathlib.Path) -> Iterator[None]:
    """Hold an exclusive lock for `entry` (a file `entry.lock` beside it) while the block runs."""
    entry.parent.mkdir(parents=True, exist_ok=True)
    with open(entry.with_name(entry.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def publish(entry: pathlib.Path, make: Callable[[pathlib.Path], None]) -> bool:
    """Make sure directory `entry` exists; return True if it was already there (cached).

    Otherwise `make(tmp)` fills a fresh temporary directory, which is then renamed to `entry`.
    Callers check `entry.is_dir()` first for the fast path; this repeats the check under the
    lock, because another process may have finished the same entry while we waited.
    """
    with exclusive(entry):
        if entry.is_dir():
            return True
        tmp = pathlib.Path(tempfile.mkdtemp(prefix=f".{entry.name}.", dir=entry.parent))
        try:
            make(tmp)
            os.rename(tmp, entry)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return False
