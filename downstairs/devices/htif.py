"""HTIF, the Berkeley host-target interface: how programs on Spike talk to the host.

Two 64-bit words in RAM, at the ELF symbols `tohost` and `fromhost`. The guest writes a
request to tohost; the host answers in fromhost, in the same layout, and clears tohost:

     63      56 55      48 47                                         0
    +----------+----------+--------------------------------------------+
    |  device  | command  |                  payload                   |
    +----------+----------+--------------------------------------------+

Requests understood (as by Spike and QEMU's `spike` machine, which is how the riscv-tests
ISA suites report):
  device 0, command 0, payload odd:  exit with status payload >> 1 (1 means pass)
  device 0, command 0, payload even: a system call proxied to the host; payload points to
                                     eight words: number, arguments. write (64) is served.
  device 1, command 1:               print the character in the payload's low byte
  device 1, command 0:               read a character (answered when one is typed)
"""

import struct
from collections.abc import Callable

from downstairs.devices.memory import GuestMemoryError

SYS_WRITE = 64
EFAULT = 14
MASK64 = (1 << 64) - 1
CHUNK = 1 << 20                   # a proxied write goes to the host this many bytes at a time


class Htif:
    def __init__(self, tohost: int, fromhost: int, output: Callable[[bytes], None],
                 on_exit: Callable[[int], None], read_memory: Callable[[int, int], bytes],
                 write_memory: Callable[[int, bytes], None]):
        """`read_memory(paddr, n)` and `write_memory(paddr, data)` reach guest RAM and raise
        GuestMemoryError outside it; `output` takes console bytes; `on_exit(status)` ends
        the run."""
        self.tohost_addr = tohost
        self.fromhost_addr = fromhost
        self.output = output
        self.on_exit = on_exit
        self.read_memory = read_memory
        self.write_memory = write_memory
        self.tohost = 0
        self.fromhost = 0
        self.input: list[int] = []

    def receive(self, data: bytes) -> None:
        """Typed bytes, answered one per console-read request."""
        self.input.extend(data)

    def claims(self, paddr: int) -> bool:
        """Whether an access starting at paddr is one to tohost or fromhost."""
        return (self.tohost_addr <= paddr < self.tohost_addr + 8
                or self.fromhost_addr <= paddr < self.fromhost_addr + 8)

    # Accesses arrive with absolute physical addresses that `claims` accepted; the bytes of an
    # access beyond the end of its word are dropped (reads give zeros there).
    def read(self, paddr: int, size: int) -> int:
        word, shift = self._word(paddr)
        value = self.tohost if word == "to" else self.fromhost
        return (value >> shift) & ((1 << (8 * size)) - 1)

    def write(self, paddr: int, size: int, value: int) -> None:
        """A store into a word; one that reaches tohost's top byte completes a request."""
        word, shift = self._word(paddr)
        mask = (((1 << (8 * size)) - 1) << shift) & MASK64
        if word == "from":
            self.fromhost = (self.fromhost & ~mask) | ((value << shift) & mask)
            return
        self.tohost = (self.tohost & ~mask) | ((value << shift) & mask)
        if shift + 8 * size >= 64 and self.tohost:    # the request is complete with its high half
            self._request(self.tohost)

    def _word(self, paddr: int) -> tuple[str, int]:
        """Which word paddr is in ("to" or "from") and its bit offset there."""
        if self.tohost_addr <= paddr < self.tohost_addr + 8:
            return "to", 8 * (paddr - self.tohost_addr)
        return "from", 8 * (paddr - self.fromhost_addr)

    def _request(self, request: int) -> None:
        """Carry out the request written to tohost (the table in this file's docstring)."""
        device, command, payload = request >> 56, (request >> 48) & 0xFF, request & ((1 << 48) - 1)
        if device == 0 and command == 0:
            if payload & 1:
                self.tohost = 0
                self.on_exit(payload >> 1)
                return
            self._syscall(payload)
            self._answer(device, command, 1)
        elif device == 1 and command == 1:
            self.output(bytes((payload & 0xFF,)))
            self._answer(device, command, 0)
        elif device == 1 and command == 0:
            if self.input:
                self._answer(device, command, self.input.pop(0))
            else:
                self.tohost = 0
        else:
            self.tohost = 0

    def _answer(self, device: int, command: int, response: int) -> None:
        """Clear tohost and put the response in fromhost, as the host side does."""
        self.tohost = 0
        self.fromhost = (device << 56) | (command << 48) | (response & ((1 << 48) - 1))

    def _syscall(self, address: int) -> None:
        """A proxied system call: eight words at `address` (number, arguments), the result
        written over the first. write(1 or 2, buf, len) prints; a buffer not in RAM is
        -EFAULT, anything else -ENOSYS. A block not in RAM has nowhere to answer: ignored."""
        try:
            number, fd, buf, length = struct.unpack("<4Q", self.read_memory(address, 32))
        except GuestMemoryError:
            return
        if number == SYS_WRITE and fd in (1, 2):
            result = self._write_out(buf, length)
        else:
            result = (1 << 64) - 38                   # -ENOSYS
        self.write_memory(address, struct.pack("<Q", result))

    def _write_out(self, buf: int, length: int) -> int:
        """Print `length` bytes of RAM at buf, a chunk at a time (a guest's length may be
        as large as its RAM); the count, or -EFAULT when the buffer is not all RAM."""
        try:
            if length:
                self.read_memory(buf, 1)              # RAM is one range: both ends in it,
                self.read_memory(buf + length - 1, 1)  # all of it is
        except GuestMemoryError:
            return (1 << 64) - EFAULT
        for offset in range(0, length, CHUNK):
            self.output(self.read_memory(buf + offset, min(CHUNK, length - offset)))
        return length
