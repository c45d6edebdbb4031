"""HTIF, the Berkeley host-target interface: how programs on Spike talk to the host.

Two 64-bit words in RAM, at the ELF symbols `tohost` and `fromhost`. The guest writes a
request to tohost: bits 63:56 name a device, 55:48 a command, 47:0 a payload. The host
answers in fromhost and clears tohost. Requests understood (as by Spike and QEMU's `spike`
machine, which is how the riscv-tests ISA suites report):
  device 0, command 0, payload odd:  exit with status payload >> 1 (1 means pass)
  device 0, command 0, payload even: a system call proxied to the host; payload points to
                                     eight words: number, arguments. write (64) is served.
  device 1, command 1:               print the character in the payload's low byte
  device 1, command 0:               read a character (answered when one is typed)
"""

import struct
from collections.abc import Callable

SYS_WRITE = 64


class Htif:
    def __init__(self, tohost: int, fromhost: int, output: Callable[[bytes], None],
                 on_exit: Callable[[int], None], read_memory: Callable[[int, int], bytes],
                 write_memory: Callable[[int, bytes], None]):
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
        self.input.extend(data)

    # Accesses arrive with absolute physical addresses (the board maps this at 0).
    def read(self, paddr: int, size: int) -> int:
        word, shift = self._word(paddr)
        value = self.tohost if word == "to" else self.fromhost
        return (value >> shift) & ((1 << (8 * size)) - 1)

    def write(self, paddr: int, size: int, value: int) -> None:
        word, shift = self._word(paddr)
        mask = ((1 << (8 * size)) - 1) << shift
        if word == "from":
            self.fromhost = (self.fromhost & ~mask) | ((value << shift) & mask)
            return
        self.tohost = (self.tohost & ~mask) | ((value << shift) & mask)
        if shift + 8 * size == 64 and self.tohost:    # the request is complete with its high half
            self._request(self.tohost)

    def _word(self, paddr: int) -> tuple[str, int]:
        if self.tohost_addr <= paddr < self.tohost_addr + 8:
            return "to", 8 * (paddr - self.tohost_addr)
        return "from", 8 * (paddr - self.fromhost_addr)

    def _request(self, request: int) -> None:
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
        self.tohost = 0
        self.fromhost = (device << 56) | (command << 48) | (response & ((1 << 48) - 1))

    def _syscall(self, address: int) -> None:
        number, fd, buf, length = struct.unpack("<4Q", self.read_memory(address, 32))
        if number == SYS_WRITE and fd in (1, 2):
            self.output(self.read_memory(buf, length))
            result = length
        else:
            result = (1 << 64) - 38                   # -ENOSYS
        self.write_memory(address, struct.pack("<Q", result))
