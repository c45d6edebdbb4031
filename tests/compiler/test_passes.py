"""The code the compiler writes for the patterns firmware is made of (docs/compiler.md,
sections 2-4): small leaves inlined (inline.py), jumps cleaned up (jumps.py), no bounds check
where `range(len(s))` already bounds the index, a load or call result written straight into its
variable, constants made again rather than spilled when registers run out, `load(p - C)` with
the offset in the instruction. And the storage
features the firmware uses: addr() of a bytes constant and noinit() globals, run on both
machines and under CPython.

The listings are checked for what must (not) be there; every program also runs, so a wrong
transformation shows as a wrong result, not just as a different listing."""

import os
import sys

import pytest

from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.elf import write_elf
from downstairs.compiler.jumps import tidy
from downstairs.compiler.run import QEMU, TRAP_STATUS, run_host, run_machine
from downstairs.compiler.select import MI

HERE = os.path.dirname(__file__)
EXAMPLES = os.path.join(HERE, "..", "..", "downstairs", "compiler", "examples")
MACHINES = {"qemu": QEMU, "downstairs": [sys.executable, "-m", "downstairs", "run", *QEMU[1:]]}
HEAD = "from downstairs.compiler.runtime import u32, u64, load32\n" \
       "from uart import put_u64, newline\nfrom virt import exit\nfrom virt import trap_handler  # noqa\n\n"


def listing_of(tmp_path, body: str, name: str) -> list[str]:
    """The instructions (no comments) of function `name` in the program HEAD + body."""
    path = tmp_path / "prog.py"
    path.write_text(HEAD + body)
    text = compile_file(str(path), Options(search_path=[EXAMPLES])).listing
    block = text[text.index(f"\n{name}:\n") + len(name) + 3:]
    block = block[:block.index("\n\n")] if "\n\n" in block else block
    return [line.strip() for line in block.splitlines() if not line.strip().startswith("#")]


def runs_the_same(tmp_path, body: str, machine="qemu"):
    """The program's output, the same compiled and under CPython; it must end with status 0."""
    output, status = both(tmp_path, body, machine)
    assert status == 0
    return output


def runs_the_same_or_traps(tmp_path, body: str):
    """The output before the program's trap (status 0x83, as IndexError), the same both ways."""
    output, status = both(tmp_path, body, "qemu")
    assert status == TRAP_STATUS
    return output


def both(tmp_path, body, machine):
    path = tmp_path / "prog.py"
    path.write_text(HEAD + body)
    elf = tmp_path / "prog.elf"
    elf.write_bytes(write_elf(compile_file(str(path), Options(search_path=[EXAMPLES]))))
    ran = run_machine(str(elf), MACHINES[machine], timeout=120)
    hosted = run_host(str(path), search_path=[EXAMPLES])
    assert (ran.output, ran.status) == (hosted.output, hosted.status)
    return hosted.output.decode(), hosted.status


LEAVES = """
def low(x: u64) -> u64:
    return x & 255


def swap(v: u32) -> u32:
    return (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24)


def once(x: u64) -> u64:
    return u64(swap(u32(x))) + 1


def main() -> None:
    t: u64 = 0
    for i in range(300):
        t += low(u64(i)) + u64(swap(u32(i)))
    put_u64(t)
    newline()
    put_u64(once(t))
    newline()
    exit(0)
"""


def test_small_leaves_are_inlined_where_it_pays(tmp_path):
    main = listing_of(tmp_path, LEAVES, "main")
    assert not any(line.startswith("call") and ("low" in line or "swap" in line) for line in main)
    assert any(line == "call    once" for line in main)          # not in a loop, not the only call
    assert not any(line.startswith("call") for line in listing_of(tmp_path, LEAVES, "once"))   # its only call
    assert listing_of(tmp_path, LEAVES, "swap")                   # the function itself stays
    assert runs_the_same(tmp_path, LEAVES) == "563482493746\n847457331\n"


def test_jumps_are_threaded_flipped_and_dropped():
    code = [MI("beq", "a0", "zero", ".L1"), MI("j", ".L2"), MI("label", ".L1"), MI("addi", "a0", "a0", 1),
            MI("label", ".L2"), MI("label", ".L3"), MI("j", ".L4"), MI("addi", "a0", "a0", 2),
            MI("label", ".L4"), MI("ret")]
    out = [(mi.op, *mi.args) for mi in tidy(code) if mi.op != "label"]
    # beq over `j .L2` is a bne to .L2, whose `j .L4` is followed straight away; the addi after
    # that j is unreachable; `j .L4` itself then falls through to .L4
    assert out == [("bne", "a0", "zero", ".L4"), ("addi", "a0", "a0", 1), ("ret",)]
    loop = [MI("label", ".L1"), MI("bne", "a0", "zero", ".L2"), MI("ret"), MI("label", ".L2"), MI("j", ".L1")]
    assert [(mi.op, *mi.args) for mi in tidy(loop) if mi.op != "label"] == \
        [("bne", "a0", "zero", ".L1"), ("ret",)]


def test_corpus_listings_have_no_jump_to_a_jump_or_to_the_next_instruction():
    image = compile_file(os.path.join(EXAMPLES, "..", "..", "firmware", "boot.py"))
    lines = [line.strip() for line in image.listing.splitlines() if line.strip() and not line.strip().startswith("#")]
    first_after = {}
    for k, line in enumerate(lines):
        if line.endswith(":"):
            first_after[line[:-1]] = next((x for x in lines[k + 1:] if not x.endswith(":")), "")
    for k, line in enumerate(lines):
        op, _, rest = line.partition(" ")
        if op in ("j", "beq", "bne", "blt", "bge", "bltu", "bgeu") and rest.split(", ")[-1].startswith(".L"):
            target = rest.split(", ")[-1]
            assert not first_after.get(target, "").startswith("j "), line
            if op == "j":
                nxt = next(x for x in lines[k + 1:] if not x.endswith(":") or x[:-1] == target)
                assert nxt != target + ":", line


BYTES_LOOP = """
def total(s: bytes) -> u64:
    t: u64 = 0
    for i in range(len(s)):
        t += u64(s[i])
    return t


def pairs(s: bytes) -> u64:
    t: u64 = 0
    for i in range(len(s)):
        t += u64(s[i]) * u64(s[i + 1])
    return t


def main() -> None:
    put_u64(total(b"hello") + len(b"abc"))
    newline()
    put_u64(pairs(b"hello"))
    newline()
    exit(0)
"""


def test_range_len_needs_no_bounds_check_of_the_counter(tmp_path):
    total = listing_of(tmp_path, BYTES_LOOP, "total")
    assert sum(line.startswith("ld ") for line in total) == 1    # the length, once, before the loop
    assert "ebreak" not in total
    assert "ebreak" in listing_of(tmp_path, BYTES_LOOP, "pairs")   # s[i + 1] may be past the end
    assert "addi    a0, a0, 3" in listing_of(tmp_path, BYTES_LOOP, "main")     # + len(b"abc")
    assert runs_the_same_or_traps(tmp_path, BYTES_LOOP) == "535\n"


TOKENS = """
from downstairs.compiler.runtime import array, addr

table = array(u32, 8)


def count(p: u64) -> u64:
    n: u64 = 0
    token = load32(p)
    while token != 0:
        n += u64(token)
        p += 4
        token = load32(p)
    return n


def main() -> None:
    for k in range(7):
        table[k] = u32(k + 1)
    put_u64(count(addr(table)))
    newline()
    exit(0)
"""


def test_a_loaded_value_goes_straight_into_its_variable(tmp_path):
    code = listing_of(tmp_path, TOKENS, "count")
    top = next(k for k, line in enumerate(code) if line.endswith(":"))
    back = max(k for k, line in enumerate(code) if line.endswith(", " + code[top][:-1]))
    loop = code[top:back]
    assert not any(line.startswith("mv ") for line in loop), code        # no lw t; mv token, t
    assert runs_the_same(tmp_path, TOKENS) == "28\n"


@pytest.mark.parametrize("machine", MACHINES)
def test_addr_of_bytes_and_noinit_storage(machine, tmp_path):
    path = os.path.join(HERE, "programs", "storage.py")
    image = compile_file(path, Options(search_path=[EXAMPLES]))
    at = {name: address for name, address, *_ in image.symbols}
    assert at["__bss_end"] <= at["scratch"] < at["__stacks"]     # after .bss: not zeroed
    assert at["__bss_start"] <= at["counted"] < at["__bss_end"]
    elf = tmp_path / "storage.elf"
    elf.write_bytes(write_elf(image))
    ran = run_machine(str(elf), MACHINES[machine], timeout=120)
    hosted = run_host(path, search_path=[EXAMPLES])
    assert (ran.output, ran.status) == (hosted.output, hosted.status)
    assert hosted.output == b"2016\n16 bytes copied, 16 the same\n10\n"


CASES = "".join(f"""        elif w == {k << 24:#x}:
            t += {k * 0x11111:#x}
""" for k in range(4, 14))
PRESSURE = """
from downstairs.compiler.runtime import load8, array, addr

data = array(u32, 64)


def walk(p: u64, n: u64) -> u64:
    t: u64 = 0
    k: u64 = 0
    while k < n:
        w = load32(p)
        if w == 0x3000000:                    # many constants, one hot loop: the loop's
            t += u64(load8(p + 3))            # variables stay in registers, constants are
        elif w == 0x1000000:                  # made again where used
            t += 0x11111
        elif w == 0x2000000:
            t ^= 0x22222
""" + CASES + """        elif w == 0xE000000:
            t += u64(load8(p - 1))
        p += 4
        k += 1
        t = summary(t, k)
    return t


def summary(t: u64, k: u64) -> u64:
    if k > 1000:
        put_u64(k)
    return t


def main() -> None:
    for i in range(64):
        data[i] = u32(i % 15) << 24 | u32(i)
    put_u64(walk(addr(data) + 4, 60))
    newline()
    exit(0)
"""


def test_spilled_constants_are_made_again_and_loop_variables_stay(tmp_path):
    code = listing_of(tmp_path, PRESSURE, "walk")
    saves = [line for line in code if line.startswith("sd ") and line.endswith("(sp)")]
    loads = [line for line in code if line.startswith("ld ") and line.endswith("(sp)")]
    assert len(loads) == len(saves) and code[1:1 + len(saves)] == saves    # the prologue's, no spill
    assert any(line.startswith("lbu") and ", -1(" in line for line in code)  # load8(p - 1): lbu -1(p)
    assert runs_the_same(tmp_path, PRESSURE).strip().isdigit()


TAILS = """
from downstairs.compiler.runtime import array, Array


def step(x: u64) -> None:
    put_u64(x)
    put_u64(x + 1)


def total(a: Array[u64, 4]) -> u64:
    return a[0] + a[1] + a[2] + a[3]


def local() -> u64:
    a = array(u64, 4)
    for k in range(4):
        a[k] = u64(k) * 10
    put_u64(a[3])
    return total(a)


def main() -> None:
    step(20)
    newline()
    put_u64(local())
    newline()
    exit(0)
"""


def test_a_returned_call_is_a_tail_call_unless_the_stack_must_outlive_it(tmp_path):
    step = listing_of(tmp_path, TAILS, "step")
    assert step[-1] == "tail    put_u64" and "ret" not in step     # put_u64 returns to step's caller
    local = listing_of(tmp_path, TAILS, "local")
    assert "call    total" in local and local[-1] == "ret"          # a[] lives in local's frame
    assert runs_the_same(tmp_path, TAILS) == "2021\n3060\n"
