"""A whole term on the course server, in headless Chromium with real logins (the hub's login form, the accounts'
first passwords from `dnnkit hub`):
- the instructor opens formgrader through the hub (a student gets the hub's 403) and releases step_by_step there;
- ada fetches it in her Assignment List, types a catalogued mistake (db summed over axis 0) into her notebook,
  Run All shows its diagnosis, she types the fix, Run All passes, Validate succeeds, she submits;
- ben (no browser) fetches and submits after the due date, with another catalogued mistake;
- the instructor collects in formgrader, root runs `dnnkit grade` (as root for now), the instructor gives ben a
  manual grade and generates and releases the feedback in formgrader;
- ben fetches his feedback in his Assignment List and reads, in the feedback page, his diagnosis and the manual grade.
Every formgrader step is a request from the instructor's page to formgrader's own API, as its buttons make them.
The other exercises' answers are written into the fetched notebooks (typing them would be slow), as in
test_browser_journey.py. Screenshots go to the test's folder, and to $DNNKIT_SCREENSHOTS as hub-*.png when set."""
from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import time
from pathlib import Path

import nbformat
import pytest

from conftest import REPO
from dnnkit.course import Course
from dnnkit.mistakes import BY_NAME
from dnnkit.solutions import reference_answers
from dnnkit.submissions import solved_notebook
import test_browser
from test_browser import ACTIVE_PANEL, Budget, LabPage
from test_browser_journey import Journey, _answer_in, _flat
from hub_support import HUB_ENV, Hub, need_hub

browser = test_browser.browser   # the module-scoped Chromium fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ASSIGNMENT = "step_by_step"
NOTEBOOK = f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
TYPED = BY_NAME["db_wrong_axis"]        # ada types it, then its fix
LATE = BY_NAME["missing_bias"]          # in ben's late submission
MANUAL = 4.0                            # the instructor's grade for ben's mistaken function
TERM_BUDGET_S = 360
VIEWPORT = {"width": 1200, "height": 900}
# JupyterLab settings of the test's users: no news toast over the pages, every cell rendered (notes: pitfall 3;
# test_browser_journey.py)
SETTINGS = {"@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
            "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"}}
_WRITE_SETTINGS = """
import json, os, sys
for name, values in json.loads(sys.argv[1]).items():
    path = os.path.expanduser("~/.jupyter/lab/user-settings/" + name + ".jupyterlab-settings")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        json.dump(values, handle)
"""


class HubLab:
    """What LabPage needs of a server, for a user's server on the hub."""

    def __init__(self, hub: Hub, user: str):
        self.hub, self.user, self.log = hub, user, hub.log

    def url(self, relpath: str) -> str:
        return f"{self.hub.url}/user/{self.user}/lab/tree/{relpath}?reset"


def shot(page, shots: Path, name: str, **kwargs) -> None:
    path = shots / name
    page.screenshot(path=str(path), **kwargs)
    if os.environ.get("DNNKIT_SCREENSHOTS"):
        folder = Path(os.environ["DNNKIT_SCREENSHOTS"])
        folder = folder if folder.is_absolute() else REPO / folder
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / name)


def log_in(context, hub: Hub, user: str, budget: Budget):
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{hub.url}/hub/login", timeout=budget.ms())
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords[user])
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf".*/user/{user}/lab.*"), timeout=budget.ms())
    return page


def formgrader(page, hub: Hub, method: str, path: str, body: dict | None = None):
    """A request to formgrader's API from the instructor's formgrader page, with its XSRF cookie, as its buttons
    send them; (status, parsed JSON or text)."""
    return page.evaluate("""async ([method, url, body]) => {
        const xsrf = (document.cookie.match(/(?:^|; )_xsrf=([^;]*)/) || [])[1] || '';
        const answer = await fetch(url, {method, headers: {'X-XSRFToken': decodeURIComponent(xsrf),
                                                           'Content-Type': 'application/json'},
                                         body: body === null ? undefined : JSON.stringify(body)});
        const text = await answer.text();
        try { return [answer.status, JSON.parse(text)]; } catch (e) { return [answer.status, text]; }
    }""", [method, f"/services/{hub.course_id}/formgrader/api/{path}", body])


def assignment_list(page, budget: Budget):
    """Open Nbgrader > Assignment List (or bring its tab forward); the panel."""
    tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab", has_text="Assignments")
    if tab.count():
        tab.first.click(timeout=budget.ms())
    else:
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click(timeout=budget.ms())
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Assignment List$")).click(timeout=budget.ms())
    panel = page.locator("#assignments")
    panel.wait_for(state="visible", timeout=budget.ms())
    return panel


def answer_file(hub: Hub, user: str, mistakes: tuple[str, ...]) -> Path:
    """The user's fetched notebook with every exercise answered (with `mistakes`), owned by the user."""
    import pwd

    entry = pwd.getpwnam(user)
    path = Path(entry.pw_dir) / NOTEBOOK
    received = nbformat.read(path, as_version=4)
    answered = solved_notebook(Course(hub.course), ASSIGNMENT, mistakes)
    for mine, theirs in zip(received.cells, answered.cells, strict=True):
        if mine.metadata.get("nbgrader", {}).get("solution"):
            mine.source = theirs.source
    nbformat.write(received, path)
    os.chown(path, entry.pw_uid, entry.pw_gid)
    return path


@pytest.fixture(scope="module")
def term_hub():
    need_hub()
    hub = Hub()
    try:
        hub.make_course(gradebook=True)
        hub.setup()
        for user in [*hub.students, hub.instructor]:
            done = hub.as_account(user, str(HUB_ENV / "bin" / "python"), "-c", _WRITE_SETTINGS, json.dumps(SETTINGS))
            assert done.returncode == 0, done.stderr
        hub.start()
        yield hub
    finally:
        hub.cleanup()


def test_a_whole_term_on_the_hub(browser, term_hub, tmp_path):
    hub, shots = term_hub, tmp_path
    ada, ben = hub.students
    budget = Budget(TERM_BUDGET_S)
    started = time.monotonic()
    correct = reference_answers(Course(hub.course), ASSIGNMENT)[TYPED.function]
    teacher = browser.new_context(viewport=VIEWPORT)
    student = browser.new_context(viewport=VIEWPORT)
    try:
        # the instructor opens formgrader through the hub and releases step_by_step; a student cannot open it
        instructor = log_in(teacher, hub, hub.instructor, budget)
        instructor.goto(f"{hub.url}/services/{hub.course_id}/formgrader/manage_assignments", timeout=budget.ms())
        instructor.locator("table tbody tr", has_text=ASSIGNMENT).first.wait_for(timeout=budget.ms())
        status, released = formgrader(instructor, hub, "POST", f"assignment/{ASSIGNMENT}/release")
        assert status == 200 and released.get("success"), released
        page = log_in(student, hub, ada, budget)
        refused = student.new_page()
        answer = refused.goto(f"{hub.url}/services/{hub.course_id}/formgrader/manage_assignments",
                              timeout=budget.ms())
        assert answer.status == 403 and "403" in refused.locator("body").inner_text(), answer.status
        shot(refused, shots, "hub-1-student-refused.png")
        refused.close()

        # ada fetches it in her Assignment List (which has neither formgrader nor Create Assignment in its menu)
        menu = page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$"))
        menu.click(timeout=budget.ms())
        items = [t.strip() for t in page.locator(".lm-Menu-itemLabel").all_inner_texts() if t.strip()]
        assert items == ["Assignment List"], items
        page.keyboard.press("Escape")
        panel = assignment_list(page, budget)
        panel.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT).locator(
            "button", has_text="Fetch").click(timeout=budget.ms())
        panel.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(
            timeout=budget.ms())
        notebook = answer_file(hub, ada, ())

        # she types the mistake, Run All shows its diagnosis; she types the fix, Run All passes, Validate succeeds
        lab = LabPage(page, HubLab(hub, ada), shots, budget)
        journey = Journey(lab)
        with lab.screenshot_on_failure("hub-ada"):
            lab.open(NOTEBOOK)
            lab.wait_kernel_ready()
            editor = journey.answer_cell.locator(".jp-InputArea-editor .cm-content")

            def type_answer(source: str) -> None:
                editor.scroll_into_view_if_needed(timeout=budget.ms())
                editor.click(timeout=budget.ms())
                page.wait_for_selector(f"{ACTIVE_PANEL} .jp-Notebook.jp-mod-editMode", timeout=budget.ms())
                page.keyboard.press("Control+a")
                page.keyboard.insert_text(source)
                page.keyboard.press("Escape")
                page.keyboard.press("Control+s")
                page.wait_for_function("""() => !document.querySelector(
                    '#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current.jp-mod-dirty')""", timeout=budget.ms())

            type_answer(TYPED.apply(correct))
            assert _answer_in(notebook).rstrip("\n") == TYPED.apply(correct).rstrip("\n")
            failing = [(c["source"][:40], c["errors"]) for c in journey.run_all() if c["errors"]]
            assert len(failing) == 1 and f'check_public("{TYPED.function}"' in failing[0][0], failing
            message = _flat(failing[0][1][0])
            assert _flat(f"Diagnosis: {TYPED.says}.") in message and _flat(f"How to fix it: {TYPED.fix}.") in message
            shot(page, shots, "hub-2-diagnosis.png", clip=journey.region(journey.answer_code(), journey.test_cell))
            type_answer(correct)
            failing = [(c["source"][:40], c["errors"]) for c in journey.run_all() if c["errors"]]
            assert not failing, failing
            classes, text = lab.validate()
            assert "validation-success" in classes.split(), text[:2000]
            shot(page, shots, "hub-3-validate.png", clip=journey.dialog_region())
            page.keyboard.press("Escape")

            # she submits in her Assignment List
            panel = assignment_list(page, budget)
            panel.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).locator(
                "button", has_text=re.compile(r"^Submit$")).first.click(timeout=budget.ms())
            panel.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(
                timeout=budget.ms())
            shot(page, shots, "hub-4-submitted.png")

        # the due date passes; ben fetches and submits late, with a mistake
        due = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
        done = hub.as_account(hub.grader, "nbgrader", "db", "assignment", "add", ASSIGNMENT,
                              f"--duedate={due} UTC", cwd=hub.course)
        assert done.returncode == 0, done.stderr[-2000:]
        time.sleep(1.0)
        assert hub.as_account(ben, "nbgrader", "fetch_assignment", ASSIGNMENT).returncode == 0
        answer_file(hub, ben, (LATE.name,))
        done = hub.as_account(ben, "nbgrader", "submit", ASSIGNMENT)
        assert done.returncode == 0, done.stderr[-2000:]

        # the instructor collects in formgrader; root grades with dnnkit grade; a manual grade; feedback released
        status, collected = formgrader(instructor, hub, "POST", f"assignment/{ASSIGNMENT}/collect")
        assert status == 200 and collected.get("success"), collected
        graded = hub_grade(hub)
        assert re.search(rf"^{ben}: \S+ .*graded", graded, re.M), graded
        status, notebooks = formgrader(instructor, hub, "GET", f"submitted_notebooks/{ASSIGNMENT}/{ASSIGNMENT}")
        submission = next(n for n in notebooks if n["student"] == ben)
        status, grades = formgrader(instructor, hub, "GET", f"grades?submission_id={submission['id']}")
        grade = next(g for g in grades if g["name"] == f"test_{LATE.function}")
        assert grade["auto_score"] == 0, grade
        status, changed = formgrader(instructor, hub, "PUT", f"grade/{grade['id']}", {"manual_score": MANUAL})
        assert status == 200 and changed["manual_score"] == MANUAL, changed
        for step in ("generate_feedback", "release_feedback"):
            status, result = formgrader(instructor, hub, "POST", f"assignment/{ASSIGNMENT}/{step}")
            assert status == 200 and result.get("success"), (step, result)
        instructor.goto(f"{hub.url}/services/{hub.course_id}/formgrader/manage_assignments", timeout=budget.ms())
        instructor.locator("table tbody tr", has_text=ASSIGNMENT).first.wait_for(timeout=budget.ms())
        shot(instructor, shots, "hub-5-formgrader.png")
        from dnnkit.gradebook import open_gradebook
        with open_gradebook(hub.course) as gb:
            late = {student: gb.find_submission(ASSIGNMENT, student).total_seconds_late for student in (ada, ben)}
        assert late[ben] > 0 and late[ada] == 0, late

        # ben fetches his feedback and reads his diagnosis and the manual grade in it
        reader = browser.new_context(viewport=VIEWPORT)
        try:
            page = log_in(reader, hub, ben, budget)
            panel = assignment_list(page, budget)
            panel.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).locator(
                "button", has_text="Fetch Feedback").first.click(timeout=min(budget.ms(), 60_000))
            feedback = wait_for_feedback(hub, ben, budget)
            page.goto(f"{hub.url}/user/{ben}/files/{feedback}", timeout=budget.ms())
            text = _flat(page.locator("body").inner_text(timeout=budget.ms()))
            assert _flat(LATE.says) in text and _flat(LATE.fix) in text, text[:3000]
            cell = page.locator(".nbgrader_cell, .cell", has_text=f"Diagnosis: {LATE.says}").first
            cell.scroll_into_view_if_needed(timeout=budget.ms())
            shot(page, shots, "hub-6-feedback.png")
            assert re.search(rf"\b{MANUAL:g}(\.0)? / 10(\.0)?\b", text), text[:3000]
        finally:
            reader.close()
    finally:
        teacher.close()
        student.close()
    print(f"a whole term on the hub: {time.monotonic() - started:.0f} s in the browser part")


def hub_grade(hub: Hub) -> str:
    """`dnnkit grade` in the course folder, as root (for now), from this checkout's environment."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "dnnkit.cli", "grade", ASSIGNMENT, "--workers", "2"],
                          cwd=hub.course, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "DNNKIT_COURSE_ROOT": str(hub.course)})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done.stdout


def wait_for_feedback(hub: Hub, user: str, budget: Budget) -> str:
    """The feedback page's path in the user's home once Fetch Feedback has put it there."""
    import pwd

    home = Path(pwd.getpwnam(user).pw_dir)
    while True:
        found = sorted((home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        if found:
            return str(found[-1].relative_to(home))
        if budget.ms() < 1000:
            raise AssertionError(f"no feedback in {home / ASSIGNMENT / 'feedback'} after Fetch Feedback")
        time.sleep(0.5)
