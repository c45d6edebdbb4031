"""The IPC state machine under CPython: SEND, RECV, REPLY, POST and the kernel's operations,
played by the test on behalf of the tasks of logic.toml (boss 0 = supervisor, server 1, client 2,
other 3, lowly 4)."""

from downstairs.kernel import abi
from downstairs.kernel.hosted import syscall

from tests.kernel.conftest import BOSS, SERVER, CLIENT, OTHER, LOWLY

A0, A1, A6 = 10, 11, 16
RUNNABLE, SENDING, WAITING, RECEIVING, FAULTED = range(5)


def state(k, index):
    return k["task"].tasks[index].state


def recv(k, index, mask=0, reply_to=abi.NONE, code=0, words=(0, 0, 0, 0)):
    return syscall(k, index, abi.RECV, reply_to, code, *words, mask)


def send(k, index, target, op=7, words=(1, 2, 3, 4), leases=0):
    return syscall(k, index, abi.SEND, target, op, *words, leases)


def test_a_send_to_a_waiting_receiver_is_delivered_at_once(k):
    recv(k, SERVER)
    assert state(k, SERVER) == RECEIVING
    send(k, CLIENT, SERVER, op=7, words=(10, 20, 30, 40))
    server = k["task"].tasks[SERVER].frame.regs
    assert state(k, CLIENT) == WAITING and state(k, SERVER) == RUNNABLE
    assert server[A0] == CLIENT and server[A1:A1 + 5] == [7, 10, 20, 30, 40] and server[A6] == 0
    assert k["scheduler"].pick() == BOSS          # the supervisor is runnable and most urgent


def test_a_send_waits_until_the_server_receives_then_the_reply_comes_back(k):
    send(k, CLIENT, SERVER, op=3, words=(5, 6, 7, 8))
    assert state(k, CLIENT) == SENDING
    assert k["task"].tasks[SERVER].callers == 1 << CLIENT
    regs = recv(k, SERVER)
    assert regs[A0] == CLIENT and regs[A1:A1 + 5] == [3, 5, 6, 7, 8]
    assert state(k, CLIENT) == WAITING and state(k, SERVER) == RUNNABLE
    syscall(k, SERVER, abi.REPLY, CLIENT, 99, 1, 2, 3, 4)
    client = k["task"].tasks[CLIENT].frame.regs
    assert state(k, CLIENT) == RUNNABLE and client[A0] == abi.OK and client[A1:A1 + 5] == [99, 1, 2, 3, 4]


def test_recv_takes_the_most_urgent_caller_first(k):
    send(k, LOWLY, SERVER)
    send(k, OTHER, SERVER)
    send(k, CLIENT, SERVER)
    assert recv(k, SERVER)[A0] == CLIENT                       # priority 2, lower index than OTHER
    assert recv(k, SERVER, reply_to=CLIENT, code=1)[A0] == OTHER
    assert state(k, CLIENT) == RUNNABLE
    assert recv(k, SERVER, reply_to=OTHER, code=1)[A0] == LOWLY
    recv(k, SERVER, reply_to=LOWLY, code=1)
    assert state(k, SERVER) == RECEIVING and k["task"].hart.ready & (1 << SERVER) == 0


def test_notifications_come_before_messages_and_only_in_the_mask(k):
    send(k, CLIENT, SERVER)
    syscall(k, BOSS, abi.POST, SERVER, 0b110)
    regs = recv(k, SERVER, mask=0b010)
    assert regs[A0] == abi.KERNEL and regs[A1] == 0b010
    assert k["task"].tasks[SERVER].pending == 0b100
    assert recv(k, SERVER, mask=0b001)[A0] == CLIENT            # bit 2 is not wanted now


def test_a_post_wakes_a_receiver_waiting_for_it(k):
    recv(k, SERVER, mask=0b1)
    syscall(k, BOSS, abi.POST, SERVER, 0b11)
    regs = k["task"].tasks[SERVER].frame.regs
    assert state(k, SERVER) == RUNNABLE and regs[A0] == abi.KERNEL and regs[A1] == 0b1


def test_a_closed_recv_takes_notifications_but_leaves_messages_waiting(k):
    recv(k, SERVER, mask=0b1 | abi.CLOSED)
    send(k, CLIENT, SERVER)
    assert state(k, CLIENT) == SENDING and state(k, SERVER) == RECEIVING
    syscall(k, BOSS, abi.POST, SERVER, 1)
    assert state(k, SERVER) == RUNNABLE and k["task"].tasks[SERVER].frame.regs[A0] == abi.KERNEL
    assert recv(k, SERVER)[A0] == CLIENT


def test_sends_the_table_does_not_allow_fault_the_sender(k):
    send(k, SERVER, CLIENT)                                   # server has no sends at all
    t = k["task"].tasks[SERVER]
    assert t.state == FAULTED and t.fault_cause == abi.FAULT_SEND_DENIED and t.fault_tval == CLIENT
    assert k["task"].tasks[BOSS].pending & abi.FAULT_BIT
    send(k, CLIENT, CLIENT)                                   # itself
    assert state(k, CLIENT) == FAULTED
    syscall(k, OTHER, abi.POST, CLIENT, 1)                    # posting needs the right too
    assert state(k, OTHER) == FAULTED


def test_an_unknown_system_call_faults_with_its_reason(k):
    syscall(k, CLIENT, 9)
    t = k["task"].tasks[CLIENT]
    assert t.state == FAULTED and t.fault_cause == abi.FAULT_SYSCALL and t.fault_tval == abi.BAD_NUMBER


def test_a_reply_to_a_task_that_is_not_waiting_for_us_faults_the_replier(k):
    syscall(k, SERVER, abi.REPLY, CLIENT, 0, 0, 0, 0, 0)
    t = k["task"].tasks[SERVER]
    assert t.state == FAULTED and t.fault_tval == abi.BAD_CALLER


def test_when_a_server_faults_its_callers_get_dead(k):
    send(k, CLIENT, SERVER)                         # waiting to be received
    recv(k, SERVER)
    send(k, OTHER, SERVER)                          # CLIENT is now WAITING for the reply, OTHER SENDING
    syscall(k, SERVER, 99)                          # the server breaks
    for index in (CLIENT, OTHER):
        t = k["task"].tasks[index]
        assert t.state == RUNNABLE and t.frame.regs[A0] == abi.DEAD
    assert send(k, CLIENT, SERVER)[A0] == abi.DEAD and state(k, CLIENT) == RUNNABLE   # dead at once


def test_the_supervisor_learns_of_a_fault_and_restarts_the_task(k):
    recv(k, SERVER)
    send(k, CLIENT, SERVER)
    caller = k["task"].tasks[SERVER].frame.regs[A0]
    syscall(k, SERVER, 99)
    regs = send(k, BOSS, abi.KERNEL, op=abi.K_FAULT)
    assert regs[A0] == abi.OK and regs[A1] == abi.OK and regs[A1 + 1] == SERVER
    assert regs[A1 + 2] == abi.FAULT_SYSCALL
    assert send(k, BOSS, abi.KERNEL, op=abi.K_FAULT)[A1] == abi.NONE      # told once
    send(k, BOSS, abi.KERNEL, op=abi.K_RESTART, words=(SERVER, 0, 0, 0))
    t = k["task"].tasks[SERVER]
    assert t.state == RUNNABLE and t.generation == 1 and t.frame.pc == t.base
    assert t.frame.regs[2] == t.base + t.size
    # a reply meant for the old incarnation's caller id finds the caller gone, not a fault
    send(k, OTHER, SERVER)
    recv(k, SERVER)
    assert syscall(k, SERVER, abi.REPLY, caller | (5 << 8), 0, 0, 0, 0, 0)[A0] == abi.DEAD
    assert state(k, SERVER) == RUNNABLE


def test_only_the_supervisor_may_restart_and_only_the_power_task_powers_off(k):
    send(k, CLIENT, abi.KERNEL, op=abi.K_RESTART, words=(SERVER, 0, 0, 0))
    assert state(k, CLIENT) == FAULTED and k["task"].tasks[CLIENT].fault_tval == abi.BAD_KERNEL_OP
    send(k, LOWLY, abi.KERNEL, op=abi.K_POWER_OFF)
    assert state(k, LOWLY) == FAULTED


def test_kernel_operations_answer_at_once(k):
    regs = send(k, SERVER, abi.KERNEL, op=abi.K_DEVICE, words=(0, 0, 0, 0))
    assert regs[A0] == abi.OK and regs[A1 + 1:A1 + 4] == [0x10000000, 0x100, 0x4]
    assert send(k, SERVER, abi.KERNEL, op=abi.K_DEVICE, words=(1, 0, 0, 0))[A1 + 1] == 0
    send(k, CLIENT, abi.KERNEL, op=abi.K_TIMER, words=(5000, 0b1000, 0, 0))
    t = k["task"].tasks[CLIENT]
    assert (t.deadline, t.timer_bits, state(k, CLIENT)) == (5000, 0b1000, RUNNABLE)
    assert k["notify"].earliest == 5000


def test_timers_post_their_bits_when_the_time_passes(k):
    send(k, CLIENT, abi.KERNEL, op=abi.K_TIMER, words=(100, 0b1, 0, 0))
    send(k, OTHER, abi.KERNEL, op=abi.K_TIMER, words=(300, 0b10, 0, 0))
    recv(k, CLIENT, mask=0b1)
    k["notify"].now = lambda: 150                       # the time CSR reads 0 on the host
    k["notify"].expire()
    assert state(k, CLIENT) == RUNNABLE and k["task"].tasks[CLIENT].frame.regs[A1] == 0b1
    assert k["task"].tasks[OTHER].pending == 0 and k["notify"].earliest == 300


def test_interrupts_become_notifications_until_the_driver_is_done(k):
    from downstairs.compiler.runtime import host

    plic = 0x0c000000
    assert host.MACHINE.load(plic + 4 * 10, 4) == 1                          # priority of source 10
    assert host.MACHINE.load(plic + 0x2000 + 0x80, 4) >> 10 & 1              # enabled for hart 0's S-mode
    recv(k, SERVER, mask=0x4)
    k["irq"].arrived(10)                                                     # claimed from the PLIC
    assert state(k, SERVER) == RUNNABLE and k["task"].tasks[SERVER].frame.regs[A1] == 0x4
    assert k["irq"].claimed[10] == 1
    send(k, SERVER, abi.KERNEL, op=abi.K_IRQ, words=(0x4, 0, 0, 0))
    assert k["irq"].claimed[10] == 0
    assert host.MACHINE.load(plic + 0x200004 + 0x1000, 4) == 10             # completed


def test_the_scheduler_runs_the_most_urgent(k):
    s = k["scheduler"]
    assert s.pick() == BOSS
    recv(k, BOSS)
    assert s.pick() == SERVER
    recv(k, SERVER)
    recv(k, CLIENT)
    assert s.pick() == OTHER                        # priority 2, the only one ready
    recv(k, OTHER)
    assert s.pick() == LOWLY
    recv(k, LOWLY)
    assert s.pick() == s.IDLE


def test_equal_tasks_take_turns_and_a_preemption_does_not_end_a_turn(k):
    s, time = k["scheduler"], [1000]
    k["notify"].now = lambda: time[0]
    recv(k, BOSS)
    recv(k, SERVER)
    first = s.take_turn(s.pick())                   # CLIENT and OTHER share priority 2
    assert first == CLIENT and s.turn == CLIENT and s.turn_end == 1000 + s.SLICE
    assert s.timer_wanted(CLIENT) == s.turn_end     # the timer ends its turn ...
    time[0] += s.SLICE // 2
    syscall(k, OTHER, abi.POST, SERVER, 0)          # (a more urgent task would run in between:)
    k["task"].set_state(k["task"].tasks[SERVER], RUNNABLE)
    assert s.take_turn(s.pick()) == SERVER and s.timer_wanted(SERVER) == k["notify"].NEVER
    recv(k, SERVER)
    assert s.take_turn(s.pick()) == CLIENT          # ... which resumes with what was left
    time[0] += s.SLICE
    assert s.take_turn(s.pick()) == OTHER           # its turn is over: the next of its priority
    assert s.turn_end == time[0] + s.SLICE
    recv(k, OTHER)
    assert s.take_turn(s.pick()) == CLIENT and s.timer_wanted(CLIENT) == k["notify"].NEVER   # no rival
