"""Ownership: moves and borrows of resource types, checked on the typed tree (docs/ownership.md).

A record declared `@resource` has exactly one owner at a time: a variable, a parameter that
took it, a field of another resource, an array element or a global. `@linear` adds that
every one must be used up. Integers, bools and plain `@record`s are not affected.

The rules, in the order a reader meets them (each broken rule is a CompileError at the
offending node, with a note at the earlier place that explains it):

 1. Moves. Assigning a resource to a variable, passing it to a parameter declared with its
    plain type, returning it, or storing it in a field, an element or a global moves it:
    the name it came from is dead until it is assigned again. Using a dead name is an error
    (use after move); moving it again is an error (a second move).
 2. Only a name moves. A resource in a field, an array element or a global stays there: it
    can be read and borrowed, never moved out (that would copy it). A call's resource result
    is kept: assigned or returned.
 3. Borrows last for one call. A parameter `Ref[T]` borrows its argument shared and
    read-only, `MutRef[T]` exclusively and writable. In one call no two arguments may
    overlap if one is exclusive, and nothing may be moved that another argument borrows.
    A borrowed parameter is never moved, stored, returned or destroyed (it would escape
    the call), and a shared one is never written through.
 4. Linear values are consumed: moved, returned, or destroyed with `del` by their module,
    before every return and the end of the function. Both branches of an `if` consume the
    same ones, and a loop's body leaves every one as it found it (so it cannot consume one
    from outside the loop, nor leave behind one it made).
 5. Modules. Only the module that declares a resource type creates one (`T(...)`,
    `array(T, n)`), destroys one (`del`) or changes anything inside one.

How: one walk over each function in source order, carrying what is known of each owned
resource variable (a Fact: alive or dead, and since where) along every path. `if` walks both
branches and joins what they found; a loop walks its body once and compares the state at
its end and at each `continue` with the state at its top. A path that returns, breaks or
continues carries no state past that statement (None).
"""

import ast

from downstairs.compiler import types as T
from downstairs.compiler.errors import error_at
from downstairs.compiler.symbols import Func, Var


class Fact:
    """What one path knows of an owned variable: status "alive", "dead" (not yet given a
    value, moved or destroyed) or "maybe" (paths that meet here disagree); `node` and `how`
    say where it became so, for the notes of an error ("moved into free_frame()")."""

    __slots__ = ("status", "node", "how")

    def __init__(self, status: str, node=None, how: str = ""):
        self.status, self.node, self.how = status, node, how


UNSET = Fact("dead", None, "never given a value")


class Loop:
    """A loop being walked: the state at its top, and the states its breaks and continues
    carry (with the statement)."""

    def __init__(self, top: dict):
        self.top = top
        self.breaks: list = []
        self.continues: list = []


class FunctionOwnership:
    """Checks one function of a checked Program against the rules above."""

    def __init__(self, program, func: Func):
        self.func, self.module = func, func.module
        self.types, self.consts, self.symbols, self.calls = program.types, program.consts, program.symbols, \
            program.calls
        self.borrow = dict(zip((name for name, _ in func.ftype.params), func.ftype.borrows))
        self.loops: list[Loop] = []

    # ---- what is owned -----------------------------------------------------------------------

    def owned(self, var) -> bool:
        """Whether the walk tracks `var`: a resource in a local variable or a parameter that
        took ownership (a borrowed parameter always has its value; a global keeps it)."""
        return isinstance(var, Var) and T.is_resource(var.ty) and (
            var.kind == "local" or (var.kind == "param" and self.borrow[var.name] is None))

    def borrowed(self, var):
        """"shared" or "exclusive" if `var` is a borrowed parameter, else None."""
        return self.borrow.get(var.name) if isinstance(var, Var) and var.kind == "param" else None

    def place(self, node):
        """A place expression as (root Var, path): the path lists field names, constant
        indexes and None for an index not known at compile time. (None, ()) if not a place."""
        path = []
        while node not in self.symbols:
            if isinstance(node, ast.Attribute):
                path.append(node.attr)
            elif isinstance(node, ast.Subscript):
                path.append(self.consts.get(node.slice))
            else:
                return None, ()
            node = node.value
        var = self.symbols[node]
        return (var, tuple(reversed(path))) if isinstance(var, Var) else (None, ())

    # ---- errors ------------------------------------------------------------------------------

    def error(self, node, message, *notes):
        """A CompileError at `node`, with notes (message, node) at earlier places."""
        err = error_at(node, message, self.module)
        for text, where in notes:
            if where is not None:            # None: a variable never given a value has no place
                err.note(text, where.lineno, where.col_offset)
        return err

    def declared_at(self, var):
        """The `ast.arg` that declares a parameter (where a note about it points)."""
        return next(a for a in self.func.node.args.args if a.arg == var.name)

    # ---- the walk ----------------------------------------------------------------------------

    def run(self) -> None:
        """Walk the function from its parameters on; the first broken rule is raised."""
        state = {var: Fact("alive", self.declared_at(var), "a parameter")
                 for var in self.func.locals.values() if var.kind == "param" and self.owned(var)}
        state = self.block(self.func.node.body, state)
        if state is not None:
            last = self.func.node.body[-1]
            self.consumed(state, last, f"when {self.func.name}() ends here")

    def block(self, body, state):
        for stmt in body:
            if state is None:
                return None              # unreachable after return, break or continue
            state = self.stmt(stmt, state)
        return state

    def stmt(self, node, state):
        """The state after one statement (None if no path continues after it)."""
        kind = type(node)
        if kind is ast.Expr:
            if isinstance(node.value, ast.Call):
                self.call(node.value, state, keep=False)
        elif kind in (ast.Assign, ast.AnnAssign):
            target = node.targets[0] if kind is ast.Assign else node.target
            if isinstance(target, ast.Tuple):
                for value in node.value.elts:
                    self.expr(value, state)
            else:
                self.assign(target, node.value, state)
        elif kind is ast.AugAssign:
            self.expr(node.value, state)
            self.expr(node.target, state)
            self.write(node.target, state)
        elif kind is ast.If:
            self.expr(node.test, state)
            yes = self.block(node.body, dict(state))
            no = self.block(node.orelse, dict(state))
            return self.join(yes, no, node, ("when its condition is true", "when it is false"))
        elif kind in (ast.While, ast.For):
            return self.loop(node, state)
        elif kind is ast.Break:
            self.loops[-1].breaks.append((state, node))
            return None
        elif kind is ast.Continue:
            self.loops[-1].continues.append((state, node))
            return None
        elif kind is ast.Return:
            if node.value is not None:
                if T.is_resource(self.types[node.value]):
                    self.move(node.value, state, "returned", node)
                else:
                    self.expr(node.value, state)
            self.consumed(state, node, "at this return")
            return None
        elif kind is ast.Delete:
            self.destroy(node.targets[0], state)
        elif kind is ast.Assert:
            self.expr(node.test, state)
        return state

    def loop(self, node, state):
        """A while or for loop: its body must leave every resource as it found it at the top
        (checked at the end of the body and at each continue); after it, the states of a
        normal exit and of every break meet."""
        if isinstance(node, ast.For):
            for arg in node.iter.args:
                self.expr(arg, state)
        else:
            self.expr(node.test, state)
        frame = Loop(dict(state))
        self.loops.append(frame)
        end = self.block(node.body, dict(state))
        self.loops.pop()
        for after, at in [(end, None)] + frame.continues:
            if after is not None:
                self.same_as_top(frame.top, after, at or node.body[-1], node)
        forever = isinstance(node, ast.While) and bool(self.consts.get(node.test))
        exits = [] if forever else [(frame.top, node)]
        exits += frame.breaks
        result = None
        for after, at in exits:
            result = after if result is None else self.join(result, after, at, (
                "when the loop ends normally" if result is frame.top else "at an earlier break",
                "at this break"))
        return result

    def same_as_top(self, top, after, at, loop):
        """Compare the state where the body ends (or continues) with the loop's top."""
        for var, fact in after.items():
            before = top.get(var, UNSET)
            if before.status == "alive" and fact.status != "alive":
                raise self.error(fact.node or at, f"{var.name!r} is owned outside this loop but consumed inside "
                                 f"it: the next time round it would be gone",
                                 (f"the loop starts here; {var.name!r} was {before.how} before it", loop))
            if T.is_linear(var.ty) and before.status != "alive" and fact.status == "alive":
                place = "at this continue" if isinstance(at, ast.Continue) else "at the end of the loop body"
                raise self.error(at, f"linear {var.ty.name} {var.name!r} is not consumed {place}: "
                                 f"each time round would lose one", (f"{var.name!r} was {fact.how} here", fact.node))

    def join(self, a, b, node, which):
        """The state where two paths meet (None: a path that does not reach here). A linear
        value alive on one path and not the other is an error; otherwise "maybe"."""
        if a is None:
            return b
        if b is None:
            return a
        out = {}
        for var in [v for v in self.func.locals.values() if v in a or v in b]:      # in a fixed order
            fa, fb = a.get(var, UNSET), b.get(var, UNSET)
            if fa.status == fb.status:
                out[var] = fa if fa.node is not None else fb
                continue
            dead, alive = (fa, fb) if fb.status == "alive" else (fb, fa)
            if T.is_linear(var.ty) and "alive" in (fa.status, fb.status):
                ends = which[0] if alive is fa else which[1]
                other = which[1] if alive is fa else which[0]
                raise self.error(node, f"the paths that meet here consume different resources: linear "
                                 f"{var.ty.name} {var.name!r} is alive {ends} but not {other}",
                                 (f"{var.name!r} was {dead.how} here", dead.node),
                                 (f"{var.name!r} was {alive.how} here", alive.node))
            out[var] = Fact("maybe", dead.node, dead.how)
        return out

    def consumed(self, state, node, where):
        """No linear value may still be alive where a function returns or ends."""
        for var, fact in state.items():
            if T.is_linear(var.ty) and fact.status != "dead":
                raise self.error(node, f"linear {var.ty.name} {var.name!r} is not consumed {where}: move it, "
                                 f"return it or give it to the function that destroys it",
                                 (f"{var.name!r} was {fact.how} here", fact.node))

    # ---- reading, moving, writing -------------------------------------------------------------

    def alive(self, var, node, state, verb="used"):
        """An owned variable must be alive where it is used or moved."""
        fact = state.get(var, UNSET) if self.owned(var) else None
        if fact is None or fact.status == "alive":
            return
        if fact.node is None:
            unset = "before it is given a value" if fact.status == "dead" else \
                "here, but on some paths it has not been given a value"
            raise self.error(node, f"{var.name!r} is {verb} {unset}")
        past = fact.how.split(" ")[0]                  # moved, stored, destroyed
        if fact.status == "maybe":
            message = f"{var.name!r} is {verb} here, but on some paths it was {past} before"
        elif verb == "moved" and past in ("moved", "stored"):
            message = f"{var.name!r} is moved a second time"
        else:
            message = f"{var.name!r} is {verb} after it was {past}"
        raise self.error(node, message, (f"{var.name!r} was {fact.how} here", fact.node))

    def expr(self, node, state, conditional=False):
        """Check the reads in an expression: each owned variable read must be alive; calls
        are checked argument by argument (call). `conditional`: inside a branch of `a if c
        else b` or a later operand of and/or, where moving would happen on some paths only."""
        if isinstance(node, ast.Call):
            self.call(node, state, keep=False, conditional=conditional)
            return
        var, _ = self.place(node)
        if var is not None:
            self.alive(var, node, state)
            while isinstance(node, (ast.Attribute, ast.Subscript)):
                if isinstance(node, ast.Subscript):
                    self.expr(node.slice, state, conditional)
                node = node.value
            return
        if isinstance(node, ast.IfExp):
            self.expr(node.test, state, conditional)
            self.expr(node.body, state, True)
            self.expr(node.orelse, state, True)
            return
        if isinstance(node, ast.BoolOp):
            for k, value in enumerate(node.values):
                self.expr(value, state, conditional or k > 0)
            return
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr):
                self.expr(child, state, conditional)

    def move(self, node, state, how, at):
        """`node` gives up its resource (returned, stored, passed to an owner): it must be a
        variable that owns it, alive; afterwards it is dead. A call's result just moves on."""
        if isinstance(node, ast.Call) and node in self.calls:
            self.call(node, state, keep=True)
            return
        var, path = self.place(node)
        what = self.types[node].name
        if var is None:
            raise self.error(node, f"a {what} can only be moved from a variable that owns it")
        if self.borrowed(var):
            raise self.error(node, f"{var.name!r} is borrowed ({'Ref' if self.borrowed(var) == 'shared' else 'MutRef'}"
                             f"[{var.ty.name}]): it goes back to its owner when the call ends, so it cannot be "
                             f"{how.split(' ')[0]}", ("borrowed for the call here", self.declared_at(var)))
        if path or var.kind == "global":
            inside = "a global" if not path else "an array element" if not isinstance(path[-1], str) else "a field"
            raise self.error(node, f"{ast.unparse(node)!r} is {inside}: a {what} stays where it is stored (it can be "
                             f"borrowed, not moved out; moving it would copy it)")
        self.alive(var, node, state, "moved")
        state[var] = Fact("dead", at, how)

    def assign(self, target, value, state):
        """`target = value`: a resource value moves into the target (or is created there)."""
        ty = self.types[target]
        if isinstance(value, ast.Call) and value not in self.calls:          # T(...) or array(T, n)
            self.create(value, ty)
            for arg in value.args[(1 if isinstance(value.func, ast.Name) and value.func.id == "array" else 0):]:
                self.expr(arg, state)
        elif T.is_resource(ty):
            if not (isinstance(value, ast.Name) or (isinstance(value, ast.Call) and value in self.calls)):
                var, path = self.place(target)
                if var is not None and (path or var.kind == "global"):
                    raise self.error(value, f"storing a {ty.name} in {ast.unparse(target)!r} needs a move from a "
                                     f"variable that owns it, and {ast.unparse(value)!r} does not (it would be "
                                     f"copied)")
            stored = not isinstance(target, ast.Name) or not isinstance(self.symbols.get(target), Var) \
                or self.symbols[target].kind == "global"
            self.move(value, state, f"{'stored in' if stored else 'moved into'} {ast.unparse(target)!r}", value)
        else:
            self.expr(value, state)
            var = self.symbols.get(target)
            if isinstance(var, Var) and var.kind == "ref":
                self.second_name(value)
        self.store(target, state)

    def store(self, target, state):
        """The target of an assignment: a tracked variable comes alive (overwriting a live
        linear value would lose it); a field, element or global is written."""
        var = self.symbols.get(target)
        if isinstance(target, ast.Name) and self.owned(var):
            old = state.get(var, UNSET)
            if T.is_linear(var.ty) and old.status != "dead":
                raise self.error(target, f"assigning {var.name!r} would lose the linear {var.ty.name} it holds: "
                                 f"consume that one first", (f"{var.name!r} was {old.how} here", old.node))
            state[var] = Fact("alive", target, f"given its {var.ty.name}")
        elif isinstance(target, ast.Name) and self.borrowed(var):
            raise self.error(target, f"{var.name!r} is borrowed: change its fields, not the name",
                             ("borrowed for the call here", self.declared_at(var)))
        elif not isinstance(target, ast.Name):
            self.expr(target, state)
            self.write(target, state)

    def write(self, node, state, how="written"):
        """`node` (a field, element, or a whole value given to a writer) is changed: not
        through a shared borrow, and nothing inside another module's resource."""
        var, path = self.place(node)
        if var is None:
            return
        if self.borrowed(var) == "shared":
            raise self.error(node, f"{var.name!r} is a shared borrow (Ref[{var.ty.name}]): it is read-only, so "
                             f"{ast.unparse(node)!r} cannot be {how}", ("borrowed here", self.declared_at(var)))
        inner = node
        while inner not in self.symbols and isinstance(inner, (ast.Attribute, ast.Subscript)):
            base = self.types[inner.value]
            if isinstance(inner, ast.Attribute) and T.is_resource(base) and base.module != self.module.name:
                raise self.error(node, f"only module {base.module!r} can change what is inside a {base.name}: "
                                 f"give it to a function there")
            inner = inner.value

    def second_name(self, value):
        """`r = place` names a record or array a second time (no copy): not a part of a
        resource (it could outlive a move) nor of a shared borrow (it would be writable)."""
        var, path = self.place(value)
        if var is None:
            return
        if self.borrowed(var) == "shared":
            raise self.error(value, f"{var.name!r} is a shared borrow: a second name for it would be writable",
                             ("borrowed here", self.declared_at(var)))
        held, inner = [], value
        while isinstance(inner, (ast.Attribute, ast.Subscript)):      # the place's own chain, not its indexes
            inner = inner.value
            if inner in self.types and T.is_resource(self.types[inner]):
                held.append(self.types[inner])
        if held:
            raise self.error(value, f"a second name for part of a {held[0].name} is not supported: pass it to a "
                             f"function that borrows it")

    def create(self, call, ty):
        """`T(...)` or `array(T, n)` makes new values of every resource type `ty` holds."""
        for res in T.resources_in(ty):
            if res.module != self.module.name:
                raise self.error(call, f"only module {res.module!r} can create a {res.name}: ask a function "
                                 f"there for one")

    def destroy(self, name, state):
        """`del name`: the end of a resource, only in its module, only by its owner."""
        var = self.symbols[name]
        if self.borrowed(var):
            raise self.error(name, f"{var.name!r} is borrowed: only its owner can destroy it",
                             ("borrowed for the call here", self.declared_at(var)))
        for res in T.resources_in(var.ty):
            if res.module != self.module.name:
                raise self.error(name, f"only module {res.module!r} can destroy a {res.name}: give it to the "
                                 f"function there that does")
        self.alive(var, name, state, "destroyed")
        state[var] = Fact("dead", name, "destroyed")

    # ---- calls ---------------------------------------------------------------------------------

    def call(self, node, state, keep, conditional=False):
        """A call's arguments: scalars are read; a resource given to a plain parameter moves;
        a Ref/MutRef parameter borrows for the call. No two arguments may overlap where one
        is exclusive or moves. `keep`: the call's resource result is assigned or returned."""
        target = self.calls.get(node)
        if not isinstance(target, Func):
            for arg in node.args:
                self.expr(arg, state, conditional)
            return
        if T.is_resource(target.ftype.result) and not keep:
            raise self.error(node, f"the {target.ftype.result.name} that {target.name}() returns must be kept: "
                             f"assign it to a variable or return it")
        taken = []                       # (kind, var, path, argument node, parameter name)
        for arg, (pname, pty), borrow in zip(node.args, target.ftype.params, target.ftype.borrows):
            if T.is_scalar(pty) or pty is T.BYTES:
                self.expr(arg, state, conditional)
                continue
            var, path = self.place(arg)
            if var is None:
                raise self.error(arg, f"give this {self.types[arg]!r} a name before passing it")
            kind = "move" if T.is_resource(pty) and borrow is None else borrow or "plain"
            if kind == "move":
                if conditional:
                    raise self.error(arg, "a resource cannot move inside a conditional expression: use an if statement")
                self.move(arg, dict(state), f"moved into {target.name}()", arg)     # applied after the checks
            else:
                self.expr(arg, state, conditional)
                if kind != "shared":
                    self.write(arg, state, f"given to {target.name}() to change")
            for other in taken:
                self.conflict((kind, var, path, arg, pname), other, target)
            taken.append((kind, var, path, arg, pname))
        for kind, var, path, arg, pname in taken:
            if kind == "move":
                state[var] = Fact("dead", arg, f"moved into {target.name}()")

    def conflict(self, mine, other, target):
        """Two arguments of one call: an error if they overlap and either is exclusive or a move."""
        kind, var, path, arg, pname = mine
        okind, ovar, opath, oarg, oname = other
        if var is not ovar or not overlap(path, opath):
            return
        kinds = {kind, okind}
        if "move" in kinds and kinds != {"move"}:
            move, borrow = (mine, other) if kind == "move" else (other, mine)
            raise self.error(move[3], f"{ast.unparse(move[3])!r} is moved into {target.name}() while it is borrowed "
                             f"for the same call", (f"borrowed here, for parameter {borrow[4]!r}", borrow[3]))
        if kinds == {"move"}:
            raise self.error(arg, f"{var.name!r} is moved twice in one call", ("moved here first", oarg))
        if "exclusive" in kinds and kinds <= {"exclusive", "shared"}:
            both = "two exclusive borrows" if kinds == {"exclusive"} else "an exclusive and a shared borrow"
            raise self.error(arg, f"{both} of {ast.unparse(arg)!r} in one call to {target.name}()",
                             (f"{ast.unparse(oarg)!r} is borrowed here, for parameter {oname!r}", oarg))


def overlap(a: tuple, b: tuple) -> bool:
    """Whether two paths from the same root can name overlapping storage: one is a prefix of
    the other, where an index not known at compile time (None) may be any index."""
    for x, y in zip(a, b):
        if x != y and not ((x is None or y is None) and not isinstance(x, str) and not isinstance(y, str)):
            return False
    return True


def check_ownership(program) -> None:
    """Check every function of a checked Program, and that module-level storage creates no
    resource of another module. Raises the first CompileError."""
    for func in program.funcs:
        FunctionOwnership(program, func).run()
    for var in program.globals:
        for res in T.resources_in(var.ty):
            if res.module != var.module.name:
                node = next(n for n in var.module.tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                            and (n.targets[0] if isinstance(n, ast.Assign) else n.target).id == var.name)
                raise error_at(node.value, f"only module {res.module!r} can create a {res.name}", var.module)
