"""The system calls student code may not make inside the sandbox: a seccomp filter built with libseccomp (PyPI
`pyseccomp`) and handed to bubblewrap (`--seccomp FD`). What it refuses and why: docs/sandbox.md, "The
system-call filter".
"""
from __future__ import annotations

import errno
import functools
import os
import socket
import tempfile

from .. import DnnkitError

CLONE_NEWUSER = 0x10000000
DENIED = ("setns", "keyctl", "add_key", "request_key", "ptrace", "process_vm_readv", "process_vm_writev",
          "bpf", "perf_event_open", "userfaultfd", "io_uring_setup", "io_uring_enter", "io_uring_register",
          "mount", "umount2", "pivot_root", "chroot", "kexec_load", "init_module", "finit_module",
          "delete_module", "open_by_handle_at", "name_to_handle_at")
SOCKET_FAMILY = socket.AF_UNIX  # the one family socket() and socketpair() may create


@functools.lru_cache(maxsize=None)
def compiled(restrict_sockets: bool = True) -> bytes:
    """The compiled filter (BPF), built once per grading process (`restrict_sockets=False`: the socket rule off,
    for tests that show what it stops)."""
    try:
        import pyseccomp as seccomp
    except (ImportError, OSError) as err:  # OSError: the package is there, libseccomp.so.2 is not
        raise DnnkitError(f"the sandbox's system-call filter needs libseccomp ({err}); "
                          "`apt-get install libseccomp2` and `pip install pyseccomp`") from None
    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    denied = seccomp.ERRNO(errno.EPERM)
    for call in ("unshare", "clone"):  # x86-64 and arm64 both take the flags as the first argument
        rules.add_rule(denied, call, seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
    # clone3 passes its flags in memory, where a filter cannot look: ENOSYS makes libc fall back to clone
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for call in DENIED:
        try:
            rules.add_rule(denied, call)
        except (RuntimeError, ValueError):  # a call this architecture does not have
            continue
    if restrict_sockets:
        for call in ("socket", "socketpair"):  # the family is the first argument of both
            rules.add_rule(seccomp.ERRNO(errno.EAFNOSUPPORT), call, seccomp.Arg(0, seccomp.NE, SOCKET_FAMILY))
    with tempfile.TemporaryFile() as stream:
        rules.export_bpf(stream)
        stream.seek(0)
        return stream.read()


def open_filter(restrict_sockets: bool = True) -> int:
    """A descriptor of an in-memory file holding the filter, for one bubblewrap process (it reads it at start;
    the file goes with the descriptor, so nothing is left on disk)."""
    fd = os.memfd_create("dnnkit-seccomp", os.MFD_CLOEXEC)
    os.write(fd, compiled(restrict_sockets))
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
