"""Where Linux-booting tests run: directly on a KVM that can boot Linux, else inside the nested harness.

`nested.direct_reason()` decides. Where it says no (the development machines' nested-PVM
/dev/kvm), the test file runs once inside the harness (downstairs/hypervisor/nested.py) and
each host-side test asserts its own outcome from that run. Nothing is skipped: if neither
path can run, the tests fail with the reason.
"""

import os
import re
import sys

from downstairs.hypervisor import nested

direct_reason = nested.direct_reason


def run_in_harness(test_path: str) -> tuple[dict[str, str], str]:
    """Run a test file or directory inside the harness; returns ({file::test: outcome}, console text)."""
    rel = os.path.relpath(test_path, os.getcwd())
    status, output, elapsed = nested.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "--color=no", rel],
        timeout=900)
    text = output.decode(errors="replace")
    outcomes = {}
    for outcome, name in re.findall(r"^(PASSED|FAILED|ERROR|SKIPPED)\s+(\S+)", text, re.M):
        outcomes[name.split("/")[-1]] = outcome
    text += f"\n[nested harness: pytest status {status}, {elapsed:.1f} s wall]"
    return outcomes, text
