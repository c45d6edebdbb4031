"""The manifest, read and checked under CPython: one file is the kernel's task table and the image's
manifest; every bad entry is one line naming the file and the line of the entry."""

import re
import subprocess
import sys

import pytest

from downstairs import tomlfile
from downstairs.errors import UsageError
from downstairs.image import manifest
from downstairs.image.build import DEFAULT_MANIFEST
from downstairs.kernel import tasktable

from tests.image.conftest import LINUX, demo_copy, line_of


def test_the_demo_manifest_is_the_kernels_task_table_too():
    m = manifest.load(DEFAULT_MANIFEST)
    assert (m.firmware, m.kernel) == ("downstairs", "downstairs")
    assert [t.name for t in m.table.tasks] == ["supervisor", "uart", "blk", "store", "crasher", "app"]
    assert list(m.files) == ["motd"] and m.files["motd"].startswith(b"a system built from a manifest")
    table = tasktable.load(DEFAULT_MANIFEST)                      # what `downstairs kernel build` reads
    assert [(t.name, t.base, t.sends) for t in table.tasks] == [(t.name, t.base, t.sends) for t in m.table.tasks]


def test_the_linux_manifest():
    m = manifest.load(LINUX)
    assert (m.firmware, m.kernel, m.linux, m.append) == ("downstairs", "linux", "tiny", "console=ttyS0")
    assert m.table is None and m.files == {"hello.txt": b"hello from the image's manifest\n"}


# (change to the demo's text, the message, a text on the line the message must name)
BAD = {
    "an unknown key": (lambda s: s.replace("priority = 3", "prority = 3"),
                       r"tasks\.app: unknown key 'prority'", "prority = 3"),
    "a missing source": (lambda s: s.replace('"tasks/crasher.py"', '"tasks/crashr.py"'),
                         r"tasks\.crasher: source 'tasks/crashr\.py' does not exist", "crashr.py"),
    "a send to a task that does not exist": (
        lambda s: s.replace('sends = ["uart", "store", "crasher"]', 'sends = ["uart", "stroe", "crasher"]'),
        r"tasks\.app: sends to 'stroe', which is not a task", '"stroe"'),
    "overlapping memory": (
        lambda s: s.replace("memory = { base = 0x80430000, size = 0x8000 }",
                            "memory = { base = 0x80428000, size = 0x8000 }"),
        r"tasks\.crasher: memory of task 'crasher' 0x80428000-0x80430000 overlaps the memory of task 'store'",
        "base = 0x80428000"),
    "a device owned twice": (lambda s: s.replace('devices = ["virtio7"]', 'devices = ["virtio7", "uart0"]'),
                             r"tasks\.blk: device 'uart0' is already owned by task 'uart'", '"virtio7", "uart0"'),
    "a missing key": (lambda s: s.replace("priority = 3\n", ""), r"tasks\.app: 'priority' is missing", "[tasks.app]"),
    "an unknown firmware": (lambda s: s.replace('use = "downstairs"                        # our SBI',
                                                'use = "uboot"  # our SBI'),
                            r"firmware: use must be 'downstairs' or 'opensbi', not 'uboot'", '"uboot"'),
    "an unknown kernel": (lambda s: s.replace('use = "downstairs"                        # our kernel',
                                              'use = "sel4"  # our kernel'),
                          r"kernel: use must be 'downstairs' or 'linux', not 'sel4'", '"sel4"'),
    "an unknown section": (lambda s: s + "\n[network]\nip = 1\n", r"\(top level\): unknown key 'network'", "[network]"),
    "a record too big for the store": (lambda s: s.replace('motd = "a system', 'motd = "' + "x" * 440 + ' a system'),
                                       r"files: motd has 502 bytes: the store's records hold 464", "motd ="),
    "a key too long for the store": (lambda s: s + 'a_name_longer_than_thirty_two_bytes_is_too_long = "x"\n',
                                     r"files: the store's keys are 1 to 32 bytes, not 47", "a_name_longer"),
    "a file that is not there": (lambda s: s + 'logo = { file = "logo.txt" }\n',
                                 r"files\.logo: file 'logo\.txt': No such file or directory", "logo ="),
    "a file entry of the wrong kind": (lambda s: s + "count = 3\n",
                                       r"files: count must be text or \{ file = \"path\" \}, not 3", "count = 3"),
    "RAM where the virt board has none": (
        lambda s: s.replace("ram = { base = 0x80000000", "ram = { base = 0x40000000"),
        r"board: ram must start at 0x80000000, where the virt board's RAM is, not 0x40000000",
        "ram = { base = 0x40000000"),
    "an address beyond RV64's physical addresses": (
        lambda s: s.replace("plic = 0x0c000000", "plic = 0x10000000000000000"),
        r"board: plic must be a physical address, 0 to 0xffffffffffffff, not 0x10000000000000000", "plic ="),
    "a device that ends beyond them": (
        lambda s: s.replace("uart0 = { base = 0x10000000, size = 0x100,", "uart0 = { base = 0xff000000000000, size = 0x1000000000000000,"),
        r"devices\.uart0: size must be positive and end within the physical addresses", "uart0 ="),
    "RAM that ends beyond them": (
        lambda s: s.replace("size = 0x8000000 }", "size = 0x100000000000000 }"),
        r"board: ram 0x80000000\+0x100000000000000 ends beyond the physical addresses", "ram ="),
    "not TOML": (lambda s: s.replace("[tasks.store]", "[tasks.store"), r"not a valid TOML file", "[tasks.store"),
}


@pytest.mark.parametrize("mistake", BAD)
def test_a_bad_entry_is_one_line_with_the_file_and_its_line(tmp_path, mistake):
    change, message, marker = BAD[mistake]
    path = demo_copy(tmp_path, change)
    with pytest.raises(UsageError) as caught:
        manifest.load(path)
    text = str(caught.value)
    assert "\n" not in text and re.search(message, text), text
    assert text.startswith(f"{tomlfile.shown(path)}:{line_of(path, marker)}: "), text


LINUX_BAD = {
    "a kernel configuration that does not exist": (lambda s: s.replace('config = "tiny"', 'config = "huge"'),
                                                   r"kernel: config must be 'tiny' or 'gc', not 'huge'", "huge"),
    "tasks under Linux": (lambda s: s + '\n[tasks.app]\nsource = "app.py"\n', r"unknown key 'tasks'", "[tasks.app]"),
    "a path out of the file system": (lambda s: s + '"../etc/passwd" = "x"\n',
                                      r"files: '\.\./etc/passwd' is not a relative path", "passwd"),
    "RAM where the virt board has none": (
        lambda s: s.replace("ram = { base = 0x80000000", "ram = { base = 0x0"),
        r"board: ram must start at 0x80000000, where the virt board's RAM is, not 0x0", "ram ="),
    "RAM that -m cannot give": (
        lambda s: s.replace("size = 0x8000000 }", "size = 0x8001000 }"),
        r"board: ram's size must be whole MiB, as -m gives it, not 0x8001000", "ram ="),
    "a key of our kernel's": (lambda s: s.replace('config = "tiny"', 'config = "tiny"\nsupervisor = "x"'),
                              r"kernel: unknown key 'supervisor'", "supervisor"),
}


@pytest.mark.parametrize("mistake", LINUX_BAD)
def test_a_bad_linux_entry_is_one_line_too(tmp_path, mistake):
    change, message, marker = LINUX_BAD[mistake]
    path = tmp_path / "linux.toml"
    path.write_text(change(LINUX.read_text()))
    with pytest.raises(UsageError) as caught:
        manifest.load(path)
    text = str(caught.value)
    assert re.search(message, text) and text.startswith(f"{tomlfile.shown(path)}:{line_of(path, marker)}: "), text


def test_the_commands_say_it_in_one_line_with_status_2(tmp_path):
    path = demo_copy(tmp_path, BAD["a device owned twice"][0])
    for argv in (["image", "build", str(path)], ["image", "show", str(path)], ["image", "run", str(path)],
                 ["kernel", "build", str(path)]):
        out = subprocess.run([sys.executable, "-m", "downstairs", *argv], capture_output=True, text=True, timeout=120)
        assert out.returncode == 2 and out.stdout == "", argv
        owned_twice = line_of(path, BAD["a device owned twice"][2])
        assert out.stderr.count("\n") == 1 and f"system.toml:{owned_twice}: tasks.blk: device" in out.stderr
    kernel = subprocess.run([sys.executable, "-m", "downstairs", "kernel", "build", str(LINUX)], capture_output=True,
                            text=True, timeout=120)
    use_line = line_of(LINUX, 'use = "linux"')
    assert kernel.returncode == 2 and f"linux.toml:{use_line}: kernel: use = 'linux'" in kernel.stderr
    missing = subprocess.run([sys.executable, "-m", "downstairs", "image", "build", str(tmp_path / "none.toml")],
                             capture_output=True, text=True, timeout=120)
    assert missing.returncode == 2 and "No such file" in missing.stderr and "Traceback" not in missing.stderr


def test_lines_are_found_for_tables_keys_and_dotted_quoted_names():
    text = ('a = 1\n[x."y.z"]\nb.c = """\nq = 2\n"""\nd = { e = 1 }\n\n[[arr]]\nf = 1\n'
            "[tasks.app]  # a comment\n'lit' = 2\n")
    lines = tomlfile.locate(text)
    assert lines[("a",)] == 1 and lines[("x", "y.z")] == 2 and lines[("x", "y.z", "b", "c")] == 3
    assert ("q",) not in lines and ("x", "y.z", "q") not in lines          # inside a multi-line string
    assert lines[("x", "y.z", "d")] == 6 and lines[("arr", "f")] == 9
    assert lines[("tasks",)] == 10 and lines[("tasks", "app", "lit")] == 11
    doc = tomlfile.Document(tomlfile.pathlib.Path("m.toml"), {}, lines)
    assert doc.line(("x", "y.z", "d", "e")) == 6 and doc.line(("tasks", "app", "missing")) == 10
    assert doc.line(("nowhere",)) == 1
