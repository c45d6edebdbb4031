"""Where Linux-booting tests run: directly on a KVM that can boot Linux, else inside the nested harness.

A KVM can boot a stock kernel if it is hardware virtualisation (the CPU shows vmx or svm and
the module is kvm_intel/kvm_amd), or if we are already inside the nested harness. The
development machines' /dev/kvm is nested PVM (kvm_pvm, no vmx/svm flag): there the tests run
once inside the harness (downstairs/hypervisor/nested.py) and each host-side test asserts
its own outcome from that run. Nothing is skipped: if neither path can run, tests fail with
the reason.
"""

import os
import re
import sys

from downstairs.hypervisor import nested


def direct_reason() -> str | None:
    """Why this host's KVM can boot Linux directly (a description), or None if it cannot."""
    if os.environ.get("DOWNSTAIRS_NESTED") == "1":
        return "inside the nested harness (kvm_amd on QEMU TCG with +svm)"
    if not os.path.exists("/dev/kvm"):
        return None
    try:
        modules = open("/proc/modules").read()
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return None
    if "kvm_pvm" in modules:
        return None
    if re.search(r"^flags\s*:.*\b(vmx|svm)\b", flags, re.M):
        return "directly on this host's hardware KVM"
    return None


def run_in_harness(test_file: str) -> tuple[dict[str, str], str]:
    """Run one test file inside the harness; returns ({test name: outcome}, console text)."""
    rel = os.path.relpath(test_file, os.getcwd())
    status, output, elapsed = nested.run(
        [sys.executable, "-m", "pytest", "-q", "-rA", "-p", "no:cacheprovider", "--color=no", rel],
        timeout=900)
    text = output.decode(errors="replace")
    outcomes = {}
    for outcome, name in re.findall(r"^(PASSED|FAILED|ERROR|SKIPPED)\s+\S*::(\w+)", text, re.M):
        outcomes[name] = outcome
    text += f"\n[nested harness: pytest status {status}, {elapsed:.1f} s wall]"
    return outcomes, text
