"""The language's privileged features (docs/compiler-language.md, "Harts, traps and privilege"):
each program is compiled and run on QEMU and on our machine with the same command line, and,
where the program is one CPython can run, under CPython with the host model too.

- priv_trap.py (M-mode): trap_return into S-mode, ecall_regs into a @machine_trap handler,
  mprv_load8/mprv_store8 with a nested trap from M-mode, an illegal-instruction trap in the
  middle of a computation whose registers all survive. CPython output must be identical.
- priv_harts.py (-smp 4 and -smp 6): @entry's per-hart stacks, the boot lottery, secondary
  harts, hart_id()-indexed data, cas32 (LR/SC) contention, at(...) data and @at code.
- priv_supervisor.py (S-mode under Debian's OpenSBI): @supervisor_trap, a U-mode task entered
  with trap_return (sret), Sv39 paging with tables at fixed addresses, sfence_vma_page.
- priv_syscall.py (S-mode under OpenSBI, and CPython): @supervisor_syscall with the task's
  record, the system-call ABI keeping a task's values across its calls, a switch of tasks.
"""

import os
import sys

import pytest

from downstairs.compiler import runtime as rt
from downstairs.compiler.driver import Options, compile_file
from downstairs.compiler.elf import write_elf
from downstairs.compiler.errors import CompileError
from downstairs.compiler.run import QEMU, run_host, run_machine
from downstairs.compiler.runtime import host

HERE = os.path.dirname(__file__)
PROGRAMS = os.path.join(HERE, "programs")
EXAMPLES = os.path.join(HERE, "..", "..", "downstairs", "compiler", "examples")
OURS = [sys.executable, "-m", "downstairs", "run", *QEMU[1:]]
MACHINES = {"qemu": QEMU, "downstairs": OURS}
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"


def build(tmp_path, name, **options):
    image = compile_file(os.path.join(PROGRAMS, name + ".py"), Options(search_path=[EXAMPLES], **options))
    elf = tmp_path / (name + ".elf")
    elf.write_bytes(write_elf(image))
    return image, str(elf)


@pytest.mark.parametrize("machine", MACHINES)
def test_traps_and_privilege_run_the_same_on_cpython_and_machines(machine, tmp_path):
    _, elf = build(tmp_path, "priv_trap")
    ran = run_machine(elf, MACHINES[machine], timeout=120)
    hosted = run_host(os.path.join(PROGRAMS, "priv_trap.py"), search_path=[EXAMPLES])
    assert (ran.output, ran.status) == (hosted.output, hosted.status)
    assert hosted.status == 0
    text = hosted.output.decode()
    assert "csr set and clear: 3a\n" in text
    assert "S-mode: a0=7 a1=35\nsum 2800 a6*2 1400 a2 kept 300\n" in text
    assert "peek 4b4f faults 0\npeek at 8: faults 2\npoked 33\n" in text
    assert "registers kept across a trap: illegal instruction from S\n2549\n" in text


@pytest.mark.parametrize("smp", [4, 6])
@pytest.mark.parametrize("machine", MACHINES)
def test_every_hart_gets_a_stack_and_the_lottery_picks_one_boot_hart(machine, smp, tmp_path):
    _, elf = build(tmp_path, "priv_harts")
    ran = run_machine(elf, MACHINES[machine] + ["-smp", str(smp)], timeout=120)
    assert ran.status == 0, ran.output
    lines = ran.output.decode().splitlines()
    assert lines[0] == "harts 4 counter 1200"
    assert sorted(lines[1:5]) == [f"hart {h} own stack 1 adds 300" for h in range(4)]
    assert lines[5] == "mailbox at 80030000 magic 4d41494c seen 0f fixed function at 80020000 gives 42"


def test_fixed_addresses_and_stacks_in_the_layout(tmp_path):
    image, _ = build(tmp_path, "priv_harts")
    symbols = {name: addr for name, addr, size, kind, section in image.symbols}
    assert symbols["mailbox"] == 0x80030000 and symbols["fixed_function"] == 0x80020000
    assert symbols["__image_end"] - symbols["__stacks"] == 4 * 0x1000
    assert symbols["__cas32"] and "_start" in symbols


@pytest.mark.parametrize("machine", MACHINES)
def test_supervisor_traps_user_mode_and_paging_under_opensbi(machine, tmp_path):
    _, elf = build(tmp_path, "priv_supervisor", base=0x80200000)
    command = [c for c in MACHINES[machine] if c != "none"]
    command[command.index("-bios") + 1:command.index("-bios") + 1] = [OPENSBI]
    ran = run_machine(elf, command, timeout=120)
    text = ran.output.decode()
    assert ran.status == 0, text[-2000:]
    assert text[text.index("S-mode on hart 0"):] == (
        "S-mode on hart 0, sstatus.SPP 0\ntask says 0\ntask says 11\ntask says 22\n"
        "task done after 4 calls, sp kept: 1\n"
        "paging on, window shows 1111, then 2222, wrote through it: 3333\n")


def opensbi(machine):
    command = [c for c in MACHINES[machine] if c != "none"]
    command[command.index("-bios") + 1:command.index("-bios") + 1] = [OPENSBI]
    return command


@pytest.mark.parametrize("machine", MACHINES)
def test_system_calls_run_the_same_on_cpython_and_under_opensbi(machine, tmp_path):
    _, elf = build(tmp_path, "priv_syscall", base=0x80200000)
    ran = run_machine(elf, opensbi(machine), timeout=120)
    hosted = run_host(os.path.join(PROGRAMS, "priv_syscall.py"), search_path=[EXAMPLES])
    text = ran.output.decode()
    assert ran.status == 0 and hosted.status == 0, text[-2000:]
    assert text[text.index("kernel on hart 0"):] == hosted.output.decode() == (
        "kernel on hart 0\ntrap: cause 2 from U-mode 1\ntask 0: total 630, kept 156, calls 5\n"
        "trap: cause 2 from U-mode 1\ntask 1: total 690, kept 171, calls 5\n")


def test_the_system_call_entry_saves_what_the_abi_keeps(tmp_path):
    """An ecall from U-mode saves ra (first: it reads scause), gp, tp, s0..s11, a0..a7, not
    t0..t6; the handler never returns here, so nothing is kept for its return."""
    image, _ = build(tmp_path, "priv_syscall", base=0x80200000)
    entry = image.listing[image.listing.index(".L__supervisor_trap.below:"):]
    light = entry[:entry.index(".L__supervisor_trap.full:")]
    slots = {int(line.split(",")[1].split("(")[0]) // 8 for line in light.splitlines()
             if line.strip().startswith("sd ") and line.rstrip().endswith("(sp)")}
    assert slots == {1, 2, 3, 4, *range(8, 18), *range(18, 28), 32}          # and regs[2] = sp, then pc
    assert "call    system_call" in light and "addi    t0, t0, 4" in light


def test_calls_that_never_come_back_are_jumps(tmp_path):
    """trap_return, and a function whose every path ends in it, are jumped to: the function
    that only makes such calls keeps no return address."""
    path = tmp_path / "prog.py"
    path.write_text(HEADER + "f = TrapFrame()\n"
                    "@supervisor_trap\ndef trap(frame: TrapFrame) -> None:\n    leave(frame.regs[10])\n"
                    "def leave(a: u64) -> None:\n    f.regs[10] = a\n    trap_return(f)\n"
                    "@entry(harts=1)\ndef main() -> None:\n    leave(1)\n")
    listing = compile_file(str(path)).listing
    leave, trap = function_listing(listing, "leave"), function_listing(listing, "trap")
    assert "j       __trap_return" in leave and "sd      ra" not in leave
    assert "j       leave" in trap and "sd      ra" not in trap


def function_listing(listing: str, name: str) -> str:
    """One function's lines of an --emit asm listing."""
    start = listing.index(f"\n{name}:\n")
    end = listing.find("\n\n", start + 1)
    return listing[start:end if end > 0 else None]


def test_host_model_of_a_trap_from_supervisor_mode():
    """On CPython an ecall from S-mode is a call of the @machine_trap handler with a frame."""
    host.reset()
    seen = []

    def handler(frame):
        seen.append((frame.cause, (frame.status >> 11) & 3, frame.regs[17], frame.regs[10]))
        frame.regs[10] = 99

    before = host.TRAP_HANDLERS[host.PRV_M]
    host.TRAP_HANDLERS[host.PRV_M] = handler
    try:
        host.MACHINE.mode = host.PRV_S
        assert rt.ecall(5, 6, 7, 8) == 99
        regs = rt.array(rt.u64, 8)
        regs[7], regs[0] = 0x10, 1
        rt.ecall_regs(regs)
        assert regs[0] == 99
        assert rt.csr_read(0x300) == 0                 # an M-mode CSR from S: a trap, then 0
        assert seen == [(9, 1, 5, 6), (9, 1, 0x10, 1), (2, 1, 0, 0)]
    finally:
        host.TRAP_HANDLERS[host.PRV_M] = before
        host.reset()


def test_host_model_of_trap_return_calls_the_function_at_pc():
    host.reset()
    got = []

    def lower(a: rt.u64, b: rt.u64) -> None:
        got.append((host.MACHINE.mode, a, b))

    frame = rt.TrapFrame()
    frame.pc = rt.addr(lower)
    frame.status = 1 << 11
    frame.regs[10], frame.regs[11] = 4, 5
    with pytest.raises(host.HostLeft):
        rt.trap_return(frame)
    assert got == [(host.PRV_S, 4, 5)]
    host.reset()


HEADER = ("from downstairs.compiler.runtime import u64, u32, TrapFrame, machine_trap, supervisor_trap, "
          "supervisor_syscall, entry, trap_return, addr, array, record\n")
ERRORS = [
    ("@machine_trap\ndef t(x: u64) -> None:\n    pass\n", "takes one TrapFrame and returns None"),
    ("@machine_trap\ndef a(f: TrapFrame) -> None:\n    pass\n@machine_trap\ndef b(f: TrapFrame) -> None:\n    pass\n"
     "@entry(harts=1)\ndef main() -> None:\n    pass\n", "a second machine trap handler"),
    ("@entry(harts=2)\ndef main(a: u64) -> None:\n    pass\n@entry(harts=2)\ndef other() -> None:\n    pass\n",
     "a second @entry function"),
    ("@entry(2)\ndef main() -> None:\n    pass\n", "keyword arguments only"),
    ("@entry(harts=2, stack=100)\ndef main() -> None:\n    pass\n", "a multiple of 16"),
    ("@entry(harts=2)\ndef main(a: u32) -> None:\n    pass\n", "up to three u64"),
    ("@entry(harts=2, secondary=nothing)\ndef main() -> None:\n    pass\n", "secondary='nothing'"),
    ("f = TrapFrame()\n@entry(harts=1)\ndef main() -> None:\n    trap_return(f)\n",
     "needs the program's one trap handler"),
    ("@entry(harts=1)\ndef main() -> None:\n    x: u64 = 1\n    y = addr(x)\n", "only records, arrays, functions and bytes"),
    ("@supervisor_syscall\ndef s(x: u64) -> None:\n    pass\n", "one record whose first field is a TrapFrame"),
    ("@record\nclass T:\n    n: u64\n    frame: TrapFrame\n@supervisor_syscall\ndef s(t: T) -> None:\n    pass\n",
     "one record whose first field is a TrapFrame"),
    ("@supervisor_syscall\ndef s(f: TrapFrame) -> None:\n    pass\n@entry(harts=1)\ndef main() -> None:\n    pass\n",
     "needs a @supervisor_trap handler"),
    ("@record\nclass T:\n    frame: TrapFrame\nf = TrapFrame()\n@supervisor_syscall\ndef s(t: T) -> None:\n"
     "    trap_return(f)\n", "must leave for the 'frame' of a T"),
]


@pytest.mark.parametrize("body,message", ERRORS)
def test_misused_privileged_features_are_compile_errors(tmp_path, body, message):
    path = tmp_path / "prog.py"
    path.write_text(HEADER + body)
    with pytest.raises(CompileError) as error:
        compile_file(str(path))
    assert message in str(error.value)


def test_ecall_regs_takes_words_just_stored_from_their_registers():
    """regalloc.stored_words: the words of the array stored since the block began, from
    registers not written since; a narrower store into a word, or a store through another
    register (it might be the same memory), leaves words to be loaded."""
    from downstairs.compiler.regalloc import stored_words
    from downstairs.compiler.select import MI

    code = [MI("li", "t0", 1), MI("sd", "a3", "s0", 0), MI("sd", "t0", "s0", 8), MI("sd", "a1", "s0", 16),
            MI("sw", "a2", "s0", 20), MI("sd", "a4", "s0", 24), MI("mv", "a4", "a5"), MI("sd", "zero", "s0", 56)]
    assert stored_words(code, "s0") == {0: "a3", 1: "t0", 7: "zero"}     # word 2 half-overwritten, a4 changed
    assert stored_words(code + [MI("sd", "a0", "t1", 0)], "s0") == {}      # t1 may point into the array
    assert stored_words([MI("sd", "a0", "s0", 0), MI("label", ".L1")], "s0") == {}
    assert stored_words([MI("sd", "a0", "s0", 0), MI("sd", "a1", "s0", 0)], "s0") == {0: "a1"}
