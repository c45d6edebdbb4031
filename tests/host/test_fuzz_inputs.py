"""What a user hands the host side, fuzzed: whatever it is, the answer is a value or one
UsageError, never another exception (the CLI turns a UsageError into one line, exit 2).

Mutated ELF files for the loader, random JSON for `vm --config`, random size strings, random
HTIF requests from a spike guest (hypothesis, derandomized so a failure repeats)."""

import json
import struct

from hypothesis import given, settings, strategies as st

from downstairs.devices.htif import Htif
from downstairs.errors import UsageError
from downstairs.host import parse_size
from downstairs.hypervisor.command import config_from_json
from downstairs.machine.loader import load_image
from downstairs.machine.machine import Machine
from tests.machine.harness import load_engine

FW_ELF = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.elf"
ORIGINAL = open(FW_ELF, "rb").read()[:65536]          # headers, tables and some code suffice

mutation = st.lists(st.tuples(st.integers(0, len(ORIGINAL) - 1), st.integers(0, 255)),
                    min_size=1, max_size=12)
header_mutation = st.lists(st.tuples(st.integers(0, 127), st.integers(0, 255)), min_size=1, max_size=6)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(flips=st.one_of(mutation, header_mutation), cut=st.integers(16, len(ORIGINAL)))
def test_mutated_elf_files_are_one_line_errors(tmp_path_factory, flips, cut):
    data = bytearray(ORIGINAL)
    for at, value in flips:
        data[at] = value
    path = tmp_path_factory.mktemp("elf") / "fw.elf"
    path.write_bytes(bytes(data[:cut]))
    try:
        image = load_image(str(path), 0x80000000, 1 << 30)
    except UsageError as error:
        assert "\n" not in str(error)
    else:
        assert image.segments


json_value = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(1 << 70), 1 << 70), st.floats(allow_nan=False),
              st.text(max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)
keys = st.sampled_from(["kernel_image_path", "initrd_path", "boot_args", "path_on_host", "is_read_only",
                        "vcpu_count", "mem_size_mib", "drive_id"])
config = st.fixed_dictionaries({}, optional={
    "boot-source": st.one_of(json_value, st.dictionaries(keys, json_value, max_size=4)),
    "machine-config": st.one_of(json_value, st.dictionaries(keys, json_value, max_size=3)),
    "drives": st.one_of(json_value, st.lists(st.dictionaries(keys, json_value, max_size=3), max_size=3)),
})


@settings(max_examples=400, deadline=None, derandomize=True)
@given(data=st.one_of(config, json_value))
def test_any_json_config_is_a_config_or_one_line(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("cfg") / "vm.json"
    path.write_text(json.dumps(data))
    try:
        result = config_from_json(str(path))
    except UsageError as error:
        assert "\n" not in str(error)
    else:
        assert isinstance(result.kernel, str) and isinstance(result.mem, int) and result.mem >= 0
        assert all(isinstance(d.path, str) and isinstance(d.read_only, bool) for d in result.drives)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(text=st.text(max_size=12))
def test_any_size_string_is_a_size_or_one_line(text):
    try:
        assert parse_size(text) >= 0
    except UsageError as error:
        assert "\n" not in str(error)


RAM = 0x80000000


@settings(max_examples=200, deadline=None, derandomize=True)
@given(requests=st.lists(st.tuples(st.integers(0, 7), st.sampled_from([1, 2, 4, 8]), st.integers(0, (1 << 64) - 1),
                                   st.lists(st.integers(0, (1 << 64) - 1), min_size=4, max_size=4)),
                         min_size=1, max_size=8))
def test_random_htif_requests_never_crash_or_flood(requests):
    """A guest writing anything to tohost (any offset and width), with any system-call block
    in RAM: HTIF answers or ignores it; output stays within what RAM could hold."""
    machine = Machine(load_engine("compiled"), RAM, 1 << 20)
    out = []
    htif = Htif(RAM + 0x100, RAM + 0x108, out.append, machine.power_off, machine.read_memory,
                machine.write_memory)
    for offset, size, value, block in requests:
        machine.write_memory(RAM + 0x1000, struct.pack("<4Q", *block))
        if offset + size > 8:
            size = 8 - offset
        htif.write(RAM + 0x100 + offset, size, value)
        htif.write(RAM + 0x100, 8, RAM + 0x1000)          # a system call on that block
        assert htif.tohost < 1 << 64 and htif.fromhost < 1 << 64
    assert sum(len(chunk) for chunk in out) <= len(requests) * (1 << 20)
