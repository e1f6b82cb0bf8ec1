"""The runner's pipe as the grader reads it (dnnkit/grading/channel.py): each bound, met by a writer in this test,
stops or skips exactly what it says, and what is within the bounds arrives in order."""
from __future__ import annotations

import json
import os
import threading

import pytest

from dnnkit.grading import channel as channel_module
from dnnkit.grading.channel import Channel


def feed(data: bytes, **bounds) -> tuple[Channel, list]:
    """A Channel over a pipe into which `data` is written (by a thread: the channel's queue is short), then
    closed; every event it hands out."""
    read, write = os.pipe()
    channel = Channel(os.fdopen(read, "rb"), **bounds)

    def writer():
        try:
            os.write(write, data)
        except BrokenPipeError:  # the channel stopped reading: an overflow
            pass
        finally:
            os.close(write)

    thread = threading.Thread(target=writer)
    thread.start()
    events = []
    while not channel.drained():
        got = channel.get(timeout=0.05)
        if got is not None:
            events.append(got)
    thread.join(timeout=10)
    return channel, events


def test_objects_arrive_in_order_with_the_size_of_their_line():
    lines = [json.dumps({"e": "cell", "i": i}).encode() for i in range(30)]  # more than the queue holds
    channel, events = feed(b"\n".join(lines) + b"\n")
    assert [event for event, _ in events] == [{"e": "cell", "i": i} for i in range(30)]
    assert [size for _, size in events] == [len(line) for line in lines]
    assert channel.skipped == 0 and not channel.overflowed


@pytest.mark.parametrize("line", [b"not json", b"[1, 2]", b'"text"', b"7", b'{"unterminated": ', b"\xff\xfe{}"])
def test_a_line_that_is_not_a_json_object_is_skipped(line):
    channel, events = feed(line + b"\n" + b'{"e": "done"}\n')
    assert [event for event, _ in events] == [{"e": "done"}]
    assert channel.skipped == 1


def test_a_line_over_the_line_bound_is_skipped_whole_even_across_reads():
    long = b'{"e": "noise", "x": "' + b"y" * 300_000 + b'"}'  # longer than one read of the pipe
    channel, events = feed(long + b"\n" + b'{"e": "done"}\n', max_line=100_000)
    assert [event for event, _ in events] == [{"e": "done"}]
    assert channel.skipped == 1
    _, whole = feed(long + b"\n", max_line=400_000)  # the same line under a larger bound arrives
    assert whole[0][0]["x"] == "y" * 300_000


def test_a_line_of_too_many_containers_is_skipped_before_it_is_parsed(monkeypatch):
    monkeypatch.setattr(channel_module, "MAX_CONTAINERS", 1000)
    deep = b'{"x": [' + b"[]," * 1000 + b"[]]}"
    parsed = []
    monkeypatch.setattr(channel_module.json, "loads", lambda text: parsed.append(text) or {"e": "parsed"})
    channel, events = feed(deep + b"\n" + b'{"e": "done"}\n')
    assert len(parsed) == 1 and [event for event, _ in events] == [{"e": "parsed"}]  # only the second line
    assert channel.skipped == 1


def test_the_whole_stream_is_bounded():
    channel, events = feed(b'{"e": "noise"}\n' * 10_000, max_total=64 * 1024)
    assert channel.overflowed
    assert len(events) < 64 * 1024 // len(b'{"e": "noise"}\n') + 1


def test_the_number_of_lines_is_bounded_empty_ones_included():
    channel, events = feed(b"\n" * 5000 + b'{"e": "late"}\n', max_lines=1000)
    assert channel.overflowed and events == []
    channel, events = feed(b"\n" * 500 + b'{"e": "late"}\n', max_lines=1000)  # the same, under the bound
    assert not channel.overflowed and [event for event, _ in events] == [{"e": "late"}]


def test_the_reader_parses_no_further_than_its_short_queue_while_nobody_takes_events():
    read, write = os.pipe()
    channel = Channel(os.fdopen(read, "rb"))
    writer = threading.Thread(target=lambda: os.write(write, b'{"e": "noise"}\n' * 65536), daemon=True)
    writer.start()
    writer.join(timeout=1)  # the writer waits on the full pipe: the reader stopped parsing at its queue
    assert writer.is_alive() and channel.lines == channel_module.QUEUE_EVENTS + 1
    channel.stop()
    os.close(write)
