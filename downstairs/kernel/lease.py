"""Leases: memory a sender lends the receiver of its message, for the length of the call (Hubris's
leases, doc/ipc.adoc; docs/kernel.md, "Leases").

SEND's a6 points at a lease list in the sender's memory (abi.Leases): up to four ranges, each
readable, writable or both by the receiver. The kernel checks every range against the sender's
own memory before the message goes anywhere (a lease outside it is the sender's fault), and
keeps the checked ranges here while the sender waits. The receiver never sees the sender's
memory: it asks BORROW to copy bytes out of a lease or into it, and each copy is checked again
against the lease's bounds and flags and against the receiver's own memory. REPLY (or the
fault or restart of either task) ends the leases.

A Lease is a resource that only this module makes, and only after the check: no other part of
the kernel can invent one for memory the sender never lent.
"""

from downstairs.compiler.runtime import u8, u32, u64, resource, array, Ref, load32, load64
import abi
import task
from task import Task, readable, writable, copy
from table import MAX_TASKS

BAD = 0xFFFFFFFF


@resource
class Lease:
    """A range of the lender's memory, checked, with what the receiver may do to it."""
    address: u64
    length: u64
    flags: u32


held = array(Lease, MAX_TASKS * abi.MAX_LEASES)      # task i's leases at [4 * i, 4 * i + 4),
                                                    # the first tasks[i].leases of them in use


def lend(sender: Task, leases: u64) -> u32:
    """Check the lease list at address `leases` in `sender`'s memory and keep its leases until
    the call ends. Returns how many, or BAD (and keeps none) if the list or any range in it is
    not the sender's to lend."""
    sender.leases = 0
    if leases == 0:
        return 0
    if leases & 7 != 0 or not readable(sender, leases, 8):
        return BAD
    n = load64(leases)
    if n > abi.MAX_LEASES or not readable(sender, leases + 8, n * 16):
        return BAD
    for k in range(n):
        spec = leases + 8 + k * 16
        if not checked(sender, load64(spec), u64(load32(spec + 8)), load32(spec + 12)):
            return BAD
    for k in range(n):
        spec = leases + 8 + k * 16
        lease = make(load64(spec), u64(load32(spec + 8)), load32(spec + 12))
        keep(sender.index, u32(k), lease)
    sender.leases = u8(n)
    return u32(n)


def checked(sender: Task, address: u64, length: u64, flags: u32) -> bool:
    """One lease range: flags READ and/or WRITE, nothing else; the sender may read it (for READ)
    and write it (for WRITE)."""
    if flags == 0 or flags & ~u32(abi.LEASE_READ | abi.LEASE_WRITE) != 0:
        return False
    if flags & abi.LEASE_WRITE != 0 and not writable(sender, address, length):
        return False
    return readable(sender, address, length)


def make(address: u64, length: u64, flags: u32) -> Lease:
    """A Lease for a range lend() has checked."""
    lease = Lease(address, length, flags)
    return lease


def keep(index: u32, k: u32, lease: Lease) -> None:
    held[index * abi.MAX_LEASES + k] = lease


def count(index: u32) -> u32:
    """How many leases task `index` has lent with the call it is in."""
    return u32(task.tasks[index].leases)


def end(index: u32) -> None:
    """The call of task `index` is over: its leases end."""
    task.tasks[index].leases = 0


def borrow(lender: Task, k: u32, offset: u64, borrower: Task, address: u64, length: u64, direction: u64) -> u32:
    """BORROW: copy `length` bytes between lease `k` of `lender` (from `offset`) and the
    borrower's memory at `address`. abi.OK, or the BAD_* reason the borrower faults with."""
    if k >= count(lender.index):
        return abi.BAD_LEASE
    return copy_checked(held[lender.index * abi.MAX_LEASES + k], offset, borrower, address, length, direction)


def copy_checked(lease: Ref[Lease], offset: u64, borrower: Task, address: u64, length: u64, direction: u64) -> u32:
    """The checks of one BORROW against the lease and the borrower's memory, then the copy."""
    if offset > lease.length or length > lease.length - offset:
        return abi.BAD_LEASE
    if direction == abi.BORROW_READ:
        if lease.flags & abi.LEASE_READ == 0:
            return abi.BAD_LEASE
        if not writable(borrower, address, length):
            return abi.BAD_BUFFER
        copy(address, lease.address + offset, length)
    elif direction == abi.BORROW_WRITE:
        if lease.flags & abi.LEASE_WRITE == 0:
            return abi.BAD_LEASE
        if not readable(borrower, address, length):
            return abi.BAD_BUFFER
        copy(lease.address + offset, address, length)
    else:
        return abi.BAD_LEASE
    return abi.OK


def info(lender: Task, k: u32, which: u32) -> u64:
    """Lease `k` of `lender`: its length (which = 0) or flags (which = 1); BAD if there is none."""
    if k >= count(lender.index):
        return u64(BAD)
    return describe(held[lender.index * abi.MAX_LEASES + k], which)


def describe(lease: Ref[Lease], which: u32) -> u64:
    return lease.length if which == 0 else u64(lease.flags)
