"""Downstairs' system images: a shell-less system built from a data manifest, content-addressed
and reproducible, loaded and checked from its disk by our own boot loader (docs/image.md).

On the host (ordinary Python):

    manifest.py     the manifest: which firmware, which kernel, its tasks, the disk's first files
    store.py        the content-addressed store: each step's output under the hash of its inputs
    steps.py        the steps of a system (firmware, boot loader, kernel, each task, Linux, image)
    build.py        planning the steps and realising the image
    imagefile.py    the image's bytes: segments, header, payload, the disk's first data
    show.py         the closure as a tree; an image file's header
    command.py      `downstairs image build|show|run`

In the typed subset (bootloader/, compiled by our compiler, run by CPython in the tests):

    bootloader/boot.py     the boot loader: find the disk, check, load, start the kernel
    bootloader/check.py    its checks of the header and the payload, and the loading
    bootloader/header.py   the header's layout (sector 0)
    bootloader/sha256.py   SHA-256
"""
