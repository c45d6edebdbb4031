"""The hart, written once in typed Python: run by CPython as the readable reference, and
compiled by Cython (pure-Python mode, with the .pxd files beside each module) into the
fast engine. engine.py chooses which one a machine uses."""
