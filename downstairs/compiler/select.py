"""Instruction selection: IR to RV64IMAC instructions that still name virtual registers.

Each IR operation becomes the RISC-V instructions for its type (Unprivileged ISA ch. 2, 5, 7):
the *W forms for 32-bit types (their results come out sign-extended, the psABI register form
of int and unsigned int), the plain 64-bit forms with a re-extension afterwards for 8- and
16-bit types, immediates folded into the I-type forms where they fit in 12 bits, x0 for a zero
operand. Signed `//` and `%` round toward minus infinity as in Python, so the quotient of
div/rem is corrected when the remainder and the divisor differ in sign.

In a function with loops, constants that need a register and the addresses of globals are
computed once at entry (`prelude`), a cheap form of loop-invariant code motion.

Output: `MI(op, *args)` with the formats in FORMAT ('d' register written, 's' register read,
'i' immediate, 'l' label or symbol), plus the pseudo-instructions call, ecall, params, ret,
frame that the register allocator expands.
"""

from downstairs.compiler import types as T
from downstairs.compiler.ir import Imm, V

R3 = ["add", "sub", "sll", "slt", "sltu", "xor", "srl", "sra", "or", "and", "mul", "mulh", "mulhu",
      "div", "divu", "rem", "remu", "addw", "subw", "sllw", "srlw", "sraw", "mulw", "divw", "divuw",
      "remw", "remuw"]
I3 = ["addi", "slti", "sltiu", "xori", "ori", "andi", "addiw", "slli", "srli", "srai", "slliw",
      "srliw", "sraiw", "lb", "lh", "lw", "ld", "lbu", "lhu", "lwu"]
FORMAT = {**{op: "dss" for op in R3}, **{op: "dsi" for op in I3},
          **{op: "ssi" for op in ["sb", "sh", "sw", "sd"]},
          **{op: "ssl" for op in ["beq", "bne", "blt", "bge", "bltu", "bgeu"]},
          "j": "l", "label": "l", "li": "di", "la": "dl", "mv": "ds", "frame": "di",
          "csrr": "di", "csrw": "is", "csrs": "is", "csrc": "is", **{f"{n}.{w}": "dss" for n in ("amoswap", "amoadd", "amoor", "amoand") for w in "wd"},
          "ebreak": "", "wfi": "", "fence": "", "fence_i": "", "mret": "", "sret": "", "sfence.vma": "ss"}
LOADS = {(8, False): "lbu", (8, True): "lb", (16, False): "lhu", (16, True): "lh",
         (32, False): "lw", (32, True): "lw", (64, False): "ld", (64, True): "ld"}
STORES = {8: "sb", 16: "sh", 32: "sw", 64: "sd"}
BRANCH = {"==": "beq", "!=": "bne", "<": "blt", ">=": "bge"}


class MI:
    __slots__ = ("op", "args", "line")

    def __init__(self, op, *args, line=0):
        self.op, self.args, self.line = op, list(args), line

    def __repr__(self):
        return f"{self.op} {', '.join(map(str, self.args))}"


def fits12(value: int) -> bool:
    """Whether a value fits an I-type or S-type immediate (12 bits, signed)."""
    return -2048 <= value < 2048


def bits_of(ty) -> int:         # a bool is a byte
    return 8 if ty is T.BOOL else ty.bits


def signed(ty) -> bool:
    return ty is not T.BOOL and ty.signed


class Selector:
    """Selects one function's instructions; `op_NAME` handles the IR operation NAME."""

    def __init__(self, irf):
        self.irf = irf
        self.out: list[MI] = []
        self.prelude: list[MI] = []
        self.cache: dict = {}
        self.alias: dict[int, V] = {}
        self.hoist = irf.has_loops
        self.line = 0

    def emit(self, op, *args):
        self.out.append(MI(op, *args, line=self.line))

    def new(self) -> V:
        return self.irf.new()

    def v(self, x):
        """An operand, or the register an address was hoisted into in its place."""
        return self.alias.get(x.n, x) if isinstance(x, V) else x

    def r(self, operand):
        """A register holding the operand: x0 for zero, a hoisted register for a constant."""
        operand = self.v(operand)
        if isinstance(operand, V):
            return operand
        if operand.value == 0:
            return "zero"
        return self.constant("li", operand.value)

    def constant(self, op, value):
        """A register holding `op value` (li or la or frame): computed once in the prelude
        in a function with loops, else right here."""
        if self.hoist:
            key = (op, value)
            if key not in self.cache:
                reg = self.new()
                self.prelude.append(MI(op, reg, value, line=self.line))
                self.cache[key] = reg
            return self.cache[key]
        reg = self.new()
        self.emit(op, reg, value)
        return reg

    def run(self) -> list[MI]:
        """The function's instructions: params, the hoisted constants, then the body."""
        for ins in self.irf.code:
            self.line = ins.line
            getattr(self, "op_" + ins.op)(*ins.args)
        head = self.out[:1]          # params first, then the hoisted constants
        return head + self.prelude + self.out[1:]

    # ---- data movement --------------------------------------------------------------------

    def op_params(self, regs):
        self.emit("params", list(regs))

    def op_mov(self, d, a):
        a = self.v(a)
        if isinstance(a, Imm):
            self.emit("li", d, a.value)
        elif a is not d:
            self.emit("mv", d, a)

    def op_addr(self, d, symbol):
        if self.hoist:
            self.alias[d.n] = self.constant("la", symbol)
        else:
            self.emit("la", d, symbol)

    def op_frame(self, d, offset):
        if self.hoist:
            self.alias[d.n] = self.constant("frame", offset)
        else:
            self.emit("frame", d, offset)

    def address(self, base, off):
        """A (register, offset) pair for a load or store: the offset folded into the
        register when it does not fit 12 bits."""
        base = self.r(base)
        if fits12(off):
            return base, off
        t = self.new()
        self.emit("add", t, base, self.r(Imm(off)))
        return t, 0

    def op_load(self, ty, d, base, off):
        base, off = self.address(base, off)
        self.emit(LOADS[bits_of(ty), signed(ty)], d, base, off)

    def op_store(self, ty, a, base, off):
        base, off = self.address(base, off)
        self.emit(STORES[bits_of(ty)], self.r(a), base, off)

    # ---- arithmetic -----------------------------------------------------------------------

    def normalize(self, d, ty):
        """Re-extend an 8- or 16-bit result to its register form (wrap-around)."""
        b = bits_of(ty)
        if b == 8 and not signed(ty):
            self.emit("andi", d, d, 255)
        elif b in (8, 16):
            self.emit("slli", d, d, 64 - b)
            self.emit("srai" if signed(ty) else "srli", d, d, 64 - b)

    def op_bin(self, op, ty, d, a, b):
        """d = a OP b at type ty, in its register form ("+nowrap": an add whose 8/16-bit
        result needs no re-extension, a loop counter that stays in range)."""
        a, b = self.v(a), self.v(b)
        w = bits_of(ty) == 32
        small = bits_of(ty) < 32
        nowrap = op.endswith("nowrap")
        op = op.replace("nowrap", "")
        if op in ("+", "&", "|", "^", "*") and isinstance(a, Imm) and not isinstance(b, Imm):
            a, b = b, a
        if op == "*" and isinstance(b, Imm) and b.value > 0 and b.value & (b.value - 1) == 0:
            op, b = "<<", Imm(b.value.bit_length() - 1)         # multiply by 2**k: shift
        if op == "-" and isinstance(b, Imm) and fits12(-b.value):
            op, b = "+", Imm(-b.value)
        if op == "+":
            if isinstance(b, Imm) and fits12(b.value):
                self.emit("addiw" if w else "addi", d, self.r(a), b.value)
            else:
                self.emit("addw" if w else "add", d, self.r(a), self.r(b))
        elif op == "-":
            self.emit("subw" if w else "sub", d, self.r(a), self.r(b))
        elif op == "*":
            self.emit("mulw" if w else "mul", d, self.r(a), self.r(b))
        elif op in ("&", "|", "^"):
            name = {"&": "and", "|": "or", "^": "xor"}[op]
            if isinstance(b, Imm) and fits12(b.value):
                self.emit(name + "i", d, self.r(a), b.value)
            else:
                self.emit(name, d, self.r(a), self.r(b))
            return
        elif op in ("<<", ">>"):
            self.shift(op, ty, d, a, b, w)
            if op == ">>":
                return
        elif op in ("//", "%"):
            self.divide(op, ty, d, a, b, w)
            if not signed(ty):
                return
        if small and not nowrap:
            self.normalize(d, ty)

    def shift(self, op, ty, d, a, b, w):
        """d = a << b or a >> b (arithmetic for signed types); `w`: 32-bit forms."""
        name = "sll" if op == "<<" else ("sra" if signed(ty) else "srl")
        if isinstance(b, Imm):
            amount = b.value & 63
            if w and amount >= 32:          # beyond the width: all bits shifted out
                if name == "sra":
                    self.emit("sraiw", d, self.r(a), 31)
                else:
                    self.emit("li", d, 0)
                return
            self.emit(name + ("iw" if w else "i"), d, self.r(a), amount)
        else:
            self.emit(name + ("w" if w else ""), d, self.r(a), self.r(b))

    def divide(self, op, ty, d, a, b, w):
        """d = a // b or a % b, rounding toward minus infinity (the zero check is lower's)."""
        base = {"//": "div", "%": "rem"}[op] + ("" if signed(ty) else "u") + ("w" if w else "")
        if not signed(ty):
            self.emit(base, d, self.r(a), self.r(b))
            return
        # Python rounds toward minus infinity: when the remainder is nonzero and its sign differs
        # from the divisor's, the truncated quotient is one too big (the remainder is short by b).
        ra, rb = self.r(a), self.r(b)
        rem = self.new()
        self.emit("remw" if w else "rem", rem, ra, rb)
        fix, nz = self.new(), self.new()
        self.emit("xor", fix, rem, rb)
        self.emit("srai", fix, fix, 63)
        self.emit("sltu", nz, "zero", rem)
        self.emit("and", fix, fix, nz)            # 1 when a correction is due, else 0
        if op == "//":
            self.emit("divw" if w else "div", d, ra, rb)
            self.emit("sub", d, d, fix)
        else:
            self.emit("sub", fix, "zero", fix)
            self.emit("and", fix, fix, rb)
            self.emit("add", d, rem, fix)

    def op_conv(self, src, dst, d, a):
        """d = a converted from type src to dst: truncated, then extended as dst's register
        form says (bool: 0 or 1)."""
        a = self.r(a)
        sb, db = bits_of(src), bits_of(dst)
        if dst is T.BOOL:
            self.emit("sltu", d, "zero", a)
        elif db == 64:
            if sb == 32 and not signed(src):     # unsigned int is held sign-extended: zero-extend
                self.emit("slli", d, a, 32)
                self.emit("srli", d, d, 32)
            else:
                self.emit("mv", d, a)
        elif db == 32:
            self.emit("addiw" if sb == 64 else "mv", d, a, *([0] if sb == 64 else []))
        else:
            fits = src is T.BOOL or (sb < db and (not signed(src) or signed(dst))) \
                or (sb == db and signed(src) == signed(dst))
            self.emit("mv", d, a)
            if not fits:
                self.normalize(d, dst)

    # ---- comparisons and control ----------------------------------------------------------

    def op_set(self, cmp, ty, d, a, b):
        """d = 1 if a CMP b else 0 (slt/sltu, xor for equality)."""
        a, b = self.v(a), self.v(b)
        sg = signed(ty)
        if cmp in ("==", "!="):
            if isinstance(b, Imm) and b.value == 0:
                t = self.r(a)
            else:
                t = self.new()
                if isinstance(b, Imm) and fits12(b.value):
                    self.emit("xori", t, self.r(a), b.value)
                else:
                    self.emit("xor", t, self.r(a), self.r(b))
            if cmp == "==":
                self.emit("sltiu", d, t, 1)
            else:
                self.emit("sltu", d, "zero", t)
            return
        if cmp in (">", "<="):
            a, b = b, a
        if isinstance(b, Imm) and fits12(b.value):
            self.emit("slti" if sg else "sltiu", d, self.r(a), b.value)
        else:
            self.emit("slt" if sg else "sltu", d, self.r(a), self.r(b))
        if cmp in ("<=", ">="):
            self.emit("xori", d, d, 1)

    def op_br(self, cmp, ty, a, b, label):
        """Branch to label if a CMP b (> and <= by swapping the operands)."""
        if cmp in (">", "<="):
            a, b, cmp = b, a, {">": "<", "<=": ">="}[cmp]
        name = BRANCH[cmp]
        if cmp in ("<", ">=") and not signed(ty):
            name += "u"
        self.emit(name, self.r(a), self.r(b), label)

    def op_jmp(self, label):
        self.emit("j", label)

    def op_label(self, label):
        self.emit("label", label)

    def op_call(self, d, symbol, args):
        self.emit("call", d, symbol, [self.r(a) for a in args])

    def op_ret(self, a, b=None):
        """Return a (in a0), or a small record's two words a and b (in a0 and a1)."""
        if b is None:
            self.emit("ret", None if a is None else self.r(a))
        else:
            self.emit("ret", self.r(a), self.r(b))

    def op_trap(self):
        self.emit("ebreak")

    def op_csrr(self, d, number):
        self.emit("csrr", d, number)

    def op_csrw(self, number, a):
        self.emit("csrw", number, self.r(a))

    def op_csrs(self, number, a):
        self.emit("csrs", number, self.r(a))

    def op_csrc(self, number, a):
        self.emit("csrc", number, self.r(a))

    def op_ecall(self, d, a7, a0, a1, a2):
        self.emit("ecall", d, [self.r(x) for x in (a7, a0, a1, a2)])

    def op_ecall_regs(self, base):
        self.emit("ecall_regs", None, [self.r(base)])

    def op_amo(self, name, width, d, addr, value):
        self.emit(f"{name}.{width}", d, self.r(addr), self.r(value))

    def op_wfi(self):
        self.emit("wfi")

    def op_fence(self):
        self.emit("fence")

    def op_fence_i(self):
        self.emit("fence_i")

    def op_mret(self):
        self.emit("mret")

    def op_sret(self):
        self.emit("sret")

    def op_sfence_vma(self, page, asid):
        self.emit("sfence.vma", self.r(page), self.r(asid))


def select_function(irf) -> list[MI]:
    """The RISC-V instructions (on virtual registers) for one IRFunction."""
    return Selector(irf).run()
