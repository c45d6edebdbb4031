# C types of softfloat.py for the compiled engine.
from downstairs.machine.core cimport alu

ctypedef unsigned long long u64

cdef u64 MASK32, MASK64, SIGN32, SIGN64
cdef int RNE, RTZ, RDN, RUP, RMM, NX, UF, OF, DZ, NV
cdef u64 CANONICAL_S, CANONICAL_D, INF_D, FRAC_D, BIT62, LOW62, INT64_MAX, SEXT32_MIN, ONE
cdef int flags

cpdef int take_flags() noexcept
cpdef void raise_flags(int f) noexcept

cpdef int frac_bits(bint d) noexcept
cpdef int bias(bint d) noexcept
cpdef u64 sign_bit(bint d) noexcept
cpdef int exp_field(bint d, u64 a) noexcept
cpdef u64 frac(bint d, u64 a) noexcept
cpdef int max_exp(bint d) noexcept
cpdef bint is_neg(bint d, u64 a) noexcept
cpdef bint is_nan(bint d, u64 a) noexcept
cpdef bint is_snan(bint d, u64 a) noexcept
cpdef bint is_inf(bint d, u64 a) noexcept
cpdef bint is_zero(bint d, u64 a) noexcept
cpdef u64 canonical(bint d) noexcept
cpdef u64 infinity(bint d, bint negative) noexcept
cpdef u64 zero(bint d, bint negative) noexcept
cpdef int clz(u64 x) noexcept
cpdef u64 sig_of(bint d, u64 a) noexcept
cpdef int exp_of(bint d, u64 a) noexcept
cpdef u64 shift_right_jam(u64 x, int n) noexcept

cpdef bint round_up(int rm, bint negative, bint odd, u64 rest, u64 half) noexcept
cpdef u64 round_pack(bint d, bint negative, int exp, u64 sig, int rm) noexcept

cpdef u64 nan_result(bint d, u64 a, u64 b) noexcept
cpdef u64 add(bint d, u64 a, u64 b, int rm) noexcept
cpdef u64 sub(bint d, u64 a, u64 b, int rm) noexcept
cpdef u64 mul(bint d, u64 a, u64 b, int rm) noexcept
cpdef u64 div(bint d, u64 a, u64 b, int rm) noexcept
cpdef u64 sqrt(bint d, u64 a, int rm) noexcept
cpdef u64 shr128_hi(u64 hi, int n) noexcept
cpdef u64 shr128_lo(u64 hi, u64 lo, int n) noexcept
cpdef u64 mul_add(bint d, u64 a, u64 b, u64 c, int rm) noexcept

cpdef bint less(bint d, u64 a, u64 b, bint zeros_equal) noexcept
cpdef u64 feq(bint d, u64 a, u64 b) noexcept
cpdef u64 flt(bint d, u64 a, u64 b) noexcept
cpdef u64 fle(bint d, u64 a, u64 b) noexcept
cpdef u64 min_max(bint d, u64 a, u64 b, bint want_max) noexcept
cpdef u64 fclass(bint d, u64 a) noexcept

cpdef u64 to_int(bint d, u64 a, int rm, int kind) noexcept
cpdef u64 from_int(bint d, u64 value, int rm, int kind) noexcept
cpdef u64 narrow(u64 a, int rm) noexcept
cpdef u64 widen(u64 a) noexcept
