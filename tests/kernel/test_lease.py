"""Leases under CPython: a sender lends parts of its memory with a message; the kernel checks
them against the sender's memory before anything is delivered, and checks every BORROW against
the lease and the borrower's memory (logic.toml: each task's memory is a page of text, a page of
data, a gap, and a stack page at the top)."""

import struct

import pytest

from downstairs.kernel import abi
from downstairs.kernel.hosted import syscall, put_bytes, get_bytes

from tests.kernel.conftest import SERVER, CLIENT

A0, A1 = 10, 11
FAULTED, RUNNABLE = 4, 0


def memory(k, index):
    t = k["task"].tasks[index]
    return t.base, t.text_end, t.data_end, t.stack_bottom, t.base + t.size


def lease_list(address, *leases):
    """Write a lease list (abi.Leases) at `address`: leases are (address, length, flags)."""
    blob = struct.pack("<Q", len(leases)) + b"".join(struct.pack("<QII", *spec) for spec in leases)
    put_bytes(address, blob)
    return address


def lend_and_receive(k, *leases):
    """CLIENT sends to SERVER with `leases` (its list in CLIENT's data page); SERVER receives."""
    _, text_end, _, _, _ = memory(k, CLIENT)
    syscall(k, SERVER, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, 0)
    syscall(k, CLIENT, abi.SEND, SERVER, 1, 0, 0, 0, 0, lease_list(text_end + 0x800, *leases))
    return k["task"].tasks[SERVER].frame.regs


def borrow(k, lease, offset, address, length, direction):
    return syscall(k, SERVER, abi.BORROW, CLIENT, lease, offset, address, length, direction)


def fault_of(k, index):
    t = k["task"].tasks[index]
    return (t.fault_cause, t.fault_tval) if t.state == FAULTED else None


def test_a_receiver_reads_and_writes_only_through_the_leases(k):
    base, text_end, data_end, stack_bottom, top = memory(k, CLIENT)
    put_bytes(base + 0x10, b"lent for reading")
    regs = lend_and_receive(k, (base + 0x10, 16, abi.LEASE_READ), (stack_bottom, 64, abi.LEASE_WRITE))
    assert regs[16] == 2                                              # a6: two leases came with it
    assert borrow(k, 0, 0, 0, 0, 0)[A1:A1 + 2] == [16, abi.LEASE_READ]    # length 0: the lease's size
    server_data = memory(k, SERVER)[1]
    assert borrow(k, 0, 5, server_data, 11, abi.BORROW_READ)[A0] == abi.OK
    assert get_bytes(server_data, 11) == b"for reading"
    put_bytes(server_data + 0x100, b"answer")
    assert borrow(k, 1, 8, server_data + 0x100, 6, abi.BORROW_WRITE)[A0] == abi.OK
    assert get_bytes(stack_bottom + 8, 6) == b"answer"
    assert fault_of(k, SERVER) is None and fault_of(k, CLIENT) is None


@pytest.mark.parametrize("where", ["gap", "text for writing", "past the top", "wraps around", "zero flags",
                                   "unknown flag", "five leases"])
def test_a_lease_that_is_not_the_senders_to_lend_faults_the_sender(k, where):
    base, text_end, data_end, stack_bottom, top = memory(k, CLIENT)
    leases = {"gap": [(data_end, 16, abi.LEASE_READ)],
              "text for writing": [(base, 16, abi.LEASE_WRITE)],
              "past the top": [(top - 8, 16, abi.LEASE_READ)],
              "wraps around": [(2 ** 64 - 8, 16, abi.LEASE_READ)],
              "zero flags": [(text_end, 16, 0)],
              "unknown flag": [(text_end, 16, abi.LEASE_READ | 4)],
              "five leases": [(text_end, 16, abi.LEASE_READ)] * 5}[where]
    lend_and_receive(k, *leases)
    assert fault_of(k, CLIENT) == (abi.FAULT_SYSCALL, abi.BAD_LEASE_LIST)
    assert k["task"].tasks[SERVER].state != RUNNABLE                  # nothing was delivered


def test_a_lease_list_outside_the_senders_memory_faults_it(k):
    syscall(k, CLIENT, abi.SEND, SERVER, 1, 0, 0, 0, 0, memory(k, SERVER)[1])
    assert fault_of(k, CLIENT) == (abi.FAULT_SYSCALL, abi.BAD_LEASE_LIST)


@pytest.mark.parametrize("case,reason", [("beyond the lease", abi.BAD_LEASE), ("write to a read lease", abi.BAD_LEASE),
                                         ("no such lease", abi.BAD_LEASE), ("into its own text", abi.BAD_BUFFER),
                                         ("offset wraps", abi.BAD_LEASE), ("a lease index past 2**32", abi.BAD_LEASE),
                                         ("info of a lease index past 2**32", abi.BAD_LEASE)])
def test_a_borrow_outside_its_lease_or_memory_faults_the_borrower(k, case, reason):
    base, text_end, data_end, stack_bottom, top = memory(k, CLIENT)
    lend_and_receive(k, (text_end, 32, abi.LEASE_READ))
    server_base, server_data = memory(k, SERVER)[:2]
    args = {"beyond the lease": (0, 16, server_data, 17, abi.BORROW_READ),
            "write to a read lease": (0, 0, server_data, 4, abi.BORROW_WRITE),
            "no such lease": (1, 0, server_data, 4, abi.BORROW_READ),
            "into its own text": (0, 0, server_base, 4, abi.BORROW_READ),
            "offset wraps": (0, 2 ** 64 - 1, server_data, 4, abi.BORROW_READ),
            "a lease index past 2**32": (2 ** 32, 0, server_data, 4, abi.BORROW_READ),
            "info of a lease index past 2**32": (2 ** 32, 0, 0, 0, abi.BORROW_READ)}[case]
    borrow(k, *args)
    assert fault_of(k, SERVER) == (abi.FAULT_SYSCALL, reason)
    assert fault_of(k, CLIENT) is None


def test_leases_end_with_the_reply(k):
    _, text_end, _, _, _ = memory(k, CLIENT)
    lend_and_receive(k, (text_end, 32, abi.LEASE_READ))
    syscall(k, SERVER, abi.REPLY, CLIENT, 0, 0, 0, 0, 0)
    assert k["lease"].count(CLIENT) == 0
    borrow(k, 0, 0, memory(k, SERVER)[1], 4, abi.BORROW_READ)
    assert fault_of(k, SERVER) == (abi.FAULT_SYSCALL, abi.BAD_CALLER)      # not waiting for us any more


def test_a_lease_is_made_only_by_the_lease_module(k):
    from downstairs.compiler.errors import CompileError
    from downstairs.compiler.cpython import checked
    import pathlib
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        forged = pathlib.Path(folder) / "forge.py"
        forged.write_text("from downstairs.compiler.runtime import u64\nfrom lease import Lease, keep\n\n\n"
                          "def main() -> None:\n    forged = Lease(0x80000000, 4096, 3)\n    keep(0, 0, forged)\n")
        with pytest.raises(CompileError, match="only module 'lease' can create a Lease"):
            checked(str(forged), [str(pathlib.Path(k["lease"].__file__).parent)])
