"""Register allocation: linear scan (Poletto & Sarkar 1999) over live intervals, then the frame.

1. Liveness: basic blocks, then the usual backward data-flow to a fixed point.
2. One interval per virtual register, from its first to its last live position (position 2i is
   where instruction i reads, 2i+1 where it writes).
3. Linear scan in order of start. A value live across a call gets a callee-saved register
   (s0..s11, psABI); a call that never comes back (no_return) has nothing live across it and
   ends its block. Others prefer the caller-saved t0..t4, a0..a7, and first of all
   the register a move or the calling convention hints at. When none is free, the interval
   that is cheapest to keep out of a register goes: the fewest uses, a use in a loop counting
   8 times one outside (and 8 times more per loop around it), a constant (one `li`/`la`)
   counting half, as it is made again where used instead of loaded (rematerialised); an equal
   cost spills the one that ends last. A spilled value gets a stack slot (slots are reused once
   their interval is over).
4. Rewrite: spilled values go through the scratch registers t5/t6; the pseudo-instructions
   become the psABI sequences: arguments in a0..a7 (a parallel move), result in a0 (a call
   that never comes back is a jump), a prologue that saves ra (unless every call is such a
   jump or a tail call) and the callee-saved registers used, an epilogue at each return. A
   call whose result is returned at once is a tail call: the epilogue, then `tail` (a jump),
   and the callee's `ret` returns to this function's caller.

Frame, from sp upwards: spill slots, saved registers, the function's records and arrays; the
size is a multiple of 16 (psABI stack alignment).
"""

from downstairs.compiler.ir import V
from downstairs.compiler.select import FORMAT, MI, fits12

CALLER = ["t0", "t1", "t2", "t3", "t4", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"]
CALLEE = ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11"]
ARGS = ["a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"]
BRANCHES = {"beq", "bne", "blt", "bge", "bltu", "bgeu"}
CALLS = {"call", "ecall", "ecall_regs"}
NO_RETURN = {"__trap_return"}      # routines that never come back: a jump, not a call (no ra to keep)
REMAT = "remat"                        # where a constant made again at each use "lives"


def defs_uses(mi):
    """The virtual register numbers an instruction writes and reads: ([defs], [uses])."""
    op, a = mi.op, mi.args
    if op in CALLS:
        defs, uses = a[0] if isinstance(a[0], list) else [a[0]], a[-1]
    elif op == "params":
        defs, uses = a[0], []
    elif op == "ret":
        defs, uses = [], list(a)
    else:
        fmt = FORMAT[op]
        defs = [x for ch, x in zip(fmt, a) if ch == "d"]
        uses = [x for ch, x in zip(fmt, a) if ch == "s"]
    return [x.n for x in defs if isinstance(x, V)], [x.n for x in uses if isinstance(x, V)]


def ends_path(mi, stops) -> bool:
    """Whether nothing follows `mi`: a return, a trap, or a call of a function in `stops`
    (functions that never come back)."""
    return mi.op in ("ret", "ebreak") or (mi.op == "call" and mi.args[1] in stops)


def blocks_of(code, stops=NO_RETURN):
    """Basic blocks as (first, last) instruction indexes, and their successor lists (a call
    of a function in `stops` ends its block, with no successor)."""
    starts = {0}
    for i, mi in enumerate(code):
        if mi.op == "label":
            starts.add(i)
        if mi.op in BRANCHES or mi.op == "j" or ends_path(mi, stops):
            starts.add(i + 1)
    starts = sorted(s for s in starts if s < len(code))
    blocks = [(s, (starts[k + 1] if k + 1 < len(starts) else len(code)) - 1) for k, s in enumerate(starts)]
    at_label = {code[s].args[0]: k for k, (s, _) in enumerate(blocks) if code[s].op == "label"}
    succs = []
    for k, (_, last) in enumerate(blocks):
        mi = code[last]
        nxt = [k + 1] if k + 1 < len(blocks) else []
        if mi.op in BRANCHES:
            succs.append([at_label[mi.args[2]]] + nxt)
        elif mi.op == "j":
            succs.append([at_label[mi.args[0]]])
        elif ends_path(mi, stops):
            succs.append([])
        else:
            succs.append(nxt)
    return blocks, succs


def liveness(code, stops=NO_RETURN):
    """Per basic block: its instruction span, and the virtual registers live out of it."""
    blocks, succs = blocks_of(code, stops)
    info = [defs_uses(mi) for mi in code]
    use_b, def_b = [], []
    for first, last in blocks:
        u, d = set(), set()
        for i in range(first, last + 1):
            defs, uses = info[i]
            u |= {x for x in uses if x not in d}
            d |= set(defs)
        use_b.append(u)
        def_b.append(d)
    live_in = [set() for _ in blocks]
    live_out = [set() for _ in blocks]
    changed = True
    while changed:
        changed = False
        for k in reversed(range(len(blocks))):
            out = set().union(*(live_in[s] for s in succs[k])) if succs[k] else set()
            inn = use_b[k] | (out - def_b[k])
            if out != live_out[k] or inn != live_in[k]:
                live_out[k], live_in[k] = out, inn
                changed = True
    return blocks, info, live_in, live_out


PURE = {"li", "la", "mv", "frame"} | {op for op, fmt in FORMAT.items() if fmt == "dss" and not op.startswith("amo")} \
    | {"addi", "slti", "sltiu", "xori", "ori", "andi", "addiw", "slli", "srli", "srai", "slliw", "srliw", "sraiw"}


def remove_dead(code, stops=NO_RETURN):
    """Drop pure instructions whose result is never read (such as a loop counter's final
    adjustment when the counter is not used after the loop); repeat until none is left."""
    while True:
        blocks, info, _, live_out = liveness(code, stops)
        dead = set()
        for k, (first, last) in enumerate(blocks):
            live = set(live_out[k])
            for i in range(last, first - 1, -1):
                defs, uses = info[i]
                if code[i].op in PURE and defs and not (set(defs) & live):
                    dead.add(i)
                    continue
                live -= set(defs)
                live |= set(uses)
        if not dead:
            return code
        code = [mi for i, mi in enumerate(code) if i not in dead]


def intervals(code, stops=NO_RETURN):
    """Each virtual register's live interval as {vreg: first position}, {vreg: last position}
    (position 2i: instruction i reads; 2i+1: it writes), and for each call (by position) the
    values live across it."""
    blocks, info, live_in, live_out = liveness(code, stops)
    start, end = {}, {}
    across: dict[int, set] = {}
    for k, (first, last) in enumerate(blocks):
        live = set(live_out[k])
        for i in range(last, first - 1, -1):
            defs, uses = info[i]
            live -= set(defs)
            if code[i].op in CALLS:
                across[2 * i] = set(live) | (set(uses) if code[i].op == "ecall_regs" else set())
            live |= set(uses)

    def extend(v, pos):
        start[v] = min(start.get(v, pos), pos)
        end[v] = max(end.get(v, pos), pos)

    for k, (first, last) in enumerate(blocks):
        for v in live_in[k]:
            extend(v, 2 * first)
        for v in live_out[k]:
            extend(v, 2 * last + 1)
    for i, (defs, uses) in enumerate(info):
        for v in uses:
            extend(v, 2 * i)
        for v in defs:
            extend(v, 2 * i + 1)
    return start, end, across


def hints(code):
    """Registers each value would best live in, so that moves become no-ops: the psABI
    argument and result registers around calls, returns and parameters, and the register of
    the other side of a `mv`."""
    found: dict[int, list] = {}

    def hint(x, want):
        if isinstance(x, V):
            found.setdefault(x.n, []).append(want)

    for mi in code:
        if mi.op == "params":
            for k, p in enumerate(mi.args[0]):
                hint(p, ARGS[k])
        elif mi.op == "call":
            for k, a in enumerate(mi.args[2]):
                hint(a, ARGS[k])
            for k, d in enumerate(mi.args[0] if isinstance(mi.args[0], list) else [mi.args[0]]):
                hint(d, ARGS[k])
        elif mi.op == "ret":
            for k, a in enumerate(mi.args):
                hint(a, ARGS[k])
        elif mi.op == "mv" and isinstance(mi.args[0], V) and isinstance(mi.args[1], V):
            hint(mi.args[0], mi.args[1].n)
            hint(mi.args[1], mi.args[0].n)
    return found


def loop_depths(code) -> list[int]:
    """How many loops each instruction is in (a loop: a label and the last jump back to it)."""
    at = {mi.args[0]: i for i, mi in enumerate(code) if mi.op == "label"}
    last: dict[int, int] = {}
    for i, mi in enumerate(code):
        target = mi.args[2] if mi.op in BRANCHES else mi.args[0] if mi.op == "j" else None
        if target in at and at[target] < i:
            last[at[target]] = i
    depth = [0] * len(code)
    for top, bottom in last.items():
        for k in range(top, bottom + 1):
            depth[k] += 1
    return depth


def constants(code) -> dict[int, MI]:
    """The values that are one constant (written once, by `li` or `la`): they can be made again
    where they are used instead of living in a register or a slot."""
    writes: dict[int, list] = {}
    for mi in code:
        for d in defs_uses(mi)[0]:
            writes.setdefault(d, []).append(mi)
    return {v: mis[0] for v, mis in writes.items() if len(mis) == 1 and mis[0].op in ("li", "la")}


def spill_costs(code, remat) -> dict[int, float]:
    """What keeping each value out of a register costs: its uses and writes, 8**loop depth each
    (a rematerialised constant's half, and nothing for its one write)."""
    cost: dict[int, float] = {}
    for mi, depth in zip(code, loop_depths(code)):
        defs, uses = defs_uses(mi)
        for v in uses + defs:
            cost[v] = cost.get(v, 0) + 8 ** min(depth, 6)
    for v, mi in remat.items():
        cost[v] = (cost[v] - 8 ** 0) / 2
    return cost


def linear_scan(code, stops=NO_RETURN):
    """vreg number -> register name, spill slot number (int) or REMAT. A value gets a
    callee-saved register if it is live across a call (not merely inside its interval: a call
    that does not come back has nothing live across it)."""
    start, end, across = intervals(code, stops)
    wants = hints(code)
    remat = constants(code)
    cost = spill_costs(code, remat)
    crossing = set().union(*across.values()) if across else set()
    order = sorted(start, key=lambda v: (start[v], v))
    where: dict[int, object] = {}
    active: list[int] = []
    free = set(CALLER + CALLEE)
    slots = 0
    spilled: list[int] = []            # spilled intervals still holding their slot
    free_slots: list[int] = []

    def fresh_slot():          # a new 8-byte spill slot, by number
        nonlocal slots
        slots += 1
        return slots - 1

    def spill(v, since_before):    # a slot for v's interval (one free all along), or none
        if v in remat:
            where[v] = REMAT
        else:
            where[v] = fresh_slot() if since_before or not free_slots else free_slots.pop()
            spilled.append(v)

    for v in order:
        for a in list(active):
            if end[a] < start[v]:
                active.remove(a)
                free.add(where[a])
        for a in list(spilled):
            if end[a] < start[v]:
                spilled.remove(a)
                free_slots.append(where[a])
        pool = CALLEE if v in crossing else CALLER + CALLEE
        preferred = [where.get(h) if isinstance(h, int) else h for h in wants.get(v, [])]
        reg = next((r for r in preferred + pool if r in free and r in pool), None)
        if reg is not None:
            free.discard(reg)
            where[v] = reg
            active.append(v)
            continue
        victims = [a for a in active if where[a] in pool]
        victim = min(victims, key=lambda a: (cost[a], -end[a])) if victims else None
        if victim is not None and (cost[victim], -end[victim]) < (cost[v], -end[v]):
            # the victim lived in a register since its start: it needs a slot free all along
            where[v] = where[victim]
            active.remove(victim)
            active.append(v)
            spill(victim, True)
        else:
            spill(v, False)
    return where, slots


def parallel_move(moves, line):
    """Sequential `mv`s that do the moves (dst, src) as if all at once; t6 breaks cycles.
    Zeros are written last, as `li` (nothing reads a destination after that)."""
    zeros = [d for d, s in moves if s == "zero"]
    moves = [(d, s) for d, s in moves if d != s and s != "zero"]
    out = []
    while moves:
        for k, (d, s) in enumerate(moves):
            if all(s2 != d for _, s2 in moves):
                out.append(MI("mv", d, s, line=line))
                moves.pop(k)
                break
        else:
            d, s = moves[0]
            out.append(MI("mv", "t6", s, line=line))
            moves = [(d2, "t6" if s2 == s else s2) for d2, s2 in moves]
    return out + [MI("li", d, 0, line=line) for d in zeros]


def no_return(codes: dict) -> set[str]:
    """The functions (symbols of `codes`: symbol -> its selected code) that never come back:
    no path from their start reaches a `ret` (trap_return's routine, and functions that end in
    calls of such functions or loop forever). A call of one is a jump, and ends a path."""
    stops = set(NO_RETURN)
    changed = True
    while changed:
        changed = False
        for symbol, code in codes.items():
            if symbol not in stops and not reaches_ret(code, stops):
                stops.add(symbol)
                changed = True
    return stops


def reaches_ret(code, stops) -> bool:
    blocks, succs = blocks_of(code, stops)
    seen, todo = set(), [0] if blocks else []
    while todo:
        k = todo.pop()
        if k in seen:
            continue
        seen.add(k)
        if code[blocks[k][1]].op == "ret":
            return True
        todo += succs[k]
    return False


STOPS_FORWARDING = {"label", "j", "ret", "call", "ecall", "ebreak", "wfi", "fence", "fence_i", "mret", "sret",
                    "sfence.vma"} | BRANCHES


def stored_words(out, base) -> dict[int, str]:
    """Words k of the array at `base` that the code just emitted (`out`, back to the start of
    its block) stored from a register still holding the value: {k: that register}, so an
    ecall_regs can take them from there instead of loading them again. A store through any
    other register, or anything but plain arithmetic and loads, ends the search; a narrower
    store into a word leaves that word to be loaded."""
    known: dict[int, str] = {}
    decided: set[int] = set()              # words whose last store has been seen
    written: set[str] = set()
    for mi in reversed(out):
        if mi.op in STOPS_FORWARDING or mi.op not in FORMAT or mi.op.startswith(("amo", "sc.", "lr.")):
            break
        fmt = FORMAT[mi.op]
        if fmt == "ssi":                       # a store: value, base, offset
            value, where, offset = mi.args
            if where != base:
                break
            first, last = offset // 8, (offset + {"sb": 1, "sh": 2, "sw": 4, "sd": 8}[mi.op] - 1) // 8
            if mi.op == "sd" and offset % 8 == 0 and first not in decided and value not in written:
                known[first] = value
            decided.update(range(first, last + 1))
            continue
        dest = [x for ch, x in zip(fmt, mi.args) if ch == "d"]
        if base in dest:
            break
        written.update(dest)
    return {k: reg for k, reg in known.items() if 0 <= k < 8}


def tail_calls(code, frame_storage, stops=NO_RETURN) -> set[int]:
    """The calls whose result, if any, the function returns straight away: the callee can
    return to this function's caller (`tail`), unless this function's stack storage, which
    the callee may have been given the address of, must outlive the call."""
    if frame_storage:
        return set()
    found = set()
    for i, mi in enumerate(code[:-1]):
        after = code[i + 1]
        if mi.op == "call" and mi.args[1] not in stops and not isinstance(mi.args[0], list) and after.op == "ret" and len(after.args) == 1 \
                and (after.args[0] is None or (isinstance(after.args[0], V) and isinstance(mi.args[0], V)
                                               and after.args[0].n == mi.args[0].n)):
            found.add(i)
    return found


def allocate(code, frame_storage, stops=NO_RETURN):
    """The function's final instructions with physical registers: dead code removed,
    registers assigned, the frame (spill slots, saved registers, `frame_storage` bytes of
    records and arrays) set up, and the psABI sequences for params, call, ecall and ret. A
    call of a function in `stops` (no_return) is a jump: it needs no return address."""
    code = remove_dead(code, stops)
    where, nslots = linear_scan(code, stops)
    used = sorted({r for r in where.values() if isinstance(r, str) and r in CALLEE}, key=CALLEE.index)
    tails = tail_calls(code, frame_storage, stops)
    leaf = all(mi.op != "call" or i in tails or mi.args[1] in stops for i, mi in enumerate(code))
    saved = ([] if leaf else ["ra"]) + used
    save_at = {r: 8 * (nslots + k) for k, r in enumerate(saved)}
    storage_base = (8 * (nslots + len(saved)) + 15) // 16 * 16
    total = (storage_base + frame_storage + 15) // 16 * 16
    out: list[MI] = []

    remat = constants(code)

    def loc(x):               # where a value lives: a register name, a slot number, REMAT, or x0 if unused
        return where.get(x.n, "zero") if isinstance(x, V) else x

    def slot(x):              # the sp offset of a spilled value's slot
        return 8 * where[x.n]

    def emit(op, *args, line=0):
        out.append(MI(op, *args, line=line))

    def held(x):              # whether x is in a register (not in a slot, not made at each use)
        return not isinstance(loc(x), int) and loc(x) != REMAT

    def fetch(reg, x, line):  # bring a value that is not in a register into reg
        if loc(x) == REMAT:
            emit(remat[x.n].op, reg, remat[x.n].args[1], line=line)
        else:
            emit("ld", reg, "sp", slot(x), line=line)

    def adjust_sp(amount, line):   # sp += amount, through t0 if it does not fit 12 bits
        if fits12(amount):
            emit("addi", "sp", "sp", amount, line=line)
        else:
            emit("li", "t0", abs(amount), line=line)
            emit("sub" if amount < 0 else "add", "sp", "sp", "t0", line=line)

    def epilogue(line):       # the callee-saved registers and ra back, the frame gone
        for r in saved:
            emit("ld", r, "sp", save_at[r], line=line)
        if total:
            adjust_sp(total, line)

    for i, mi in enumerate(code):
        op, args, line = mi.op, mi.args, mi.line
        if op == "params":
            if total:
                adjust_sp(-total, line)
            for r in saved:
                emit("sd", r, "sp", save_at[r], line=line)
            regs = []
            for k, p in enumerate(args[0]):
                if isinstance(loc(p), int):
                    emit("sd", ARGS[k], "sp", slot(p), line=line)
                elif p.n in where:
                    regs.append((loc(p), ARGS[k]))
            out.extend(parallel_move(regs, line))
        elif op == "ecall_regs":                 # the array's address is kept across (callee-saved)
            base = loc(args[1][0])
            if not held(args[1][0]):
                fetch("t5", args[1][0], line)
                base = "t5"
            known = stored_words(out, base) if base != "t5" else {}
            out.extend(parallel_move([(ARGS[k], reg) for k, reg in known.items()], line))
            for k in range(8):
                if k not in known:
                    emit("ld", ARGS[k], base, 8 * k, line=line)
            emit("ecall", line=line)
            if base == "t5":
                fetch("t5", args[1][0], line)
            for k in range(8):
                emit("sd", ARGS[k], base, 8 * k, line=line)
        elif op in CALLS:
            dest, srcs = args[0], args[-1]
            targets = ARGS[:len(srcs)] if op == "call" else ["a7", "a0", "a1", "a2"]
            regs = [(t, loc(s)) for t, s in zip(targets, srcs) if held(s)]
            out.extend(parallel_move(regs, line))
            for t, s in zip(targets, srcs):
                if not held(s):
                    fetch(t, s, line)
            if op == "ecall":
                emit("ecall", line=line)
            elif args[1] in stops:                # never comes back: a jump, nothing after
                emit("j", args[1], line=line)
            elif i in tails:                      # the callee returns for this function
                epilogue(line)
                emit("tail", args[1], line=line)
                continue
            else:
                emit("call", args[1], line=line)
            if isinstance(dest, list):           # a record result in a0, a1: spills first, then moves
                live = [(d, ARGS[k]) for k, d in enumerate(dest) if d.n in where]
                for d, reg in live:
                    if isinstance(loc(d), int):
                        emit("sd", reg, "sp", slot(d), line=line)
                out.extend(parallel_move([(loc(d), reg) for d, reg in live if not isinstance(loc(d), int)], line))
            elif dest is not None and dest.n in where:
                if isinstance(loc(dest), int):
                    emit("sd", "a0", "sp", slot(dest), line=line)
                elif loc(dest) != "a0":
                    emit("mv", loc(dest), "a0", line=line)
        elif op == "ret" and i - 1 in tails:
            continue                              # the tail call returned for us
        elif op == "ret":
            if len(args) == 2:                   # a record's two words: moves first, then reloads
                out.extend(parallel_move([(ARGS[k], loc(a)) for k, a in enumerate(args) if held(a)], line))
                for k, a in enumerate(args):
                    if not held(a):
                        fetch(ARGS[k], a, line)
            elif args[0] is not None:
                if not held(args[0]):
                    fetch("a0", args[0], line)
                elif loc(args[0]) != "a0":
                    emit("mv", "a0", loc(args[0]), line=line)
            epilogue(line)
            emit("ret", line=line)
        else:
            fmt = FORMAT[op]
            new = list(args)
            scratch = ["t5", "t6"]
            loaded = {}
            store = None
            if op in ("li", "la") and loc(args[0]) == REMAT:
                continue                          # made where it is used instead
            for k, ch in enumerate(fmt):
                x = args[k]
                if not isinstance(x, V):
                    continue
                place = loc(x)
                if ch == "s":
                    if not held(x):
                        if x.n not in loaded:
                            loaded[x.n] = scratch.pop(0)
                            fetch(loaded[x.n], x, line)
                        place = loaded[x.n]
                    new[k] = place
                elif ch == "d":
                    if x.n not in where:          # a value never used: write it to x0
                        new[k] = "zero"
                    elif isinstance(place, int):
                        new[k] = "t6"
                        store = MI("sd", "t6", "sp", slot(x), line=line)
                    else:
                        new[k] = place
            if op == "frame":
                offset = storage_base + new[1]
                if fits12(offset):
                    emit("addi", new[0], "sp", offset, line=line)
                else:
                    emit("li", new[0], offset, line=line)
                    emit("add", new[0], "sp", new[0], line=line)
            elif op == "mv" and new[0] == new[1]:
                pass
            else:
                out.append(MI(op, *new, line=line))
            if store is not None:
                out.append(store)
    return out
