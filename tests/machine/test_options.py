"""QEMU's command-line syntax (machine/options.py), as `downstairs run` reads it: the rules of
QEMU's option loop, checked on run's own table and against qemu-system-riscv64 itself."""

import re
import subprocess
import sys

import pytest

from downstairs.errors import UsageError
from downstairs.machine import options
from downstairs.machine.command import OPTIONS


def parse(*words: str) -> dict:
    return options.parse(OPTIONS, list(words))


def test_defaults_when_nothing_is_given():
    values = parse()
    assert values["machine"] == "virt" and values["memory"] == "128M" and values["bios"] is None
    assert values["drive"] == [] and values["nographic"] is False and values["engine"] == "auto"


def test_one_dash_or_two_name_the_same_option():
    assert parse("-kernel", "a.elf")["kernel"] == parse("--kernel", "a.elf")["kernel"] == "a.elf"
    assert parse("-trace-stages")["trace_stages"] and parse("--nographic")["nographic"]
    assert parse("-machine", "spike")["machine"] == parse("-M", "spike")["machine"] == "spike"


def test_the_value_is_the_next_word_even_when_it_starts_with_a_dash():
    assert parse("-append", "-v quiet")["append"] == "-v quiet"


def test_name_equals_value_for_options_with_a_value():
    assert parse("--engine=reference")["engine"] == "reference"
    assert parse("-append=console=ttyS0")["append"] == "console=ttyS0"
    with pytest.raises(UsageError, match="-nographic=yes: invalid option"):
        parse("-nographic=yes")


def test_the_last_value_wins_and_lists_keep_every_value():
    assert parse("-m", "64M", "-m", "256M")["memory"] == "256M"
    values = parse("-device", "virtio-rng-device", "-drive", "file=a", "-drive", "file=b")
    assert values["drive"] == ["file=a", "file=b"] and values["device"] == ["virtio-rng-device"]
    assert parse()["drive"] == [] and parse()["drive"] is not parse()["drive"]   # fresh lists


@pytest.mark.parametrize("words,message", [
    (["-nogr"], "-nogr: invalid option"),                   # a prefix is not the name
    (["-S", "-s", "-sm"], "-sm: invalid option"),
    (["--"], "--: invalid option"),
    (["-kernel"], "-kernel: requires an argument"),
    (["guest.img"], "guest.img: not an option"),
    (["-snapshot"], "-snapshot: not on this machine (disks are written in place"),
    (["-mem-path=/dev/hugepages"], "-mem-path: not on this machine"),
    (["--engine", "fast"], "--engine fast: invalid choice (choose from auto, compiled, reference)"),
])
def test_bad_words(words, message):
    with pytest.raises(UsageError) as error:
        parse(*words)
    assert str(error.value).startswith(message)


def test_help_lists_every_option_but_the_refused_ones():
    text = options.format_help(OPTIONS, "downstairs run", "Boot it.")
    assert text.startswith("usage: downstairs run [options]\n")
    for option in OPTIONS:
        for name in option.names:
            named = re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None
            assert named == (option.kind != options.REFUSED), name
    assert parse("-m", "1G", "-h") is None and parse("--help") is None and parse("-help") is None


def test_help_is_asked_for_where_an_option_may_stand():
    """As in QEMU's loop: a help word that is another option's value is that value, and
    the words before it are read first (a bad one is the error)."""
    assert parse("-append", "-h")["append"] == "-h"
    with pytest.raises(UsageError, match="-frobnicate: invalid option"):
        parse("-frobnicate", "--help")


def test_the_single_dash_options_are_qemus():
    """Every single-dash name in run's table, refused ones included, is an option of
    qemu-system-riscv64: QEMU reads its options in order and prints "invalid option" for
    a name it lacks, or its version at the -version after a name it knows."""
    for option in OPTIONS:
        for name in option.names:
            if name.startswith("--"):
                continue                        # ours: --engine, --stats, --trace-*, --explain
            value = [] if option.kind in (options.FLAG, options.REFUSED) and name != "-mem-path" else ["x"]
            proc = subprocess.run(["qemu-system-riscv64", name, *value, "-version"], capture_output=True,
                                  text=True, timeout=30, stdin=subprocess.DEVNULL)
            assert "invalid option" not in proc.stderr, (name, proc.stderr)
    proc = subprocess.run(["qemu-system-riscv64", "-nogr", "-version"], capture_output=True, text=True,
                          timeout=30, stdin=subprocess.DEVNULL)
    assert "-nogr: invalid option" in proc.stderr            # QEMU takes no abbreviation either


def test_run_reads_the_syntax_without_argparse():
    """A boot's start-up never imports argparse (test_startup.py checks every module)."""
    probe = ("import sys\nfrom downstairs import cli\n"
             "status = cli.main(['run', '-bios', 'none', '-kernel', '/nonexistent'])\n"
             "print('argparse' in sys.modules, status)\n")
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert proc.stdout.split() == ["False", "2"], proc


@pytest.mark.parametrize("text, harts", [
    ("4", 4), ("cpus=2", 2), ("2,sockets=2", 2), ("sockets=2,cores=2", 4),
    ("cpus=4,sockets=1,cores=2,threads=2", 4), ("maxcpus=3", 3), ("2,maxcpus=2", 2),
])
def test_smp_reads_qemus_topology(text, harts):
    """-smp as QEMU reads it: a count, or a topology that multiplies out to it."""
    from downstairs.machine.command import parse_smp
    assert parse_smp(text) == harts
