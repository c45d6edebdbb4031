"""The numbers of the RISC-V Supervisor Binary Interface, v2.0: extension ids (EID, in a7),
function ids (FID, in a6) and the error codes returned in a0 (a1 holds the value).

    ecall from S:  a7 = EID, a6 = FID, a0..a5 = arguments  ->  a0 = error, a1 = value
"""

SPEC_VERSION = (2 << 24) | 0          # major << 24 | minor
IMPL_ID = 0x444F574E                  # "DOWN": not in the spec's registry of implementation ids
IMPL_VERSION = 1

EXT_BASE = 0x10
EXT_TIME = 0x54494D45                 # "TIME"
EXT_IPI = 0x735049                    # "sPI"
EXT_RFENCE = 0x52464E43               # "RFNC"
EXT_HSM = 0x48534D                    # "HSM"
EXT_SRST = 0x53525354                 # "SRST"
EXT_DBCN = 0x4442434E                 # "DBCN"
LEGACY_PUTCHAR = 0x01
LEGACY_GETCHAR = 0x02

SUCCESS = 0
FAILED = -1
NOT_SUPPORTED = -2
INVALID_PARAM = -3
DENIED = -4
INVALID_ADDRESS = -5
ALREADY_AVAILABLE = -6
ALREADY_STARTED = -7
ALREADY_STOPPED = -8
