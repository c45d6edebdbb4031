"""Platform 2: riscv64 programs in U-mode on our RISC-V hart, with no kernel underneath.

What qemu-riscv64 does, with the kernel written in Python. The machine (downstairs/machine)
gets a hart and RAM and nothing else; the only M-mode code is a four-instruction boot that
opens PMP to U-mode, and a trap vector of one instruction, `wfi`:

    U-mode program ... ecall ──trap──> M-mode at mtvec: wfi ──> the run loop returns
    Python: mcause 8, a7 = number, a0-a5 = arguments -> Kernel.call -> a0 = result,
            pc = mepc + 4, priv = U -> run again

Page faults come back the same way (mcause 12, 13, 15 with the address in mtval): the
address space (memory.py) gives the page a frame, or the program gets SIGSEGV; other
exceptions become SIGILL, SIGTRAP, SIGBUS. The hart runs one process at a time; a process
runs until it blocks, exits or has used its slice of instructions, then the next runnable
one is switched in (registers, and satp with a TLB flush).

Everything is served here, nothing passed: besides the layer's calls, this platform serves
the memory calls (over memory.py) and signals (signals.py's state, with the rt_sigframe of
arch/riscv/kernel/signal.c built on the program's stack and a sigreturn trampoline page).
"""

import collections
import errno
import os
import select
import struct
import time

from downstairs.isa import encode
from downstairs.machine import engine as engines
from downstairs.machine.machine import Machine
from downstairs.machine.virt import RAM_BASE
from downstairs.sandbox import calls_process, cputime, elf, signals
from downstairs.sandbox.abi import s32
from downstairs.sandbox.files import RegularFile
from downstairs.sandbox.kernel import BLOCKED, ERESTARTSYS, NO_RETURN
from downstairs.sandbox.memory import (
    MADV_DONTNEED, MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, MAP_TYPE, PAGE, PROT_EXEC, PROT_READ,
    PROT_WRITE, SAFE_ADVICE,
    USER_TOP, AddressSpace, Area, Frames, page_up,
)
from downstairs.sandbox.process import killed
from downstairs.sandbox.signals import (
    CONTINUE, CORE, IGNORE, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTART, SIG_BLOCK, SIG_DFL,
    SIG_IGN, SIG_SETMASK, SIG_UNBLOCK, SIGBUS, SIGILL, SIGKILL, SIGSEGV, SIGTRAP, SS_DISABLE,
    STOP, UNBLOCKABLE, Action, SignalState, bit, default_action, NSIG,
)
from downstairs.sandbox.waits import Block, SysError, WaitQueue

RAM_SIZE = 1 << 30                   # the machine's RAM: frames for every process's pages
VECTOR = RAM_BASE                    # mtvec: one wfi, where every trap from U-mode stops
BOOT = RAM_BASE + 0x100              # M-mode code run once: open PMP to U-mode, then wfi
FIRST_FRAME = RAM_BASE + PAGE        # frames for programs start after that page
PRV_U, PRV_M = 0, 3
MSTATUS_FS_DIRTY = 3 << 13           # floating point on (privileged spec 3.1.6.6)
CSR_PMPCFG0, CSR_PMPADDR0 = 0x3A0, 0x3B0
PMP_NAPOT_RWX = 0x1F                 # pmpcfg: A = NAPOT, R W X
SLICE = 1 << 20                      # instructions a process runs before the next one's turn
IDLE_CHECK = 0.2                     # seconds between looks at the sandbox's own signals when idle

# The user address-space layout, as qemu-riscv64 lays out a 64-bit program
STACK_TOP = 0x4000800000
STACK_SIZE = 8 << 20
MMAP_BASE = STACK_TOP + PAGE
SIGTRAMP = STACK_TOP - STACK_SIZE - PAGE      # the rt_sigreturn trampoline (Linux: the vDSO)
EXC_INSN_MISALIGNED, EXC_INSN_ACCESS, EXC_ILLEGAL, EXC_BREAKPOINT = 0, 1, 2, 3
EXC_ECALL_U, EXC_INSN_PAGE, EXC_LOAD_PAGE, EXC_STORE_PAGE = 8, 12, 13, 15
FAULT_SIGNALS = {EXC_INSN_MISALIGNED: SIGBUS, EXC_INSN_ACCESS: SIGSEGV, EXC_ILLEGAL: SIGILL,
                 EXC_BREAKPOINT: SIGTRAP, 4: SIGBUS, 5: SIGSEGV, 6: SIGBUS, 7: SIGSEGV}

# auxv (include/uapi/linux/auxvec.h) and what riscv64's AT_HWCAP says: one bit per letter
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = 0, 3, 4, 5, 6, 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_HWCAP, AT_CLKTCK, AT_SECURE, AT_RANDOM, AT_EXECFN = (
    11, 12, 13, 14, 16, 17, 23, 25, 31)
HWCAP = sum(1 << (ord(c) - ord("a")) for c in "imafdc")

# The rt_sigframe (arch/riscv/kernel/signal.c): siginfo, then struct ucontext whose
# mcontext (at offset 176: sc_regs pc x1..x31, then the D state f0..f31 and fcsr) follows
# 1024 bits of sigmask room.
SIGINFO_SIZE = 128
UC_STACK, UC_SIGMASK, UC_MCONTEXT = 16, 40, 176
FRAME_SIZE = SIGINFO_SIZE + UC_MCONTEXT + 32 * 8 + 32 * 8 + 16
SI_USER, SI_KERNEL, SEGV_MAPERR = 0, 0x80, 1


class Context:
    """A process's state on the hart while it is not running: registers, and its space."""

    def __init__(self, space: AddressSpace):
        self.space = space
        self.regs = [0] * 32
        self.fregs = [0] * 32
        self.fflags = 0
        self.frm = 0
        self.pc = 0
        self.ecall_pc = 0                # where its last ecall was (a restart goes back there)
        self.orig_a0 = 0                 # ... and its first argument (a restart needs it again)
        self.restart = False             # its last call ended with -ERESTARTSYS
        self.suspended_mask = None       # rt_sigsuspend's mask to restore after a handler
        self.vfork_child = None          # waiting for this vfork child to exec or exit
        self.signal_wait = None          # rt_sigsuspend sleeps here
        self.fault_addr = 0              # the address of the last fault (si_addr)
        self.call = (0, (0,) * 6)        # the call it is in: number and arguments


class HartPlatform:
    def __init__(self, engine_kind: str = "auto"):
        self.engine = engines.load(engine_kind)
        self.machine = Machine(self.engine, RAM_BASE, RAM_SIZE)
        self.hart = self.machine.harts[0]
        self.frames = Frames(self.machine, RAM_BASE, FIRST_FRAME, RAM_SIZE)
        self.kernel = None
        self.runnable: collections.deque = collections.deque()
        self.current = None               # the process whose registers are in the hart
        self.signals_in: list[int] = []
        self.boot()

    def boot(self) -> None:
        """Run the M-mode boot once: PMP entry 0 covers everything for U-mode, counters
        readable from U-mode, floating point on; every trap goes to the wfi at VECTOR."""
        code = (encode.li(5, -1) + [encode.csr("csrrw", 0, CSR_PMPADDR0, 5)]
                + encode.li(5, PMP_NAPOT_RWX) + [encode.csr("csrrw", 0, CSR_PMPCFG0, 5), encode.WFI])
        self.machine.write_memory(BOOT, encode.to_bytes(code))
        self.machine.write_memory(VECTOR, encode.to_bytes([encode.WFI]))
        hart = self.hart
        hart.mtvec = VECTOR
        hart.mcounteren = hart.scounteren = 7          # cycle, time, instret
        hart.mstatus |= MSTATUS_FS_DIRTY
        hart.pc = BOOT
        self.engine.run(hart, 64)
        if not hart.waiting:
            raise RuntimeError("the hart's boot code did not finish")
        hart.waiting = 0

    def attach(self, kernel) -> None:
        self.kernel = kernel

    def extra_handlers(self) -> dict:
        return dict(SERVED_HERE)

    # ---- processes on the hart ---------------------------------------------------------------

    def start(self, process, program) -> None:
        process.signals = SignalState()
        process.context = Context(None)
        self.exec(process, program)
        self.runnable.append(process)

    def context_of(self, process) -> Context:
        return process.context

    def save(self) -> None:
        """The running process's registers into its Context."""
        process = self.current
        if process is None:
            return
        ctx, hart = process.context, self.hart
        ctx.regs = hart.registers()
        ctx.fregs = [hart.freg(i) for i in range(32)]
        ctx.fflags, ctx.frm = hart.fflags, hart.frm

    def switch_to(self, process) -> None:
        if self.current is process:
            return
        self.save()
        ctx, hart = process.context, self.hart
        for i in range(1, 32):
            hart.set_reg(i, ctx.regs[i])
        for i in range(32):
            hart.set_freg(i, ctx.fregs[i])
        hart.fflags, hart.frm = ctx.fflags, ctx.frm
        hart.satp = ctx.space.satp()
        hart.flush_tlb()
        self.current = process

    def reg(self, process, n: int) -> int:
        if process is self.current:
            return self.hart.reg(n)
        return process.context.regs[n]

    def set_reg(self, process, n: int, value: int) -> None:
        value &= (1 << 64) - 1
        if process is self.current:
            self.hart.set_reg(n, value)
        else:
            process.context.regs[n] = value

    # ---- the loop ----------------------------------------------------------------------------

    def run(self) -> int:
        with signals.caught(self.on_signal):
            self.loop()
        return self.kernel.exit_status()

    def on_signal(self, sig, frame) -> None:
        self.signals_in.append(sig)

    def loop(self) -> None:
        kernel = self.kernel
        while any(p.alive for p in kernel.processes.values()):
            if self.signals_in:
                received, self.signals_in = self.signals_in, []
                for sig in received:
                    kernel.host_signal(sig)
                continue
            self.run_ready()
            if not self.runnable:
                self.idle()
                continue
            process = self.runnable.popleft()
            if process.alive:
                self.run_process(process)

    def idle(self) -> None:
        """Nothing can run: wait for a host descriptor or a timer (processes that only wait
        for each other wait for ever, as they would on Linux; a look every IDLE_CHECK
        seconds sees a signal to the sandbox itself)."""
        kernel = self.kernel
        reading, writing = kernel.host_waits()
        deadline = kernel.next_deadline()
        timeout = IDLE_CHECK if deadline is None else min(IDLE_CHECK, max(0.0, deadline - time.monotonic()))
        try:
            ready_r, ready_w, _ = select.select(reading, writing, [], timeout)
        except InterruptedError:
            return
        for fd in ready_r:
            kernel.host_queue(fd).wake()
        for fd in ready_w:
            kernel.host_queue(fd, True).wake()
        kernel.expire_timers()

    def run_ready(self) -> None:
        """Run again the parked calls whose wait is over."""
        kernel = self.kernel
        kernel.expire_timers()
        while kernel.ready:
            process = kernel.ready.popleft()
            if not process.alive:
                continue
            number, args = process.context.call
            self.finish(process, kernel.call(process, number, args, again=True))

    def finish(self, process, result) -> None:
        """A call is over: its result in a0, and the process can run."""
        if result is BLOCKED or result is NO_RETURN:
            return
        self.set_reg(process, 10, result)
        process.context.restart = result == -ERESTARTSYS
        self.runnable.append(process)

    def run_process(self, process) -> None:
        """Run `process` until it blocks, exits or uses up its slice. Its CPU time
        (cputime.py): the host's time in engine.run is its user time, and the rest of the
        time here (its calls, faults and signals) its system time."""
        hart, kernel = self.hart, self.kernel
        clock = time.perf_counter_ns
        mark = clock()                                  # when its time was last counted
        try:
            self.switch_to(process)
            ctx = process.context
            budget = SLICE
            while budget > 0:
                if not self.deliver(process):
                    return                                  # a signal ended it
                hart.priv = PRV_U
                hart.pc = ctx.pc
                hart.waiting = 0
                budget -= self.engine.run(hart, budget)
                now = clock()
                process.user_ns += now - mark
                mark = now
                if process.cpu_itimers:
                    cputime.check_timers(kernel, process)
                if not hart.waiting:                         # the slice ran out in U-mode
                    ctx.pc = hart.pc
                    self.runnable.append(process)
                    return
                hart.waiting = 0
                cause, epc, tval = hart.mcause, hart.mepc, hart.mtval
                if cause == EXC_ECALL_U:
                    ctx.ecall_pc, ctx.pc = epc, epc + 4
                    reg = hart.reg
                    ctx.orig_a0 = reg(10)
                    ctx.call = (reg(17), (ctx.orig_a0, reg(11), reg(12), reg(13), reg(14), reg(15)))
                    result = kernel.call(process, *ctx.call)
                    if result is BLOCKED:
                        return
                    if result is NO_RETURN:                 # exec, rt_sigreturn, exit, vfork
                        if not process.alive or ctx.vfork_child is not None:
                            return
                        self.switch_to(process)             # exec'd: its new registers
                        continue
                    hart.set_reg(10, result & ((1 << 64) - 1))
                    ctx.restart = result == -ERESTARTSYS
                    if kernel.ready:
                        self.runnable.append(process)       # let the woken run too
                        return
                elif cause in (EXC_INSN_PAGE, EXC_LOAD_PAGE, EXC_STORE_PAGE):
                    ctx.pc = epc
                    if not ctx.space.fault(tval, cause == EXC_STORE_PAGE, cause == EXC_INSN_PAGE):
                        self.force_signal(process, SIGSEGV, tval)
                else:
                    ctx.pc = epc
                    self.force_signal(process, FAULT_SIGNALS.get(cause, SIGSEGV), tval)
            self.runnable.append(process)
        finally:
            process.system_ns += clock() - mark
            if process.cpu_itimers and process.alive:
                cputime.check_timers(kernel, process)

    # ---- exec, clone, exit -----------------------------------------------------------------------

    def exec(self, process, program):
        """Load the ELF into a new address space with its stack (argv, envp, auxv) and
        start the process at its entry; the old space goes when nobody uses it."""
        space = AddressSpace(self.frames, self.hart)
        try:
            entry, sp = self.load(space, program)
        except SysError:
            space.release()
            raise
        ctx = process.context
        old = ctx.space
        ctx.space = process.memory = space
        if old is not None:
            old.users -= 1
            if old.users == 0:
                old.release()
        ctx.regs, ctx.fregs = [0] * 32, [0] * 32
        ctx.regs[2] = sp
        ctx.fflags = ctx.frm = 0
        ctx.pc = entry
        ctx.restart = False
        if self.current is process:
            self.current = None                          # reload everything on the next run
        calls_process.exec_done(self.kernel, process, program)
        return NO_RETURN

    def load(self, space: AddressSpace, program) -> tuple[int, int]:
        """The program's segments, heap, stack and trampoline in `space`; (entry, sp). The
        pages that hold file bytes are filled now; a segment's zero pages past them (its bss)
        become an area that faults pages in when touched, as Linux maps them. EINVAL for a
        segment that is bigger in the file than in memory or ends beyond the user addresses
        (load_elf_binary's check)."""
        header, node = program.header, program.node
        images: dict[int, bytearray] = {}
        prots: dict[int, int] = {}
        end = 0
        for seg in header.segments:
            if seg.filesz > seg.memsz or seg.vaddr + seg.memsz > USER_TOP:
                raise SysError(errno.EINVAL)
        for seg in header.segments:
            prot = ((PROT_READ if seg.flags & elf.PF_R else 0) | (PROT_WRITE if seg.flags & elf.PF_W else 0)
                    | (PROT_EXEC if seg.flags & elf.PF_X else 0))
            data = node.read(seg.offset, seg.filesz)
            first, last = seg.vaddr >> 12, page_up(seg.vaddr + seg.memsz) >> 12
            filled = max(page_up(seg.vaddr + len(data)) >> 12, first + 1)   # (a file may be short)
            if last - 1 > filled:                        # whole zero pages between the two
                space.carve(filled << 12, (last - 1) << 12)
                space.add_area(Area(filled << 12, (last - 1) << 12, prot))
            # Page by page: those with file bytes, and the last, which the next segment may
            # share (the page then gets both segments' protections).
            for vpn in [*range(first, min(filled, last)), *range(max(filled, last - 1), last)]:
                prots[vpn] = prots.get(vpn, 0) | prot
                image = images.setdefault(vpn, bytearray(PAGE))
                lo = max(seg.vaddr, vpn << 12)
                hi = min(seg.vaddr + seg.filesz, (vpn + 1) << 12)
                if hi > lo:
                    image[lo - (vpn << 12):hi - (vpn << 12)] = data[lo - seg.vaddr:hi - seg.vaddr]
            end = max(end, seg.vaddr + seg.memsz)
        for vpn in sorted(images):
            space.carve(vpn << 12, (vpn + 1) << 12)     # (only where segments overlap)
            space.add_area(Area(vpn << 12, (vpn + 1) << 12, prots[vpn]))
            space.fill(vpn << 12, bytes(images[vpn]), prots[vpn])
        space.merge()
        space.brk_start = space.brk = page_up(end)
        space.mmap_base = MMAP_BASE
        space.add_area(Area(STACK_TOP - STACK_SIZE, STACK_TOP, PROT_READ | PROT_WRITE, "[stack]"))
        trampoline = encode.to_bytes([encode.i("addi", 17, 0, 139), encode.ECALL])
        space.add_area(Area(SIGTRAMP, SIGTRAMP + PAGE, PROT_READ | PROT_EXEC, "[vdso]"))
        space.fill(SIGTRAMP, trampoline, PROT_READ | PROT_EXEC)
        return header.entry, self.initial_stack(space, program)

    def initial_stack(self, space: AddressSpace, program) -> int:
        """argc, argv, envp and auxv on the new stack (create_elf_tables in binfmt_elf.c);
        returns sp."""
        header = program.header
        top = STACK_TOP
        strings = bytearray()

        def place(text: bytes) -> int:
            nonlocal strings
            strings = text + b"\0" + strings
            return top - len(strings)
        execfn = place(program.path)
        envp = [place(e) for e in reversed(program.envp)][::-1]
        argv = [place(a) for a in reversed(program.argv)][::-1]
        random_bytes = os.urandom(16)
        strings = random_bytes + strings
        random_at = top - len(strings)
        uid, gid = self.kernel.uid, self.kernel.gid
        auxv = [(AT_PHDR, header.phdr_address()), (AT_PHENT, 56), (AT_PHNUM, header.phnum),
                (AT_PAGESZ, PAGE), (AT_BASE, 0), (AT_FLAGS, 0), (AT_ENTRY, header.entry),
                (AT_UID, uid), (AT_EUID, uid), (AT_GID, gid), (AT_EGID, gid), (AT_HWCAP, HWCAP),
                (AT_CLKTCK, 100), (AT_SECURE, 0), (AT_RANDOM, random_at), (AT_EXECFN, execfn),
                (AT_NULL, 0)]
        words = [len(argv)] + argv + [0] + envp + [0] + [v for pair in auxv for v in pair]
        table = struct.pack(f"<{len(words)}Q", *words)
        sp = (top - len(strings) - len(table)) & ~15
        if top - sp > STACK_SIZE // 4:
            raise SysError(errno.E2BIG)
        space.write(top - len(strings), bytes(strings))
        space.write(sp, table)
        return sp

    def clone(self, parent, child, flags: int, stack: int, child_tid: int, tls: int):
        pctx = parent.context
        if parent is self.current:
            self.save()
        cctx = Context(None)
        cctx.regs = list(pctx.regs)
        cctx.fregs = list(pctx.fregs)
        cctx.fflags, cctx.frm = pctx.fflags, pctx.frm
        cctx.pc = pctx.pc
        cctx.regs[10] = 0
        if stack:
            cctx.regs[2] = stack
        if flags & calls_process.CLONE_SETTLS:
            cctx.regs[4] = tls
        if flags & calls_process.CLONE_VM:
            cctx.space = pctx.space
            cctx.space.users += 1
        else:
            cctx.space = pctx.space.fork()
        child.context = cctx
        child.memory = cctx.space
        child.signals = parent.signals.copy()
        if child_tid:
            try:
                cctx.space.write(child_tid, struct.pack("<i", child.pid))
            except SysError:
                pass
        self.runnable.append(child)
        if flags & calls_process.CLONE_VFORK:
            pctx.vfork_child = child                     # the parent waits (vfork_release)
            return NO_RETURN
        return child.pid

    def vfork_release(self, parent, child) -> None:
        ctx = parent.context
        if ctx.vfork_child is child:
            ctx.vfork_child = None
            if parent.alive:
                self.set_reg(parent, 10, child.pid)
                self.runnable.append(parent)

    def gone(self, process):
        """The process exited: its space goes when nobody uses it, it never runs again."""
        ctx = process.context
        if process in self.runnable:
            self.runnable.remove(process)
        if ctx is not None and ctx.space is not None:
            ctx.space.users -= 1
            if ctx.space.users == 0:
                ctx.space.release()
            ctx.space = None
        if self.current is process:
            self.current = None
        return NO_RETURN

    def reap_all(self) -> None:
        """Nothing to wait for: the hart's processes end when end_all says."""

    def update_cpu(self, process) -> None:
        """Nothing to ask: run_process counts a process's CPU time as it runs it."""

    def end_all(self) -> None:
        for process in list(self.kernel.processes.values()):
            if process.alive:
                self.kernel.exit(process, killed(SIGKILL))
                self.gone(process)

    # ---- signals -----------------------------------------------------------------------------

    def ignores(self, process, sig: int) -> bool:
        return process.signals is not None and process.signals.actions[sig].handler == SIG_IGN

    def flags_of(self, process, sig: int) -> int:
        return process.signals.actions[sig].flags if process.signals is not None else 0

    def send_signal(self, process, sig: int, code: int = SI_USER, addr: int = 0) -> None:
        state = process.signals
        if sig == SIGKILL:
            self.kernel.exit(process, killed(SIGKILL))
            self.gone(process)
            return
        if state.ignored(sig) and not state.blocked & bit(sig):
            return                                       # discarded when sent (signal(7))
        state.pending |= bit(sig)
        if process.blocked and not state.blocked & bit(sig):
            ctx = process.context
            result = self.kernel.interrupted(process)
            if ctx.suspended_mask is not None:
                result = -errno.EINTR
            self.finish(process, result)

    def signal_pending(self, process) -> bool:
        """Whether a signal that would interrupt a call is pending (Kernel.call asks as the
        call parks): one sent while the process's woken call waited to run again."""
        return process.signals.next_deliverable() != 0

    def force_signal(self, process, sig: int, addr: int) -> None:
        """A fault: the signal cannot be ignored or blocked (force_sig_fault): if it is,
        its default action (death) applies."""
        state = process.signals
        action = state.actions[sig]
        if action.handler == SIG_IGN or state.blocked & bit(sig):
            state.actions[sig] = Action()
            state.blocked &= ~bit(sig)
        state.pending |= bit(sig)
        process.context.fault_addr = addr

    def deliver(self, process) -> bool:
        """Before the process returns to U-mode: act on a pending signal (a handler's frame,
        or its default action). False if that ended the process."""
        state, ctx = process.signals, process.context
        while True:
            sig = state.next_deliverable()
            if not sig:
                if ctx.restart:                          # interrupted, nobody handled it: restart
                    self.restart_call(process)
                return True
            state.pending &= ~bit(sig)
            action = state.actions[sig]
            if action.handler == SIG_IGN:
                continue
            if action.handler == SIG_DFL:
                what = default_action(sig)
                if what in (IGNORE, CONTINUE, STOP):
                    continue
                self.kernel.exit(process, killed(sig, what == CORE))
                self.gone(process)
                return False
            self.enter_handler(process, sig, action)
            return True

    def restart_call(self, process) -> None:
        ctx = process.context
        ctx.restart = False
        self.set_reg(process, 10, ctx.orig_a0)
        ctx.pc = ctx.ecall_pc

    def enter_handler(self, process, sig: int, action: Action) -> None:
        """Build the rt_sigframe and point the registers at the handler."""
        state, ctx = process.signals, process.context
        if ctx.restart:
            ctx.restart = False
            if action.flags & SA_RESTART:
                self.set_reg(process, 10, ctx.orig_a0)
                ctx.pc = ctx.ecall_pc
            else:
                self.set_reg(process, 10, -errno.EINTR)
        if process is self.current:
            self.save()
        regs = list(ctx.regs)
        regs[0] = ctx.pc
        sp = regs[2]
        alt_sp, alt_flags, alt_size = state.altstack
        if action.flags & SA_ONSTACK and not alt_flags & SS_DISABLE and not alt_sp <= sp < alt_sp + alt_size:
            sp = alt_sp + alt_size
        frame = (sp - FRAME_SIZE) & ~15
        old_mask = ctx.suspended_mask if ctx.suspended_mask is not None else state.blocked
        ctx.suspended_mask = None
        info = struct.pack("<iii4x", sig, 0, SI_KERNEL if sig in FAULT_SIGNALS.values() else SI_USER)
        if sig in (SIGSEGV, SIGBUS, SIGILL, SIGTRAP):
            info += struct.pack("<Q", ctx.fault_addr)
        else:
            info += struct.pack("<ii", 0, 0)
        uc = struct.pack("<QQQi4xQQ", 0, 0, alt_sp, alt_flags, alt_size, old_mask)
        uc = uc.ljust(UC_MCONTEXT, b"\0")
        uc += struct.pack("<32Q", *[r & ((1 << 64) - 1) for r in regs])
        uc += struct.pack("<32QI", *ctx.fregs, ctx.fflags | (ctx.frm << 5))
        image = info.ljust(SIGINFO_SIZE, b"\0") + uc
        try:
            ctx.space.write(frame, image.ljust(FRAME_SIZE, b"\0"))
        except SysError:
            self.kernel.exit(process, killed(SIGSEGV, True))
            self.gone(process)
            return
        if not action.flags & SA_NODEFER:
            state.blocked |= bit(sig)
        state.blocked |= action.mask & ~UNBLOCKABLE
        if action.flags & SA_RESETHAND:
            state.actions[sig] = Action()
        ctx.regs[2] = frame
        ctx.regs[1] = SIGTRAMP
        ctx.regs[10], ctx.regs[11], ctx.regs[12] = sig, frame, frame + SIGINFO_SIZE
        ctx.pc = action.handler
        if process is self.current:
            for n in (1, 2, 10, 11, 12):
                self.hart.set_reg(n, ctx.regs[n])

    def sigreturn(self, process) -> None:
        """rt_sigreturn: registers, FP state and mask back from the frame at sp."""
        state, ctx = process.signals, process.context
        frame = self.reg(process, 2)
        uc = frame + SIGINFO_SIZE
        mask = struct.unpack("<Q", ctx.space.read(uc + UC_SIGMASK, 8))[0]
        regs = list(struct.unpack("<32Q", ctx.space.read(uc + UC_MCONTEXT, 256)))
        fp = struct.unpack("<32QI", ctx.space.read(uc + UC_MCONTEXT + 256, 260))
        state.blocked = mask & ~UNBLOCKABLE
        ctx.pc = regs[0]
        regs[0] = 0
        if process is self.current:
            hart = self.hart
            for i in range(1, 32):
                hart.set_reg(i, regs[i])
            for i in range(32):
                hart.set_freg(i, fp[i])
            hart.fflags, hart.frm = fp[32] & 0x1F, (fp[32] >> 5) & 7
        ctx.regs = regs
        ctx.fregs = list(fp[:32])
        ctx.fflags, ctx.frm = fp[32] & 0x1F, (fp[32] >> 5) & 7


# ---- the calls this platform serves itself -------------------------------------------------------

def space_of(process) -> AddressSpace:
    return process.context.space


def sys_brk(kernel, process, addr, *_):
    space = space_of(process)
    return space.brk if addr == 0 else space.set_brk(addr)


def sys_mmap(kernel, process, addr, length, prot, flags, fd, offset):
    """Private mappings only, as on the ptrace platforms: anonymous, or a file's bytes
    copied in; a shared mapping is refused (ENODEV)."""
    kind = flags & MAP_TYPE
    if kind != MAP_PRIVATE:
        raise SysError(errno.ENODEV if kind in (MAP_SHARED, 3) else errno.EINVAL)
    data = b""
    if not flags & MAP_ANONYMOUS:
        if offset & (PAGE - 1):
            raise SysError(errno.EINVAL)
        file = process.fds.get(s32(fd))
        if not isinstance(file, RegularFile):
            raise SysError(errno.ENODEV)
        if not file.readable():
            raise SysError(errno.EACCES)
        data = file.node.read(offset, length)
    return space_of(process).map(addr, length, prot & 7, flags, data)


def sys_munmap(kernel, process, addr, length, *_):
    space_of(process).unmap(addr, length)
    return 0


def sys_mprotect(kernel, process, addr, length, prot, *_):
    space_of(process).protect(addr, length, prot & 7)
    return 0


def sys_mremap(kernel, process, old, old_length, new_length, flags, new, *_):
    return space_of(process).remap(old, old_length, new_length, flags, new)


def sys_madvise(kernel, process, addr, length, advice, *_):
    if advice & 0xFFFFFFFF not in SAFE_ADVICE:
        raise SysError(errno.EINVAL)
    if advice == MADV_DONTNEED:
        space_of(process).discard(addr, length)
    return 0


def sys_riscv_flush_icache(kernel, process, *_):
    kernel.platform.hart.flush_decoded()
    return 0


def sys_rt_sigaction(kernel, process, sig, act, oldact, size, *_):
    sig = s32(sig)
    if not 1 <= sig <= NSIG or size != 8:
        raise SysError(errno.EINVAL)
    state = process.signals
    old = state.actions[sig]
    if act:
        if sig in (SIGKILL, 19):
            raise SysError(errno.EINVAL)
        handler, flags, mask = struct.unpack("<QQQ", process.memory.read(act, 24))
    if oldact:
        process.memory.write(oldact, struct.pack("<QQQ", old.handler, old.flags, old.mask))
    if act:
        state.actions[sig] = Action(handler, flags, mask)
        if handler == SIG_IGN or (handler == SIG_DFL and default_action(sig) == IGNORE):
            state.pending &= ~bit(sig)
    return 0


def sys_rt_sigprocmask(kernel, process, how, new, old, size, *_):
    if size != 8:
        raise SysError(errno.EINVAL)
    state = process.signals
    if old:
        process.memory.write(old, struct.pack("<Q", state.blocked))
    if new:
        mask = struct.unpack("<Q", process.memory.read(new, 8))[0] & ~UNBLOCKABLE
        if how == SIG_BLOCK:
            state.blocked |= mask
        elif how == SIG_UNBLOCK:
            state.blocked &= ~mask
        elif how == SIG_SETMASK:
            state.blocked = mask
        else:
            raise SysError(errno.EINVAL)
    return 0


def sys_rt_sigpending(kernel, process, addr, size, *_):
    process.memory.write(addr, struct.pack("<Q", process.signals.pending & process.signals.blocked))
    return 0


def sys_rt_sigreturn(kernel, process, *_):
    kernel.platform.sigreturn(process)
    return NO_RETURN


def sys_rt_sigsuspend(kernel, process, mask_addr, size, *_):
    """Wait for a signal with a temporary mask; returns -EINTR once a handler ran."""
    state, ctx = process.signals, process.context
    if ctx.signal_wait is None:
        ctx.signal_wait = WaitQueue(kernel)
    if ctx.suspended_mask is None:
        mask = struct.unpack("<Q", process.memory.read(mask_addr, 8))[0] & ~UNBLOCKABLE
        ctx.suspended_mask = state.blocked
        state.blocked = mask
    if state.next_deliverable():
        return -errno.EINTR
    raise Block(ctx.signal_wait)


def sys_sigaltstack(kernel, process, new, old, *_):
    state = process.signals
    if old:
        sp, flags, size = state.altstack
        process.memory.write(old, struct.pack("<Qi4xQ", sp, flags, size))
    if new:
        sp, flags, size = struct.unpack("<Qi4xQ", process.memory.read(new, 24))
        if flags & ~(SS_DISABLE | (1 << 31)):
            raise SysError(errno.EINVAL)
        state.altstack = (sp, flags & SS_DISABLE, size)
    return 0


SERVED_HERE = {
    "brk": sys_brk, "mmap": sys_mmap, "munmap": sys_munmap, "mprotect": sys_mprotect,
    "mremap": sys_mremap, "madvise": sys_madvise, "riscv_flush_icache": sys_riscv_flush_icache,
    "rt_sigaction": sys_rt_sigaction, "rt_sigprocmask": sys_rt_sigprocmask,
    "rt_sigpending": sys_rt_sigpending, "rt_sigreturn": sys_rt_sigreturn,
    "rt_sigsuspend": sys_rt_sigsuspend, "sigaltstack": sys_sigaltstack,
}
