"""What gdb sees of a hart: its target description, its registers by gdb's numbers, and memory
through its translation (GDB manual, "Target Descriptions" and "RISC-V Features").

gdb learns the registers from an XML target description it reads with qXfer:features:read.
Four features, the ones gdb's RISC-V port knows by name:

    org.gnu.gdb.riscv.cpu      x0-x31 (by ABI name), pc          numbers 0-32
    org.gnu.gdb.riscv.fpu      f0-f31 (64 bits: a float/double)  33-64
    org.gnu.gdb.riscv.virtual  priv (the privilege level)        65
    org.gnu.gdb.riscv.csr      every CSR this hart has           66 + its CSR number

the same numbering QEMU's stub uses, so `p $mstatus` or `info registers` mean the same on
both. The CSR list is not written down here: it is every CSR core/csr.py answers, named by
its constant in core/consts.py (CSR_MSTATUS is mstatus), with the numbered families
(pmpaddr0-15, mhpmcounter3-31 ...) spelled out.

A debugger reads CSRs as M-mode would without the access check (csr.read), and writes them
WARL (csr.write); a write of minstret or mcycle sets exactly the value written (csr.write
expects the writing instruction to retire after it). Memory addresses are virtual, taken
through the hart's current translation as its loads would be (MPRV included), as QEMU's stub
does, by a walk with no side effects (mmu.debug_translate). RAM and the ROM are readable;
device registers are not (a read can have side effects, such as a UART's received byte).
Writes go to RAM only, through Machine.write_memory, which makes the harts forget any
instruction they decoded from the bytes written.
"""

from downstairs.machine.core import consts
from downstairs.machine.core.consts import ACCESS_LOAD, NO_ADDRESS
from downstairs.isa.encode import ABI_NAMES

PC, FIRST_F, PRIV, FIRST_CSR = 32, 33, 65, 66
F_NAMES = ["ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1",
           "fa2", "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7",
           "fs8", "fs9", "fs10", "fs11", "ft8", "ft9", "ft10", "ft11"]
# Numbered families of CSRs: the name's stem, the constant of the first, the first index.
FAMILIES = [("hpmcounter", consts.CSR_HPMCOUNTER3, 3, 29), ("mhpmcounter", consts.CSR_MHPMCOUNTER3, 3, 29),
            ("mhpmevent", consts.CSR_MHPMEVENT3, 3, 29), ("pmpaddr", consts.CSR_PMPADDR0, 0, 16),
            ("pmpcfg", consts.CSR_PMPCFG0, 0, 16)]
MASK64 = (1 << 64) - 1


def csr_names() -> dict[int, str]:
    """Every CSR number core/consts.py names, with its name in lower case."""
    names = {}
    for stem, first, index, count in FAMILIES:
        for k in range(count):
            names[first + k] = f"{stem}{index + k}"
    stems = tuple(stem for stem, _, _, _ in FAMILIES)
    for constant, number in vars(consts).items():
        name = constant[4:].lower()
        if constant.startswith("CSR_") and not name.startswith(stems):   # a family's ends: above
            names[number] = name
    return names


def present_csrs(engine, hart) -> dict[int, str]:
    """The CSRs this hart has (those csr.read answers), number -> name."""
    present = {}
    for number, name in sorted(csr_names().items()):
        hart.bus_error = 0
        engine.csr.read(hart, number)
        if not hart.bus_error:
            present[number] = name
    hart.bus_error = 0
    return present


def target_xml(csrs: dict[int, str]) -> str:
    """The target description for harts with these CSRs (this file's docstring)."""
    def reg(name: str, number: int, kind: str = "int", group: str = "") -> str:
        extra = f' group="{group}"' if group else ""
        return f'    <reg name="{name}" bitsize="64" type="{kind}" regnum="{number}"{extra}/>\n'

    pointers = {"ra": "code_ptr", "sp": "data_ptr", "gp": "data_ptr", "tp": "data_ptr", "fp": "data_ptr"}
    xml = ['<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n<target>\n',
           "  <architecture>riscv:rv64</architecture>\n",
           '  <feature name="org.gnu.gdb.riscv.cpu">\n']
    for number, name in enumerate(ABI_NAMES):
        name = "fp" if name == "s0" else name
        xml.append(reg(name, number, pointers.get(name, "int")))
    xml.append(reg("pc", PC, "code_ptr"))
    xml.append('  </feature>\n  <feature name="org.gnu.gdb.riscv.fpu">\n'
               '    <union id="riscv_double">\n      <field name="float" type="ieee_single"/>\n'
               '      <field name="double" type="ieee_double"/>\n    </union>\n')
    for k, name in enumerate(F_NAMES):
        xml.append(reg(name, FIRST_F + k, "riscv_double"))
    xml.append('  </feature>\n  <feature name="org.gnu.gdb.riscv.virtual">\n')
    xml.append(reg("priv", PRIV))
    xml.append('  </feature>\n  <feature name="org.gnu.gdb.riscv.csr">\n')
    for number, name in sorted(csrs.items()):
        xml.append(reg(name, FIRST_CSR + number, group="csr"))
    xml.append("  </feature>\n</target>\n")
    return "".join(xml)


def read_register(engine, hart, csrs: dict[int, str], number: int) -> int | None:
    """gdb's register `number` of `hart`; None if there is no such register."""
    if number < 32:
        return hart.reg(number)
    if number == PC:
        return hart.pc
    if FIRST_F <= number < FIRST_F + 32:
        return hart.freg(number - FIRST_F)
    if number == PRIV:
        return hart.priv
    if number - FIRST_CSR in csrs:
        return engine.csr.read(hart, number - FIRST_CSR)
    return None


def write_register(engine, hart, csrs: dict[int, str], number: int, value: int) -> bool:
    """Set gdb's register `number` of `hart` (CSRs WARL, priv to U, S or M); False if there
    is no such register or the value cannot be (priv 2)."""
    value &= MASK64
    if number < 32:
        hart.set_reg(number, value)
    elif number == PC:
        hart.pc = value & ~1
    elif FIRST_F <= number < FIRST_F + 32:
        hart.set_freg(number - FIRST_F, value)
    elif number == PRIV:
        if value not in (consts.PRV_U, consts.PRV_S, consts.PRV_M):
            return False
        hart.priv = value
        hart.update_context()
    elif number - FIRST_CSR in csrs:
        csr = number - FIRST_CSR
        engine.csr.write(hart, csr, value)
        if csr == consts.CSR_MINSTRET:             # no instruction retires after this write
            hart.instret = value
            hart.cycle_delta = (hart.cycle_delta - 1) & MASK64
        elif csr == consts.CSR_MCYCLE:
            hart.cycle_delta = (hart.cycle_delta + 1) & MASK64
    else:
        return False
    return True


def physical(engine, hart, vaddr: int) -> int:
    """Where a load by `hart` at vaddr would go, without side effects (NO_ADDRESS: unmapped)."""
    return engine.mmu.debug_translate(hart, vaddr & MASK64, engine.memory.access_priv(hart, ACCESS_LOAD))


def read_memory(machine, engine, hart, vaddr: int, length: int) -> bytes:
    """Up to `length` bytes at virtual address vaddr as `hart` sees them: fewer when the range
    runs into something unmapped or a device (gdb then reports what it got)."""
    out = bytearray()
    while len(out) < length:
        addr = vaddr + len(out)
        chunk = min(length - len(out), 0x1000 - (addr & 0xFFF))
        paddr = physical(engine, hart, addr)
        if paddr == NO_ADDRESS:
            break
        if machine.ram_base <= paddr and paddr + chunk <= machine.ram_base + machine.ram_size:
            out += machine.read_memory(paddr, chunk)
            continue
        for k in range(chunk):                      # the ROM (an executable window) byte by byte
            byte = machine.bus.fetch(paddr + k, 1)
            if byte is None:
                return bytes(out)
            out.append(byte)
    return bytes(out)


def write_memory(machine, engine, hart, vaddr: int, data: bytes) -> bool:
    """Write `data` at virtual address vaddr as `hart` sees it; RAM only. False (and nothing
    written) if any byte is not RAM."""
    pieces = []
    done = 0
    while done < len(data):
        addr = vaddr + done
        chunk = min(len(data) - done, 0x1000 - (addr & 0xFFF))
        paddr = physical(engine, hart, addr)
        if paddr == NO_ADDRESS or not (machine.ram_base <= paddr
                                       and paddr + chunk <= machine.ram_base + machine.ram_size):
            return False
        pieces.append((paddr, data[done:done + chunk]))
        done += chunk
    for paddr, piece in pieces:
        machine.write_memory(paddr, piece)
    return True
