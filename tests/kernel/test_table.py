"""The task table: the TOML file checked on the host (one line naming the entry for every mistake)
and its binary form as the kernel reads it under CPython."""

import re
import subprocess
import sys

import pytest

from downstairs.errors import UsageError
from downstairs.kernel import tasktable

from tests.kernel.conftest import LOGIC, BOSS, SERVER, CLIENT, OTHER, LOWLY


def test_the_kernel_reads_back_what_the_toml_says(k):
    table = tasktable.load(LOGIC)
    assert k["task"].count == 5 and k["table"].supervisor() == BOSS
    for entry in table.tasks:
        t = k["task"].tasks[entry.index]
        name = bytes(k["table"].name_byte(entry.index, j) for j in range(16)).rstrip(b"\0").decode()
        assert name == entry.name
        assert (t.priority, t.base, t.size) == (entry.priority, entry.base, entry.size)
        assert t.stack_bottom == entry.base + entry.size - entry.stack
        assert k["table"].rights[entry.index].mask == sum(1 << table.task(n).index for n in entry.sends)
        assert k["table"].may_power_off(entry.index) == entry.power
    assert k["table"].allowed(CLIENT, OTHER) and not k["table"].allowed(OTHER, CLIENT)
    assert k["irq"].owner[10] == SERVER and k["irq"].bits[10] == 0x4 and k["irq"].owner[8] == 0xFF


REPO = LOGIC.parents[3]


def rewritten(tmp_path, table, sources, change):
    """The task table `table` with its relative `sources` prefix made absolute and `change(text)`
    applied, as tmp_path/system.toml."""
    path = tmp_path / "system.toml"
    text = table.read_text().replace(f'source = "{sources}/', f'source = "{(table.parent / sources).resolve()}/')
    path.write_text(change(text))
    return path


def system(tmp_path, change):
    """The real system.toml, changed."""
    return rewritten(tmp_path, REPO / "downstairs/kernel/system.toml", "tasks", change)


def variant(tmp_path, change):
    """logic.toml, changed."""
    return rewritten(tmp_path, LOGIC, "../../..", change)


BAD = {
    "overlapping memory": (lambda s: s.replace("base = 0x80418000", "base = 0x80414000"),
                           r"tasks\.other: memory of task 'other' 0x80414000-0x8041c000 overlaps the memory of "
                           r"task 'client' 0x80410000-0x80418000"),
    "memory over the kernel": (lambda s: s.replace("base = 0x80420000", "base = 0x80280000"),
                               r"tasks\.lowly: memory of task 'lowly' .* overlaps the kernel memory"),
    "a device owned twice": (lambda s: s.replace('[tasks.other]\n', '[tasks.other]\ndevices = ["uart0"]\n'),
                             r"tasks\.other: device 'uart0' is already owned by task 'server'"),
    "an unknown device": (lambda s: s.replace('devices = ["uart0"]', 'devices = ["uart9"]'),
                          r"tasks\.server: device 'uart9' is not in \[devices\]"),
    "an unknown task name": (lambda s: s.replace('sends = ["server", "other"]', 'sends = ["server", "othre"]'),
                             r"tasks\.client: sends to 'othre', which is not a task"),
    "an unknown supervisor": (lambda s: s.replace('supervisor = "boss"', 'supervisor = "bos"'),
                              r"kernel\.supervisor: 'bos' is not a task"),
    "more tasks than fit": (lambda s: s + "".join(
        f'\n[tasks.extra{n}]\nsource = "{REPO}/downstairs/kernel/tasks/app.py"\npriority = 5\n'
        f'memory = {{ base = {0x80500000 + n * 0x8000:#x}, size = 0x8000 }}\nstack = 0x1000\n' for n in range(12)),
        r"tasks\.extra11: is task 17: the kernel has room for 16"),
    "a misspelt key": (lambda s: s.replace("priority = 3", "prority = 3"),
                       r"tasks\.lowly: unknown key 'prority'"),
    "a missing key": (lambda s: s.replace("stack = 0x1000\nsends = [\"server\"]\npower", "sends = [\"server\"]\npower"),
                      r"tasks\.other: 'stack' is missing"),
    "a string for a number": (lambda s: s.replace("priority = 3", 'priority = "3"'),
                              r"tasks\.lowly: priority must be an integer"),
    "an interrupt of a device it does not own": (
        lambda s: s.replace('[tasks.other]\n', '[tasks.other]\ninterrupts = { virtio7 = 1 }\n'),
        r"tasks\.other: interrupts: 'virtio7' is not one of its devices"),
    "the kernel's notification bit": (lambda s: s.replace("uart0 = 0x4", "uart0 = 0x80000000"),
                                      r"tasks\.server: interrupts: uart0 must post notification bits"),
    "memory outside RAM": (lambda s: s.replace("base = 0x80420000", "base = 0x90000000"),
                           r"tasks\.lowly: memory 0x90000000-0x90008000 is outside RAM"),
    "memory not in pages": (lambda s: s.replace("base = 0x80420000", "base = 0x80420100"),
                            r"tasks\.lowly: memory must be whole 4 KiB pages"),
    "a missing source": (lambda s: s.replace("tasks/crasher.py", "tasks/crashr.py"),
                         r"tasks\.server: source '.*crashr\.py' does not exist"),
    "not TOML": (lambda s: s.replace("[kernel]", "[kernel"), r"system\.toml:\d+: not a valid TOML file"),
    "a bad priority": (lambda s: s.replace("priority = 3", "priority = 300"),
                       r"tasks\.lowly: priority must be 0 \(most urgent\) to 255"),
    "sending to itself": (lambda s: s.replace('sends = ["server", "other"]', 'sends = ["client"]'),
                          r"tasks\.client: sends to itself"),
}


@pytest.mark.parametrize("mistake", BAD)
def test_a_bad_table_is_one_line_naming_the_entry(tmp_path, mistake):
    change, message = BAD[mistake]
    with pytest.raises(UsageError) as caught:
        tasktable.load(variant(tmp_path, change))
    text = str(caught.value)
    assert "\n" not in text and re.match(r"\S*system\.toml:\d+: ", text), text
    assert re.search(message, text), text


def test_the_command_says_it_in_one_line_with_status_2(tmp_path):
    path = variant(tmp_path, BAD["a device owned twice"][0])
    for action in ("build", "path"):
        out = subprocess.run([sys.executable, "-m", "downstairs", "kernel", action, str(path)],
                             capture_output=True, text=True)
        assert out.returncode == 2 and out.stdout == ""
        assert out.stderr.strip().count("\n") == 0 and "already owned by task 'server'" in out.stderr
    missing = subprocess.run([sys.executable, "-m", "downstairs", "kernel", "build", str(tmp_path / "none.toml")],
                             capture_output=True, text=True)
    assert missing.returncode == 2 and "No such file" in missing.stderr and "Traceback" not in missing.stderr


def test_a_task_that_does_not_compile_is_one_line(tmp_path):
    from downstairs.kernel.build import build

    broken = tmp_path / "broken.py"
    broken.write_text("from downstairs.compiler.runtime import u32\n\n\ndef main() -> None:\n    x: u32 = 'a'\n")
    path = system(tmp_path, lambda s: s.replace(f"{REPO}/downstairs/kernel/tasks/crasher.py", str(broken)))
    with pytest.raises(UsageError, match=r"system\.toml:\d+: tasks\.crasher: does not compile: .*broken\.py:5:"):
        build(path)


def test_a_task_too_big_for_its_memory_is_one_line(tmp_path):
    from downstairs.kernel.build import build

    path = system(tmp_path, lambda s: s.replace("memory = { base = 0x80420000, size = 0x10000 }",
                                                "memory = { base = 0x80420000, size = 0x4000 }"))
    with pytest.raises(UsageError, match=r"tasks\.store: needs 0x\w+ bytes of memory \(code 0x1000, data and bss "):
        build(path)
