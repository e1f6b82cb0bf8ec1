"""Runs one submission's code inside the sandbox and writes what its functions return, as plain data.

Standalone (stdlib, numpy, IPython and the released dnn_checks.py): it is copied into the sandbox and run as
`python runner.py PLAN.json OUT_FOLDER WORK_FOLDER RELEASE_FOLDER`; it loads IPython and numpy, then waits for the plan. It decides nothing: the grader, outside, reads the files it writes
and trusts none of them more than it trusts the student. Progress goes to OUT/events.jsonl, one JSON object
per line, so that the grader knows which cell or function was running if the process dies or hangs.
"""
import json
import os
import sys

MAX_LINE = 2000
MAX_CELL_TEXT = 20000


def _event(stream, **fields):
    stream.write(json.dumps(fields) + "\n")
    stream.flush()
    os.fsync(stream.fileno())


def _clip(text):
    lines = [line if len(line) <= MAX_LINE else line[:MAX_LINE] + " …[line cut]" for line in text.split("\n")]
    text = "\n".join(lines)
    return text if len(text) <= MAX_CELL_TEXT else text[:MAX_CELL_TEXT] + "\n…[output cut]\n"


def _outputs(captured, error):
    outputs = []
    if captured.stdout:
        outputs.append({"output_type": "stream", "name": "stdout", "text": _clip(captured.stdout)})
    if captured.stderr:
        outputs.append({"output_type": "stream", "name": "stderr", "text": _clip(captured.stderr)})
    for rich in captured.outputs[:5]:
        data = {k: (v if k.startswith("image/") and len(v) < 2_000_000 else _clip(str(v)))
                for k, v in rich.data.items() if isinstance(v, str)}
        if data:
            outputs.append({"output_type": "display_data", "data": data, "metadata": {}})
    if error:
        outputs.append({"output_type": "error", "ename": error["ename"], "evalue": _clip(error["evalue"]),
                        "traceback": [_clip(f"{error['ename']}: {error['evalue']}")]})
    return outputs


def run_cells(shell, plan, events):
    from IPython.utils.capture import capture_output

    for cell in plan["cells"]:
        if cell["index"] in plan["skip_cells"]:
            continue
        _event(events, e="cell", i=cell["index"], phase="start")
        error = None
        with capture_output(stdout=True, stderr=True, display=True) as captured:
            try:
                result = shell.run_cell(cell["source"], store_history=True)
                failure = result.error_before_exec or result.error_in_exec
            except BaseException as err:  # SystemExit, KeyboardInterrupt from student code
                failure = err
        if failure is not None:
            error = {"ename": type(failure).__name__, "evalue": str(failure)[:MAX_LINE]}
        _event(events, e="cell", i=cell["index"], phase="end", outputs=_outputs(captured, error), error=error)


def _wait_for(path, seconds=60.0):
    """The grader hands over the inputs only once every cell has run, so no cell can read them."""
    import time

    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            raise TimeoutError("the grader did not hand over the inputs")
        time.sleep(0.01)


def call_functions(shell, plan, out, events):
    import dnn_checks

    _wait_for(plan["inputs"])
    inputs, _ = dnn_checks.load_plain(plan["inputs"])
    namespace = shell.user_ns
    for name in plan["functions"]:
        if name in plan["skip_functions"]:
            continue
        _event(events, e="function", name=name, phase="start")
        function = namespace.get(name)
        helpers = None
        if inputs[name].get("helpers"):  # the reference code of the graded helpers this function calls
            reference = {"__name__": "dnnkit_reference_helpers"}
            exec(inputs[name]["helpers"]["code"], reference)
            helpers = {helper: reference[helper] for helper in inputs[name]["helpers"]["names"]}
        results = {}
        for group in ("public", "hidden"):
            results[group] = []
            for case in inputs[name][group]:
                entry = {"ok": False, "value": None, "error": ""}
                try:
                    if not callable(function):
                        raise NameError(f"{name} is not defined as a function")
                    value = dnn_checks.run_case(function, case, helpers)
                    dnn_checks.flatten(value, [])  # plain data only
                    entry = {"ok": True, "value": value, "error": ""}
                except BaseException as err:
                    entry["error"] = dnn_checks.raised(err, MAX_LINE)
                results[group].append(entry)
        try:
            dnn_checks.save_plain(os.path.join(out, f"{name}.npz"), results)
            _event(events, e="function", name=name, phase="end", error=None)
        except BaseException as err:
            _event(events, e="function", name=name, phase="end", error=f"{type(err).__name__}: {err}"[:MAX_LINE])


def main(plan_path, out, work, release):
    import shutil

    os.makedirs(work, exist_ok=True)
    for name in os.listdir(release):  # a fresh copy of the released helper files for every run
        if not name.endswith(".ipynb") and os.path.isfile(os.path.join(release, name)):
            shutil.copy(os.path.join(release, name), os.path.join(work, name))
    # the grader's own dnn_checks first (the release's copy in the working folder could be older or edited)
    sys.path[:0] = [os.path.dirname(os.path.abspath(__file__)), work]
    os.chdir(work)
    import numpy  # noqa: F401  (loaded before the plan arrives: the grader keeps such a process warm)
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shell.showtraceback = lambda *args, **kwargs: None  # errors are reported as outputs, without source lines
    shell.showsyntaxerror = lambda *args, **kwargs: None
    _wait_for(plan_path, seconds=600)
    with open(plan_path) as handle:
        plan = json.load(handle)
    events = open(os.path.join(out, "events.jsonl"), "a")
    if any("matplotlib" in cell["source"] or "plt." in cell["source"] for cell in plan["cells"]):
        try:  # importing matplotlib costs about a second: only where the notebook plots
            shell.enable_matplotlib("inline")
        except Exception:
            pass
    try:
        run_cells(shell, plan, events)
        _event(events, e="cells_done")
        call_functions(shell, plan, out, events)
        _event(events, e="done")
        events.close()
    finally:
        os._exit(0)  # never run atexit handlers or finalizers the student's code may have installed


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4])
