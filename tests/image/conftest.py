"""Shared by the image tests: copies of the demo manifest with their task sources beside them (so a
test may change a task), and stores in temporary folders."""

import pathlib
import shutil

import pytest

from downstairs.image.build import DEFAULT_MANIFEST
from downstairs.image.store import Store

REPO = pathlib.Path(__file__).resolve().parents[2]
LINUX = REPO / "downstairs" / "image" / "systems" / "linux.toml"
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"


def demo_copy(folder: pathlib.Path, change=lambda text: text) -> pathlib.Path:
    """The demo manifest and its tasks copied into `folder`, with `change(text)` applied to the
    manifest: the path of the copy."""
    shutil.copytree(DEFAULT_MANIFEST.parent / "tasks", folder / "tasks", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    path = folder / "system.toml"
    path.write_text(change(DEFAULT_MANIFEST.read_text()))
    return path


def line_of(path: pathlib.Path, text: str) -> int:
    """The number of the first line of `path` that contains `text`."""
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(tmp_path / "store")
