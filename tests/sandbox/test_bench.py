"""The benchmark runs and reports every row (numbers are for reading, never asserted)."""

import subprocess
import sys

import pytest

from tests.sandbox.conftest import REPO


@pytest.mark.slow
def test_bench_runs():
    result = subprocess.run([sys.executable, "-m", "downstairs", "bench", "--sandbox", "--calls", "300", "--repeat", "1"],
                            capture_output=True, text=True, cwd=REPO, timeout=600)
    assert result.returncode == 0, result.stderr
    for row in ("native", "sandbox --platform seccomp", "sandbox --platform ptrace", "run-user (our hart)",
                "gVisor ptrace (published)", "/bin/ls -l /bin", "files, fork, pipe"):
        assert row in result.stdout
