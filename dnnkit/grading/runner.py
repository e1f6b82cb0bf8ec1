"""Runs one submission's code inside the sandbox and reports what its functions return, as plain data.

Standalone (stdlib, numpy, IPython, and dnn_checks.py and protocol.py beside it), run as `python -E -s runner.py
GRADER_FOLDER WORK_FOLDER RELEASE_FOLDER`: it runs every cell of its plan, then each level's functions on the
inputs handed over for it, and reports in protocol.py's events on standard output. It decides nothing: the
student's code owns this process.
"""
import base64
import json
import os
import sys
import time

import protocol

CHANNEL = os.fdopen(os.dup(1), "w", encoding="utf-8", errors="replace")


def _event(kind, **fields):
    CHANNEL.write(protocol.line(kind, **fields))
    CHANNEL.flush()


def _sent(text):
    """`text` as far as it crosses the pipe (what is kept is decided outside, by LimitOutput)."""
    return text if len(text) <= protocol.TEXT_CHARS else text[:protocol.TEXT_CHARS] + "\n…[output cut]\n"


def _outputs(captured, error):
    outputs = [{"output_type": "stream", "name": name, "text": _sent(text)}
               for name, text in (("stdout", captured.stdout), ("stderr", captured.stderr)) if text]
    for rich in captured.outputs[:5]:
        data = {k: (v if k.startswith("image/") and len(v) < 2_000_000 else _sent(v))
                for k, v in rich.data.items() if isinstance(v, str)}
        if data:
            outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
    if error:
        outputs.append({"output_type": "error", "ename": error["ename"], "evalue": error["evalue"],
                        "traceback": [f"{error['ename']}: {error['evalue']}"]})
    return outputs


def run_cells(shell, plan):
    from IPython.utils.capture import capture_output

    for cell in plan["cells"]:
        if cell["index"] in plan["skip_cells"]:
            continue
        _event(protocol.CELL, phase=protocol.START, index=cell["index"])
        with capture_output(stdout=True, stderr=True, display=True) as captured:
            try:
                result = shell.run_cell(cell["source"], store_history=True)
                failure = result.error_before_exec or result.error_in_exec
            except BaseException as err:  # SystemExit, KeyboardInterrupt from student code
                failure = err
        error = None if failure is None else {"ename": type(failure).__name__,
                                              "evalue": str(failure)[:protocol.ERROR_CHARS]}
        _event(protocol.CELL, phase=protocol.END, index=cell["index"], outputs=_outputs(captured, error), error=error)


def _wait_for(path, seconds):
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the grader did not hand over {os.path.basename(path)}")
        time.sleep(0.005)


def _calls_reported(calls):
    """The helper calls of one case as plain data in few parts (the grader decodes every part):
    {"helpers": [name, ...], "rows": int64 (n, 5) of [index into helpers, index of the recorded call it matched
    (-1: none), depth, whether its arguments could not be bound to the helper's parameters, whether the helper is
    one the course provides], "args": [[row, its arguments], ...] for the first unmatched calls (plain data only)}."""
    import dnn_checks
    import numpy

    helpers, rows, args, missed = [], [], [], 0
    for row, call in enumerate(calls[:protocol.MAX_CALLS]):
        helper = str(call["helper"])
        if helper not in helpers:
            helpers.append(helper)
        if call["hit"] is None and missed < protocol.MAX_MISSED:
            missed += 1
            try:
                dnn_checks.flatten(call["args"], [])
                args.append([row, call["args"]])
            except BaseException:
                pass
        rows.append([helpers.index(helper), -1 if call["hit"] is None else int(call["hit"]), int(call["depth"]),
                     int(call.get("unbound") is True), int(call.get("provided") is True)])
    return {"helpers": helpers, "rows": numpy.array(rows, dtype=numpy.int64).reshape(-1, 5), "args": args}


def call_level(shell, grader, level, names):
    """Call this level's functions on the inputs the grader hands over for it, and report each result. Calls of
    graded helpers are answered from the case's sealed recorded calls (dnn_checks.run_case): no reference code."""
    import dnn_checks

    path = os.path.join(grader, protocol.level_file(level))
    _wait_for(path, 600)
    inputs, _ = dnn_checks.load_plain(path)
    for name in names:
        _event(protocol.FUNCTION, phase=protocol.START, name=name)
        function = shell.user_ns.get(name)
        results = {"public": [], "hidden": []}
        for group, entries in results.items():
            for case in inputs[name][group]:
                changes, calls = [], []  # run_case appends whether the call changed its arguments, and its calls
                try:
                    if not callable(function):
                        raise NameError(f"{name} is not defined as a function")
                    value = dnn_checks.run_case(function, case, changes, calls)
                    dnn_checks.flatten(value, [])  # plain data only
                    entry = {"ok": True, "value": value, "error": ""}
                except BaseException as err:
                    entry = {"ok": False, "value": None, "error": dnn_checks.raised(err, protocol.ERROR_CHARS),
                             "inside": dnn_checks.raised_inside(err)}
                entry["changed"] = any(changes) is True
                try:
                    entry["calls"] = _calls_reported(calls)
                except BaseException:
                    entry["calls"] = []
                entries.append(entry)
        try:
            result = base64.b64encode(dnn_checks.pack_plain(results)).decode("ascii")  # in memory: the disk is theirs
            _event(protocol.FUNCTION, phase=protocol.END, name=name, result=result, error=None)
        except BaseException as err:
            _event(protocol.FUNCTION, phase=protocol.END, name=name, result=None,
                   error=f"{type(err).__name__}: {err}"[:protocol.ERROR_CHARS])
    _event(protocol.LEVEL_DONE, level=level)


def main(grader, work, release):
    import shutil

    os.makedirs(work, exist_ok=True)
    for name in os.listdir(release):  # a fresh copy of the released helper files for every run
        if not name.endswith(".ipynb") and os.path.isfile(os.path.join(release, name)):
            shutil.copy(os.path.join(release, name), os.path.join(work, name))
    # the grader's own dnn_checks first (the release's copy in the working folder could be older or edited)
    sys.path[:0] = [grader, work]
    os.chdir(work)
    import numpy  # noqa: F401  (loaded before the plan arrives: the grader keeps such a process warm)
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.showtraceback = lambda *args, **kwargs: None  # errors are reported as outputs, without source lines
    shell.showsyntaxerror = lambda *args, **kwargs: None
    _event(protocol.READY)
    plan_path = os.path.join(grader, protocol.PLAN)
    _wait_for(plan_path, 600)
    with open(plan_path) as handle:
        plan = json.load(handle)
    if any("matplotlib" in cell["source"] or "plt." in cell["source"] for cell in plan["cells"]):
        try:  # importing matplotlib costs about a second: only where the notebook plots
            shell.enable_matplotlib("inline")
        except Exception:
            pass
    try:
        run_cells(shell, plan)
        _event(protocol.CELLS_DONE)
        for level, names in plan["levels"]:
            call_level(shell, grader, level, names)
        _event(protocol.DONE)
    except BaseException:  # on standard error, which the grader does not read (for debugging by hand)
        import traceback

        traceback.print_exc()
    finally:
        CHANNEL.flush()
        os._exit(0)  # never run atexit handlers or finalizers the student's code may have installed


if __name__ == "__main__":
    sys.stdout = sys.stderr  # the channel is the original standard output; prints go elsewhere
    main(sys.argv[1], sys.argv[2], sys.argv[3])
