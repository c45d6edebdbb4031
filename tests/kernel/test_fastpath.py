"""The fast path (downstairs/kernel/fastpath.py) under CPython: a system call goes through the
system-call handler as the compiler's entry would send it, and the kernel's state afterwards is
the same as after the general path (syscall.dispatch), whether the fast path took the call or
not. logic.toml's tasks: boss 0 (the supervisor), server 1, client 2, other 3, lowly 4."""

import random

import pytest

from downstairs.compiler.runtime import host
from downstairs.kernel import abi
from downstairs.kernel import hosted

from tests.kernel.conftest import LOGIC, BOSS, SERVER, CLIENT, OTHER, LOWLY

RUNNABLE, SENDING, WAITING, RECEIVING, FAULTED = range(5)


IDLE = 0xFF


class Idle(Exception):
    """Nothing was ready: the kernel would wait in wfi."""


class Handler:
    """Calls through fastpath.system_call, noting whether trap.system_call (the general path)
    ran, and which task the kernel entered (IDLE: none was ready)."""

    def __init__(self, k):
        self.k, self.general = k, 0
        general = k["trap"].system_call

        def counted(t):
            self.general += 1
            general(t)

        def idle():
            raise Idle()
        k["trap"].system_call = counted
        k["trap"].idle = idle
        k["notify"].sstc = True             # turns arm the timer by a CSR (the host has no SBI)

    def call(self, index, number, *args) -> int:
        """Task `index` makes the call: the task entered afterwards."""
        t = self.k["task"].tasks[index]
        for j, value in enumerate(args):
            t.frame.regs[10 + j] = value & ((1 << 64) - 1)
        t.frame.regs[17] = number
        t.frame.pc += 4                     # the system-call entry steps over the ecall
        self.k["task"].hart.current = index
        try:
            self.k["fastpath"].system_call(t)
        except host.HostLeft:
            return self.k["task"].hart.current
        except Idle:
            return IDLE
        raise AssertionError("the system-call handler returned")


def snapshot(k):
    """What the tasks' records say (the scheduler's turns aside). A task waiting in RECV has
    no a0 yet: whatever wakes it writes one (the general path leaves its reply's status there)."""
    return [(t.state, regs(t), t.frame.pc, t.peer, t.callers, t.pending, t.mask, t.leases)
            for t in k["task"].tasks[:k["task"].count]], k["task"].hart.ready


def regs(t):
    return [None if k == 10 and t.state == RECEIVING else value for k, value in enumerate(t.frame.regs)]


def quiet(k, *others):
    """Every task but the ones named waits in RECV (so those are the only ones ready), the
    supervisor for faults."""
    for i in range(k["task"].count):
        if i not in others:
            hosted.syscall(k, i, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, abi.FAULT_BIT if i == BOSS else 1 << 20)


def both(setup, calls):
    """Run `calls` [(task, number, args...)] after `setup(k)` on two fresh kernels, through the
    handler and through dispatch: the states agree; returns how many calls took the fast path
    and the tasks entered."""
    fast, slow = hosted.boot(LOGIC), hosted.boot(LOGIC)
    setup(fast)
    setup(slow)
    handler = Handler(fast)
    entered = []
    for index, number, *args in calls:
        entered.append(handler.call(index, number, *args))
        hosted.syscall(slow, index, number, *args)
        assert snapshot(fast) == snapshot(slow)
        assert entered[-1] == slow["scheduler"].pick()     # the task the scheduler would run
    return len(calls) - handler.general, entered


def round_trip(k):
    quiet(k, CLIENT, SERVER)
    hosted.syscall(k, SERVER, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, 0)    # the server waits for messages


def test_a_round_trip_is_two_fast_calls_with_the_general_paths_result():
    calls = [(CLIENT, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0),
             (SERVER, abi.RECV, CLIENT, 8, 5, 6, 7, 8, 0)] * 3
    taken, entered = both(round_trip, calls)
    assert taken == 6 and entered == [SERVER, CLIENT] * 3


@pytest.mark.parametrize("why, calls", [
    ("a lease list", [(CLIENT, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0x80411000)]),
    ("a target it may not send to", [(CLIENT, abi.SEND, LOWLY, 7, 1, 2, 3, 4, 0)]),
    ("a target beyond the table", [(CLIENT, abi.SEND, 40, 7, 1, 2, 3, 4, 0)]),
    ("the kernel as target", [(CLIENT, abi.SEND, abi.KERNEL, abi.K_NOW, 0, 0, 0, 0, 0)]),
    ("a reply to nobody", [(CLIENT, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0),
                           (SERVER, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, 0)]),
    ("a reply to a caller of another generation", [(CLIENT, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0),
                                                   (SERVER, abi.RECV, CLIENT | 1 << 8, 0, 0, 0, 0, 0, 0)]),
    ("a reply to a task not waiting", [(CLIENT, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0),
                                       (SERVER, abi.RECV, OTHER, 0, 0, 0, 0, 0, 0)]),
    ("a notification waiting", [(CLIENT, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0),
                                (SERVER, abi.RECV, CLIENT, 0, 0, 0, 0, 0, 0b100)]),
])
def test_anything_else_takes_the_general_path(why, calls):
    def setup(k):
        round_trip(k)
        k["task"].tasks[SERVER].pending = 0b100            # a notification the server may ask for
    taken, _ = both(setup, calls)
    assert taken == (1 if len(calls) == 2 else 0), why


def test_to_an_equally_urgent_server_but_not_to_a_less_urgent_one():
    def other(k):
        quiet(k, CLIENT, OTHER)
        hosted.syscall(k, OTHER, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, 0)
    assert both(other, [(CLIENT, abi.SEND, OTHER, 7, 1, 2, 3, 4, 0)])[0] == 1

    def boss(k):
        quiet(k, BOSS, SERVER)
        hosted.syscall(k, SERVER, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, 0)
    assert both(boss, [(BOSS, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0)])[0] == 0


def test_not_when_another_task_is_ready():
    def setup(k):
        quiet(k, CLIENT, SERVER, OTHER)
        hosted.syscall(k, SERVER, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, 0)
    taken, _ = both(setup, [(CLIENT, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0)])
    assert taken == 0


def test_not_to_a_closed_receive_nor_with_a_message_waiting():
    def closed(k):
        quiet(k, CLIENT, SERVER)
        hosted.syscall(k, SERVER, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, 1 | abi.CLOSED)
    assert both(closed, [(CLIENT, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0)])[0] == 0

    def queued(k):
        quiet(k, CLIENT, SERVER, OTHER)
        hosted.syscall(k, SERVER, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, 0)
        hosted.syscall(k, CLIENT, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0)
        hosted.syscall(k, OTHER, abi.SEND, SERVER, 1, 0, 0, 0, 0, 0)       # waits: the server is busy
    taken, entered = both(queued, [(SERVER, abi.RECV, CLIENT, 0, 0, 0, 0, 0, 0)])
    assert taken == 0 and entered == [SERVER]              # the reply, then other's message at once


def test_a_caller_whose_leases_ended_on_the_fast_reply():
    def setup(k):
        round_trip(k)
        client = k["task"].tasks[CLIENT]
        hosted.put_bytes(0x80411800, (1).to_bytes(8, "little") + client.text_end.to_bytes(8, "little")
                         + (64).to_bytes(4, "little") + abi.LEASE_READ.to_bytes(4, "little"))
        hosted.syscall(k, CLIENT, abi.SEND, SERVER, 7, 0, 0, 0, 0, 0x80411800)    # delivered, with a lease
        assert k["lease"].count(CLIENT) == 1
    taken, entered = both(setup, [(SERVER, abi.RECV, CLIENT, 0, 0, 0, 0, 0, 0)])
    assert taken == 1 and entered == [CLIENT]


@pytest.mark.parametrize("seed", range(4))
def test_random_round_trips_through_the_handler_agree_with_the_general_path(seed):
    """A client and a server at work, at random (seeded): the client SENDs, mostly to the
    server with no leases, sometimes with a lease list, to the kernel, to a task it may not
    send to or to other; the server RECVs with a reply to whoever waits for it (or to nobody,
    or a stale id), with masks that ask for posted bits or close the receive, and POSTs to
    itself or wakes other (which then sends to it too). Both kernels agree after each call,
    and the fast path takes many of them."""
    pick = random.Random(seed)
    fast, slow = hosted.boot(LOGIC), hosted.boot(LOGIC)
    quiet(fast, SERVER, CLIENT)                            # the others wait (for bit 20, or faults)
    quiet(slow, SERVER, CLIENT)
    handler = Handler(fast)
    tasks = fast["task"].tasks
    made = 0
    for _ in range(150):
        for k in (fast, slow):
            supervise(k)
        running = [t.index for t in tasks[1:5] if t.state == RUNNABLE]
        if not running:                                # everyone waits: the server starts again
            for k in (fast, slow):
                hosted.syscall(k, BOSS, abi.SEND, abi.KERNEL, abi.K_RESTART, SERVER, 0, 0, 0, 0)
            continue
        who = pick.choice(running)
        words = [pick.getrandbits(64) for _ in range(4)]
        if who == SERVER:
            kind = pick.choice(["recv"] * 6 + ["post"])
            waiting = [t.caller_id for t in tasks[:5] if t.state == WAITING and t.peer == who]
            reply = pick.choice(waiting * 8 + [abi.NONE, CLIENT | 1 << 8]) if waiting else abi.NONE
            mask = pick.choice([0] * 6 + [0b100, 0b100 | abi.CLOSED])
            call = (who, abi.RECV, reply, 1, *words, mask) if kind == "recv" else \
                (who, abi.POST, pick.choice([SERVER, OTHER]), pick.choice([0b100, 1 << 20]))
        else:
            target = pick.choice([SERVER] * 12 + [OTHER, LOWLY, 40, abi.KERNEL])
            a6 = pick.choice([0] * 12 + [0x80411800, 1])
            call = (who, abi.SEND, target, abi.K_NOW if target == abi.KERNEL else 7, *words, a6)
        handler.call(*call)
        hosted.syscall(slow, *call)
        assert snapshot(fast) == snapshot(slow)
        made += 1
    assert made > 100 and made - handler.general >= 30


def supervise(k):
    """The supervisor's part: restart every faulted task (other and lowly then wait for bit 20
    again), and wait for faults again."""
    for t in k["task"].tasks[1:5]:
        if t.state == FAULTED:
            hosted.syscall(k, BOSS, abi.SEND, abi.KERNEL, abi.K_RESTART, t.index, 0, 0, 0, 0)
            if t.index in (OTHER, LOWLY):
                hosted.syscall(k, t.index, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, 1 << 20)
    if k["task"].tasks[BOSS].state == RUNNABLE:
        hosted.syscall(k, BOSS, abi.RECV, abi.NONE, 0, 0, 0, 0, 0, abi.FAULT_BIT)


def test_without_asids_every_switch_flushes():
    k = hosted.boot(LOGIC)
    round_trip(k)
    for t in k["task"].tasks[:k["task"].count]:
        t.flush = 1                                        # as boot.py sets it when satp keeps no ASID
    handler = Handler(k)
    before = host.MACHINE.tlb_flushes
    assert handler.call(CLIENT, abi.SEND, SERVER, 7, 1, 2, 3, 4, 0) == SERVER
    assert handler.call(SERVER, abi.RECV, CLIENT, 8, 0, 0, 0, 0, 0) == CLIENT
    assert handler.general == 0 and host.MACHINE.tlb_flushes == before + 2
