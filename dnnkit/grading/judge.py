"""The judge: every verdict, decided outside the sandbox from what the runner reported, with the comparisons of
the students' visible tests (dnnkit.checks) and the catalogued mistakes; and the executed notebook rebuilt from the
runner's outputs, known fields only. Points are nbgrader's."""
from __future__ import annotations

import base64
import builtins
import contextlib
import json

import nbformat
import numpy as np

from .. import checks, own_outputs
from ..cases import FUNCTIONS, function_of
from ..course import Course
from ..names import one_line
from ..shipped import released_language
from . import protocol
from .intake import Intake, _valid_text
from .records import FunctionResult, Status, SubmissionResult, Verdict
from .supervisor import RunState

NOTEBOOK_OUTPUT_BYTES = 1536 * 1024  # all outputs kept in one autograded notebook
RAISED_CHARS = 300  # a public case's exception, when told in a verdict: its first line, cut to this length


def _told(visible_error, text: str) -> bool:
    """Whether the visible test's error begins with `text`, a public case's detailed failure: only then may the
    verdict repeat it. The visible test ran among the cells, before any grading data was in the sandbox; the public
    cases the judge gets ran in a level, where the student's code could read that level's hidden inputs and sealed
    helper answers and return them as its 'answer'. Text the cells already printed carries none of them."""
    return isinstance(visible_error, str) and bool(text) and (
        visible_error == text or visible_error.startswith(text + "\n"))


def _fault_fields(fault) -> dict:
    """The {fault} field of a fault's message: its English (supervisor.Fault's value) and its Chinese."""
    english, chinese = checks.MESSAGES[f"fault {fault.value}"]
    return {"fault": english, "zh": {"fault": chinese}}


def _calls(got) -> list[dict]:
    """The helper calls a case's result reports (runner._calls_reported) as run_case logs them, or [] if malformed."""
    calls = got.get("calls")
    if not isinstance(calls, dict):
        return []
    helpers, rows, args = calls.get("helpers"), calls.get("rows"), calls.get("args")
    if not (isinstance(helpers, list) and all(isinstance(h, str) for h in helpers) and isinstance(rows, np.ndarray)
            and rows.dtype == np.int64 and rows.ndim == 2 and rows.shape[1] == 5 and isinstance(args, list)):
        return []
    given = {entry[0]: entry[1] for entry in args
             if isinstance(entry, list) and len(entry) == 2 and type(entry[0]) is int and isinstance(entry[1], list)}
    logged = []
    for row, (helper, hit, depth, unbound, provided) in enumerate(rows[:protocol.MAX_CALLS].tolist()):
        if not 0 <= helper < len(helpers):
            return []
        logged.append({"helper": helpers[helper], "hit": None if hit < 0 else hit, "depth": depth,
                       "args": given.get(row), "unbound": unbound == 1, "provided": provided == 1})
    return logged


class Grader:
    """The trusted half: decides the verdicts from what a SandboxRun reported, outside the sandbox."""

    def __init__(self, course: Course, assignment: str):
        self.assignment = assignment
        self.public, _ = checks.load_plain(course.release(assignment) / "public_cases.npz")
        self.language = released_language(course, assignment)  # a verdict repeats its visible test's words

    def judge(self, name: str, results, hidden_cases: dict, visible_error: str = "") -> FunctionResult:
        """One function's verdict on its returned values, and the catalogued mistake they match; `visible_error`
        is what its visible test cell reported ('' if nothing), which bounds what a verdict tells (_told)."""
        verdict, language = FunctionResult(name), self.language
        if not isinstance(results, dict) or set(results) != {"public", "hidden"}:
            return FunctionResult(name, Verdict.FAILED, checks.say("unreadable results", language))
        outcomes, failure, changed = [], None, False
        for group, expected_cases in (("public", self.public[name]), ("hidden", hidden_cases[name])):
            got_cases, kind = results[group], f"{group} case"
            if not isinstance(got_cases, list) or len(got_cases) != len(expected_cases):
                verdict.verdict = Verdict.FAILED
                verdict.message = checks.say(f"incomplete {group}", language, function=name)
                return verdict
            for case, got in zip(expected_cases, got_cases):
                got = got if isinstance(got, dict) else {}
                # whether the call changed its arguments in place: a note only (a fixed sentence), never a verdict
                changed = changed or got.get("changed") is True
                if got.get("ok") is not True:
                    error = str(got.get("error", ""))
                    # where it was raised, if in a provided helper or numpy (a fixed vocabulary)
                    inside = got["inside"] if got.get("inside") in (*checks.PROVIDED_HELPERS, "numpy") else ""
                    outcomes.append({"raises": error, "inside": inside, "calls": _calls(got)})
                    raised = error.split(":")[0]
                    # only a built-in exception's name: the message, and a class the student named, are theirs
                    builtin = getattr(builtins, raised, None)
                    raised = raised if isinstance(builtin, type) and issubclass(builtin, BaseException) else ""
                    if raised == "NotImplementedError":
                        verdict.verdict = Verdict.NOT_ATTEMPTED
                        verdict.message = checks.say("not attempted", language, function=name)
                        return verdict
                    if failure is None and group == "public" and _told(visible_error, checks.labelled(
                            "raised", language, case["name"], function=name, error=error)):
                        raised = one_line(error.splitlines()[0][:RAISED_CHARS]) if error.strip() else raised
                    english, chinese = checks.MESSAGES["an exception"]
                    what = {"error": raised} if raised else {"error": english, "zh": {"error": chinese}}
                    failure = failure or checks.labelled("grader raised", language, case["name"], kind=kind,
                                                          function=name, **what)
                    continue
                outcomes.append({"value": got.get("value"), "calls": _calls(got)})
                # no values in the verdict (but those the visible test showed): it reaches the feedback, and a
                # value could carry hidden inputs out
                problems = checks.compared(got.get("value"), case["expected"], name, False, language)
                if problems and failure is None:
                    if group == "public":
                        revealed = checks.compare(got.get("value"), case["expected"], name, reveal=True,
                                                  language=language)
                        if _told(visible_error, checks.report(name, case["name"], revealed, language)):
                            problems = [one_line(problem) for problem in revealed]
                    failure = checks.report(name, case["name"], problems, language, kind)
            if group == "public":
                verdict.public_passed = failure is None
        note = checks.input_change_note(name, language) if changed else ""
        note = "\n" + note if note else ""
        if failure is not None:
            verdict.verdict, verdict.message = Verdict.FAILED, failure + note
            verdict.diagnosis = checks.diagnose(name, [*self.public[name], *hidden_cases[name]], outcomes)
            return verdict
        verdict.verdict, verdict.public_passed = Verdict.PASSED, True
        verdict.message = checks.say("all public and hidden pass", language, function=name) + note
        return verdict

    def finish(self, student: str, taken: Intake, state: RunState | None, hidden_cases: dict) -> SubmissionResult:
        """The verdicts on one submission: what intake made of it, what its sandboxed run reported (None when
        nothing could run) and the hidden cases it ran on."""
        names = FUNCTIONS[self.assignment]
        result = SubmissionResult(student, self.assignment, flags=[*taken.flags, *(state.flags if state else [])],
                                  functions={n: FunctionResult(n) for n in names})
        nb = taken.notebook
        if nb is None or state is None:
            result.status = taken.status if taken.status is not Status.GRADED else Status.INCOMPLETE
            english, chinese = checks.MESSAGES[f"status {result.status}"]
            for f in result.functions.values():
                f.message = checks.say("not graded", self.language, function=f.name, status=english,
                                       zh={"status": chinese})
            return result
        tests = {i: name for i, cell in enumerate(nb.cells) if i in state.cell_outputs  # the visible tests that ran
                 and (name := function_of(cell.metadata.get("nbgrader", {}).get("grade_id"))) in result.functions}
        errors = {name: state.cell_outputs[i].get("error") for i, name in tests.items()}
        for name in names:
            if name in state.function_faults:
                f, fault = result.functions[name], state.function_faults[name]
                f.verdict = fault.verdict
                f.message = checks.say("fault not run" if fault.verdict is Verdict.NOT_RUN else "fault while running",
                                       self.language, function=name, **_fault_fields(fault))
                result.status = Status.INCOMPLETE
            elif name in state.results:
                error = errors.get(name)
                told = error["evalue"] if isinstance(error, dict) and isinstance(error.get("evalue"), str) else ""
                result.functions[name] = self.judge(name, state.results[name], hidden_cases, told)
        if state.cell_faults:
            result.status = Status.INCOMPLETE
        for i, name in tests.items():
            function = result.functions[name]
            function.visible_passed = state.cell_outputs[i].get("error") is None
            if function.visible_passed and not function.public_passed and function.verdict is Verdict.FAILED:
                result.flags.append(f"{name}: possible tampering: its visible test passed in the notebook, "
                                    "but the same public cases fail when checked outside it")
        result.notebook = self._executed_notebook(nb, state)
        return result

    def _cell_fault(self, fault) -> str:
        """What a skipped cell's error says, in the release's language."""
        return checks.say("cell fault", self.language, **_fault_fields(fault))

    def _executed_notebook(self, nb, state: RunState) -> nbformat.NotebookNode:
        """The notebook with the outputs the runner reported for each cell (known fields only, at most
        NOTEBOOK_OUTPUT_BYTES in all); nbgrader's pass writes the verdicts in later."""
        executed = nbformat.from_dict(json.loads(json.dumps(nb)))
        count, budget = 0, NOTEBOOK_OUTPUT_BYTES
        left_out = checks.say("output left out", self.language) + "\n"
        for i, cell in enumerate(executed.cells):
            if cell.cell_type != "code":
                continue
            own = list(cell.get("outputs") or []) if own_outputs.tagged(cell) else None
            cell.outputs = []
            if i in state.cell_faults:
                message = self._cell_fault(state.cell_faults[i])
                cell.outputs.append(nbformat.v4.new_output("error", ename="CellFault", evalue=message,
                                                           traceback=f"CellFault: {message}".split("\n")))
                continue
            event = state.cell_outputs.get(i) if own is None else {"outputs": own}  # own: the student's run
            if not event:
                continue
            count += 1
            cell.execution_count = count
            outputs = event.get("outputs", [])
            if event.get("left_out"):
                outputs = [{"output_type": "stream", "name": "stdout", "text": left_out}]
            for output in outputs[:10] if isinstance(outputs, list) else []:
                with contextlib.suppress(Exception):  # an output of no known shape is left out
                    content = _content(output)
                    size = len(json.dumps(content))
                    if size > budget:
                        content, output, size = {"name": "stdout", "text": left_out}, {"output_type": "stream"}, 0
                    budget -= size
                    cell.outputs.append(nbformat.v4.output_from_msg(
                        {"header": {"msg_type": output["output_type"]}, "content": content}))
        return executed


def _text(value) -> str:
    """A reported text as a string a notebook file can hold."""
    return _valid_text(str(value))


def _is_image(kind: str, value: str) -> bool:
    """Base64 text of a real PNG or JPEG picture, under 2 MB."""
    if len(value) > 2_000_000:
        return False
    try:
        head = base64.b64decode(value[:64], validate=False)
    except ValueError:
        return False
    return head.startswith(b"\x89PNG\r\n\x1a\n") if kind == "image/png" else head.startswith(b"\xff\xd8\xff")


def _content(output: dict) -> dict:
    """The content of one output the runner reported, rebuilt from known fields only."""
    kind = output.get("output_type")
    if kind == "stream":
        name = output.get("name") if output.get("name") in ("stdout", "stderr") else "stdout"
        return {"name": name, "text": _text(output.get("text", ""))}
    if kind == "error":
        return {"ename": _text(output.get("ename", ""))[:100], "evalue": _text(output.get("evalue", "")),
                "traceback": [_text(t) for t in list(output.get("traceback", []))[:3]]}
    if kind != "display_data":
        raise ValueError(kind)
    data = {}
    for key, value in dict(output.get("data", {})).items():
        if key in ("image/png", "image/jpeg") and isinstance(value, str) and _is_image(key, value):
            data[key] = value
        elif key == "text/plain":
            data[key] = _text(value)
    return {"data": data, "metadata": {}}
