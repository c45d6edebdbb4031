"""The kernel's interface, as tasks see it: five system calls, the registers each one takes and
gives back, the kernel's own operations (messages sent to the kernel) and the codes. The kernel
and the tasks both import this file, so the numbers are written once (docs/kernel.md, "System
calls"; Hubris's sys/abi and syscalls.rs are the model).

A system call is an `ecall` from U-mode with its number in a7. Every call has one shape:

  call      a7  in: a0        a1       a2..a5          a6            out: a0      a1        a2..a5     a6
  SEND      0   target        op       4 words         lease list         status  code      4 words
  RECV      1   reply-to      code     4 words (reply) wake mask          sender  op/bits   4 words    leases
  REPLY     2   caller        code     4 words                            status
  BORROW    3   caller        lease    offset,address,length,direction    status  length    flags
  POST      4   task          bits                                        status

A message is an op (or a reply's code) in a1 and four 64-bit words in a2..a5: 40 bytes that
travel in registers, from the sender's saved frame straight into the receiver's. Anything
bigger is lent (a lease) and copied by BORROW while the sender waits.

A task names another by its index in the task table (0..15). RECV gives back a *caller id*:
index | generation << 8; the generation counts the task's restarts, so a REPLY or BORROW meant
for a caller that has since been restarted finds it gone (status DEAD) instead of reaching its
new incarnation. Sends to KERNEL (255) are the kernel's own operations (K_*), answered at once.

A task that gets a call wrong (an unknown number, a target it may not send to, a lease outside
its memory, a reply to a task that is not waiting for it) is not told: it faults, as it would
for an illegal instruction, and the supervisor hears of it.
"""

from downstairs.compiler.runtime import u32, u64, record, Array

# ---- system call numbers (a7) -------------------------------------------------------------
SEND = 0            # call a task (or the kernel): wait for its reply
RECV = 1            # reply to a caller first (unless reply-to is NONE), then wait for a message or notification
REPLY = 2           # answer a caller, who then runs on
BORROW = 3          # copy from or into a lease a waiting caller lent with its message
POST = 4            # set notification bits of a task
SYSCALLS = 5

# ---- task ids -----------------------------------------------------------------------------
MAX_TASKS = 16
KERNEL = 255        # SEND to the kernel; RECV's sender for a notification
NONE = 0xFFFF       # RECV's reply-to: reply to nobody
GENERATION_SHIFT = 8
INDEX_MASK = 0xFF

# ---- status (a0 on return) ----------------------------------------------------------------
OK = 0
DEAD = 1            # the peer faulted or was restarted before it answered

# ---- leases -------------------------------------------------------------------------------
MAX_LEASES = 4
LEASE_READ = 1      # the receiver may read the lent memory
LEASE_WRITE = 2     # the receiver may write it
BORROW_READ = 0     # BORROW's direction: from the lease into the borrower's memory
BORROW_WRITE = 1    # from the borrower's memory into the lease


@record
class LeaseSpec:
    """One lent range of the sender's memory, as the sender writes it."""
    address: u64
    length: u32
    flags: u32          # LEASE_READ | LEASE_WRITE


@record
class Leases:
    """The lease list SEND's a6 points at (in the sender's memory):
         +0  count (u64, at most MAX_LEASES)
         +8  LeaseSpec[0]: address (u64), length (u32), flags (u32)
        +24  LeaseSpec[1] ...                                         (16 bytes each)"""
    count: u64
    specs: Array[LeaseSpec, 4]


# ---- notifications ------------------------------------------------------------------------
CLOSED_BIT = 32
CLOSED = 1 << CLOSED_BIT     # in RECV's mask: notifications only, messages wait (Hubris's closed receive)
FAULT_BIT = 0x80000000     # posted to the supervisor when a task faults (the task table keeps it free)

# ---- the kernel's operations: SEND to KERNEL with op = K_* ---------------------------------
K_TIMER = 1         # w0 = deadline (time CSR units; 0 cancels), w1 = bits to post then. Reply w0 = now
K_IRQ = 2           # w0 = notification bits whose interrupts the caller has handled: enable them again
K_FAULT = 3         # supervisor: a faulted task not yet reported. Reply code OK: w0 = index, w1 = cause,
                    #   w2 = pc, w3 = tval; code NONE: no task is faulted
K_RESTART = 4       # supervisor: start task w0 afresh (its memory from its image, a new generation)
K_POWER_OFF = 5     # tasks with power = true: w0 = 0 shut down, 1 shut down reporting a failure
K_NOW = 6           # reply w0 = the time CSR (10 MHz on virt)
K_DEVICE = 7        # w0 = k: the caller's device k from the task table. Reply w0 = base, w1 = size
                    #   (0, 0: none), w2 = the notification bits its interrupt posts (0: none)

# fault causes beyond scause's exception codes (K_FAULT's w1)
FAULT_SYSCALL = 0x100        # a system call with a bad number or argument; tval says which
FAULT_SEND_DENIED = 0x101    # a send or post to a task the table does not allow; tval = the target

# BORROW, SEND and RECV argument faults (tval of FAULT_SYSCALL)
BAD_NUMBER = 1
BAD_TARGET = 2
BAD_LEASE_LIST = 3
BAD_LEASE = 4
BAD_CALLER = 5
BAD_BUFFER = 6
BAD_KERNEL_OP = 7
