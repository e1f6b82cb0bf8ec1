"""The real-mistakes corpus (tests/corpus, docs/real-mistakes.md) checked as data: every entry is well formed,
every correct solution passes the released public cases and the hidden reference cases, every wrong one fails at
least one of them; and a baseline report, printed (`pytest -s`), of what today's checks tell the wrong ones."""
from __future__ import annotations

import ast
import collections
import copy
import traceback

import pytest

from conftest import REPO
from corpus import held_out, real_correct, real_mistakes
from dnnkit import checks, refcache
from dnnkit.cases import FUNCTIONS
from dnnkit.course import Course
from dnnkit.mistakes import BEHAVIOURS, CATALOG
from dnnkit.solutions import load_solutions

DEVELOPMENT, HELD_OUT, CORRECT = real_mistakes.WRONG, held_out.WRONG, real_correct.CORRECT
WRONG = DEVELOPMENT + HELD_OUT
CLASSES = range(1, 8)
GRADED = set(FUNCTIONS["step_by_step"])


@pytest.fixture(scope="module")
def reference():
    """The step-by-step notebook's namespace with the reference solutions (np, the activations, every helper)."""
    return load_solutions(Course(REPO), "step_by_step")


@pytest.fixture(scope="module")
def cases():
    """{"public": released cases, "hidden": the grader's reference cases} per function."""
    public, _ = checks.load_plain(REPO / "release" / "step_by_step" / "public_cases.npz")
    return {"public": public, "hidden": refcache.load_verified(Course(REPO), "step_by_step")}


def defined(entry: dict, reference: dict):
    """The entry's function, its cell run in a copy of the reference namespace: the other graded functions it
    calls are the reference ones, as when a student's function is checked with its helpers isolated."""
    namespace = dict(reference)
    exec(compile(entry["code"], corpus_file(entry), "exec"), namespace)
    return namespace[entry["function"]]


def corpus_file(entry: dict) -> str:
    return f"<corpus {entry['id']}>"


def verdicts(entry: dict, reference: dict, cases: dict) -> dict:
    """{"public": failure or '', "hidden": failure or ''} from checks.evaluate, as the visible test and the
    hidden check word them."""
    function = defined(entry, reference)
    name = entry["function"]
    return {"public": checks.evaluate(function, name, copy.deepcopy(cases["public"][name]))[0],
            "hidden": checks.evaluate(function, name, copy.deepcopy(cases["hidden"][name]), reveal=False)[0]}


# --- the corpus as data -----------------------------------------------------------------------------------------


def test_every_entry_is_well_formed():
    ids = [e["id"] for e in WRONG + CORRECT]
    assert len(ids) == len(set(ids)), "ids must be unique across the three sets"
    for entry in WRONG + CORRECT:
        assert entry["function"] in GRADED, entry["id"]
        assert entry["seen"].strip(), entry["id"]
        tree = ast.parse(entry["code"])
        names = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)]
        assert entry["function"] in names, f"{entry['id']}: the cell does not define {entry['function']}"
    for entry in WRONG:
        assert entry["class"] in CLASSES, entry["id"]
        assert entry["wrong"].endswith(".") and "\n" not in entry["wrong"], f"{entry['id']}: one sentence"
        assert "NotImplementedError" not in entry["code"], f"{entry['id']} is a stub, not a mistake"
    assert all("class" not in entry and "wrong" not in entry for entry in CORRECT)


def test_sizes_and_split():
    assert len(WRONG) >= 60 and len(CORRECT) >= 30
    assert 0.25 <= len(HELD_OUT) / len(WRONG) <= 0.4, "the held-out set is about a third of the wrong functions"
    for part in (DEVELOPMENT, HELD_OUT):
        assert {e["class"] for e in part} == set(CLASSES), "each set has every class"
    correct_functions = {e["function"] for e in CORRECT}
    assert correct_functions == GRADED - {"numeric_gradient", "gradient_difference"}


# --- each entry against the public and hidden cases ------------------------------------------------------------


@pytest.mark.parametrize("entry", CORRECT, ids=[e["id"] for e in CORRECT])
def test_a_correct_solution_passes_every_case(entry, reference, cases):
    assert verdicts(entry, reference, cases) == {"public": "", "hidden": ""}


@pytest.mark.parametrize("entry", WRONG, ids=[e["id"] for e in WRONG])
def test_a_wrong_function_fails_a_case(entry, reference, cases):
    found = verdicts(entry, reference, cases)
    assert found["public"] or found["hidden"], f"{entry['id']} passes every public and hidden case"


# --- baseline: what today's checks tell the wrong ones (printed, see `pytest -s`) -------------------------------

# each entry's sentence up to its first filled-in field (dnnkit/behaviour.py's rules fill some in)
CATALOGUED = [f"Diagnosis: {m.says.split('{')[0]}" for m in CATALOG + BEHAVIOURS]


def diagnosis_line(failure: str) -> str | None:
    lines = [line for line in failure.splitlines() if line.startswith("Diagnosis: ")]
    return lines[0] if lines else None


def raised_outside(entry: dict, reference: dict, cases: dict) -> bool:
    """Whether, on some case, the function raises from inside code the student did not write (a provided
    helper, a reference function, numpy), so that the message names a line of someone else's code."""
    function = defined(entry, reference)
    for case in cases["public"][entry["function"]] + cases["hidden"][entry["function"]]:
        try:
            checks.run_case(function, case)
        except Exception as err:
            frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename != checks.__file__]
            if frames and frames[-1].filename != corpus_file(entry):
                return True
    return False


def test_baseline_report_of_todays_diagnoses(reference, cases):
    """Prints, per set and class, how many wrong functions get a "Diagnosis:" line (public or hidden) and how many
    raise from inside code the student did not write; for the development set, which mistake is named. Asserted:
    every diagnosis found is a catalogued one and every wrong function was counted."""
    report, counted = [], 0
    for label, entries, detailed in (("development", DEVELOPMENT, True), ("held-out", HELD_OUT, False)):
        by_class = collections.defaultdict(lambda: [0, 0, 0])
        for entry in entries:
            found = verdicts(entry, reference, cases)
            lines = {diagnosis_line(found["public"]), diagnosis_line(found["hidden"])} - {None}
            assert all(any(line.startswith(known) for known in CATALOGUED) for line in lines), \
                f"{entry['id']}: a diagnosis that is not in the catalog: {lines}"
            outside = raised_outside(entry, reference, cases)
            tally = by_class[entry["class"]]
            tally[0] += 1
            tally[1] += bool(lines)
            tally[2] += outside
            counted += 1
            if detailed:
                named = "; ".join(sorted(lines)) or "no diagnosis"
                report.append(f"  {entry['id']} (class {entry['class']}): {named}"
                              + (" [raises outside the student's code]" if outside else ""))
        total = [sum(t[i] for t in by_class.values()) for i in range(3)]
        report.append(f"{label}: {total[1]} of {total[0]} diagnosed, {total[2]} raise inside code the student "
                      "did not write; by class " + ", ".join(
                          f"{k}: {v[1]}/{v[0]}" for k, v in sorted(by_class.items())))
    print("\nWhat the catalog tells the wrong functions:\n" + "\n".join(report))
    assert counted == len(WRONG)
