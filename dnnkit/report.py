"""The instructor report of one assignment: `dnnkit grade`'s result records (or, without any, the gradebook's
scores) summed up in one self-contained HTML page with embedded PNG plots.

Records are untrusted text: student ids, flags and messages may come from hostile submissions, so every
value is HTML-escaped, and a record that cannot be read is skipped (a warning, and a line on the page); so is
a record whose name is not an acceptable student id (dnnkit.names), its name shown escaped. Scores are the
gradebook's at the time the page is written (manual grades and late penalties included), as in
`nbgrader export`; "Where the points went" explains every point a submission lost (each function's, a grade
given by hand, the late penalty), and its formula is typeset by MathJax carried inline (dnnkit.mathjax).

The page speaks the language of the release (dnnkit.shipped.released_language, as the grader does): every fixed
text is one entry of TEXTS beside its Chinese. The plots' titles and labels are in Chinese only where matplotlib
has a font with Chinese glyphs (cjk_font); otherwise they stay English rather than draw empty boxes."""
from __future__ import annotations

import base64
import functools
import io
import re
import shutil
import statistics
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from . import DnnkitError, checks, mathjax
from .cases import FUNCTIONS, function_of
from .course import Course
from .gradebook import ByHand
from .grading.grades_csv import write_kit_file
from .grading.records import RECORDS, Verdict, read_record, recorded_students
from .language import translated, translated_term
from .mistakes import chinese
from .names import id_problem, one_line, shown
from .shipped import released_language

MAX_RECORD_BYTES = 16 * 1024**2
PASSED, NOT_RUN, NOT_ATTEMPTED = Verdict.PASSED.value, Verdict.NOT_RUN.value, Verdict.NOT_ATTEMPTED.value
# every other verdict (failed, timed out, crashed, ...) is a failure
UNMATCHED = "no known mistake matched"

# {key: (English, Chinese)}: every fixed text of the page, in both languages; the verdict words are the checks'
# own (checks.MESSAGES), the status words STATUSES.
TEXTS = {
    "title": ("dnnkit report: {assignment}", "dnnkit 报告：{assignment}"),
    "heading": ("{assignment}: instructor report", "{assignment}：教师报告"),
    "summary": ("{count} submission(s): {parts}; mean score {mean}, median {median} (out of {top})",
                "{count} 份提交：{parts}；平均分 {mean}，中位数 {median}（满分 {top}）"),
    "status count": ("{count} {status}", "{status} {count} 份"),
    "from the gradebook": ("No `dnnkit grade` result records were found, so these scores come from the nbgrader "
                           "gradebook: full marks count as passed, no flags or diagnoses.",
                           "没有找到 `dnnkit grade` 的结果记录，所以这些分数来自 nbgrader 成绩册：满分算作通过，"
                           "没有标记，也没有诊断。"),
    "scores": ("Scores", "分数"),
    "score histogram": ("score histogram", "分数直方图"),
    "score axis": ("score (out of {top})", "分数（满分 {top}）"),
    "submissions axis": ("submissions", "提交数"),
    "scores plot": ("{assignment}: scores", "{assignment}：分数"),
    "pass rate per function": ("Pass rate per function", "各函数的通过率"),
    "pass rate image": ("pass rate per function", "各函数的通过率"),
    "passing axis": ("submissions passing (%)", "通过的提交（%）"),
    "pass rate plot": ("{assignment}: pass rate per function", "{assignment}：各函数的通过率"),
    "function": ("function", "函数"),
    "pass rate": ("pass rate", "通过率"),
    "most frequent mistakes": ("Most frequent mistakes", "最常见的错误"),
    "scores only": ("not available: the gradebook holds scores only", "无法提供：成绩册只记录分数"),
    "mistakes explained": ("Failed functions by diagnosed mistake (the {top} most frequent per function), then "
                           "those no known mistake matched.",
                           "未通过的函数按诊断出的错误归类（每个函数最常见的 {top} 种），然后是没有匹配到已知错误的。"),
    "mistake": ("mistake", "错误"),
    "what it says": ("what it says", "诊断"),
    "the fix": ("the fix", "改正方法"),
    "students count": ("students", "学生数"),
    "no failed function": ("no failed function", "没有未通过的函数"),
    "unmatched": (UNMATCHED, "没有匹配到已知错误"),
    "flagged": ("Flagged or not fully graded", "有标记或未完全评分"),
    "student": ("student", "学生"),
    "status": ("status", "状态"),
    "score": ("score", "分数"),
    "flags": ("flags", "标记"),
    "none": ("none", "无"),
    "students": ("Students", "学生"),
    "marks": ("✓ passed, ✗ failed (also timed out or crashed), – not attempted (the stub left as released), "
              "· not run; hover a mark for the verdict.",
              "✓ 通过，✗ 未通过（超时或崩溃也算），– 未作答（函数仍是发布时的样子），· 未运行；"
              "把鼠标停在标记上可看到判定。"),
    "unreadable records": ("Unreadable records (skipped)", "无法读取的记录（已跳过）"),
    "file": ("file", "文件"),
    "why": ("why", "原因"),
    "by hand marks": ("✎ after a mark: that function was graded by hand in formgrader (hover it for both scores).",
                      "标记后的 ✎：该函数在 formgrader 中被手动评分（把鼠标停在上面可看到两个分数）。"),
    "points": ("Where the points went", "分数的去向"),
    "points explained": ("The score is nbgrader's, as `nbgrader export` gives it: "
                         "$\\text{{score}} = \\max(0,\\ \\text{{raw}} - \\text{{late penalty}})$, where raw is the sum of "
                         "the graded functions' points (a grade given by hand in formgrader in place of the "
                         "autograder's) and any extra credit. Formgrader shows the raw score. Listed: every submission "
                         "that lost points, was late or was graded by hand.",
                         "分数按 nbgrader 的算法，与 `nbgrader export` 给出的一致："
                         "$\\text{{score}} = \\max(0,\\ \\text{{raw}} - \\text{{late penalty}})$，其中 raw（原始分）是各评分"
                         "函数得分之和（在 formgrader 中手动给的分数代替自动评分）再加上额外加分。Formgrader 显示的是原始分。"
                         "下表列出所有失分、迟交或被手动评分的提交。"),
    "raw score": ("raw score", "原始分"),
    "functions lost": ("points lost by function", "各函数失分"),
    "by hand": ("graded by hand", "手动评分"),
    "late penalty": ("late penalty", "迟交扣分"),
    "nothing lost": ("no submission lost a point", "没有提交失分"),
    "lost": ("{functions}: −{points} ({why})", "{functions}：扣 −{points} 分（{why}）"),
    "hand grade": ("{function}: {score} / {top} by hand (the autograder gave {auto})",
                   "{function}：手动评为 {score} / {top}（自动评分为 {auto}）"),
    "hand grade only": ("{function}: {score} / {top} by hand", "{function}：手动评为 {score} / {top}"),
    "extra credit": ("{function}: +{points} extra credit", "{function}：额外加分 +{points}"),
    "late by": ("−{points}: submitted {late} after the due date ({due})", "−{points}：在截止时间（{due}）之后 {late} 提交"),
    "late": ("−{points} (nbgrader's late penalty)", "−{points}（nbgrader 的迟交扣分）"),
    "other cells": ("other grade cells: {points}", "其他评分单元：{points}"),
    "days": ("{count} d", "{count} 天"),
    "hours": ("{count} h", "{count} 小时"),
    "minutes": ("{count} min", "{count} 分钟"),
    "seconds": ("{count} s", "{count} 秒"),
}
# a submission's status (dnnkit.grading.records.Status)
STATUSES = {"graded": ("graded", "已评分"), "incomplete": ("incomplete", "不完整"), "missing": ("missing", "缺交"),
            "refused": ("refused", "被拒收")}
# a verdict: its term in checks.MESSAGES
VERDICT_TERMS = {PASSED: "passed", "failed": "failed", NOT_ATTEMPTED: "not attempted verdict", NOT_RUN: "not run",
                 "timed out": "timed out", "crashed": "crashed"}


def say(key: str, language: str, zh: dict | None = None, **fields) -> str:
    """TEXTS[key] in `language` (dnnkit.language.translated): in "en+zh" the English line, then the Chinese."""
    return translated(TEXTS[key], language, zh, **fields)


def term(key: str, language: str, **fields) -> str:
    """TEXTS[key], a heading or a label, in `language`: in "en+zh" as "English / Chinese"."""
    return translated_term(TEXTS[key], language, **fields)


def status_word(status: str, language: str) -> str:
    return translated_term(STATUSES[status], language) if status in STATUSES else status


def verdict_word(verdict: str, language: str) -> str:
    return checks.term(VERDICT_TERMS[verdict], language) if verdict in VERDICT_TERMS else verdict


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
    """One student's graded submission of the assignment: its final score (raw less the late penalty, at least 0,
    as `nbgrader export` gives it) and how it was reached."""
    student: str
    status: str
    score: float
    max_score: float
    flags: list[str] = field(default_factory=list)
    functions: dict[str, Outcome] = field(default_factory=dict)
    raw_score: float = 0.0
    late_penalty: float = 0.0
    by_hand: dict[str, ByHand] = field(default_factory=dict)  # functions graded by hand in formgrader
    seconds_late: float = 0.0
    duedate: str | None = None


@dataclass
class Report:
    """What the page shows: the submissions, where their scores came from, and the records skipped."""
    assignment: str
    source: str  # "records" or "gradebook"
    submissions: list[Submission]
    unreadable: list[tuple[str, str]]  # (path relative to the course root, why)
    language: str = "en"  # of the page: the release's (dnnkit.shipped.released_language)


# ---- reading ---------------------------------------------------------------------------------------------

def from_result(result, scores=None) -> Submission:
    """A Submission from a result record (a dnnkit.grading.records.SubmissionResult, scores applied) and what the
    gradebook says of it (a dnnkit.gradebook.Scores: grades given by hand, lateness), if it has it."""
    functions = {n: Outcome(f.score, f.max_score, str(f.verdict), f.message, f.diagnosis)
                 for n, f in result.functions.items()}
    submission = Submission(result.student, str(result.status), result.score, result.max_score, list(result.flags),
                            functions, result.raw_score, result.late_submission_penalty)
    if scores is not None:
        submission.by_hand, submission.seconds_late, submission.duedate = (dict(scores.by_hand), scores.seconds_late,
                                                                           scores.duedate)
    return submission


def warn(message: str) -> None:
    print(f"dnnkit report: warning: {one_line(message)}", file=sys.stderr)


def record_submissions(root: Path, assignment: str) -> tuple[list[Submission], list[tuple[str, str]]]:
    """Every result record of the assignment (.dnnkit/results/ASSIGNMENT/), its scores as the gradebook holds
    them now (manual grades and late penalties included): (submissions, [(path, why unreadable)])."""
    from .gradebook import submission_scores

    results, unreadable, table = {}, [], {}
    for student in recorded_students(root, assignment):
        problem = id_problem(student)
        relative = "/".join((*RECORDS.parts, assignment, shown(student, refused=problem is not None) + ".json"))
        try:
            if problem is not None:
                raise ValueError(f"its name is not a student id ({problem})")
            results[student] = read_record(root, assignment, student)
        except ValueError as err:
            unreadable.append((relative, str(err)))
            warn(f"{relative}: skipped, {err}")
    if results:
        table = submission_scores(root, assignment, list(results))
        for student, scores in table.items():
            results[student].apply(scores)
    return [from_result(result, table.get(student)) for student, result in results.items()], unreadable


def gradebook_submissions(root: Path, assignment: str) -> list[Submission]:
    """Scores from the nbgrader gradebook: full marks count as passed, anything less as failed; no flags and
    no diagnoses. A SQLite gradebook that does not exist yet is not created."""
    from sqlalchemy.exc import SQLAlchemyError

    from .gradebook import function_scores, gradebook_exists, open_gradebook, submission_scores

    if not gradebook_exists(root):
        return []
    try:
        table = {student: row for student, row in function_scores(root, assignment).items() if row is not None}
        if not table:
            return []
        with open_gradebook(root) as gb:
            cells = gb.find_notebook(assignment, assignment).grade_cells
            points = {function_of(cell.name): float(cell.max_score) for cell in cells}
        scores = submission_scores(root, assignment, list(table))
    except SQLAlchemyError as err:
        raise DnnkitError(f"nbgrader_config.py's gradebook cannot be read ({type(err).__name__}); "
                          "check c.CourseDirectory.db_url (or DNNKIT_DB_URL)") from None
    names = FUNCTIONS[assignment]
    submissions = []
    for student, row in table.items():
        outcomes = {n: Outcome(row[n], points.get(n, 10.0), PASSED if row[n] >= points.get(n, 10.0) else "failed")
                    for n in names}
        got = scores[student]
        submissions.append(Submission(student, "graded", got.score, sum(o.max_score for o in outcomes.values()),
                                      functions=outcomes, raw_score=got.raw_score,
                                      late_penalty=got.late_submission_penalty, by_hand=dict(got.by_hand),
                                      seconds_late=got.seconds_late, duedate=got.duedate))
    return submissions


def collect(root: Path, assignment: str, language: str | None = None) -> Report:
    """The report's data: the result records, or the gradebook's scores when no record can be read; in
    `language` (None: the release's, as the grader speaks it)."""
    language = language or released_language(Course(root), assignment)
    submissions, unreadable = record_submissions(root, assignment)
    if submissions:
        return Report(assignment, "records", submissions, unreadable, language)
    submissions = gradebook_submissions(root, assignment)
    if submissions:
        return Report(assignment, "gradebook", submissions, unreadable, language)
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
    """One line (in "en+zh" two): submissions, statuses, mean and median score."""
    subs = report.submissions
    statuses = Counter(sub.status for sub in subs)
    counted = [("graded", statuses.pop("graded", 0)), ("incomplete", statuses.pop("incomplete", 0)),
               *sorted(statuses.items())]
    parts = {language: separator.join(say("status count", language, count=count, status=status_word(status, language))
                                      for status, count in counted)
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
CJK = re.compile(r"[\u4e00-\u9fff]")


def fontconfig_chinese() -> list[str]:
    """The files of the fonts fontconfig has for Chinese (`fc-list :lang=zh`), none without fontconfig."""
    if shutil.which("fc-list") is None:
        return []
    try:
        listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted({line.strip().removesuffix(":").strip() for line in listed.splitlines() if line.strip()})


@functools.cache
def cjk_font() -> str | None:
    """The family of a font with Chinese glyphs that matplotlib draws with, or None. matplotlib's font list is
    cached (~/.cache/matplotlib) and may be older than the font, so fontconfig's Chinese fonts are added to it
    when it knows none."""
    from matplotlib import font_manager

    def known() -> dict:
        return {font.name: font.fname for font in font_manager.fontManager.ttflist}

    families = known()
    found = [family for family in CJK_FAMILIES if family in families]
    if not found:
        for path in fontconfig_chinese():
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
        added = {family for family in known() if family not in families}
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

def esc(value) -> str:
    return escape(str(value), quote=True)


def html(text: str) -> str:
    """A fixed text (say) for the page: escaped, its `code` spans as <code>, its lines (English, then Chinese) on
    lines of their own."""
    return "<br>".join(re.sub(r"`([^`]+)`", r"<code>\1</code>", esc(line)) for line in text.split("\n"))


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


def mark(outcome: Outcome, language: str = "en", hand: str = "") -> str:
    """A pass/fail mark whose tooltip is the verdict (in `language`) and its message; given `hand` (what a grade
    given by hand changed), the mark ends in ✎ and the tooltip starts with it."""
    css, symbol = MARKS.get(outcome.verdict, ("bad", "✗"))
    tip = verdict_word(outcome.verdict, language) + ("：" if language == "zh" else ": ") + outcome.message
    if hand:
        symbol, tip = symbol + "✎", hand.replace("\n", " / ") + "; " + tip
    return f'<span class="{css}" title="{esc(tip)}">{symbol}</span>'


def student_rows(report: Report) -> list[list[str]]:
    """One row per student: id, score, status, a mark per function, number of flags."""
    language = report.language
    return [[esc(sub.student), f"{sub.score:g} / {sub.max_score:g}", esc(status_word(sub.status, language)),
             *(mark(o, language, hand_text(n, sub.by_hand[n], o.max_score, language) if n in sub.by_hand else "")
               for n, o in sub.functions.items()), str(len(sub.flags))]
            for sub in sorted(report.submissions, key=lambda s: s.student)]


# ---- where the points went -------------------------------------------------------------------------------

def points(value: float) -> str:
    return f"{value:g}"


def duration(seconds: float) -> dict[str, str]:
    """How late, in days, hours and minutes (seconds under a minute): {"en": ..., "zh": ...}."""
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    parts = [(days, "days"), (hours, "hours"), (minutes, "minutes")] if minutes or hours or days else [(rest, "seconds")]
    return {lang: " ".join(say(key, lang, count=count) for count, key in parts if count) or say("seconds", lang, count=0)
            for lang in ("en", "zh")}


def hand_text(name: str, hand: ByHand, top: float, language: str) -> str:
    """What a grade given by hand changed in one function, one line per change (in "en+zh" each line twice)."""
    lines = []
    if hand.manual_score is not None:
        key = "hand grade" if hand.auto_score is not None else "hand grade only"
        lines.append(say(key, language, function=name, score=points(hand.manual_score), top=points(top),
                         auto=points(hand.auto_score or 0.0)))
    if hand.extra_credit:
        lines.append(say("extra credit", language, function=name, points=points(hand.extra_credit)))
    return "\n".join(lines)


def lost_reason(outcome: Outcome, language: str) -> str:
    """Why an autograded function lost its points: its verdict, and the catalogued mistake when one matched."""
    reason = verdict_word(outcome.verdict, language)
    return reason + (": " + outcome.diagnosis["mistake"] if outcome.diagnosis else "")


def points_rows(report: Report) -> list[list[str]]:
    """One row per submission that lost a point, was late or was graded by hand: student, raw score, the points
    each autograded function lost (functions with the same reason together), the grades given by hand, the late
    penalty, the score. The lines add up: raw = the functions' points (lost ones subtracted, hand grades as given)
    and extra credit; score = max(0, raw - late penalty)."""
    language, rows = report.language, []
    for sub in sorted(report.submissions, key=lambda s: s.student):
        if sub.score >= sub.max_score and not sub.late_penalty and not sub.by_hand:
            continue
        groups: dict[str, tuple[list[str], float]] = {}
        for name, outcome in sub.functions.items():
            if name in sub.by_hand or outcome.score >= outcome.max_score:
                continue
            names, total = groups.get(why := lost_reason(outcome, language), ([], 0.0))
            groups[why] = ([*names, name], total + outcome.max_score - outcome.score)
        lost = [say("lost", language, functions=", ".join(names), points=points(total), why=why)
                for why, (names, total) in groups.items()]
        other = sub.raw_score - sum(o.score for o in sub.functions.values())
        if abs(other) > 1e-9:
            lost.append(say("other cells", language, points=f"{other:+g}"))
        hands = [hand_text(name, sub.by_hand[name], sub.functions[name].max_score, language)
                 for name in sub.functions if name in sub.by_hand]
        late = ""
        if sub.late_penalty:
            if sub.seconds_late > 0 and sub.duedate:
                spans = duration(sub.seconds_late)
                late = say("late by", language, zh={"late": spans["zh"]}, points=points(sub.late_penalty),
                           late=spans["en"], due=sub.duedate)
            else:
                late = say("late", language, points=points(sub.late_penalty))
        rows.append([esc(sub.student), f"{sub.raw_score:g} / {sub.max_score:g}", lines(lost), lines(hands),
                     html(late), f"{sub.score:g} / {sub.max_score:g}"])
    return rows


def lines(texts: list[str]) -> str:
    """Fixed texts (say) as a list, one item each (an "en+zh" text's two lines in one item)."""
    return "<ul>" + "".join(f"<li>{html(text)}</li>" for text in texts) + "</ul>" if texts else ""


def points_section(report: Report) -> list[str]:
    language = report.language
    header = [term(key, language) for key in ("student", "raw score", "functions lost", "by hand", "late penalty",
                                              "score")]
    return [f"<h2>{esc(term('points', language))}</h2>",
            f"<p class=tex2jax_process>{html(say('points explained', language))}</p>",
            table(header, points_rows(report), empty=term("nothing lost", language), css_class="points")]


def attention_rows(report: Report) -> list[list[str]]:
    """Submissions with flags or a status other than graded, with every flag."""
    rows = []
    for sub in sorted(report.submissions, key=lambda s: s.student):
        if sub.flags or sub.status != "graded":
            flags = "<ul>" + "".join(f"<li>{esc(flag)}</li>" for flag in sub.flags) + "</ul>" if sub.flags else ""
            rows.append([esc(sub.student), esc(status_word(sub.status, report.language)),
                         f"{sub.score:g} / {sub.max_score:g}", flags])
    return rows


def pass_rate_section(report: Report, counts: dict[str, Counter]) -> list[str]:
    total, language = len(report.submissions), report.language
    rows = [[esc(n), str(c[PASSED]), str(c["failed"]), str(c[NOT_ATTEMPTED]), str(c[NOT_RUN]),
             f"{100 * c[PASSED] / total:.0f} %"] for n, c in counts.items()]
    header = [term("function", language), *(verdict_word(v, language) for v in (PASSED, "failed", NOT_ATTEMPTED,
                                                                                   NOT_RUN)),
              term("pass rate", language)]
    return [f"<h2>{esc(term('pass rate per function', language))}</h2>",
            f'<img alt="{esc(term("pass rate image", language))}" src="{pass_rate_chart(report, counts)}">',
            table(header, rows, empty=term("none", language))]


def diagnosed(mistake: str, says: str, fix: str, language: str) -> tuple[str, str, str]:
    """A frequent mistake's row texts in `language`: its name as it is, what it says and its fix in the catalog's
    Chinese where it has them (the records hold the English)."""
    if mistake == UNMATCHED and not says:
        return say("unmatched", language), says, fix
    zh = chinese().get(mistake)
    if language == "en" or zh is None:
        return mistake, says, fix
    return mistake, *(zh[key] if language == "zh" else f"{text}\n{zh[key]}"
                      for key, text in (("says", says), ("fix", fix)))


def mistakes_section(report: Report, top: int = 3) -> list[str]:
    language = report.language
    heading = f"<h2>{esc(term('most frequent mistakes', language))}</h2>"
    if report.source == "gradebook":
        return [heading, f"<p><em>{html(say('scores only', language))}</em></p>"]
    rows = [[esc(f), *(html(text) for text in diagnosed(m, says, fix, language)), str(n)]
            for f, m, says, fix, n in frequent_mistakes(report, top)]
    header = [term(key, language) for key in ("function", "mistake", "what it says", "the fix", "students count")]
    return [heading, f"<p>{html(say('mistakes explained', language, top=top))}</p>",
            table(header, rows, empty=term("no failed function", language))]


STYLE = """body{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.2em .5em;
vertical-align:top;text-align:left}th{background:#f3f3f3}.ok{color:#1a7f37}.bad{color:#c62828;font-weight:bold}
.note{background:#fff4ce;padding:.5em}th.v{writing-mode:vertical-rl;transform:rotate(180deg);font-weight:normal}
.students td{white-space:nowrap}.points td:nth-child(2),.points td:nth-child(6){white-space:nowrap}td ul{margin:0;padding-left:1.2em}img{max-width:100%}"""


def render(report: Report) -> str:
    """The whole page (plots embedded as data URIs)."""
    counts, language = verdict_counts(report), report.language
    student, score, status, flags = (term(key, language) for key in ("student", "score", "status", "flags"))
    none = term("none", language)
    # MathJax typesets the formula of "Where the points went" only: never a student's text
    parts = [f"<!DOCTYPE html><html lang={'zh-CN' if language == 'zh' else 'en'}><head><meta charset=utf-8>"
             f"<title>{esc(term('title', language, assignment=report.assignment))}</title><style>{STYLE}</style>"
             f"{mathjax.script_tags(process_class='tex2jax_process')}</head><body class=tex2jax_ignore>",
             f"<h1>{esc(term('heading', language, assignment=report.assignment))}</h1>",
             f"<p id=summary>{html(summary(report))}</p>"]
    if report.source == "gradebook":
        parts.append(f"<p class=note>{html(say('from the gradebook', language))}</p>")
    parts += [f"<h2>{esc(term('scores', language))}</h2>",
              f'<img alt="{esc(term("score histogram", language))}" src="{histogram(report)}">',
              *pass_rate_section(report, counts), *mistakes_section(report),
              f"<h2>{esc(term('flagged', language))}</h2>",
              table([student, status, score, flags], attention_rows(report), empty=none),
              *points_section(report),
              f"<h2>{esc(term('students', language))}</h2>",
              f"<p>{html(say('marks', language))}</p>",
              f"<p>{html(say('by hand marks', language))}</p>",
              table([student, score, status, *counts, flags], student_rows(report), vertical=tuple(counts),
                    css_class="students", empty=none)]
    if report.unreadable:
        parts += [f"<h2>{esc(term('unreadable records', language))}</h2>",
                  table([term("file", language), term("why", language)],
                        [[esc(path), esc(why)] for path, why in report.unreadable], empty=none)]
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
