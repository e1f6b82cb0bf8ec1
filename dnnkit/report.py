"""The instructor report of one assignment, autograded/report-ASSIGNMENT.html: `dnnkit grade`'s result records
(or, without any, the gradebook's scores in the same types) summed up in one self-contained page with embedded PNG
plots, rendered from templates/dnnkit_report in the release's language (docs/diagnosis.md, docs/languages.md)."""
from __future__ import annotations

import base64
import contextlib
import functools
import io
import re
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np
from markupsafe import Markup, escape
from matplotlib import font_manager
from matplotlib.figure import Figure
from sqlalchemy.exc import SQLAlchemyError

from . import DnnkitError, mathjax
from .cases import FUNCTIONS
from .checks import MESSAGES, say, term
from .course import Course
from .gradebook import Scores, roster, submission_scores
from .grading.grades_csv import write_kit_file
from .grading.records import RECORDS, FunctionResult, SubmissionResult, Verdict, read_record, recorded_students
from .mistakes import chinese
from .names import id_problem, one_line, shown
from .shipped import released_language

PASSED, NOT_RUN, NOT_ATTEMPTED = Verdict.PASSED, Verdict.NOT_RUN, Verdict.NOT_ATTEMPTED
TEMPLATE = "dnnkit_report/index.html.j2"


@dataclass
class Report:
    """What the page shows: the submissions, where their scores came from, and the records skipped."""
    assignment: str
    source: str  # "records" or "gradebook"
    submissions: list[SubmissionResult]
    unreadable: list[tuple[str, str]]  # (path relative to the course root, why)
    language: str  # of the page: the release's (dnnkit.shipped.released_language)
    gradebook: dict[str, Scores]  # by student: grades given by hand, lateness

    def scores(self, sub: SubmissionResult) -> Scores:
        """What the gradebook says of `sub` (nothing by hand, not late, when it has no entry)."""
        return self.gradebook.get(sub.student) or Scores()


def word(kind: str, value: str, language: str) -> str:
    """A submission's status or a function's verdict (`kind`) in `language`; one the catalog lacks as it is."""
    return term(f"{kind} {value}", language) if f"{kind} {value}" in MESSAGES else value


def failed(function: FunctionResult) -> bool:
    """Whether `function` failed: timed out, crashed and other verdicts count; a stub left alone does not."""
    return function.verdict not in (PASSED, NOT_ATTEMPTED, NOT_RUN)


# ---- reading ---------------------------------------------------------------------------------------------

def warn(message: str) -> None:
    print(f"dnnkit report: warning: {one_line(message)}", file=sys.stderr)


def read_records(root: Path, assignment: str) -> tuple[list[SubmissionResult], list[tuple[str, str]]]:
    """Every readable result record of the assignment (.dnnkit/results/ASSIGNMENT/), and [(path, why)] of the
    others."""
    results, unreadable = [], []
    for student in recorded_students(root, assignment):
        problem = id_problem(student)
        relative = "/".join((*RECORDS.parts, assignment, shown(student, refused=problem is not None) + ".json"))
        try:
            if problem is not None:
                raise ValueError(f"its name is not a student id ({problem})")
            results.append(read_record(root, assignment, student))
        except ValueError as err:
            unreadable.append((relative, str(err)))
            warn(f"{relative}: skipped, {err}")
    return results, unreadable


def gradebook_scores(root: Path, assignment: str, students: list[str] | None) -> dict[str, Scores]:
    """{student: Scores} for `students` (None: the roster) from the nbgrader gradebook, which is not created."""
    try:
        return submission_scores(root, assignment, sorted(roster(root)) if students is None else students)
    except SQLAlchemyError as err:
        raise DnnkitError(f"nbgrader_config.py's gradebook cannot be read ({type(err).__name__}); "
                          "check c.CourseDirectory.db_url (or DNNKIT_DB_URL)") from None


def from_gradebook(assignment: str, student: str, scores: Scores) -> SubmissionResult:
    """A result as the gradebook alone tells it: full marks count as passed, anything less as failed; no flags,
    no diagnoses."""
    functions = {}
    for name in FUNCTIONS[assignment]:
        score, top = scores.functions.get(name, (0.0, None))
        functions[name] = FunctionResult(name, PASSED if top is not None and score >= top else Verdict.FAILED)
    result = SubmissionResult(student, assignment, functions=functions)
    result.apply(scores)
    return result


def collect(root: Path, assignment: str, language: str | None = None) -> Report:
    """The report's data: the result records with the gradebook's scores applied, or the gradebook's scores
    alone when no record can be read; in `language` (None: the release's, as the grader speaks it)."""
    language = language or released_language(Course(root), assignment)
    results, unreadable = read_records(root, assignment)
    table = gradebook_scores(root, assignment, [result.student for result in results] if results else None)
    if results:
        for result in results:
            if result.student in table:
                result.apply(table[result.student])
        return Report(assignment, "records", results, unreadable, language, table)
    table = {student: scores for student, scores in table.items() if scores.submitted}
    if table:
        results = [from_gradebook(assignment, student, scores) for student, scores in table.items()]
        return Report(assignment, "gradebook", results, unreadable, language, table)
    if unreadable:
        raise DnnkitError(f"no readable result record of {assignment} ({len(unreadable)} unreadable, named above) "
                          f"and no gradebook entries: run `dnnkit grade {assignment} --force`")
    raise DnnkitError(f"no graded submissions of {assignment}: run `dnnkit grade {assignment}` first")


# ---- aggregating -----------------------------------------------------------------------------------------

def verdict_counts(report: Report) -> dict[str, Counter]:
    """{function: Counter(passed=, failed=, not attempted=, not run=)}, every failure counted as failed."""
    counts = {name: Counter({PASSED: 0, Verdict.FAILED: 0, NOT_ATTEMPTED: 0, NOT_RUN: 0})
              for name in FUNCTIONS[report.assignment]}
    for sub in report.submissions:
        for name, function in sub.functions.items():
            counts[name][Verdict.FAILED if failed(function) else function.verdict] += 1
    return counts


def frequent_mistakes(report: Report, top: int = 3) -> list[tuple[str, str, str, str, int]]:
    """[(function, mistake, says, fix, students)] in the report's language: the `top` most frequent diagnosed
    mistakes per function, then one row for its failures no known mistake matched."""
    rows = []
    for name in FUNCTIONS[report.assignment]:
        failures = [sub.functions[name] for sub in report.submissions if failed(sub.functions[name])]
        counts, diagnoses = Counter(), {}  # per mistake: the failures it explains, its first diagnosis
        for diagnosis in (function.diagnosis for function in failures if function.diagnosis):
            counts[diagnosis["mistake"]] += 1
            diagnoses.setdefault(diagnosis["mistake"], diagnosis)
        for mistake, count in sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]:
            rows.append((name, mistake, *explained(diagnoses[mistake], report.language), count))
        if unmatched := sum(function.diagnosis is None for function in failures):
            rows.append((name, say("unmatched", report.language), "", "", unmatched))
    return rows


def explained(diagnosis: dict, language: str) -> tuple[str, str]:
    """What a diagnosed mistake says and its fix in `language`: the records hold the English, the catalog the
    Chinese (where it has the mistake)."""
    zh = chinese().get(diagnosis["mistake"])
    if language == "en" or zh is None:
        return diagnosis["says"], diagnosis["fix"]
    return tuple(zh[key] if language == "zh" else f"{diagnosis[key]}\n{zh[key]}" for key in ("says", "fix"))


def summary(report: Report) -> str:
    """One line (in "en+zh" two): submissions, statuses, mean and median score."""
    subs = report.submissions
    statuses = Counter(sub.status for sub in subs)
    counted = [("graded", statuses.pop("graded", 0)), ("incomplete", statuses.pop("incomplete", 0)),
               *sorted(statuses.items())]
    parts = {language: separator.join(say("status count", language, count=count,
                                          status=word("status", status, language)) for status, count in counted)
             for language, separator in (("en", ", "), ("zh", "，"))}
    scores = [sub.score for sub in subs]
    top = max(sub.max_score for sub in subs)
    return say("summary", report.language, zh={"parts": parts["zh"]}, parts=parts["en"], count=len(subs),
               mean=f"{statistics.mean(scores):.1f}", median=f"{statistics.median(scores):g}", top=f"{top:g}")


# ---- plotting --------------------------------------------------------------------------------------------

# fonts with Chinese glyphs, the first matplotlib knows is used for a plot's Chinese
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
                "Microsoft YaHei", "SimHei", "PingFang SC", "Hiragino Sans GB", "Heiti SC", "Droid Sans Fallback",
                "AR PL UMing CN")


def fontconfig_chinese() -> list[str]:
    """The files of the fonts fontconfig has for Chinese (`fc-list :lang=zh`), none without fontconfig."""
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.strip().removesuffix(":").strip() for line in listed.splitlines() if line.strip()})


@functools.cache
def cjk_font() -> str | None:
    """The family of a font with Chinese glyphs that matplotlib draws with, or None. fontconfig's Chinese fonts are
    added when matplotlib knows none: its font list is cached (~/.cache/matplotlib) and may be older than the font."""
    known = {font.name for font in font_manager.fontManager.ttflist}
    found = [family for family in CJK_FAMILIES if family in known]
    if not found:
        for path in fontconfig_chinese():
            with contextlib.suppress(OSError, RuntimeError, ValueError):
                font_manager.fontManager.addfont(path)
        added = {font.name for font in font_manager.fontManager.ttflist} - known
        found = [family for family in CJK_FAMILIES if family in added] or sorted(added)
    return found[0] if found else None


def plot_language(language: str) -> tuple[str, dict]:
    """The language of the plots' text (in "en+zh" a title or label on two lines, English then Chinese) and the
    font arguments to draw it: `language` where a font has Chinese glyphs (or none is needed), else English."""
    if language == "en":
        return language, {}
    family = cjk_font()
    return (language, {"fontfamily": [family, "DejaVu Sans"]}) if family else ("en", {})


def png_data_uri(figure: Figure) -> str:
    """The figure as a base64 PNG data URI (matplotlib's Agg renders it: no display needed)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
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
    language, font = plot_language(report.language)
    axes.set_xlabel(say("score axis", language, top=f"{top:g}"), **font)
    axes.set_ylabel(say("submissions axis", language), **font)
    axes.yaxis.get_major_locator().set_params(integer=True)
    axes.set_title(say("scores plot", language, assignment=report.assignment), **font)
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
    language, font = plot_language(report.language)
    axes.set_xlabel(say("passing axis", language), **font)
    axes.set_title(say("pass rate plot", language, assignment=report.assignment), **font)
    return png_data_uri(figure)


# ---- the page --------------------------------------------------------------------------------------------

def text_html(text: str) -> Markup:
    """A fixed text (say) for the page: escaped, its `code` spans as <code>, its lines (English, then Chinese) on
    lines of their own."""
    return Markup("<br>").join(Markup(re.sub(r"`([^`]+)`", r"<code>\1</code>", str(escape(line))))
                               for line in text.split("\n"))


MARKS = {PASSED: ("ok", "✓"), NOT_RUN: ("", "·"), NOT_ATTEMPTED: ("", "–")}  # every other verdict: ("bad", "✗")


def mark(function: FunctionResult, language: str = "en", hand: str = "") -> tuple[str, str, str]:
    """A function's mark as (css class, symbol, tooltip): the tooltip is the verdict (in `language`) and its
    message; given `hand` (what a grade given by hand changed), the mark ends in ✎ and the tooltip starts with it."""
    css, symbol = MARKS.get(function.verdict, ("bad", "✗"))
    tip = word("verdict", function.verdict, language) + ("：" if language == "zh" else ": ") + function.message
    if hand:
        symbol, tip = symbol + "✎", hand.replace("\n", " / ") + "; " + tip
    return css, symbol, tip


def duration(seconds: float) -> dict[str, str]:
    """How late, in days, hours and minutes (seconds under a minute): {"en": ..., "zh": ...}."""
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "days"), (hours, "hours"), (minutes, "minutes")] if minutes or hours or days else \
        [(rest, "seconds")]
    return {lang: " ".join(say(key, lang, count=count) for count, key in parts if count)
            or say("seconds", lang, count=0) for lang in ("en", "zh")}


def hand_texts(report: Report, sub: SubmissionResult) -> dict[str, str]:
    """{function: what a grade given by hand changed in it, one line per change (in "en+zh" each line twice)} for
    the functions of `sub` graded by hand, in the assignment's order."""
    by_hand, texts = report.scores(sub).by_hand, {}
    for name, function in sub.functions.items():
        if (hand := by_hand.get(name)) is None:
            continue
        lines = []
        if hand.manual_score is not None:
            key = "hand grade" if hand.auto_score is not None else "hand grade only"
            lines.append(say(key, report.language, function=name, score=f"{hand.manual_score:g}",
                             top=f"{function.max_score:g}", auto=f"{hand.auto_score or 0.0:g}"))
        if hand.extra_credit:
            lines.append(say("extra credit", report.language, function=name, points=f"{hand.extra_credit:g}"))
        texts[name] = "\n".join(lines)
    return texts


def points_rows(report: Report) -> list[dict]:
    """One row per submission that lost a point, was late or was graded by hand: the points each autograded
    function lost (grouped by reason), the grades given by hand, the late penalty; they add up to the score."""
    language, rows = report.language, []
    for sub in sorted(report.submissions, key=lambda s: s.student):
        scores, hands = report.scores(sub), hand_texts(report, sub)
        if sub.score >= sub.max_score and not sub.late_submission_penalty and not hands:
            continue
        groups: dict[str, tuple[list[str], float]] = {}
        for name, function in sub.functions.items():
            if name in hands or function.score >= function.max_score:
                continue
            why = word("verdict", function.verdict, language)  # and the catalogued mistake when one matched
            if function.diagnosis:
                why += ": " + function.diagnosis["mistake"]
            names, total = groups.get(why, ([], 0.0))
            groups[why] = ([*names, name], total + function.max_score - function.score)
        lost = [say("lost", language, functions=", ".join(names), points=f"{total:g}", why=why)
                for why, (names, total) in groups.items()]
        other = sub.raw_score - sum(f.score for f in sub.functions.values())
        if abs(other) > 1e-9:
            lost.append(say("other cells", language, points=f"{other:+g}"))
        late, penalty = "", f"{sub.late_submission_penalty:g}"
        if sub.late_submission_penalty and scores.seconds_late > 0 and scores.duedate:
            spans = duration(scores.seconds_late)
            late = say("late by", language, zh={"late": spans["zh"]}, points=penalty, late=spans["en"],
                       due=scores.duedate)
        elif sub.late_submission_penalty:
            late = say("late", language, points=penalty)
        rows.append({"sub": sub, "lost": lost, "hands": list(hands.values()), "late": late})
    return rows


@functools.cache
def environment() -> jinja2.Environment:
    """Jinja for the kit's own pages: templates from dnnkit/templates, every value escaped unless marked safe."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(mathjax.TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(text=text_html, g=lambda value: f"{value:g}")
    return env


def render(report: Report) -> str:
    """The whole page (plots embedded as data URIs)."""
    language, counts = report.language, verdict_counts(report)
    students = sorted(report.submissions, key=lambda s: s.student)
    in_language = {name: functools.partial(function, language=language)
                   for name, function in (("say", say), ("term", term), ("word", word), ("mark", mark))}
    return environment().get_template(TEMPLATE).render(
        report=report, students=students, attention=[s for s in students if s.flags or s.status != "graded"],
        summary=summary(report), counts=counts, mistakes=frequent_mistakes(report), points=points_rows(report),
        verdicts={v: word("verdict", v, language) for v in (PASSED, Verdict.FAILED, NOT_ATTEMPTED, NOT_RUN)},
        hand_texts=functools.partial(hand_texts, report), histogram=histogram(report),
        pass_rate_chart=pass_rate_chart(report, counts), mathjax=Markup(mathjax.script_tags("tex2jax_process")),
        **in_language)


def write_report(root: Path, assignment: str) -> tuple[Path, Report]:
    """Write autograded/report-ASSIGNMENT.html; return its path and the report."""
    report = collect(root, assignment)
    name = f"report-{assignment}.html"
    target = write_kit_file(root / "autograded", name, render(report))
    if target.name != name:
        warn(f"autograded/{name} is a folder (left by an older dnnkit that took a student id of that name); "
             f"the report went to autograded/{target.name}; remove that folder")
    return target, report
