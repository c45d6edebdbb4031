"""The host side of the intrinsics: a very small model of QEMU's `virt` board for CPython runs.

Only what compiled test programs touch: the 16550 UART's transmit register (offset 0) and line
status register (offset 5, bit 5 "THR empty" always set) at 0x10000000, the sifive_test device
at 0x100000 (0x5555 = pass, 0x3333 | code << 16 = fail), and plain little-endian memory
elsewhere. CSRs are a dictionary; the counters (cycle 0xC00, time 0xC01, instret 0xC02 and the
machine copies 0xB00/0xB02) read as 0 so host output never depends on timing.

Privilege on the host: the machine has a current mode (M at the start) and a hart index.
A trap is a Python call. An ecall (or ecall_regs) from a mode below M traps to M, or to S
when the cause's bit is set in medeleg (or it comes from U-mode and the program has no
machine_trap handler: SBI firmware delegates those) and the program has a supervisor_trap
handler: the handler registered for that mode (TRAP_HANDLERS) is called with a TrapFrame
holding the arguments, and the ecall returns what the handler left in a0. An ecall from
U-mode into a program with a supervisor_syscall handler goes to that one instead, with the
frame the last trap_return into U-mode left for (host.system_call). A CSR access from a mode below
the CSR's is an illegal-instruction trap the same way. trap_return(frame) calls the function
whose address (from addr()) is the frame's pc, in the mode the frame's status names, with
a0.. as its arguments. A record or array given an address by addr() holds its bytes there
(class Held): loads, stores and atomics at that address act on its fields. An mprv access to a page listed in `faults` (page 0, where virt has no
memory) is an access fault into the M handler, with the frame a nested trap from M would
have; the access then reads 0.
"""

import weakref

UART_BASE = 0x10000000
TEST_BASE = 0x100000


class HostExit(Exception):
    """The program wrote the sifive_test device: `status` is 0 for pass, the code for fail."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class HostTrap(Exception):
    """The program trapped on purpose (ecall): `cause` is the mcause a hart would report."""

    def __init__(self, cause: int):
        super().__init__(cause)
        self.cause = cause


class HostLeft(Exception):
    """The program left for code the host does not have (mret, sret, or trap_return to a pc
    no addr() gave out): `mode` is the privilege mode it left for."""

    def __init__(self, mode: int, pc: int = 0):
        super().__init__(mode, pc)
        self.mode, self.pc = mode, pc


PRV_U, PRV_S, PRV_M = 0, 1, 3
MSTATUS, MEDELEG, MSTATUS_MPP_SHIFT, SSTATUS_SPP = 0x300, 0x302, 11, 1 << 8
ILLEGAL_INSTRUCTION, LOAD_ACCESS_FAULT, STORE_ACCESS_FAULT, CAUSE_ECALL_U = 2, 5, 7, 8
HOST_ADDRESSES = 0x4000_0000_0000      # where addr() hands out made-up addresses on the host
TRAP_HANDLERS: dict[int, object] = {PRV_M: None, PRV_S: None}   # set by @machine_trap, @supervisor_trap
SYSCALL_HANDLERS: dict[int, object] = {PRV_S: None}             # set by @supervisor_syscall
                                            # (reset() clears both: the next program's modules set them)
ENCLOSING = weakref.WeakKeyDictionary()     # a TrapFrame that begins a record -> that record


class HostMachine:
    """The host's machine: collected UART output (also written to `echo`, a binary stream,
    if given), byte-addressed memory, CSRs, the current privilege mode and hart."""

    def __init__(self, echo=None):
        self.echo = echo
        self.output = bytearray()
        self.memory: dict[int, int] = {}
        self.csrs: dict[int, int] = {}
        self.mode = PRV_M
        self.hart = 0
        self.image_start, self.image_end = 0x80000000, 0x80040000
        self.tlb_flushes = 0
        self.faults: set[int] = {0}              # pages where an mprv access faults (page 0: no memory on virt)
        self.addresses: dict[int, int] = {}      # id(thing) -> address given out by addr()
        self.things: dict[int, object] = {}      # address -> the thing (functions, for trap_return)
        self.held: list[Held] = []               # records and arrays whose bytes are at an address
        self.next_address = HOST_ADDRESSES
        self.scratch = None                      # the frame the last trap_return into U-mode left for

    def load(self, address: int, size: int) -> int:
        """A little-endian load of `size` bytes (the UART's LSR reads "THR empty")."""
        held = self.object_at(address)
        if held is not None:
            return sum(held.get_byte(address + k) << (8 * k) for k in range(size))
        if address == UART_BASE + 5:
            return 0x60
        if UART_BASE <= address < UART_BASE + 8:
            return 0
        return sum(self.memory.get(address + k, 0) << (8 * k) for k in range(size))

    def store(self, address: int, size: int, value: int) -> None:
        """A little-endian store; the UART's THR appends to output, sifive_test raises
        HostExit."""
        value &= (1 << (8 * size)) - 1
        held = self.object_at(address)
        if held is not None:
            for k in range(size):
                held.set_byte(address + k, (value >> (8 * k)) & 0xFF)
            return
        if address == UART_BASE:
            self.output.append(value & 0xFF)
            if self.echo is not None:
                self.echo.write(bytes((value & 0xFF,)))
                if value & 0xFF == 10:
                    self.echo.flush()
            return
        if address == TEST_BASE:
            if value & 0xFFFF == 0x5555:
                raise HostExit(0)
            if value & 0xFFFF == 0x3333:
                raise HostExit(value >> 16)
            return
        for k in range(size):
            self.memory[address + k] = (value >> (8 * k)) & 0xFF

    def flush(self) -> None:
        """Push echoed output out (at the end of a run)."""
        if self.echo is not None:
            self.echo.flush()

    def csr_read(self, number: int) -> int:
        if not self.csr_allowed(number):
            return 0
        if number in (0xC00, 0xC01, 0xC02, 0xB00, 0xB02):
            return 0
        return self.csrs.get(number, 0)

    def csr_write(self, number: int, value: int) -> None:
        if self.csr_allowed(number):
            self.csrs[number] = value & ((1 << 64) - 1)

    def csr_allowed(self, number: int) -> bool:
        """A CSR needs the privilege in its number's bits 9:8 (privileged spec 2.1): from a
        lower mode the access is an illegal-instruction trap (tval 0 here: the host has no
        instruction bits), after which the read gives 0 and the write is dropped."""
        if (number >> 8) & 3 <= self.mode:
            return True
        self.take_trap(ILLEGAL_INSTRUCTION, 0)
        return False

    def ecall(self, a7: int, a0: int, a1: int, a2: int) -> int:
        """An ecall from this mode: into the handler of the mode it traps to (see the module
        docstring); with no handler there (compiled code in M-mode with a plain trap
        function), a HostTrap with the cause a hart would report."""
        regs = [a0, a1, a2, 0, 0, 0, 0, a7]
        self.ecall_regs(regs)
        return regs[0]

    def ecall_regs(self, regs: list) -> None:
        cause = CAUSE_ECALL_U + self.mode
        if SYSCALL_HANDLERS[PRV_S] is not None and self.delegated(cause):
            frame = self.system_call(regs)
        else:
            frame = self.take_trap(cause, 0, regs)
        for k in range(8):
            regs[k] = frame.regs[10 + k]

    def system_call(self, regs: list):
        """An ecall from U-mode into a @supervisor_syscall handler: a0..a7 go into the frame the
        last trap_return into U-mode left for (a fresh one if there was none), and the handler
        gets that frame, or the record it begins (the handler's parameter says which). The
        frame comes back as the handler left it (pc is the host's, unchanged)."""
        from downstairs.compiler.runtime import TrapFrame
        frame = self.scratch if self.scratch is not None else TrapFrame()
        for k, value in enumerate(regs):
            frame.regs[10 + k] = value & ((1 << 64) - 1)
        handler = SYSCALL_HANDLERS[PRV_S]
        wants = next(iter(handler.__annotations__.values()))
        before = self.mode
        self.mode = PRV_S
        try:
            handler(frame if wants is TrapFrame else ENCLOSING[frame])
        finally:
            self.mode = before
        return frame

    def take_trap(self, cause: int, tval: int, args=()):
        """Trap from the current mode: call the handler of the mode the trap goes to with a
        fresh TrapFrame (a0.. = args) and return the frame as the handler left it."""
        from downstairs.compiler.runtime import TrapFrame
        target = PRV_S if self.delegated(cause) and TRAP_HANDLERS[PRV_S] is not None else PRV_M
        handler = TRAP_HANDLERS[target]
        if handler is None:
            raise HostTrap(cause)
        frame = TrapFrame()
        for k, value in enumerate(args):
            frame.regs[10 + k] = value & ((1 << 64) - 1)
        status = self.csrs.get(MSTATUS, 0)
        if target == PRV_M:
            status = (status & ~(3 << MSTATUS_MPP_SHIFT)) | (self.mode << MSTATUS_MPP_SHIFT)
        else:
            status = (status & ~SSTATUS_SPP) | (SSTATUS_SPP if self.mode == PRV_S else 0)
        frame.status, frame.cause, frame.tval, frame.hart = status, cause, tval, self.hart
        before = self.mode
        self.mode = target
        try:
            handler(frame)
        finally:
            self.mode = before
        return frame

    def delegated(self, cause: int) -> bool:
        """Whether a trap with `cause` from the current mode goes to S-mode: medeleg says so,
        or it comes from U-mode into a program with no M-mode handler (an S-mode program,
        under SBI firmware that delegates U-mode's traps, as OpenSBI does)."""
        if self.mode == PRV_M:
            return False
        if (self.csrs.get(MEDELEG, 0) >> cause) & 1:
            return True
        return self.mode == PRV_U and TRAP_HANDLERS[PRV_M] is None

    def trap_return(self, frame) -> None:
        """Leave for the frame's mode and pc: call the function there with a0.. as its
        arguments (it must not return: code entered by a trap return has nowhere to go)."""
        if self.mode == PRV_M:
            target = (frame.status >> MSTATUS_MPP_SHIFT) & 3
        else:
            target = PRV_S if frame.status & SSTATUS_SPP else PRV_U
        if target == PRV_U:
            self.scratch = frame
        func = self.things.get(frame.pc)
        if func is None:
            raise HostLeft(target, frame.pc)
        import inspect
        count = len(inspect.signature(func).parameters)
        self.mode = target
        func(*frame.regs[10:10 + count])
        raise HostLeft(target, frame.pc)

    def address_of(self, thing) -> int:
        """A stable made-up address for a function, record or array; a record's or array's
        bytes then live at it (Held), so loads, stores and atomics there act on the object.
        A bytes value's are copied there (it cannot change)."""
        key = id(thing)
        if key not in self.addresses and isinstance(thing, bytes):
            self.addresses[key] = self.next_address
            self.things[self.next_address] = thing
            for k, byte in enumerate(thing):
                self.memory[self.next_address + k] = byte
            self.next_address += (len(thing) + 0xFFF) // 0x1000 * 0x1000 or 0x1000
        if key not in self.addresses:
            size = 8 if callable(thing) and not hasattr(thing, "__record_fields__") else layout_of(thing)[0]
            self.addresses[key] = self.next_address
            self.things[self.next_address] = thing
            if not callable(thing) or hasattr(thing, "__record_fields__"):
                self.held.append(Held(self.next_address, thing, size))
            self.next_address += (size + 0xFFF) // 0x1000 * 0x1000 or 0x1000
        return self.addresses[key]

    def object_at(self, address: int):
        if address < HOST_ADDRESSES:
            return None
        for held in self.held:
            if held.base <= address < held.base + held.size:
                return held
        return None

    def lower_load(self, address: int, size: int) -> int:
        """A load as the mode in mstatus.MPP sees memory (mprv_load*)."""
        if address >> 12 in self.faults:
            self.take_trap(LOAD_ACCESS_FAULT, address)
            return 0
        return self.load(address, size)

    def lower_store(self, address: int, size: int, value: int) -> None:
        if address >> 12 in self.faults:
            self.take_trap(STORE_ACCESS_FAULT, address)
            return
        self.store(address, size, value)


def kind_layout(kind) -> tuple[int, int]:
    """(size, alignment) of a type on the host, as the compiler lays it out (types.py)."""
    if hasattr(kind, "length"):                       # Array[T, n]
        size, align = kind_layout(kind.elem)
        return size * kind.length, align
    if hasattr(kind, "__record_fields__"):
        return record_layout(kind)[:2]
    bits = getattr(kind, "bits", 8)                   # u8 .. i64; bool is one byte
    return bits // 8, bits // 8


def record_layout(cls) -> tuple[int, int, list]:
    """(size, alignment, [(name, kind, offset)]) of a record class: C struct layout."""
    offset, align, fields = 0, 1, []
    for name, kind in cls.__record_fields__:
        size, field_align = kind_layout(kind)
        offset = (offset + field_align - 1) // field_align * field_align
        fields.append((name, kind, offset))
        offset += size
        align = max(align, field_align)
    return (offset + align - 1) // align * align, align, fields


def layout_of(thing) -> tuple[int, int]:
    if hasattr(thing, "elem"):                        # a host array
        size, align = kind_layout(thing.elem)
        return size * len(thing), align
    return record_layout(type(thing))[:2]


class Held:
    """A record or array given an address by addr(): byte `base + k` is byte k of its C layout,
    read from and written to the Python object's fields and elements."""

    def __init__(self, base: int, thing, size: int):
        self.base, self.thing, self.size = base, thing, size

    def leaf(self, address: int):
        """(container, key, kind, byte within the integer) for one byte of the object."""
        offset, container, kind = address - self.base, self.thing, None
        while True:
            if hasattr(container, "elem"):            # an array: which element
                size = kind_layout(container.elem)[0]
                key, offset, kind = offset // size, offset % size, container.elem
            else:                                     # a record: which field
                for name, field_kind, field_offset in reversed(record_layout(type(container))[2]):
                    if offset >= field_offset:
                        key, offset, kind = name, offset - field_offset, field_kind
                        break
            value = container[key] if isinstance(key, int) else getattr(container, key)
            if hasattr(value, "elem") or hasattr(value, "__record_fields__"):
                container = value
                continue
            return container, key, kind, offset

    def get_byte(self, address: int) -> int:
        container, key, kind, byte = self.leaf(address)
        value = container[key] if isinstance(key, int) else getattr(container, key)
        return (int(value) >> (8 * byte)) & 0xFF

    def set_byte(self, address: int, byte_value: int) -> None:
        container, key, kind, byte = self.leaf(address)
        old = int(container[key] if isinstance(key, int) else getattr(container, key))
        new = (old & ~(0xFF << (8 * byte))) | (byte_value << (8 * byte))
        new = kind(new) if callable(kind) and not isinstance(kind, type) else int(bool(new) if kind is bool else new)
        if isinstance(key, int):
            container[key] = new
        else:
            setattr(container, key, new)


MACHINE = HostMachine()


def reset(echo=None) -> HostMachine:
    """A fresh machine for the next host run (its UART output also to `echo`, if given), with
    no trap handlers until the next program's @machine_trap/@supervisor_trap registers one."""
    global MACHINE
    MACHINE = HostMachine(echo)
    TRAP_HANDLERS[PRV_M] = TRAP_HANDLERS[PRV_S] = None
    SYSCALL_HANDLERS[PRV_S] = None
    return MACHINE
