"""Software that runs on the machine, built from Debian's packages and compilers: bare-metal
test programs and benchmarks, firmware, Linux. (The built-in demo firmware is the machine's
own: machine/demo.py.)"""
