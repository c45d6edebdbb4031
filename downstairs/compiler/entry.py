"""The compiler's own assembly: the code every hart runs first, the trap entries, and the small
routines some intrinsics call. These are the only hand-written instruction sequences in a
program; everything else is compiled (docs/compiler-language.md, "Harts, traps and privilege").

Each routine is a list of lines, `("label", NAME)` or `(op, *operands)` in the assembler's
syntax (asm.py), which the driver assembles and lists like compiled code.

Memory the entry code uses, after the program's .bss (driver.py lays it out):

    __stacks                          hart 0's stack          (stack bytes, grows down)
    __stacks + stack                  hart 1's stack
    ...
    __stacks + harts * stack          = __image_end

A trap entry (privileged spec 3.1.6/4.1.1 for the scratch, epc, cause, tval and status CSRs).
The scratch CSR holds the TrapFrame of the code running below (a per-hart frame in firmware,
the running task's in a kernel) while that code runs, and 0 while the handler runs:

    csrrw sp, xscratch, sp        sp = the frame, xscratch = the interrupted sp
    bnez  sp, below               0: the trap came from this mode (a handler was running)
      same mode: the frame goes on the current stack, the handler runs below it
    below: [with a system-call handler: an ecall from U-mode goes to syscall_entry]
      save x1, x3..x31 in frame.regs, the old sp in regs[2], xscratch = 0,
      tp = frame.hart, sp = frame.stack (this hart's stack top; with one hart, the one)
    both: regs[0] = 0, pc/status/cause/tval from the CSRs; call the handler(frame);
      then (NAME.resume, from below: xscratch = the frame again) NAME.restore: xepc =
      frame.pc, xstatus = frame.status, every register from the frame (base a0, last), xret.
      The restore sequence is trap_return's routine's when the program has one.

TrapFrame layout (runtime.TrapFrame, 8-byte fields): regs[0..31] at 0..255, then pc, status,
cause, tval, hart, stack.
"""

from downstairs.compiler.symbols import TRAP_FRAME

FRAME_SIZE = (TRAP_FRAME.size + 15) // 16 * 16
PC, STATUS, CAUSE, TVAL, HART, STACK = (TRAP_FRAME.fields[f][1] for f in
                                        ("pc", "status", "cause", "tval", "hart", "stack"))
REG_NAMES = ["zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3",
             "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
             "t3", "t4", "t5", "t6"]
# the CSRs of each mode's traps: scratch, epc, cause, tval, status, vector base, and its return
CSRS = {"m": {"scratch": 0x340, "epc": 0x341, "cause": 0x342, "tval": 0x343, "status": 0x300,
              "tvec": 0x305, "ret": "mret"},
        "s": {"scratch": 0x140, "epc": 0x141, "cause": 0x142, "tval": 0x143, "status": 0x100,
              "tvec": 0x105, "ret": "sret"}}
MSTATUS = 0x300
MPRV, MXR = 1 << 17, 1 << 19
ENTRY_NAMES = {"m": "__machine_trap", "s": "__supervisor_trap"}


class Boot:
    """What the entry code needs to know: how many harts get a stack, how big each is, the
    function the first hart calls, the one the others call (or None: they park), the trap
    entries to install, and an old-style plain trap function for mtvec (or None)."""

    def __init__(self, harts: int, stack: int, main: str, secondary: str | None,
                 traps: list[str], plain_trap: str | None):
        self.harts, self.stack, self.main, self.secondary = harts, stack, main, secondary
        self.traps, self.plain_trap = traps, plain_trap
        self.reads_tp = True            # whether compiled code reads tp (hart_id()): the driver knows


def start_code(boot: Boot) -> list[tuple]:
    """_start, where every hart begins with a0 = its hart id (a1, a2: what the previous stage
    passes, kept for main): tp = the hart index, sp = its own stack; a hart beyond the table
    parks. The trap vectors are set. The first hart to swap __boot_claim wins: it zeroes .bss,
    sets __boot_ready and calls main(a0, a1, a2); the others wait for __boot_ready and call the
    secondary function (or park)."""
    lines = [("label", "_start"), ("mv", "tp", "a0"), ("li", "t0", boot.harts),
             ("bgeu", "a0", "t0", "__park"), ("la", "sp", "__stacks"), ("addi", "t0", "a0", 1),
             ("li", "t1", boot.stack), ("mul", "t0", "t0", "t1"), ("add", "sp", "sp", "t0")]
    for mode in boot.traps:
        csr = CSRS[mode]
        lines += [("csrw", csr["scratch"], "zero"), ("la", "t0", ENTRY_NAMES[mode]),
                  ("csrw", csr["tvec"], "t0")]
    if boot.plain_trap:
        lines += [("la", "t0", boot.plain_trap), ("csrw", CSRS["m"]["tvec"], "t0")]
    if boot.harts > 1:
        lines += [("la", "t0", "__boot_claim"), ("li", "t1", 1), ("amoswap.w", "t1", "t0", "t1"),
                  ("bne", "t1", "zero", ".Lstart.others")]
    lines += [("la", "t0", "__bss_start"), ("la", "t1", "__bss_end"), ("label", ".Lstart.zero"),
              ("bgeu", "t0", "t1", ".Lstart.zeroed")]               # 64 bytes a turn (driver aligns)
    lines += [("sd", "zero", "t0", 8 * k) for k in range(8)]
    lines += [("addi", "t0", "t0", 64), ("j", ".Lstart.zero"), ("label", ".Lstart.zeroed")]
    if boot.harts > 1:
        lines += [("fence",), ("la", "t0", "__boot_ready"), ("li", "t1", 1), ("sw", "t1", "t0", 0)]
    lines += [("call", boot.main), ("j", "__park")]
    if boot.harts > 1:
        lines += [("label", ".Lstart.others"), ("la", "t0", "__boot_ready"), ("label", ".Lstart.wait"),
                  ("lw", "t1", "t0", 0), ("beq", "t1", "zero", ".Lstart.wait"), ("fence",)]
        lines += [("call", boot.secondary)] if boot.secondary else []
    lines += [("label", "__park"), ("label", "__halt"), ("wfi",), ("j", "__park")]
    return lines


def save_registers(base: str, skip=()) -> list[tuple]:
    return [("sd", REG_NAMES[i], base, 8 * i) for i in range(1, 32) if i != 2 and REG_NAMES[i] not in skip]


def hart_and_stack(boot: Boot | None, frame: str) -> list[tuple]:
    """tp = this hart's index, sp = the top of its stack, for a trap from below: from the frame
    (trap_return recorded them), or, with one hart, the one there is (and tp only if compiled
    code reads it: else it keeps the trapped code's, which the restore puts back anyway)."""
    if boot is not None and boot.harts == 1:
        return ([("li", "tp", 0)] if boot.reads_tp else []) + [("la", "sp", "__stack_top")]
    return [("ld", "tp", frame, HART), ("ld", "sp", frame, STACK)]


def trap_entry(mode: str, handler: str, boot: Boot | None, syscall: str | None = None,
               restore: bool = True, syscall_returns: bool = True) -> list[tuple]:
    """The entry xtvec points at for traps into `mode` ("m" or "s"), calling `handler`
    (the @machine_trap or @supervisor_trap function) with the frame; see the module docstring.
    With `syscall` (a @supervisor_syscall function), an ecall from U-mode goes to it through
    the lighter system-call entry (syscall_entry; `syscall_returns`: whether it may return).
    The restore sequence follows when `restore`, else it is trap_return's routine's."""
    csr, name = CSRS[mode], ENTRY_NAMES[mode]
    below, full = f".L{name}.below", f".L{name}.full"
    lines = [("label", name), ("csrrw", "sp", csr["scratch"], "sp"), ("bne", "sp", "zero", below),
             # the same mode: a frame on the current stack; the handler returns to the code that trapped
             ("csrrw", "sp", csr["scratch"], "sp"), ("addi", "sp", "sp", -FRAME_SIZE)]
    lines += save_registers("sp")
    lines += [("addi", "t0", "sp", FRAME_SIZE), ("sd", "t0", "sp", 8 * 2), ("mv", "s0", "sp")]
    lines += frame_csrs(csr) + [("mv", "a0", "s0"), ("call", handler), ("mv", "a0", "s0"),
                                ("j", f"{name}.restore"),
                                # from below: the frame xscratch named; the handler runs on this hart's stack
                                ("label", below)]
    if syscall:
        # ra is saved on both paths: it is the scratch register that reads scause
        lines += [("sd", "ra", "sp", 8 * 1), ("csrr", "ra", csr["cause"]), ("addi", "ra", "ra", -ECALL_FROM_U),
                  ("bne", "ra", "zero", full)] + syscall_entry(csr, syscall, boot, syscall_returns) + [("label", full)]
    lines += save_registers("sp", ("ra",) if syscall else ())
    lines += [("csrrw", "t0", csr["scratch"], "zero"), ("sd", "t0", "sp", 8 * 2), ("mv", "s0", "sp")]
    lines += hart_and_stack(boot, "s0")
    lines += frame_csrs(csr) + [("mv", "a0", "s0"), ("call", handler), ("mv", "a0", "s0"),
                                ("j", f"{name}.resume")]
    return lines + (restore_code(mode) if restore else [])


ECALL_FROM_U = 8


# What an ecall from U-mode keeps under the system-call ABI: everything a psABI call keeps
# (sp, gp, tp, s0..s11) and ra; a0..a7 carry the call both ways; t0..t6 are not kept.
SYSCALL_SAVES = ["ra", "gp", "tp", "s0", "s1", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7",
                 "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11"]


def syscall_entry(csr: dict, handler: str, boot: Boot | None, returns: bool) -> list[tuple]:
    """An ecall from U-mode into a program with a system-call handler (sp = the frame, ra
    already saved): the registers the system-call ABI keeps or passes are saved, with pc =
    the instruction after the ecall; the frame's t0..t6 keep what they held (the task's own,
    from an earlier trap) and come back so. cause, status and tval are not written. The
    handler gets the frame (the start of the record it takes); if it returns, the task resumes
    (a handler that never returns, by the compiler's analysis, needs nothing kept for that)."""
    lines = [("sd", r, "sp", 8 * REG_NAMES.index(r)) for r in SYSCALL_SAVES if r != "ra"]
    lines += [("csrrw", "t0", csr["scratch"], "zero"), ("sd", "t0", "sp", 8 * 2),
              ("csrr", "t0", csr["epc"]), ("addi", "t0", "t0", 4), ("sd", "t0", "sp", PC),
              ("mv", "s0" if returns else "a0", "sp")]
    lines += hart_and_stack(boot, "s0" if returns else "a0")
    if not returns:
        return lines + [("call", handler)]
    return lines + [("mv", "a0", "s0"), ("call", handler), ("mv", "a0", "s0"),
                    ("j", f"{ENTRY_NAMES['s']}.resume")]


def frame_csrs(csr: dict) -> list[tuple]:
    """regs[0] = 0 and pc, status, cause, tval from the CSRs into the frame in s0."""
    lines = [("sd", "zero", "s0", 0)]
    for field, offset in (("epc", PC), ("status", STATUS), ("cause", CAUSE), ("tval", TVAL)):
        lines += [("csrr", "t0", csr[field]), ("sd", "t0", "s0", offset)]
    return lines


def restore_code(mode: str) -> list[tuple]:
    """NAME.resume: from the frame in a0, of the mode below: xscratch = the frame again, then
    NAME.restore: xepc, xstatus, every register from the frame (a0 last), xret."""
    csr, name = CSRS[mode], ENTRY_NAMES[mode]
    lines = [("label", f"{name}.resume"), ("csrw", csr["scratch"], "a0"),
             ("label", f"{name}.restore"), ("ld", "t0", "a0", PC), ("csrw", csr["epc"], "t0"),
             ("ld", "t0", "a0", STATUS), ("csrw", csr["status"], "t0")]
    lines += [("ld", REG_NAMES[i], "a0", 8 * i) for i in range(1, 32) if i != 10]
    return lines + [("ld", "a0", "a0", 8 * 10), (csr["ret"],)]


def trap_return(mode: str, boot: Boot | None, stack: int) -> list[tuple]:
    """trap_return(frame) (a0 = the frame): unless the program has one hart (whose index and
    stack the entry knows), it records this hart (tp) and its stack top (harts of `stack`
    bytes) for the next trap from below; then it makes the frame the scratch frame and leaves
    through the restore sequence, which follows it."""
    lines = [("label", "__trap_return")]
    if boot is None or boot.harts > 1:
        lines += [("sd", "tp", "a0", HART), ("la", "t0", "__stacks"), ("addi", "t1", "tp", 1), ("li", "t2", stack),
                  ("mul", "t1", "t1", "t2"), ("add", "t0", "t0", "t1"), ("sd", "t0", "a0", STACK)]
    return lines + restore_code(mode)


def helper(name: str) -> list[tuple]:
    """The routine behind a helper intrinsic (symbols.HELPER_INTRINSICS, except trap_return),
    called with the psABI: arguments in a0.., result in a0; it uses only a0..a7, t0..t2."""
    lines = [("label", "__" + name)]
    if name.startswith("cas"):               # a0 = address, a1 = expected, a2 = new; old in a0
        width = "w" if name == "cas32" else "d"
        again, done = f".L{name}.again", f".L{name}.done"
        lines += [("label", again), (f"lr.{width}", "t0", "a0"), ("bne", "t0", "a1", done),
                  (f"sc.{width}", "t1", "a0", "a2"), ("bne", "t1", "zero", again),
                  ("label", done), ("mv", "a0", "t0")]
    elif name.startswith("mprv_"):           # one access with mstatus.MPRV (and MXR for loads) set
        load = name.startswith("mprv_load")
        size = int(name[len("mprv_load"):] if load else name[len("mprv_store"):])
        access = ({8: "lbu", 16: "lhu", 32: "lw", 64: "ld"}[size], "a0", "a0", 0) if load else \
            ({8: "sb", 16: "sh", 32: "sw", 64: "sd"}[size], "a1", "a0", 0)
        lines += [("li", "t0", MPRV | (MXR if load else 0)), ("csrs", MSTATUS, "t0"), access,
                  ("csrc", MSTATUS, "t0")]
    else:
        raise ValueError(f"no helper routine {name!r}")
    return lines + [("ret",)]
