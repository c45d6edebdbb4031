"""Fixtures for the board tests: hart-level tests run on both engines."""

import pytest

from tests.machine.harness import ENGINES, load_engine


@pytest.fixture(params=ENGINES)
def engine(request):
    return load_engine(request.param)
