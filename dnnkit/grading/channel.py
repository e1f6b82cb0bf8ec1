"""The one way from a sandboxed runner to the grader: its standard output, a pipe read here, one JSON object a
line. The student's code owns the writing end, so what the grader spends on it is bounded whatever arrives (the
bounds below; a short queue makes a runner that writes faster than the supervisor reads wait on its pipe). A
line that is not a JSON object is skipped."""
from __future__ import annotations

import contextlib
import json
import queue
import threading

MAX_LINE_BYTES = 16 * 1024**2  # a function's results (base64) and a cell's outputs fit easily
MAX_TOTAL_BYTES = 256 * 1024**2
MAX_LINES = 100_000  # lines of any kind, skipped ones included
MAX_CONTAINERS = 200_000  # '[' and '{' in one line (an honest cell output, cut by the runner, has far fewer)
MAX_ITEMS = 400_000  # ',' in one line
QUEUE_EVENTS = 8  # parsed events waiting for the supervisor


class Channel:
    """Reads `stream` (a binary pipe) in a thread of its own; `get` hands out the events in order."""

    def __init__(self, stream, max_line: int = MAX_LINE_BYTES, max_total: int = MAX_TOTAL_BYTES,
                 max_lines: int = MAX_LINES):
        self.max_line, self.max_total, self.max_lines = max_line, max_total, max_lines
        self.overflowed = False  # over max_total bytes or max_lines lines: the grader stops reading
        self.skipped = 0  # lines that were too long, too complex, not JSON or not an object
        self.lines = 0
        self.closed = threading.Event()  # end of stream (the process and its children are gone) or overflow
        self._stopped = threading.Event()  # the supervisor is done with this channel
        self._events: queue.Queue = queue.Queue(maxsize=QUEUE_EVENTS)
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        total, skipping = 0, False  # skipping: the rest of a line longer than max_line
        try:
            while not self._stopped.is_set():
                line = stream.readline(self.max_line + 1)
                total += len(line)
                if total > self.max_total:
                    self.overflowed = True
                    break
                if not line.endswith(b"\n"):  # the end of the stream, or the first max_line + 1 bytes of a line
                    if not line:
                        break
                    skipping = True
                    continue
                self.lines += 1
                if self.lines > self.max_lines:
                    self.overflowed = True
                    break
                if skipping:
                    self.skipped += 1
                    skipping = False
                else:
                    self._parse(line[:-1])
        except OSError:
            pass
        finally:
            stream.close()
            self.closed.set()

    def _parse(self, line: bytes) -> None:
        event = None
        if line.count(b"[") + line.count(b"{") <= MAX_CONTAINERS and line.count(b",") <= MAX_ITEMS:
            with contextlib.suppress(ValueError, RecursionError):
                event = json.loads(line)
        if not isinstance(event, dict):
            self.skipped += 1
            return
        while not self._stopped.is_set():  # the runner waits on its pipe while the supervisor catches up
            try:
                self._events.put((event, len(line)), timeout=0.1)
                return
            except queue.Full:
                continue

    def get(self, timeout: float) -> tuple[dict, int] | None:
        """The next event and the size of its line, or None when none arrived within `timeout` seconds."""
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None

    def drained(self) -> bool:
        """Nothing more will come: the stream ended and every event was handed out."""
        return self.closed.is_set() and self._events.empty()

    def stop(self) -> None:
        """The supervisor reads no more (its process was killed): the reader thread ends."""
        self._stopped.set()
