"""The benchmark's client (bench.toml): IPC round trips to the ponger and null system calls (a
SEND to KERNEL for K_NOW), each counted with the instret CSR around the ecall, then the averages
printed and the machine powered off. downstairs/bench/own_kernel.py also counts the same calls from
outside, exactly, on our machine."""

from downstairs.compiler.runtime import u64, array, csr_read, ecall_regs
import abi
from userlib import power_off
from console import put, put_dec
from slots import PONGER

INSTRET = 0xC02
WARM = 8
ROUNDS = 64

regs = array(u64, 8)


def call(target: u64, op: u64) -> u64:
    """One SEND with no leases, counted: the instructions from just before ecall_regs to just
    after it (its loads and stores of a0..a7 included)."""
    for k in range(8):
        regs[k] = 0
    regs[0] = target
    regs[1] = op
    regs[7] = abi.SEND
    before = csr_read(INSTRET)
    ecall_regs(regs)
    return csr_read(INSTRET) - before


def average(target: u64, op: u64) -> u64:
    for k in range(WARM):
        call(target, op)
    total: u64 = 0
    for k in range(ROUNDS):
        total += call(target, op)
    return total // ROUNDS


def main() -> None:
    ipc = average(PONGER, 1)
    null = average(abi.KERNEL, abi.K_NOW)
    put(b"pinger: ipc round trip ")
    put_dec(ipc)
    put(b" instructions, null system call ")
    put_dec(null)
    put(b" (instret around ecall_regs)\n")
    power_off(False)
