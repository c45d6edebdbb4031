"""--explain: the boot told as it happens, for someone learning how a computer starts.

One plain line for each boot stage and for the first event of each kind: the ROM's jump to
the firmware and what it hands over, the firmware's trap vector, PMP and delegation, its
drop to S-mode, the kernel's trap vector, its first call into the firmware of each kind (SBI,
named: names.py), the MMU turned on, the first page fault and interrupt of each kind, the
first access to each device, the first U-mode instruction (and, when the kernel said which
program it runs, its name), the first wait for an interrupt, the power-off. Each line ends
with the file of Downstairs that models what just happened, so the next step is reading it.

It hears what observe.py forwards (traps, xRETs, CSR writes, device accesses, stages,
console output) and writes to `out` (stderr), holding its lines while the console is in
the middle of one of the guest's lines.
"""

import pathlib
import re

from downstairs.machine import names
from downstairs.machine.core import consts
from downstairs.machine.loader import symbolize

INIT_LINE = re.compile(rb"Run (\S+) as init process")     # Linux's init/main.c says so
SATP_MODES = {8: "Sv39", 9: "Sv48", 10: "Sv57"}
# What a device's model file is called, from its class's module: devices/<module>.py
DEVICE_TITLES = {"rom": "the mask ROM (its data words: where the device tree and fw_dynamic_info are)",
                 "uart16550": "the 16550A UART", "clint": "the CLINT (timer and software interrupts)",
                 "plic": "the PLIC (interrupt controller)", "sifive_test": "the sifive_test device (power)",
                 "goldfish_rtc": "the Goldfish RTC", "htif": "HTIF (Spike's host interface)",
                 "virtio_mmio_empty": "an empty virtio-mmio slot", "mmio": "a virtio-mmio transport"}
COUNTER_CSRS = (consts.CSR_MCOUNTEREN, consts.CSR_SCOUNTEREN)
SOURCE = pathlib.Path(__file__).resolve().parents[1]     # downstairs/: where the files named are
# Which file of our own firmware (downstairs/firmware) answers each SBI extension (a legacy
# call: each function); the rest (BASE, TIME, SRST, whatever it refuses) are answered in
# sbi.py. Named, not imported: the firmware sits above the machine. tests/board/test_explain.py
# checks that the files still exist.
OUR_SBI_FILES = {"HSM": "hsm.py", "IPI": "hsm.py", "RFENCE": "hsm.py", "DBCN": "console.py",
                 "console_putchar": "console.py", "console_getchar": "console.py"}


class Narrator:
    def __init__(self, machine, out):
        """Narrate `machine`'s boot to `out`."""
        self.machine = machine
        self.out = out
        self.symbols = machine.symbols()
        self.sizes = machine.symbol_sizes()
        self.seen: set = set()               # kinds of events already told
        self.waiting: list[str] = []         # lines held until the console ends its line
        self.mid_line = False                # the console's last byte was not a newline
        self.init_program = ""               # what Linux said it runs as init
        self.tail = b""                      # the console's last bytes (a line split in two)
        # our own firmware (downstairs/firmware, built as downstairs-sbi): its SBI files are named
        self.ours = any("downstairs-sbi" in image.path for image in machine.images)

    # ---- telling ----------------------------------------------------------------------------

    def say(self, now: int, text: str, where: str) -> None:
        """One line: when, what, and the file that models it."""
        self.waiting.append(f"[explain] {now:>11,} insns  {text}  ({where})\n")
        if not self.mid_line:
            self.flush()

    def flush(self) -> None:
        if self.waiting:
            self.out.write("".join(self.waiting))
            self.out.flush()
            self.waiting.clear()

    def first(self, kind) -> bool:
        """True the first time `kind` is seen."""
        if kind in self.seen:
            return False
        self.seen.add(kind)
        return True

    def where(self, pc: int) -> str:
        """pc, with its symbol when an image names it."""
        symbol = symbolize(self.symbols, pc, self.sizes)
        return f"{pc:#x} <{symbol}>" if symbol else f"{pc:#x}"

    def actor(self, priv: int) -> str:
        """Who runs at a privilege level, as a learner would call it."""
        if priv == consts.PRV_M:
            return "the firmware" if self.machine.firmware is not None else "the program"
        return "the kernel" if priv == consts.PRV_S else "user code"

    # ---- the events --------------------------------------------------------------------------

    def stage(self, name: str, hart, where: str, now: int) -> None:
        """A stage from stages.py: the firmware, the kernel, relocated code."""
        a0, a1, a2 = hart.reg(10), hart.reg(11), hart.reg(12)
        if name.startswith("firmware"):
            self.say(now, f"the ROM at 0x1000 jumps to the firmware ({name.split(' ', 1)[1]}) at "
                          f"{hart.pc:#x} in M-mode with a0 = hart {a0}, a1 = the device tree at {a1:#x} "
                          f"and a2 = its fw_dynamic_info at {a2:#x}", "machine/bootrom.py")
        elif name.startswith("kernel") and hart.priv == consts.PRV_M:
            self.say(now, f"the ROM at 0x1000 jumps to the program ({name.split(' ', 1)[1]}) at "
                          f"{hart.pc:#x} in M-mode with a0 = hart {a0} and a1 = the device tree at {a1:#x}",
                     "machine/bootrom.py")
        elif name.startswith("kernel"):
            self.say(now, f"the kernel ({name.split(' ', 1)[1]}) runs its first instruction at "
                          f"{self.where(hart.pc)} in {names.MODES[hart.priv]}-mode, with a0 = hart {a0} "
                          f"and a1 = the device tree at {a1:#x}", "machine/loader.py")
        elif name.startswith("code outside"):
            self.say(now, f"code runs from RAM no image was loaded into, at {hart.pc:#x}"
                          f"{' (' + where + ')' if where else ''}: it was copied there",
                     "machine/stages.py")

    def csr_write(self, hart, number: int, value: int, now: int) -> None:
        """The CSRs whose first write is a step of the boot."""
        who = self.actor(hart.priv)
        if number == consts.CSR_MTVEC and self.first("mtvec"):
            self.say(now, f"{who} points M-mode traps at {self.where(value & ~3)} (mtvec)",
                     "machine/core/trap.py")
        elif number == consts.CSR_STVEC and self.first("stvec"):
            self.say(now, f"{who} points S-mode traps at {self.where(value & ~3)} (stvec)",
                     "machine/core/trap.py")
        elif number == consts.CSR_MEDELEG and value and self.first("medeleg"):
            causes = ", ".join(names.EXCEPTIONS[c] for c in sorted(names.EXCEPTIONS) if value >> c & 1)
            self.say(now, f"{who} delegates exceptions to S-mode: {causes} (medeleg = {value:#x})",
                     "machine/core/trap.py")
        elif number == consts.CSR_MIDELEG and value and self.first("mideleg"):
            causes = ", ".join(names.INTERRUPTS[c] for c in sorted(names.INTERRUPTS) if value >> c & 1)
            self.say(now, f"{who} delegates interrupts to S-mode: {causes}s (mideleg = {value:#x})",
                     "machine/core/trap.py")
        elif (number == consts.CSR_PMPCFG0 or number == consts.CSR_PMPCFG2) and value and self.first("pmp"):
            self.say(now, f"{who} sets up physical memory protection: what S- and U-mode may touch "
                          f"(pmpcfg{number - consts.CSR_PMPCFG0} = {value:#x})", "machine/core/pmp.py")
        elif number == consts.CSR_SATP and value >> 60 and self.first("satp"):
            mode = SATP_MODES.get(value >> 60, f"mode {value >> 60}")
            root = (value & consts.SATP_PPN_MASK) << 12
            self.say(now, f"{who} turns on {mode}: satp = {value:#x}, the root page table at {root:#x}; "
                          f"from here on addresses are virtual", "machine/core/mmu.py")
        elif number == consts.CSR_MENVCFG and value & consts.MENVCFG_STCE and self.first("stce"):
            self.say(now, f"{who} gives S-mode its own timer (menvcfg.STCE: Sstc's stimecmp)",
                     "machine/machine.py")
        elif number in COUNTER_CSRS and value and self.first(number):
            level = "S" if number == consts.CSR_MCOUNTEREN else "U"
            self.say(now, f"{who} lets {level}-mode read the counters (cycle, time, instret: "
                          f"{'m' if level == 'S' else 's'}counteren = {value:#x})", "machine/core/csr.py")

    def trap(self, hart, cause: int, tval: int, was: int, now: int) -> None:
        """The first trap of each kind; the first SBI call of each function."""
        epc = hart.mepc if hart.priv == consts.PRV_M else hart.sepc
        if cause == 9 and hart.priv == consts.PRV_M:
            extension, function = names.sbi_call(hart.reg(17), hart.reg(16))
            if self.first(("sbi", extension, function)):
                handler = "firmware/" + OUR_SBI_FILES.get(function if extension == "legacy" else extension, "sbi.py")
                answer = (f"our firmware's {handler} answers" if self.ours and (SOURCE / handler).is_file()
                          else "the firmware answers in M-mode")
                self.say(now, f"the kernel calls the firmware: SBI {extension} {function} (ecall from "
                              f"S-mode at {self.where(epc)}); {answer}", "machine/core/trap.py")
            return
        kind = names.trap_name(cause)
        if not self.first(("trap", cause, was, hart.priv)):
            return
        taker = self.actor(hart.priv)
        if cause & names.INTERRUPT_BIT:
            source = {1: "devices/clint.py", 3: "devices/clint.py", 5: "machine/machine.py",
                      7: "devices/clint.py", 9: "devices/plic.py", 11: "devices/plic.py"}
            self.say(now, f"first {kind} in {names.MODES[was]}-mode, at {self.where(epc)}: "
                          f"{taker} takes it at {self.where(hart.pc)}",
                     source.get(cause & ~names.INTERRUPT_BIT, "machine/core/trap.py"))
        elif cause in (8, 9, 11):
            self.say(now, f"first {kind}, at {self.where(epc)}: a call into {taker}, which handles it "
                          f"at {self.where(hart.pc)}", "machine/core/trap.py")
        else:
            model = "machine/core/mmu.py" if cause in (12, 13, 15) else "machine/core/trap.py"
            detail = f", address {tval:#x}" if cause in (1, 4, 5, 6, 7, 12, 13, 15) else ""
            self.say(now, f"first {kind} in {names.MODES[was]}-mode, at {self.where(epc)}{detail}: "
                          f"{taker} handles it", model)

    def xret(self, hart, was: int, now: int) -> None:
        """The first drop to each lower mode."""
        if hart.priv == consts.PRV_U and self.first("user"):
            program = f": {self.init_program}" if self.init_program else ""
            said = (f" (the kernel printed 'Run {self.init_program} as init process')"
                    if self.init_program else "")
            self.say(now, f"first U-mode instruction{program}, at {self.where(hart.pc)}, after "
                          f"{'sret' if was == consts.PRV_S else 'mret'}{said}", "machine/core/trap.py")
        elif hart.priv == consts.PRV_S and was == consts.PRV_M and self.first("to S"):
            self.say(now, f"{self.actor(was)} drops to S-mode at {self.where(hart.pc)} (mret with "
                          f"mstatus.MPP = S, a0 = {hart.reg(10)}, a1 = {hart.reg(11):#x})", "machine/core/trap.py")

    def device_access(self, window, kind: str, address: int, size: int, value: int, now: int) -> None:
        """The first access to each device."""
        if not self.first(("device", window.base)):
            return
        module = type(window.device).__module__
        stem = module.rsplit(".", 1)[-1]
        title = DEVICE_TITLES.get(stem, f"the {type(window.device).__name__}")
        verb = f"writes {value:#x} to" if kind == "w" else "reads"
        path = module.removeprefix("downstairs.").replace(".", "/") + ".py"
        self.say(now, f"first access to {title} at {window.base:#x}: the guest {verb} offset "
                      f"{address - window.base:#x}", path)

    def console_output(self, data: bytes, now: int) -> None:
        """Learn the init program's name when Linux says it; keep lines whole on the terminal."""
        found = INIT_LINE.search(self.tail + data)
        if found:
            self.init_program = found.group(1).decode(errors="replace")
        self.tail = (self.tail + data)[-80:]
        if data:
            self.mid_line = not data.endswith(b"\n")
            if not self.mid_line:
                self.flush()

    def after_slice(self, hart, now: int) -> None:
        """Between slices: the first hart to wait for an interrupt."""
        if hart.waiting and self.first(("wfi", hart.mhartid)):
            self.say(now, f"hart {hart.mhartid} waits for an interrupt (wfi) at {self.where(hart.pc)}, "
                          f"in {names.MODES[hart.priv]}-mode", "machine/core/execute.py")

    def finish(self, now: int) -> None:
        """The end: how the run stopped."""
        status = self.machine.exit_status
        if status is not None:
            htif = any(type(w.device).__module__.endswith("htif") for w in self.machine.bus.windows)
            self.say(now, f"the guest powers the machine off, status {status}",
                     "devices/htif.py" if htif else "devices/sifive_test.py")
        self.mid_line = False
        self.flush()
