"""Strength reduction of array addresses in counted loops (induction variables, "Dragon book" 9.6).

In `for i in range(...)` with step s, an element address is computed each time round as
    t = i << k          (the index scaled by the element size)
    a = base + t        (base does not change in the loop)
Both become one new induction variable q: before the loop q = base + (i << k), and next to i's
own increment q += s << k. The shift and the add leave the loop; what used `a` uses `q`.
Runs after licm.py, which has already taken loop-invariant bases (and scaled outer counters)
out of inner loops. `lower.py` lists each counter with its loop label and increment.
"""

from downstairs.compiler import types as T
from downstairs.compiler.ir import Ins, Imm, V
from downstairs.compiler.licm import dest_of

SOURCES = {"mov": (1,), "bin": (3, 4), "set": (3, 4), "conv": (3,), "load": (2,), "store": (1, 2),
           "br": (2, 3), "csrw": (1,), "ecall": (1, 2, 3, 4), "ecall_regs": (0,), "amo": (3, 4)}


def source_slots(ins):
    """The argument positions an instruction reads (`ret` has one or two)."""
    return range(len(ins.args)) if ins.op == "ret" else SOURCES.get(ins.op, ())


def sources(ins):
    """The registers an instruction reads."""
    if ins.op == "call":
        return [x for x in ins.args[2] if isinstance(x, V)]
    return [ins.args[k] for k in source_slots(ins) if isinstance(ins.args[k], V)]


def substitute(ins, old, new):
    """Make `ins` read register `new` wherever it reads `old` (in place)."""
    if ins.op == "call":
        ins.args[2] = [new if isinstance(x, V) and x.n == old.n else x for x in ins.args[2]]
        return
    for k in source_slots(ins):
        x = ins.args[k]
        if isinstance(x, V) and x.n == old.n:
            ins.args[k] = new


def reduce(irf) -> int:
    """Strength-reduce every shift-and-add element address in irf's counted loops, in
    place; returns how many."""
    reduced = 0
    while True:
        found = find(irf)
        if found is None:
            return reduced
        apply(irf, *found)
        reduced += 1


def find(irf):
    """The next (counter, step, loop top, increment, shl, add, base) to reduce: `t = i << k`
    read once, by `a = base + t` with base loop-invariant; or None."""
    code = irf.code
    writes: dict[int, int] = {}
    reads: dict[int, int] = {}
    for ins in code:
        for d in dest_of(ins):
            writes[d.n] = writes.get(d.n, 0) + 1
        for s in sources(ins):
            reads[s.n] = reads.get(s.n, 0) + 1
    for var, step, top_label, incr in irf.counters:
        top = next(i for i, ins in enumerate(code) if ins.op == "label" and ins.args[0] == top_label)
        bottom = max(i for i, ins in enumerate(code) if ins.op == "br" and ins.args[4] == top_label)
        inside = {d.n for ins in code[top + 1:bottom + 1] for d in dest_of(ins)}
        for k in range(top + 1, bottom + 1):
            shl = code[k]
            if not (shl.op == "bin" and shl.args[0] == "<<" and isinstance(shl.args[3], V)
                    and shl.args[3].n == var.n and isinstance(shl.args[4], Imm)):
                continue
            t = shl.args[2]
            if writes.get(t.n) != 1 or reads.get(t.n) != 1:
                continue
            for j in range(k + 1, bottom + 1):
                add = code[j]
                if add.op == "bin" and add.args[0] == "+" and t.n in [x.n for x in sources(add)]:
                    base = add.args[4] if add.args[3].n == t.n else add.args[3]
                    if isinstance(base, V) and base.n not in inside and writes.get(add.args[2].n) == 1:
                        return var, step, top, incr, shl, add, base
                    break
    return None


def apply(irf, var, step, top, incr, shl, add, base):
    """Replace `a` by a new induction variable q = base + (i << k), set before the loop
    and stepped next to i's increment; shl and add go."""
    code = irf.code
    shift = shl.args[4].value
    scaled, q = irf.new(), irf.new()
    line = add.line
    code[top:top] = [Ins("bin", "<<", T.U64, scaled, var, Imm(shift), line=line),
                     Ins("bin", "+", T.U64, q, base, scaled, line=line)]
    at = next(i for i, ins in enumerate(code) if ins is incr)
    code.insert(at + 1, Ins("bin", "+", T.U64, q, q, Imm(step << shift), line=line))
    old = add.args[2]
    code[:] = [ins for ins in code if ins is not shl and ins is not add]
    for ins in code:
        substitute(ins, old, q)
