"""Shared by the kernel's tests: the logic test system booted under CPython (downstairs/kernel/hosted.py)."""

import pathlib

import pytest

from downstairs.kernel import hosted

SYSTEMS = pathlib.Path(__file__).parent / "systems"
LOGIC = SYSTEMS / "logic.toml"
BOSS, SERVER, CLIENT, OTHER, LOWLY = range(5)       # logic.toml's tasks, by index


@pytest.fixture
def k():
    """Fresh kernel modules, booted on logic.toml."""
    return hosted.boot(LOGIC)
