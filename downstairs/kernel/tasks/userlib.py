"""The tasks' side of the five system calls and the kernel's operations (Hubris's userlib): each
function puts its arguments in a0..a7 as abi.py draws them, makes the ecall, and reads the
results back. A message travels in a Message record, which is the eight registers a0..a7 as
the kernel reads and writes them: regs[OP] is the op (or a reply's code), regs[W0..W3] the words.

    status = send(target, m, leases)       m's op and words out; the reply's code and words back in m
    sender = recv(reply_to, code, m, mask) reply first (unless reply_to is NONE), then wait
    reply(caller, code, m)                 m's words are the reply's words
    borrow_read / borrow_write / lease_length   the leases of a caller waiting for our reply
    post(task, bits)

Leases are lent by address: `lend(list, k, addr(buffer), length, flags)` fills a Leases record,
and `send(..., addr(list))` lends them for the call.
"""

from downstairs.compiler.runtime import u8, u32, u64, record, array, Array, ecall_regs
import abi
from abi import Leases


@record
class Message:
    """A message as the registers carry it (abi.py), so a system call copies nothing:
    regs[PEER] is a0 (the target, then the status; the sender, for RECV), regs[OP] a1 (op or
    code, or the notification bits), regs[W0..W3] a2..a5 (the words), regs[LEASES] a6."""
    regs: Array[u64, 8]


PEER = 0
OP = 1
W0 = 2
W1 = 3
W2 = 4
W3 = 5
LEASES = 6
NUMBER = 7


def send(target: u64, m: Message, leases: u64) -> u64:
    """SEND m's op and words to task `target` (or KERNEL) lending the lease list at address
    `leases` (0: none); wait for the reply, which comes back in m (its code in regs[OP]).
    Returns abi.OK, or abi.DEAD if the server faulted or restarted before it answered."""
    m.regs[PEER] = target
    m.regs[LEASES] = leases
    m.regs[NUMBER] = abi.SEND
    ecall_regs(m.regs)
    return m.regs[PEER]


def recv(reply_to: u64, code: u64, m: Message, mask: u64) -> u64:
    """Reply to `reply_to` with `code` and m's words unless it is abi.NONE, then wait for a
    message or for a notification in `mask` (| abi.CLOSED: notifications only). The message
    lands in m; the sender's id comes back (abi.KERNEL for notifications: regs[OP] holds the
    bits; regs[LEASES] says how many leases came with a message)."""
    m.regs[PEER] = reply_to
    m.regs[OP] = code
    m.regs[LEASES] = mask
    m.regs[NUMBER] = abi.RECV
    ecall_regs(m.regs)
    return m.regs[PEER]


def reply(caller: u64, code: u64, m: Message) -> u64:
    """REPLY to `caller` with `code` and m's words; abi.DEAD if it has gone."""
    m.regs[PEER] = caller
    m.regs[OP] = code
    m.regs[NUMBER] = abi.REPLY
    ecall_regs(m.regs)
    return m.regs[PEER]


regs = array(u64, 8)


def call(number: u64) -> None:
    """An ecall with a7 = number, a0..a6 from regs, and the results back into regs."""
    regs[7] = number
    ecall_regs(regs)


def borrow(caller: u64, lease: u64, offset: u64, address: u64, length: u64, direction: u64) -> u64:
    regs[0] = caller
    regs[1] = lease
    regs[2] = offset
    regs[3] = address
    regs[4] = length
    regs[5] = direction
    call(abi.BORROW)
    return regs[0]


def borrow_read(caller: u64, lease: u64, offset: u64, address: u64, length: u64) -> u64:
    """Copy `length` bytes of lease `lease` of `caller` from `offset` to our `address`."""
    return borrow(caller, lease, offset, address, length, abi.BORROW_READ)


def borrow_write(caller: u64, lease: u64, offset: u64, address: u64, length: u64) -> u64:
    """Copy `length` bytes from our `address` into lease `lease` of `caller` at `offset`."""
    return borrow(caller, lease, offset, address, length, abi.BORROW_WRITE)


def lease_length(caller: u64, lease: u64) -> u64:
    """The length of lease `lease` of `caller` (a BORROW of length 0)."""
    borrow(caller, lease, 0, 0, 0, abi.BORROW_READ)
    return regs[1]


def post(task: u64, bits: u32) -> None:
    regs[0] = task
    regs[1] = u64(bits)
    call(abi.POST)


def lend(leases: Leases, k: u64, address: u64, length: u64, flags: u32) -> None:
    """Lease k of the list: `length` bytes at our `address`, readable and/or writable by the
    receiver; the list's count grows to cover it."""
    leases.specs[k].address = address
    leases.specs[k].length = u32(length)
    leases.specs[k].flags = flags
    if leases.count < k + 1:
        leases.count = k + 1


# ---- the kernel's operations ----------------------------------------------------------------

kernel_message = Message()


def kernel(op: u64, w0: u64, w1: u64) -> u64:
    """SEND(KERNEL, op, w0, w1): the reply's first word."""
    kernel_message.regs[OP] = op
    kernel_message.regs[W0] = w0
    kernel_message.regs[W1] = w1
    send(abi.KERNEL, kernel_message, 0)
    return kernel_message.regs[W0]


def now() -> u64:
    return kernel(abi.K_NOW, 0, 0)


def set_timer(deadline: u64, bits: u32) -> u64:
    """Post `bits` to us when the time reaches `deadline`; the time now comes back."""
    return kernel(abi.K_TIMER, deadline, u64(bits))


def device_base(k: u64) -> u64:
    """The address of our device k (from the task table); 0: none."""
    return kernel(abi.K_DEVICE, k, 0)


def device_bits(k: u64) -> u32:
    """The notification bits our device k's interrupt posts; 0: none."""
    kernel(abi.K_DEVICE, k, 0)
    return u32(kernel_message.regs[W2])


def irq_done(bits: u32) -> None:
    """The interrupts behind `bits` are dealt with: they may come again."""
    kernel(abi.K_IRQ, u64(bits), 0)


def power_off(failure: bool) -> None:
    kernel(abi.K_POWER_OFF, 1 if failure else 0, 0)


def copy_text(buffer: Array[u8, 256], text: bytes) -> u64:
    """Put a bytes constant into `buffer` (to lend it): its length."""
    n = len(text)
    if n > 256:
        n = 256
    for k in range(n):
        buffer[k] = text[k]
    return u64(n)
