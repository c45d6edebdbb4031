"""Jumps after register allocation: the classic peephole clean-up of the control flow that
lowering leaves behind (structured statements nest, so their exits meet in chains of labels).

  - a branch or jump to a `j M` goes straight to M (jump threading);
  - a `j` to the instruction that follows anyway goes, as does code that nothing can reach
    (after a `j`, `ret` or `tail`, up to the next label something jumps to);
  - `bCC a, b, L1; j L2; L1:` becomes `b!CC a, b, L2` (the jump over a jump).

Each rule removes an instruction or a step on some path; none changes what a function computes.
Labels stay (the listing and the assembler do not mind unused ones).
"""

from downstairs.compiler.select import MI

INVERSE = {"beq": "bne", "bne": "beq", "blt": "bge", "bge": "blt", "bltu": "bgeu", "bgeu": "bltu"}


def target(mi):
    """The label a branch or jump goes to, else None."""
    if mi.op in INVERSE:
        return mi.args[2]
    return mi.args[0] if mi.op == "j" else None


def retarget(mi, label):
    return MI(mi.op, *mi.args[:-1], label, line=mi.line)


def landings(code) -> dict[str, int]:
    """label -> the index of the instruction it names (the first after it that is no label)."""
    lands, at = {}, len(code)
    for i in reversed(range(len(code))):
        if code[i].op == "label":
            lands[code[i].args[0]] = at
        else:
            at = i
    return lands


def next_real(code, i) -> int:
    """The index of the first instruction after i that is not a label (len(code) if none)."""
    return next((k for k in range(i + 1, len(code)) if code[k].op != "label"), len(code))


def thread(code):
    """Jump threading and the removal of useless jumps and unreachable code, once through;
    returns (code, whether anything changed)."""
    lands = landings(code)

    def final(label):
        seen = {label}
        while lands.get(label, len(code)) < len(code) and code[lands[label]].op == "j" \
                and code[lands[label]].args[0] not in seen:
            label = code[lands[label]].args[0]
            seen.add(label)
        return label

    wanted = {target(mi) for mi in code}
    out, changed, reachable = [], False, True
    for i, mi in enumerate(code):
        if mi.op == "label":
            reachable = reachable or mi.args[0] in wanted
        elif not reachable:
            changed = True
            continue
        label = target(mi)
        if label is not None and final(label) != label:
            mi, changed = retarget(mi, final(label)), True
        if mi.op == "j" and lands.get(mi.args[0]) == next_real(code, i):
            changed = True
            continue
        out.append(mi)
        if mi.op != "label":
            reachable = mi.op not in ("j", "ret", "tail")
    return out, changed


def flip(code):
    """Every `bCC L1; j L2; L1:` as `b!CC L2` when nothing else jumps to the `j`; returns
    (code, whether anything changed)."""
    lands = landings(code)
    wanted = {target(mi) for mi in code if target(mi) is not None}
    out, skip, changed = [], set(), False
    for i, mi in enumerate(code):
        if i in skip:
            continue
        if mi.op in INVERSE:
            j = next_real(code, i)
            between = [code[k].args[0] for k in range(i + 1, j)]
            if j < len(code) and code[j].op == "j" and lands.get(mi.args[2]) == next_real(code, j) \
                    and not wanted.intersection(between):
                mi = MI(INVERSE[mi.op], mi.args[0], mi.args[1], code[j].args[0], line=mi.line)
                skip.add(j)
                changed = True
        out.append(mi)
    return out, changed


def tidy(code: list) -> list:
    """The function's instructions with its jumps cleaned up as the module docstring says."""
    while True:
        code, threaded = thread(code)
        code, flipped = flip(code)
        if not (threaded or flipped):
            return code
