"""Loop-invariant code motion on the IR (one of the classic "Dragon book" optimisations, 9.5).

A loop is found from its back edge: a `br`/`jmp` to a label earlier in the code; lowering
emits structured loops only, so everything between the label and the last branch back to it
is the loop. An instruction moves to just before the loop's label (the preheader: reached
once, when the loop is entered) when
  - it is pure and cannot trap (arithmetic other than // and %, a comparison, a conversion,
    a copy, the address of a global or of stack storage),
  - its result register is written nowhere else in the function (a temporary), and
  - none of its operands is written anywhere inside the loop.
Innermost loops go first, and the search repeats until nothing moves, so an address like
`base + j*4` inside a loop over k leaves the k loop, then the j loop if j allows.
"""

from downstairs.compiler.ir import V

PURE = {"bin", "set", "conv", "mov", "addr", "frame"}


def dest_of(ins):
    """The registers an IR instruction writes."""
    op, a = ins.op, ins.args
    if op == "call" and isinstance(a[0], list):
        return list(a[0])
    if op in ("mov", "addr", "frame", "call", "csrr", "ecall"):
        return [a[0]] if isinstance(a[0], V) else []
    if op == "amo":
        return [a[2]]
    if op in ("bin", "set", "conv"):
        return [a[2]]
    if op == "load":
        return [a[1]]
    if op == "params":
        return list(a[0])
    return []


def operands(ins):
    """The registers a hoistable (PURE) instruction reads."""
    args = ins.args[1:2] if ins.op == "mov" else [] if ins.op in ("addr", "frame") else ins.args[3:]
    return [x for x in args if isinstance(x, V)]


def target_of(ins):
    """The label a `br` or `jmp` goes to, else None."""
    if ins.op == "br":
        return ins.args[4]
    if ins.op == "jmp":
        return ins.args[0]
    return None


def loops(code):
    """(label index, index of the last branch back to it), innermost (shortest) first."""
    label_at = {ins.args[0]: i for i, ins in enumerate(code) if ins.op == "label"}
    last: dict[int, int] = {}
    for i, ins in enumerate(code):
        t = target_of(ins)
        if t in label_at and label_at[t] < i:
            last[label_at[t]] = i
    return sorted(last.items(), key=lambda span: span[1] - span[0])


def hoist(irf) -> int:
    """Move loop-invariant instructions of `irf.code` to their loop's preheader, in place, as
    the module docstring says; returns how many moved."""
    code = irf.code
    moved = 0
    while True:
        writes: dict[int, int] = {}
        for ins in code:
            for d in dest_of(ins):
                writes[d.n] = writes.get(d.n, 0) + 1
        for top, bottom in loops(code):
            inside = {d.n for ins in code[top + 1:bottom + 1] for d in dest_of(ins)}
            chosen = []
            for k in range(top + 1, bottom + 1):
                ins = code[k]
                if ins.op in PURE and not (ins.op == "bin" and ins.args[0] in ("//", "%")) \
                        and writes[dest_of(ins)[0].n] == 1 and all(x.n not in inside for x in operands(ins)):
                    chosen.append(k)
                    inside.discard(dest_of(ins)[0].n)      # now invariant: its users may follow it out
            if chosen:
                taken = [code[k] for k in chosen]
                chosen_set = set(chosen)
                rest = [ins for k, ins in enumerate(code[top:bottom + 1], top) if k not in chosen_set]
                code[top:bottom + 1] = taken + rest
                moved += len(taken)
                break               # positions changed: find the loops again
        else:
            return moved
