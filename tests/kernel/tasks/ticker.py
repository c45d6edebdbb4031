"""Wakes on its timer every 2 ms, more urgent than the spinners that never give the hart up:
each tick is the timer interrupt preempting them. After ten it powers off."""

from downstairs.compiler.runtime import u64
import abi
from userlib import Message, recv, set_timer, now, power_off
from console import put, put_dec

TIMER_BIT = 1
PERIOD = 20000                      # 2 ms of virt's 10 MHz time
TICKS = 10

event = Message()


def main() -> None:
    deadline = now()
    for tick in range(1, TICKS + 1):
        deadline += PERIOD
        set_timer(deadline, TIMER_BIT)
        recv(abi.NONE, 0, event, TIMER_BIT | abi.CLOSED)
        put(b"tick ")
        put_dec(u64(tick))
        put(b"\n")
    power_off(False)
