"""Nothing a task does crashes the kernel: random system calls with random arguments, made by
whichever tasks are running (hypothesis, seeded), under CPython. The kernel must never fail one
of its own checks, and its bookkeeping must stay true after every call: the ready mask is the
RUNNABLE tasks, a SENDING task is in its server's `callers` and nobody else is, a task holds
leases only while it is in a call, a WAITING task's server exists."""

from hypothesis import given, settings, strategies as st, HealthCheck

from downstairs.kernel import abi
from downstairs.kernel import hosted
from downstairs.kernel.hosted import syscall

from tests.kernel.conftest import LOGIC, BOSS

RUNNABLE, SENDING, WAITING, RECEIVING, FAULTED = range(5)
COUNT = 5
LIST = 0x80411800                  # a valid lease list in the client's data page (put there below)


def plausible():
    """Argument values a task might pass: small numbers (task indexes, lease indexes, lengths,
    directions, masks), ids, addresses inside and outside memory, and anything at all."""
    return st.one_of(st.integers(0, 6), st.integers(0, 6), st.integers(0, 6),
                     st.sampled_from([abi.KERNEL, abi.NONE, abi.CLOSED | 1, 64, 2 ** 32, 2 | 1 << 8]),
                     st.sampled_from([0x80411000, 0x80409000, 0x80417ff0, 0x80200000, 2 ** 64 - 8]),
                     st.integers(0, 2 ** 64 - 1))


# (who, number, op for a SEND, a0..a6): who picks one of the running tasks (never the supervisor:
# its fault would be a panic); SEND and RECV come most often; a6 (the lease list or wake mask) is
# mostly 0 or a valid list; a0 (the other party) is mostly one a task may talk to.
CALL = st.tuples(st.integers(0, 100), st.sampled_from([0, 0, 0, 1, 1, 1, 2, 3, 4, 5]),
                 st.sampled_from(list(range(1, 8)) + [99]),
                 st.tuples(st.sampled_from([1, 1, 1, 3, 3, 2, 4, 0, 5, abi.KERNEL, abi.NONE, 2 | 1 << 8, 2 ** 40]),
                           plausible(), plausible(), plausible(), plausible(), plausible()),
                 st.one_of(st.just(0), st.just(0), st.just(LIST), st.just(1), plausible()))


def check_invariants(k):
    tasks, count = k["task"].tasks, k["task"].count
    assert k["task"].hart.ready == sum(1 << t.index for t in tasks[:count] if t.state == RUNNABLE)
    for t in tasks[:count]:
        if t.state == SENDING:
            assert tasks[t.peer].callers >> t.index & 1
        if t.state == WAITING:
            assert t.peer < count
        if t.state not in (SENDING, WAITING):
            assert k["lease"].count(t.index) == 0
        for i in range(count):
            if t.callers >> i & 1:
                assert tasks[i].state == SENDING and tasks[i].peer == t.index


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(CALL, min_size=20, max_size=80))
def test_random_calls_leave_the_kernel_whole(calls):
    k = hosted.boot(LOGIC)
    client = k["task"].tasks[2]
    hosted.put_bytes(LIST, (1).to_bytes(8, "little") + client.text_end.to_bytes(8, "little")
                     + (64).to_bytes(4, "little") + (abi.LEASE_READ | abi.LEASE_WRITE).to_bytes(4, "little"))
    for pick, number, op, args, a6 in calls:
        for t in k["task"].tasks[1:COUNT]:
            if t.state == FAULTED:
                syscall(k, BOSS, abi.SEND, abi.KERNEL, abi.K_RESTART, t.index, 0, 0, 0, 0)
        running = [t.index for t in k["task"].tasks[1:COUNT] if t.state == RUNNABLE]
        if not running:
            break                                     # everyone waits on someone: nothing runs
        who = running[pick % len(running)]
        if number == abi.SEND and args[0] == abi.KERNEL and op == abi.K_POWER_OFF:
            op = abi.K_NOW                             # (powering off ends the machine, not the test)
        args = [*args, a6]
        if number == abi.SEND:
            args[1] = op
        syscall(k, who, number, *args)
        check_invariants(k)
        assert k["task"].tasks[BOSS].state != FAULTED
