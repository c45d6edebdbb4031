# C types of alu.py for the compiled engine.
cdef unsigned long long MASK32, MASK64, SIGN32, SIGN64

cpdef unsigned long long mulhu(unsigned long long a, unsigned long long b) noexcept
cpdef unsigned long long mulh(unsigned long long a, unsigned long long b) noexcept
cpdef unsigned long long mulhsu(unsigned long long a, unsigned long long b) noexcept
cpdef unsigned long long div(unsigned long long a, unsigned long long b) noexcept
cpdef unsigned long long rem(unsigned long long a, unsigned long long b) noexcept
cpdef unsigned long long divu(unsigned long long a, unsigned long long b) noexcept
cpdef unsigned long long remu(unsigned long long a, unsigned long long b) noexcept
cpdef unsigned long long magnitude(unsigned long long a) noexcept
cpdef unsigned long long sext(unsigned long long value, int bits) noexcept
cpdef unsigned long long divw(unsigned long long a, unsigned long long b, bint unsigned, bint remainder) noexcept
