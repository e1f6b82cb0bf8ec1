"""The instructor report of one assignment: `dnnkit grade`'s result records (or, without any, the gradebook's
scores) summed up in one self-contained HTML page with embedded PNG plots.

Records are untrusted text: student ids, flags and messages may come from hostile submissions, so every
value is HTML-escaped, and a record that cannot be read is skipped (a warning, and a line on the page); so is
a record whose name is not an acceptable student id (dnnkit.names), its name shown escaped. Scores are the
gradebook's at the time the page is written (manual grades and late penalties included), as in
`nbgrader export`."""
from __future__ import annotations

import base64
import io
import statistics
import sys
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import DnnkitError
from .cases import FUNCTIONS, function_of
from .grading.batch import write_kit_file
from .grading.records import RECORDS, Verdict, read_record, recorded_students
from .names import id_problem, one_line, shown

MAX_RECORD_BYTES = 16 * 1024**2
PASSED, NOT_RUN, NOT_ATTEMPTED = Verdict.PASSED.value, Verdict.NOT_RUN.value, Verdict.NOT_ATTEMPTED.value
# every other verdict (failed, timed out, crashed, ...) is a failure
UNMATCHED = "no known mistake matched"


@dataclass
class Outcome:
    """One graded function of one submission."""
    score: float
    max_score: float
    verdict: str = NOT_RUN
    message: str = ""
    diagnosis: dict | None = None  # {"mistake": str, "says": str, "fix": str}


@dataclass
class Submission:
    """One student's graded submission of the assignment."""
    student: str
    status: str
    score: float
    max_score: float
    flags: list[str] = field(default_factory=list)
    functions: dict[str, Outcome] = field(default_factory=dict)


@dataclass
class Report:
    """What the page shows: the submissions, where their scores came from, and the records skipped."""
    assignment: str
    source: str  # "records" or "gradebook"
    submissions: list[Submission]
    unreadable: list[tuple[str, str]]  # (path relative to the course root, why)


# ---- reading ---------------------------------------------------------------------------------------------

def from_result(result) -> Submission:
    """A Submission from a result record (a dnnkit.grading.records.SubmissionResult, scores applied)."""
    functions = {n: Outcome(f.score, f.max_score, str(f.verdict), f.message, f.diagnosis)
                 for n, f in result.functions.items()}
    return Submission(result.student, str(result.status), result.score, result.max_score, list(result.flags),
                      functions)


def warn(message: str) -> None:
    print(f"dnnkit report: warning: {one_line(message)}", file=sys.stderr)


def record_submissions(root: Path, assignment: str) -> tuple[list[Submission], list[tuple[str, str]]]:
    """Every result record of the assignment (.dnnkit/results/ASSIGNMENT/), its scores as the gradebook holds
    them now (manual grades and late penalties included): (submissions, [(path, why unreadable)])."""
    from .gradebook import submission_scores

    results, unreadable = {}, []
    for student in recorded_students(root, assignment):
        relative = "/".join((*RECORDS.parts, assignment, shown(student) + ".json"))
        try:
            if (problem := id_problem(student)) is not None:
                raise ValueError(f"its name is not a student id ({problem})")
            results[student] = read_record(root, assignment, student)
        except ValueError as err:
            unreadable.append((relative, str(err)))
            warn(f"{relative}: skipped, {err}")
    if results:
        for student, scores in submission_scores(root, assignment, list(results)).items():
            results[student].apply(scores)
    return [from_result(result) for result in results.values()], unreadable


def gradebook_submissions(root: Path, assignment: str) -> list[Submission]:
    """Scores from the nbgrader gradebook: full marks count as passed, anything less as failed; no flags and
    no diagnoses. A SQLite gradebook that does not exist yet is not created."""
    from sqlalchemy.exc import SQLAlchemyError

    from .gradebook import function_scores, gradebook_exists, open_gradebook

    if not gradebook_exists(root):
        return []
    try:
        table = {student: row for student, row in function_scores(root, assignment).items() if row is not None}
        if not table:
            return []
        with open_gradebook(root) as gb:
            cells = gb.find_notebook(assignment, assignment).grade_cells
            points = {function_of(cell.name): float(cell.max_score) for cell in cells}
    except SQLAlchemyError as err:
        raise DnnkitError(f"nbgrader_config.py's gradebook cannot be read ({type(err).__name__}); "
                          "check c.CourseDirectory.db_url (or DNNKIT_DB_URL)") from None
    names = FUNCTIONS[assignment]
    submissions = []
    for student, row in table.items():
        outcomes = {n: Outcome(row[n], points.get(n, 10.0), PASSED if row[n] >= points.get(n, 10.0) else "failed")
                    for n in names}
        submissions.append(Submission(student, "graded", row["total"], sum(o.max_score for o in outcomes.values()),
                                      functions=outcomes))
    return submissions


def collect(root: Path, assignment: str) -> Report:
    """The report's data: the result records, or the gradebook's scores when no record can be read."""
    submissions, unreadable = record_submissions(root, assignment)
    if submissions:
        return Report(assignment, "records", submissions, unreadable)
    submissions = gradebook_submissions(root, assignment)
    if submissions:
        return Report(assignment, "gradebook", submissions, unreadable)
    if unreadable:
        raise DnnkitError(f"no readable result record of {assignment} ({len(unreadable)} unreadable, named above) "
                          f"and no gradebook entries: run `dnnkit grade {assignment} --force`")
    raise DnnkitError(f"no graded submissions of {assignment}: run `dnnkit grade {assignment}` first")


# ---- aggregating -----------------------------------------------------------------------------------------

def verdict_counts(report: Report) -> dict[str, Counter]:
    """{function: Counter(passed=, failed=, not attempted=, not run=)}; timed out, crashed and other verdicts
    count as failed; a stub left alone is not attempted, not a failure."""
    counts = {name: Counter({PASSED: 0, "failed": 0, NOT_ATTEMPTED: 0, NOT_RUN: 0})
              for name in FUNCTIONS[report.assignment]}
    for sub in report.submissions:
        for name, outcome in sub.functions.items():
            counts[name][outcome.verdict if outcome.verdict in (PASSED, NOT_ATTEMPTED, NOT_RUN) else "failed"] += 1
    return counts


def frequent_mistakes(report: Report, top: int = 3) -> list[tuple[str, str, str, str, int]]:
    """[(function, mistake, says, fix, students)]: the `top` most frequent diagnosed mistakes per function,
    then one UNMATCHED row for its failures without a diagnosis."""
    rows = []
    for name in FUNCTIONS[report.assignment]:
        mistakes, texts, unmatched = Counter(), {}, 0
        for sub in report.submissions:
            outcome = sub.functions[name]
            if outcome.verdict in (PASSED, NOT_ATTEMPTED, NOT_RUN):
                continue
            if outcome.diagnosis is None:
                unmatched += 1
            else:
                mistakes[outcome.diagnosis["mistake"]] += 1
                texts.setdefault(outcome.diagnosis["mistake"], outcome.diagnosis)
        for mistake, count in sorted(mistakes.items(), key=lambda item: (-item[1], item[0]))[:top]:
            rows.append((name, mistake, texts[mistake]["says"], texts[mistake]["fix"], count))
        if unmatched:
            rows.append((name, UNMATCHED, "", "", unmatched))
    return rows


def summary(report: Report) -> str:
    """One line: submissions, statuses, mean and median score."""
    subs = report.submissions
    statuses = Counter(sub.status for sub in subs)
    parts = [f"{statuses.pop('graded', 0)} graded", f"{statuses.pop('incomplete', 0)} incomplete"]
    parts += [f"{count} {status}" for status, count in sorted(statuses.items())]
    scores = [sub.score for sub in subs]
    top = max(sub.max_score for sub in subs)
    return (f"{len(subs)} submission(s): {', '.join(parts)}; mean score {statistics.mean(scores):.1f}, "
            f"median {statistics.median(scores):g} (out of {top:g})")


# ---- plotting --------------------------------------------------------------------------------------------

def png_data_uri(figure: Figure) -> str:
    """The figure as a base64 PNG data URI (rendered with Agg, no display needed)."""
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    figure.clear()
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def histogram(report: Report) -> str:
    """Score histogram, one bar per multiple of a function's points."""
    top = max(sub.max_score for sub in report.submissions) or 1.0
    step = min((o.max_score for s in report.submissions for o in s.functions.values() if o.max_score > 0),
               default=top / 10)
    step = step if top / step <= 100 else top / 20  # a sane number of bars whatever the records say
    figure = Figure(figsize=(6, 3), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.hist([sub.score for sub in report.submissions], bins=np.arange(-step / 2, top + step, step),
              color="#4c72b0", edgecolor="white")
    axes.set_xlabel(f"score (out of {top:g})")
    axes.set_ylabel("submissions")
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title(f"{report.assignment}: scores")
    return png_data_uri(figure)


def pass_rate_chart(report: Report, counts: dict[str, Counter]) -> str:
    """Horizontal bars: the share of submissions passing each function, in the assignment's order."""
    names = list(counts)
    total = len(report.submissions)
    rates = [100 * counts[n][PASSED] / total for n in names]
    figure = Figure(figsize=(7, 0.4 * len(names) + 1.2), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.barh(names, rates, color="#55a868")
    for y, name in enumerate(names):
        axes.text(1, y, f"{counts[name][PASSED]}/{total}", va="center", fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 100)
    axes.set_xlabel("submissions passing (%)")
    axes.set_title(f"{report.assignment}: pass rate per function")
    return png_data_uri(figure)


# ---- the page --------------------------------------------------------------------------------------------

def esc(value) -> str:
    return escape(str(value), quote=True)


def table(header: list[str], rows: list[list[str]], empty: str = "none", vertical: tuple = (),
          css_class: str = "") -> str:
    """An HTML table; `header` is escaped here (names in `vertical` written upwards), `rows` hold HTML already
    escaped."""
    if not rows:
        return f"<p><em>{esc(empty)}</em></p>"
    head = "".join(f"<th class=v>{esc(h)}</th>" if h in vertical else f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    attribute = f" class={css_class}" if css_class else ""
    return f"<table{attribute}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


MARKS = {PASSED: ("ok", "✓"), NOT_RUN: ("", "·"), NOT_ATTEMPTED: ("", "–")}  # every other verdict: ("bad", "✗")


def mark(outcome: Outcome) -> str:
    """A pass/fail mark whose tooltip is the verdict and its message."""
    css, symbol = MARKS.get(outcome.verdict, ("bad", "✗"))
    return f'<span class="{css}" title="{esc(outcome.verdict + ": " + outcome.message)}">{symbol}</span>'


def student_rows(report: Report) -> list[list[str]]:
    """One row per student: id, score, status, a mark per function, number of flags."""
    return [[esc(sub.student), f"{sub.score:g} / {sub.max_score:g}", esc(sub.status),
             *(mark(o) for o in sub.functions.values()), str(len(sub.flags))]
            for sub in sorted(report.submissions, key=lambda s: s.student)]


def attention_rows(report: Report) -> list[list[str]]:
    """Submissions with flags or a status other than graded, with every flag."""
    rows = []
    for sub in sorted(report.submissions, key=lambda s: s.student):
        if sub.flags or sub.status != "graded":
            flags = "<ul>" + "".join(f"<li>{esc(flag)}</li>" for flag in sub.flags) + "</ul>" if sub.flags else ""
            rows.append([esc(sub.student), esc(sub.status), f"{sub.score:g} / {sub.max_score:g}", flags])
    return rows


def pass_rate_section(report: Report, counts: dict[str, Counter]) -> list[str]:
    total = len(report.submissions)
    rows = [[esc(n), str(c[PASSED]), str(c["failed"]), str(c[NOT_ATTEMPTED]), str(c[NOT_RUN]),
             f"{100 * c[PASSED] / total:.0f} %"] for n, c in counts.items()]
    return ["<h2>Pass rate per function</h2>",
            f'<img alt="pass rate per function" src="{pass_rate_chart(report, counts)}">',
            table(["function", "passed", "failed", "not attempted", "not run", "pass rate"], rows)]


def mistakes_section(report: Report) -> list[str]:
    if report.source == "gradebook":
        return ["<h2>Most frequent mistakes</h2>", "<p><em>not available: the gradebook holds scores only</em></p>"]
    rows = [[esc(f), esc(m), esc(says), esc(fix), str(n)] for f, m, says, fix, n in frequent_mistakes(report)]
    return ["<h2>Most frequent mistakes</h2>",
            "<p>Failed functions by diagnosed mistake (the 3 most frequent per function), then those no known "
            "mistake matched.</p>",
            table(["function", "mistake", "what it says", "the fix", "students"], rows, empty="no failed function")]


STYLE = """body{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .5em;
vertical-align:top;text-align:left}th{background:#f3f3f3}.ok{color:#1a7f37}.bad{color:#c62828;font-weight:bold}
.note{background:#fff4ce;padding:.5em}th.v{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal}
.students td{white-space:nowrap}td ul{margin:0;padding-left:1.2em}img{max-width:100%}"""


def render(report: Report) -> str:
    """The whole page (plots embedded as data URIs)."""
    counts = verdict_counts(report)
    parts = ["<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
             f"<title>dnnkit report: {esc(report.assignment)}</title><style>{STYLE}</style></head><body>",
             f"<h1>{esc(report.assignment)}: instructor report</h1>", f"<p id=summary>{esc(summary(report))}</p>"]
    if report.source == "gradebook":
        parts.append("<p class=note>No <code>dnnkit grade</code> result records were found, so these scores "
                     "come from the nbgrader gradebook: full marks count as passed, no flags or diagnoses.</p>")
    parts += ["<h2>Scores</h2>", f'<img alt="score histogram" src="{histogram(report)}">',
              *pass_rate_section(report, counts), *mistakes_section(report),
              "<h2>Flagged or not fully graded</h2>",
              table(["student", "status", "score", "flags"], attention_rows(report), empty="none"),
              "<h2>Students</h2>",
              "<p>✓ passed, ✗ failed (also timed out or crashed), – not attempted (the stub left as released), "
              "· not run; hover a mark for the verdict.</p>",
              table(["student", "score", "status", *counts, "flags"], student_rows(report), vertical=tuple(counts),
                    css_class="students")]
    if report.unreadable:
        parts += ["<h2>Unreadable records (skipped)</h2>",
                  table(["file", "why"], [[esc(path), esc(why)] for path, why in report.unreadable])]
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_report(root: Path, assignment: str) -> tuple[Path, Report]:
    """Write autograded/report-ASSIGNMENT.html; return its path and the report."""
    report = collect(root, assignment)
    name = f"report-{assignment}.html"
    target = write_kit_file(root / "autograded", name, render(report))
    if target.name != name:
        warn(f"autograded/{name} is a folder (left by an older dnnkit that took a student id of that name); "
             f"the report went to autograded/{target.name}; remove that folder")
    return target, report
