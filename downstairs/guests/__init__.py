"""Software that runs on the machine: the built-in demo, and guests built from Debian's
packages (bare-metal test programs, firmware, Linux)."""
