"""The compiler: a typed subset of Python to RV64IMAC machine code (docs/compiler.md).

Passes, one file each: `check` (+ `check_expr`, `symbols`: types and names, on Python's own
`ast`), `lower` (typed tree to the three-address `ir`), `licm` (loop-invariant code motion),
`strength` (induction-variable strength reduction),
`select` (IR to RISC-V instructions on virtual registers), `regalloc` (linear scan, psABI
calling convention), `asm` (encoding and layout), `elf` (the ELF file).
`driver` runs them in order; `command` is `downstairs compile`.
"""
