"""Several harts in one program: @entry gives each its own stack and runs main on the first
to arrive, `others` on the rest once .bss is zeroed; per-hart data is an array indexed by
hart_id(); a counter shared by all harts is bumped with cas32 (LR/SC) and amoadd. Data and
code at fixed addresses: `mailbox` and `fixed_function`. Run with -smp 4 (harts beyond the
table, as with -smp 6, park)."""

from downstairs.compiler.runtime import u32, u64, array, record, entry, hart_id, addr, at, cas32, amoadd32
from downstairs.compiler.runtime import amoor64, image_end, fence, load32
from uart import puts, put_u64, put_hex, newline
from virt import exit

HARTS = 4
STACK = 0x1000
ROUNDS = 300


@record
class Slot:
    arrived: u32
    hartid: u64
    stack_var: u64            # the address of a local: it must lie in this hart's own stack
    adds: u64


@record
class Mailbox:
    magic: u64
    seen: u64


slots = array(Slot, HARTS)
counter = array(u32, 1)
arrivals = array(u32, 1)
mailbox = at(0x80030000, Mailbox(0x4D41494C, 0))


@at(0x80020000)
def fixed_function(x: u64) -> u64:
    return x + 1


def work(hartid: u64) -> None:
    """What every hart does: note itself, then ROUNDS increments of the shared counter."""
    local = array(u64, 2)
    me = slots[hart_id()]
    me.hartid = hartid
    me.stack_var = addr(local)
    for k in range(ROUNDS):
        while True:
            old = load32(addr(counter))
            if cas32(addr(counter), old, old + 1) == old:
                break
        me.adds += 1
    amoor64(addr(mailbox) + 8, u64(1) << hartid)
    fence()
    me.arrived = 1
    amoadd32(addr(arrivals), 1)


def others(hartid: u64, fdt: u64, info: u64) -> None:
    work(hartid)


@entry(harts=HARTS, stack=STACK, secondary=others)
def main(hartid: u64, fdt: u64, info: u64) -> None:
    work(hartid)
    while load32(addr(arrivals)) < HARTS:
        pass
    fence()
    puts(b"harts ")
    put_u64(u64(arrivals[0]))
    puts(b" counter ")
    put_u64(u64(counter[0]))
    newline()
    top = image_end()
    for h in range(HARTS):
        s = slots[h]
        own = top - STACK * (HARTS - u64(h)) <= s.stack_var < top - STACK * (HARTS - 1 - u64(h))
        puts(b"hart ")
        put_u64(s.hartid)
        puts(b" own stack ")
        put_u64(u64(own))
        puts(b" adds ")
        put_u64(s.adds)
        newline()
    puts(b"mailbox at ")
    put_hex(addr(mailbox), 8)
    puts(b" magic ")
    put_hex(mailbox.magic, 8)
    puts(b" seen ")
    put_hex(mailbox.seen, 2)
    puts(b" fixed function at ")
    put_hex(addr(fixed_function), 8)
    puts(b" gives ")
    put_u64(fixed_function(41))
    newline()
    exit(0)
