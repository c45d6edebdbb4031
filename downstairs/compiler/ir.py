"""The intermediate representation: three-address code on virtual registers, one list per function.

An instruction is `Ins(op, *args)`; a virtual register is a `V` (numbered per function), a
constant operand an `Imm`. Operations carry the integer type they work at, so `select` can pick
the RISC-V form (addw for 32-bit types, a re-extension after 8/16-bit arithmetic, signed or
unsigned compares) and keep every value in its psABI register form.

  mov   d a                    label L          jmp L
  bin   OP TY d a b            br CMP TY a b L  (jump to L when `a CMP b`)
  set   CMP TY d a b           conv FROM TO d a
  load  TY d base OFF          store TY a base OFF
  addr  d SYMBOL               frame d OFFSET   (address of this function's stack storage)
  call  d SYMBOL [args]        ret a|None       trap             params [d...]
  call  [d0 d1] SYMBOL [args]  ret a b          (a record result in a0 and a1)
  csrr d N   csrw N a   ecall d a7 a0 a1 a2   ecall_regs base (a0..a7 from base[0..7], back after)
  amo NAME W d addr value   wfi   fence   fence_i
"""


class V:
    __slots__ = ("n",)

    def __init__(self, n: int):
        self.n = n

    def __repr__(self) -> str:
        return f"v{self.n}"


class Imm:
    __slots__ = ("value",)

    def __init__(self, value: int):
        self.value = value

    def __repr__(self) -> str:
        return str(self.value)


class Ins:
    __slots__ = ("op", "args", "line")

    def __init__(self, op: str, *args, line: int = 0):
        self.op, self.args, self.line = op, list(args), line

    def __repr__(self) -> str:
        return f"{self.op} " + " ".join(repr(a) for a in self.args)


class IRFunction:
    def __init__(self, name: str, symbol: str, module):
        self.name, self.symbol, self.module = name, symbol, module
        self.code: list[Ins] = []
        self.nregs = 0
        self.frame_size = 0          # bytes of records/arrays kept on the stack
        self.has_loops = False
        self.counters: list = []     # range loops: (counter, step, top label, increment Ins)
        self.address = None

    def new(self) -> V:
        """A fresh virtual register."""
        self.nregs += 1
        return V(self.nregs - 1)

    def dump(self) -> str:
        """The function's IR as text, one instruction a line (for debugging the passes)."""
        return "\n".join(f"{self.symbol}:" if i == 0 else "" for i in range(1)) + "\n" + \
            "\n".join(f"  {ins!r}" if ins.op != "label" else f"{ins.args[0]}:" for ins in self.code)
