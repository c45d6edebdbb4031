# C types of physmem.py for the compiled engine.
from downstairs.machine.core.state cimport Hart

cpdef unsigned long long ram_read(Hart h, unsigned long long offset, int size) noexcept
cpdef void ram_write(Hart h, unsigned long long offset, int size, unsigned long long value) noexcept
cpdef bint in_ram(Hart h, unsigned long long paddr, unsigned long long size) noexcept
cpdef bint backed(Hart h, unsigned long long paddr, int size)
cpdef unsigned long long fetch(Hart h, unsigned long long paddr)
cpdef unsigned long long read(Hart h, unsigned long long paddr, int size)
cdef unsigned long long from_bus(Hart h, object value)
cpdef void write(Hart h, unsigned long long paddr, int size, unsigned long long value)
