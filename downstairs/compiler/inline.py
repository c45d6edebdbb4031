"""Inlining: a call of a small leaf function becomes a copy of its body (on the IR, before licm).

Firmware and kernels are written as many small functions (a byte swap, a register read, a step
over a device-tree name); a call costs more than such a body: the argument and result moves,
`call`/`ret`, and, worse, every value the caller keeps across it must sit in a callee-saved
register (saved and restored) or in memory. A function that calls nothing, has no stack
storage and at most LIMIT instructions (after its own calls were inlined) is inlined where
that pays: at a call inside a loop (it runs many times), where it is the caller's only call
(the caller becomes a leaf: no return address or callee-saved registers to keep), and
anywhere if it is no longer than TINY (about the call sequence it replaces). A call becomes

    mov p_i, arg_i          for each parameter (fresh registers: the copy may change them)
    ...the body, its registers and labels renamed...
    mov dest, value; jmp end    for each `return value`
    end:

The function itself stays, for calls by address and for the symbol table. Callees are taken
bottom-up (a function whose calls were all inlined is a leaf in its turn), so the result does
not depend on the order of the program's functions.
"""

from downstairs.compiler.ir import Ins, V
from downstairs.compiler.licm import loops

LIMIT = 16                         # instructions, labels not counted
TINY = 4


def leaf_size(irf) -> int | None:
    """The instructions of a function that may be inlined, or None if it may not be."""
    if irf.frame_size or irf.address is not None:
        return None
    size = 0
    for ins in irf.code:
        if ins.op in ("call", "ecall", "frame") or (ins.op == "ret" and len(ins.args) > 1):
            return None
        size += ins.op not in ("label", "params", "ret")
    return size


def inline_calls(irfs, eligible: set[str]) -> int:
    """Inline, in place, the calls of small leaves among `eligible` (the symbols whose signature
    allows it: scalar or no result) where the module docstring says it pays; returns how many
    calls were replaced."""
    by_symbol = {irf.symbol: irf for irf in irfs}
    done = 0
    changed = True
    while changed:
        changed = False
        sizes = {s: leaf_size(by_symbol[s]) for s in eligible if s in by_symbol}
        leaves = {s: n for s, n in sizes.items() if n is not None and n <= LIMIT}
        for irf in irfs:
            calls = [i for i, ins in enumerate(irf.code) if ins.op in ("call", "ecall")]
            spans = loops(irf.code)
            code = []
            for i, ins in enumerate(irf.code):
                callee = ins.args[1] if ins.op == "call" else None
                if callee in leaves and callee != irf.symbol and (
                        leaves[callee] <= TINY or len(calls) == 1 or any(a < i < b for a, b in spans)):
                    code += expand(irf, by_symbol[callee], ins, done)
                    done += 1
                    changed = True
                else:
                    code.append(ins)
            irf.code = code
    return done


def expand(caller, callee, call, serial: int) -> list[Ins]:
    """The instructions that replace `call` (dest, symbol, args) in `caller`."""
    dest, _, args = call.args
    regs: dict[int, V] = {}
    labels = {ins.args[0] for ins in callee.code if ins.op == "label"}
    suffix = f".in{serial}.{caller.symbol}"
    end = f".L{caller.symbol}.inlined{serial}"

    def rename(x):
        if isinstance(x, V):
            if x.n not in regs:
                regs[x.n] = caller.new()
            return regs[x.n]
        if isinstance(x, list):
            return [rename(y) for y in x]
        if isinstance(x, str) and x in labels:
            return x + suffix
        return x

    out = []
    copies = {}                                  # callee Ins -> its copy (for loop counters)
    for ins in callee.code:
        if ins.op == "params":
            out += [Ins("mov", rename(p), a, line=call.line) for p, a in zip(ins.args[0], args)]
        elif ins.op == "ret":
            if dest is not None and ins.args[0] is not None:
                out.append(Ins("mov", dest, rename(ins.args[0]), line=call.line))
            out.append(Ins("jmp", end, line=call.line))
        else:
            copy = Ins(ins.op, *[rename(a) for a in ins.args], line=call.line)
            copies[id(ins)] = copy
            out.append(copy)
    out.append(Ins("label", end, line=call.line))
    caller.has_loops = caller.has_loops or callee.has_loops
    for var, step, top, incr in callee.counters:
        caller.counters.append((rename(var), step, rename(top), copies[id(incr)]))
    return out
