"""--trace-file: the timeline in the Chrome trace-event format (machine/trace.py), and its
picture (machine/tracepng.py).

The format's rules, checked on every file written here (the "Trace Event Format" document
that chrome://tracing and Perfetto follow): a JSON object with a "traceEvents" list; every
event has a name, a phase this file uses (X complete, i instant, M metadata), integer pid and
tid; X and i have a non-negative ts, X a non-negative dur, i a scope of g, p or t; M events
name a process or thread (or sort one) in their args; and the spans of one thread nest (no
two overlap without one holding the other), which is what lets a viewer stack them.
Then what it says: each hart's privilege spans cover the run back to back, the stages, the
devices, the SBI calls; the same -icount run gives the same file.
"""

import json
import struct
import subprocess
import sys
import zlib

import pytest

from downstairs.guests.baremetal import build as bm
from downstairs.guests.linux import boot, kernel
from downstairs.machine import tracepng

OURS = [sys.executable, "-m", "downstairs", "run"]
PHASES = {"X", "i", "M"}
METADATA = {"process_name": "name", "thread_name": "name", "process_sort_index": "sort_index",
            "thread_sort_index": "sort_index"}


def check_format(document: dict) -> None:
    """Every rule of the format this file's docstring lists; an AssertionError names the event."""
    assert isinstance(document, dict) and isinstance(document["traceEvents"], list)
    assert document.get("displayTimeUnit", "ms") in ("ms", "ns")
    spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for e in document["traceEvents"]:
        assert isinstance(e.get("name"), str) and e.get("ph") in PHASES, e
        assert isinstance(e.get("pid"), int) and isinstance(e.get("tid"), int), e
        if "args" in e:
            assert isinstance(e["args"], dict), e
        if e["ph"] == "M":
            assert e["name"] in METADATA and METADATA[e["name"]] in e["args"], e
            continue
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        if e["ph"] == "X":
            assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
            start = round(e["ts"] * 1000)             # µs as written; compared in whole ns
            spans.setdefault((e["pid"], e["tid"]), []).append((start, start + round(e["dur"] * 1000)))
        else:
            assert e["s"] in ("g", "p", "t"), e
    for thread, intervals in spans.items():
        intervals.sort(key=lambda iv: (iv[0], -iv[1]))
        open_ends: list[int] = []
        for start, end in intervals:
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            assert not open_ends or end <= open_ends[-1], f"spans overlap on {thread}: {start}-{end}"
            open_ends.append(end)


def spans(document: dict, pid: int) -> list[dict]:
    return [e for e in document["traceEvents"] if e["ph"] == "X" and e["pid"] == pid]


def trace_run(tmp_path, args: list[str], name: str = "trace.json") -> dict:
    path = tmp_path / name
    result = subprocess.run(OURS + args + ["-icount", "shift=0", "--trace-file", str(path)],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    document = json.loads(path.read_text())
    check_format(document)
    return document


def baremetal(name: str) -> list[str]:
    return ["-M", "virt", "-m", "128M", "-bios", "none", "-kernel", str(bm.build(name, "virt")), "-nographic"]


def test_a_bare_metal_run_as_a_timeline(tmp_path):
    """priv.c runs code in M, S and U and takes traps in each: the hart's spans cover the run
    back to back, the traps are instants, the UART and the test device have bursts."""
    document = trace_run(tmp_path, baremetal("priv"))
    total = document["otherData"]["instructions"]
    harts = sorted(spans(document, 1), key=lambda e: e["ts"])
    assert harts[0]["ts"] == 0 and harts[0]["name"] == "M-mode"
    assert {e["name"] for e in harts} == {"M-mode", "S-mode", "U-mode"}
    for before, after in zip(harts, harts[1:]):
        assert before["ts"] + before["dur"] == pytest.approx(after["ts"]) and before["name"] != after["name"]
    assert harts[-1]["ts"] + harts[-1]["dur"] == pytest.approx(total / 1000)
    traps = [e for e in document["traceEvents"] if e["ph"] == "i" and e.get("cat") == "trap"]
    assert {"ecall from U-mode", "ecall from S-mode", "illegal instruction"} <= {e["name"] for e in traps}
    devices = {e["name"].split(":")[0] for e in spans(document, 3)}
    assert {"uart16550 0x10000000", "sifive_test 0x100000"} <= devices
    stages = [e["name"] for e in spans(document, 4)]
    assert stages[:2] == ["reset ROM", "kernel priv-virt-" + bm.build("priv", "virt").name.split("-", 2)[2]]


def test_the_same_run_writes_the_same_file(tmp_path):
    first = trace_run(tmp_path, baremetal("irq"), "one.json")
    second = trace_run(tmp_path, baremetal("irq"), "two.json")
    first["otherData"].pop("command")
    second["otherData"].pop("command")
    assert first == second


def test_a_path_that_cannot_be_written_is_one_line(tmp_path):
    result = subprocess.run(OURS + baremetal("hello") + ["--trace-file", str(tmp_path / "no" / "t.json")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.strip().startswith("downstairs run: error: --trace-file ")


def test_a_file_that_fails_at_the_end_is_one_line():
    """/dev/full opens, and the write at the end fails (as on a full disk): the guest's run
    is over, so one line and status 1, not a traceback."""
    result = subprocess.run(OURS + baremetal("hello") + ["--trace-file", "/dev/full"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert result.stderr.strip() == "downstairs: writing --trace-file failed: No space left on device"


def test_the_format_checker_finds_overlaps():
    bad = {"traceEvents": [{"name": "a", "ph": "X", "pid": 1, "tid": 1, "ts": 0, "dur": 5},
                           {"name": "b", "ph": "X", "pid": 1, "tid": 1, "ts": 3, "dur": 5}]}
    with pytest.raises(AssertionError, match="overlap"):
        check_format(bad)
    nested = {"traceEvents": [{"name": "a", "ph": "X", "pid": 1, "tid": 1, "ts": 0, "dur": 5},
                              {"name": "b", "ph": "X", "pid": 1, "tid": 1, "ts": 1, "dur": 2}]}
    check_format(nested)


def check_png(data: bytes) -> tuple[int, int]:
    """A PNG's signature, chunk CRCs and raster size; returns (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks, idat = 8, [], b""
    while at < len(data):
        length, = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        chunks.append(kind)
        idat += body if kind == b"IDAT" else b""
        at += 12 + length
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND"
    width, height = struct.unpack(">II", data[16:24])
    assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
    return width, height


def test_the_picture_of_a_timeline(tmp_path):
    document = trace_run(tmp_path, baremetal("priv"))
    picture = tracepng.draw(document, 800).png()
    assert check_png(picture) == (800, tracepng.draw(document, 800).height)


@pytest.mark.slow
def test_a_linux_boot_as_a_timeline(tmp_path):
    """OpenSBI and Linux to /init and power-off: SBI calls by name, the kernel's stages, the
    console's lines, and the picture docs/machine.md shows."""
    built = kernel.build("gc", show_progress=False)
    document = trace_run(tmp_path, boot.boot_command(built.image, qemu=[])[0:])
    sbi = {e["name"] for e in spans(document, 2)}
    assert {"BASE get_spec_version", "BASE probe_extension", "SRST system_reset"} <= sbi
    stages = [e["name"] for e in spans(document, 4)]
    assert stages[:3] == ["reset ROM", "firmware fw_dynamic.bin", "kernel Image"]
    console = [e["name"] for e in document["traceEvents"] if e["ph"] == "i" and e.get("cat") == "console"]
    assert "Run /init as init process" in " ".join(console)
    assert any(e["name"] == "U-mode" for e in spans(document, 1))
    check_png(tracepng.draw(document).png())
