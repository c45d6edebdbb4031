"""The faults system's app: runs last (least urgent), after every misbehaving task has faulted
and been reported; sleeps 1 ms on its timer, says so, and powers the machine off."""
import abi
from userlib import Message, recv, set_timer, now, power_off
from console import put

TIMER_BIT = 0x10
MILLISECOND = 10000                 # time CSR ticks at virt's 10 MHz

event = Message()


def main() -> None:
    put(b"app: every fault reported, the kernel still runs\n")
    set_timer(now() + MILLISECOND, TIMER_BIT)
    recv(abi.NONE, 0, event, TIMER_BIT | abi.CLOSED)
    put(b"app: the timer fired\n")
    power_off(False)
