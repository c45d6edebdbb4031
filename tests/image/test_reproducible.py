"""Reproducible images: two checkouts of the repository at different paths, built on different
dates (libfaketime), with different umasks, time zones, locales, hash seeds, users and homes, each
into an empty store, give byte-identical images with the same id; and the Linux system's image is
the same when Linux itself is rebuilt from linux-source-6.1 in an empty cache."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from downstairs.guests import cache
from downstairs.guests.linux import source

from tests.image.conftest import REPO

pytestmark = pytest.mark.slow


def checkout(to: pathlib.Path, reverse: bool) -> pathlib.Path:
    """The repository's files (tracked and new, as the working tree has them; every file but
    caches and built engines where this is no git checkout) copied to `to`, in reverse order if
    asked (so directories list their entries in another order)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            capture_output=True, timeout=60)
    if listed.returncode == 0:
        names = {name for name in listed.stdout.decode().split("\0") if name}
    else:
        skip = {"__pycache__", ".git", ".venv", ".pytest_cache", ".hypothesis"}
        names = {str(path.relative_to(REPO)) for path in REPO.rglob("*")
                 if path.is_file() and not skip & set(path.relative_to(REPO).parts) and path.suffix != ".so"}
    for name in sorted((name for name in names if (REPO / name).is_file()), reverse=reverse):
        (to / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, to / name)
    return to


def build(top: pathlib.Path, manifest: str, out: pathlib.Path, cache_dir: pathlib.Path, date: str | None,
          umask: int, env: dict, timeout: float = 600) -> str:
    """`downstairs image build MANIFEST -o OUT` in the checkout `top`, under faketime at `date`
    (None: today): the image id it printed."""
    assert shutil.which("faketime"), "faketime is needed (apt-get install faketime)"
    clock = ["faketime", date] if date else []
    home = cache_dir.parent / "home"
    home.mkdir(parents=True, exist_ok=True)
    full = {"PATH": os.environ["PATH"], "PYTHONPATH": str(top), "DOWNSTAIRS_CACHE": str(cache_dir), "HOME": str(home),
            **env}
    run = subprocess.run(clock + [sys.executable, "-m", "downstairs", "image", "build", manifest, "-o",
                          str(out)], cwd=top, env=full, capture_output=True, text=True, timeout=timeout,
                         preexec_fn=lambda: os.umask(umask))
    assert run.returncode == 0, run.stderr
    return run.stdout.split()[1]


ENV_A = {"TZ": "UTC", "LC_ALL": "C", "PYTHONHASHSEED": "0", "USER": "alice", "SOURCE_DATE_EPOCH": "1"}
ENV_B = {"TZ": "Pacific/Chatham", "LANG": "de_DE.UTF-8", "PYTHONHASHSEED": "4242", "USER": "bob"}


def test_two_checkouts_on_two_dates_build_the_same_image(tmp_path):
    a = checkout(tmp_path / "a", reverse=False)
    b = checkout(tmp_path / "b" / "a" / "much" / "longer" / "path", reverse=True)
    manifest = "downstairs/kernel/system.toml"
    id_a = build(a, manifest, tmp_path / "a.img", tmp_path / "cache-a" / "c", "2001-02-03 04:05:06", 0o022, ENV_A)
    id_b = build(b, manifest, tmp_path / "b.img", tmp_path / "cache-b" / "c", "2039-12-31 23:59:59", 0o077, ENV_B)
    assert id_a == id_b
    assert (tmp_path / "a.img").read_bytes() == (tmp_path / "b.img").read_bytes()
    shows = [subprocess.run([sys.executable, "-m", "downstairs", "image", "show", manifest], cwd=top,
                            env={**os.environ, "PYTHONPATH": str(top), "DOWNSTAIRS_CACHE": str(where)},
                            capture_output=True, text=True, timeout=120).stdout
             for top, where in ((a, tmp_path / "cache-a" / "c"), (b, tmp_path / "cache-b" / "c"))]
    assert shows[0] == shows[1] and "not built" not in shows[0]


def test_the_linux_image_is_the_same_with_linux_rebuilt_from_source(tmp_path):
    """Checkout a builds with the shared cache's Linux (built there if it is not yet); checkout b
    rebuilds Linux in an empty cache (only the unpacked source is shared: 1.3 GB)."""
    shared = cache.cache_dir("linux")
    tree = source.tree()
    a = checkout(tmp_path / "a", reverse=False)
    b = checkout(tmp_path / "b" / "elsewhere", reverse=True)
    cache_a, cache_b = tmp_path / "cache-a" / "c", tmp_path / "cache-b" / "c"
    cache_a.mkdir(parents=True)
    (cache_a / "linux").symlink_to(shared)
    (cache_b / "linux").mkdir(parents=True)
    (cache_b / "linux" / tree.parent.name).symlink_to(tree.parent)
    manifest = "downstairs/image/systems/linux.toml"
    id_a = build(a, manifest, tmp_path / "a.img", cache_a, "2001-02-03 04:05:06", 0o022, ENV_A, timeout=1800)
    # today's clock for b: under a faked past date, make would find every target older than its source
    id_b = build(b, manifest, tmp_path / "b.img", cache_b, None, 0o077, ENV_B, timeout=1800)
    assert id_a == id_b
    assert (tmp_path / "a.img").read_bytes() == (tmp_path / "b.img").read_bytes()
