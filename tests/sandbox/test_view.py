"""The file-system view in-process: paths resolved inside the root whatever they say, and
changes kept in memory while the host directory stays as it was."""

import errno
import os

import pytest

from downstairs.sandbox import abi, fs
from downstairs.sandbox.kernel import Kernel
from downstairs.sandbox.seccomp import SeccompPlatform
from downstairs.sandbox.terminal import Console
from downstairs.sandbox.waits import SysError


@pytest.fixture
def view_and_process(tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "motd").write_text("inside\n")
    (tmp_path / "secret").write_text("outside\n")
    os.symlink(str(tmp_path / "secret"), root / "abs-link")
    os.symlink("../../../../secret", root / "etc" / "rel-link")
    view = fs.View(str(root))
    kernel = Kernel(view, abi.X86_64, SeccompPlatform(), Console(), 0, 0)
    yield view, kernel.first_process(), root
    view.close()


def content(view, process, path: bytes) -> bytes:
    node = view.resolve(process, view.root, path).existing()
    return node.read(0, 100)


def test_paths_stay_inside(view_and_process, tmp_path):
    view, process, _ = view_and_process
    outside = os.fsencode(tmp_path / "secret")
    for path in (outside, b"/../../.." + outside, b"/abs-link", b"/etc/rel-link", b"etc/../../../etc/motd"):
        try:
            assert content(view, process, path) == b"inside\n"      # only ever the root's file
        except SysError as err:
            assert err.errno == errno.ENOENT
    assert view.resolve(process, view.root, b"/proc/self/root/etc/motd").existing() is \
        view.resolve(process, view.root, b"/etc/motd").existing()


def test_changes_stay_in_memory(view_and_process):
    view, process, root = view_and_process
    motd = view.resolve(process, view.root, b"/etc/motd").existing()
    motd.write(0, b"changed")
    etc = view.resolve(process, view.root, b"/etc").existing()
    etc.add(b"new", fs.File(view))
    etc.remove(b"rel-link")
    assert content(view, process, b"/etc/motd") == b"changed"
    assert (root / "etc" / "motd").read_text() == "inside\n"
    assert sorted(os.listdir(root / "etc")) == ["motd", "rel-link"]
    assert sorted(etc.entries()) == [b"motd", b"new"]


def test_symlink_loop(view_and_process):
    view, process, root = view_and_process
    tmp = view.resolve(process, view.root, b"/etc").existing()
    tmp.add(b"a", fs.Symlink(view, b"b"))
    tmp.add(b"b", fs.Symlink(view, b"a"))
    with pytest.raises(SysError) as err:
        view.resolve(process, view.root, b"/etc/a").existing()
    assert err.value.errno == errno.ELOOP


def test_a_file_grows_to_file_max_and_no_further(view_and_process):
    """Written files live in memory: a write or truncate past FILE_MAX is EFBIG, where a
    truncate or pwrite at 2^40 used to try to allocate it (found by random system calls)."""
    view, process, root = view_and_process
    node = view.resolve(process, view.root, b"/etc/motd").existing()
    for grow in (lambda: node.truncate(1 << 40), lambda: node.write(1 << 40, b"x"),
                 lambda: node.write(fs.FILE_MAX, b"x"), lambda: node.truncate(fs.FILE_MAX + 1)):
        with pytest.raises(SysError) as error:
            grow()
        assert error.value.errno == errno.EFBIG
    assert node.write(0, b"in memory\n") == 10 and node.read(0, 100) == b"in memory\n"
    assert (root / "etc" / "motd").read_text() == "inside\n"
