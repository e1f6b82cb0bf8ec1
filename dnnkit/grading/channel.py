"""The one way from a sandboxed runner to the grader: its standard output, a pipe read here, one JSON object a
line. The student's code owns the writing end, so every line is bounded, the whole stream is bounded, and a line
that is not a JSON object is skipped, whatever it holds."""
from __future__ import annotations

import json
import os
import queue
import threading

MAX_LINE_BYTES = 96 * 1024**2  # a function's results (base64) fit easily
MAX_TOTAL_BYTES = 256 * 1024**2


class Channel:
    """Reads `stream` (a binary pipe) in a thread of its own; `get` hands out the events in order."""

    def __init__(self, stream, max_line: int = MAX_LINE_BYTES, max_total: int = MAX_TOTAL_BYTES):
        self.max_line, self.max_total = max_line, max_total
        self.overflowed = False  # more than max_total bytes arrived: the grader stops reading
        self.skipped = 0  # lines that were too long, not JSON or not an object
        self.closed = threading.Event()  # end of stream (the process and its children are gone) or overflow
        self._events: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream) -> None:
        fd, total, line, skipping = stream.fileno(), 0, bytearray(), False
        try:
            while True:
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    break
                total += len(chunk)
                if total > self.max_total:
                    self.overflowed = True
                    break
                while chunk:
                    end = chunk.find(b"\n")
                    part, chunk = (chunk, b"") if end < 0 else (chunk[:end], chunk[end + 1:])
                    if not skipping:
                        line += part
                        skipping = len(line) > self.max_line
                        if skipping:
                            line.clear()
                    if end >= 0:
                        if not skipping:
                            self._parse(bytes(line))
                        else:
                            self.skipped += 1
                        line.clear()
                        skipping = False
        except OSError:
            pass
        finally:
            stream.close()
            self.closed.set()

    def _parse(self, line: bytes) -> None:
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            self.skipped += 1
            return
        if isinstance(event, dict):
            self._events.put(event)
        else:
            self.skipped += 1

    def get(self, timeout: float) -> dict | None:
        """The next event, or None when none arrived within `timeout` seconds."""
        try:
            return self._events.get(timeout=timeout)
        except queue.Empty:
            return None

    def drained(self) -> bool:
        """Nothing more will come: the stream ended and every event was handed out."""
        return self.closed.is_set() and self._events.empty()
