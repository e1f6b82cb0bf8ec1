"""The system calls student code may not make inside the sandbox: a seccomp filter built with libseccomp
(PyPI `pyseccomp`, over Debian's libseccomp2) and handed to bubblewrap (`--seccomp FD`).

Denied: new user namespaces (root in a namespace of its own would let the code mount a RAM tmpfs past every
size limit and rearrange what it sees), joining namespaces, the kernel keyrings (a key stored under a user id
would outlive the run and reach the next student leased the same id), ptrace and the kernel interfaces no
grading needs (bpf, perf events, userfaultfd, io_uring, mount, kexec, modules), and sockets of every family but
AF_UNIX (socket() and socketpair() fail with EAFNOSUPPORT, as on a kernel without that family): the runner,
numpy, IPython and matplotlib open only AF_UNIX sockets (traced in a grading run of both solved notebooks), and
the others (vsock to the hypervisor, netlink, packet, crypto, even TCP/IP on the sandbox's own loopback) are
kernel code no grading needs. Calls made through another architecture's system-call table (the i386 ABI's
socketcall) meet libseccomp's default for a foreign architecture: the process is killed.
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
