"""The student release in a real browser: JupyterLab 4 in headless Chromium, with nbgrader's Validate button.

One JupyterLab server per module serves a temporary folder holding two copies of release/step_by_step:
`unsolved/step_by_step/` (what students get) and `solved/step_by_step/` (every exercise answered by
dnnkit.submissions.solved_notebook). Each test opens one notebook in a fresh browser context.

The pitfalls in ../shared/notes/browser-tests.md are handled as follows: the kernel-ready race by
LabPage.wait_kernel_ready (kernel name set, execution indicator idle, status bar "| Idle"); workspace restore by
a fresh JUPYTER_CONFIG_DIR, `?reset` and asserting the current tab (name and path) before acting; the news toast
by the notification settings file; pytest-playwright's warning by not using pytest-playwright.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from dnnkit.course import Course
from dnnkit.submissions import solved_notebook

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ASSIGNMENT = "step_by_step"
NOTEBOOK_NAME = f"{ASSIGNMENT}.ipynb"
CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TEST_BUDGET_S = 120       # everything one test waits for, together
SERVER_START_S = 90       # until /api/status answers 200
SERVER_STOP_S = 20
STDERR_MIME = "application/vnd.jupyter.stderr"

ACTIVE_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"
CURRENT_TAB = "#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current"

# The kernel is really ready only when all three agree (pitfall 1 of the notes).
_KERNEL_STATE_JS = """() => {
    const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
    const name = panel && panel.querySelector('.jp-KernelName');
    const indicator = panel && panel.querySelector('.jp-Notebook-ExecutionIndicator');
    const bar = document.querySelector('#jp-main-statusbar');
    return {
        panel: !!panel,
        kernelName: name ? name.textContent.trim() : null,
        indicator: indicator ? indicator.getAttribute('data-status') : null,
        statusBar: bar ? bar.textContent.replace(/\\s+/g, ' ').trim() : null,
    };
}"""
_KERNEL_READY_JS = """() => {
    const s = (%s)();
    return s.panel && !!s.kernelName && s.kernelName !== 'No Kernel' && s.indicator === 'idle'
        && s.statusBar !== null && /\\|\\s*Idle/.test(s.statusBar);
}""" % _KERNEL_STATE_JS
_TABS_JS = """() => Array.from(document.querySelectorAll('#jp-main-dock-panel .lm-TabBar-tab.lm-mod-current'))
    .map(tab => ({label: (tab.querySelector('.lm-TabBar-tabLabel') || {}).textContent || '',
                  caption: tab.getAttribute('title') || ''}))"""


# --------------------------------------------------------------------------------------------- helpers


class Budget:
    """A per-test deadline; every wait gets what is left of it, so a test cannot hang."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def ms(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the test used up its {self.seconds:.0f} s budget")
        return left * 1000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as err:
        return f"(cannot read {path}: {err})"


def _proc_stat(pid: int) -> tuple[int, str] | None:
    """(parent pid, start time) of a live process, from /proc; None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[1]), fields[19]


def _descendants(root: int) -> dict[int, str]:
    """{pid: start time} of every process below `root` (the server's kernels live in their own sessions,
    so signalling the server's process group would miss them)."""
    children: dict[int, list[tuple[int, str]]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))):
            children.setdefault(stat[0], []).append((int(entry.name), stat[1]))
    found: dict[int, str] = {}
    todo = [root]
    while todo:
        for pid, started in children.get(todo.pop(), []):
            if pid not in found:
                found[pid] = started
                todo.append(pid)
    return found


def _end_processes(pids: dict[int, str]) -> None:
    """SIGTERM, then SIGKILL, the given processes, each only if it is still the same process (start time)."""
    def alive() -> list[int]:
        return [pid for pid, started in pids.items() if (stat := _proc_stat(pid)) and stat[1] == started]

    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        for pid in alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        end = time.monotonic() + grace
        while alive() and time.monotonic() < end:
            time.sleep(0.1)


class LabServer:
    """A running `jupyter lab` (see the lab_server fixture)."""

    def __init__(self, root: Path, log: Path):
        self.root = root
        self.log = log
        self.token = secrets.token_hex(24)
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, timeout: float = 10) -> tuple[int, bytes]:
        sep = "&" if "?" in path else "?"
        request = urllib.request.Request(f"{self.base_url}{path}{sep}token={self.token}", method=method,
                                         data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()

    def url(self, relpath: str) -> str:
        return f"{self.base_url}/lab/tree/{relpath}?reset&token={self.token}"

    def start(self, env: dict[str, str], jupyter: Path) -> None:
        problems = []
        for _attempt in range(3):      # a free port can be taken between probing and binding: retry
            self.port = _free_port()
            with self.log.open("a") as log:
                log.write(f"\n==== starting jupyter lab on port {self.port}\n")
                log.flush()
                self.proc = subprocess.Popen(
                    [str(jupyter), "lab", "--allow-root", "--no-browser", f"--ServerApp.token={self.token}",
                     f"--port={self.port}", "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
                     f"--ServerApp.root_dir={self.root}", "--LabApp.news_url=None"],
                    cwd=self.root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    start_new_session=True)
            end = time.monotonic() + SERVER_START_S
            while time.monotonic() < end and self.proc.poll() is None:
                with contextlib.suppress(OSError):
                    if self.api("GET", "/api/status", timeout=5)[0] == 200:
                        return
                time.sleep(0.25)
            problems.append(f"port {self.port}: " + ("exited with code %s" % self.proc.returncode
                                                    if self.proc.poll() is not None else
                                                    f"no 200 from /api/status within {SERVER_START_S} s"))
            self.stop()
        raise RuntimeError(f"jupyter lab did not start ({'; '.join(problems)}); log {self.log}:\n"
                           + _tail(self.log))

    def delete_sessions(self) -> None:
        """Shut every notebook session (and its kernel) down, so each test starts from none."""
        with contextlib.suppress(OSError, ValueError):
            status, body = self.api("GET", "/api/sessions")
            if status == 200:
                for session in json.loads(body):
                    self.api("DELETE", f"/api/sessions/{session['id']}")

    def stop(self) -> None:
        """Shut the server and every process it started (kernels included) down; never raises."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        below = _descendants(proc.pid)
        if proc.poll() is None:
            with contextlib.suppress(OSError):
                self.api("POST", "/api/shutdown", timeout=5)   # graceful: also shuts its kernels down
            try:
                proc.wait(SERVER_STOP_S)
            except subprocess.TimeoutExpired:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        below.update(_descendants(proc.pid) if proc.poll() is None else {})
        _end_processes(below)


# JupyterLab user settings every server gets: no news toast (pitfall 3 of the notes)
LAB_SETTINGS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def start_lab(served: Path, base: Path, env: dict[str, str] | None = None,
              settings: dict[str, dict] | None = None) -> LabServer:
    """A running `jupyter lab` serving `served`, in `env` (default: this process's environment) with a fresh
    JUPYTER_CONFIG_DIR, runtime and IPython folder in `base` (pitfall 2 of the notes), LAB_SETTINGS and `settings`
    ({"plugin-package:plugin": {...}}) as user settings, and nbgrader's server extension answering. The caller
    stops it (LabServer.stop); on failure it is stopped here."""
    config = base / "config"      # fresh per run: no restored workspace, no news toast (pitfalls 2 and 3)
    for plugin, values in {**LAB_SETTINGS, **(settings or {})}.items():
        package, name = plugin.split(":")
        folder = config / "lab" / "user-settings" / package
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.jupyterlab-settings").write_text(json.dumps(values))

    venv_bin = Path(sys.prefix) / "bin"
    env = dict(os.environ if env is None else env)
    for name in ("JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR", "JUPYTER_TOKEN"):
        env.pop(name, None)      # they would override the fresh config dir / our token
    env.update(JUPYTER_CONFIG_DIR=str(config), JUPYTER_RUNTIME_DIR=str(base / "runtime"),
               IPYTHONDIR=str(base / "ipython"), PATH=f"{venv_bin}{os.pathsep}{env.get('PATH', '')}")
    # JUPYTER_DATA_DIR is left alone: the venv's share/jupyter (kernelspec, nbgrader's lab extension) is
    # found through sys.prefix either way, and the server extensions are enabled in the venv's etc/jupyter.

    server = LabServer(served, base / "server.log")
    try:
        server.start(env, venv_bin / "jupyter")
        import nbgrader
        status, body = server.api("GET", f"/nbgrader_version?version={nbgrader.__version__}")
        assert status == 200 and json.loads(body).get("success"), \
            f"nbgrader's server extension is not answering: {status} {body[:300]!r}; log {server.log}"
    except BaseException:
        server.stop()
        raise
    return server


class LabPage:
    """One browser page on the lab server, with the waits the notes prescribe."""

    def __init__(self, page, server: LabServer, shots: Path, budget: Budget):
        self.page = page
        self.server = server
        self.shots = shots
        self.budget = budget

    @contextlib.contextmanager
    def screenshot_on_failure(self, name: str):
        """Any failure inside becomes an AssertionError naming a screenshot of the page and the server log."""
        try:
            yield
        except Exception as err:  # noqa: BLE001 (pytest's skip/fail outcomes are BaseException: not caught)
            shot = self.shots / f"{name}.png"
            try:
                self.page.screenshot(path=str(shot), full_page=True, timeout=15_000)
                where = f"screenshot: {shot}"
            except Exception as shot_err:  # noqa: BLE001
                where = f"(no screenshot: {shot_err})"
            what = str(err) if isinstance(err, AssertionError) else f"{type(err).__name__}: {err}"
            raise AssertionError(f"{what}\n{where}\nserver log: {self.server.log}") from err

    def open(self, relpath: str) -> None:
        """Open a notebook on a reset workspace; assert it is the one and only notebook, in the current tab."""
        self.page.goto(self.server.url(relpath), wait_until="domcontentloaded", timeout=self.budget.ms())
        # The label is the file name only (solved/ and unsolved/ share it); the caption (the tab's title
        # attribute, "Name: …\nPath: …") names the path, but only once the document has loaded.
        try:
            self.page.wait_for_function(
                f"""() => {{ const tabs = ({_TABS_JS})();
                    return tabs.length === 1 && tabs[0].label.trim() === {json.dumps(Path(relpath).name)}
                        && tabs[0].caption.split('\\n').includes({json.dumps(f"Path: {relpath}")}); }}""",
                timeout=self.budget.ms(), polling=250)
        except Exception:
            raise AssertionError(f"the current tab is not {relpath}: {self.page.evaluate(_TABS_JS)!r}") from None
        self.page.wait_for_selector(ACTIVE_PANEL, timeout=self.budget.ms())
        panels = self.page.locator(".jp-NotebookPanel").count()
        assert panels == 1, f"{panels} notebooks are open (a restored workspace?); expected only {relpath}"

    def wait_kernel_ready(self) -> None:
        try:
            self.page.wait_for_function(_KERNEL_READY_JS, timeout=self.budget.ms(), polling=250)
        except Exception:
            raise AssertionError(f"the kernel never became ready: {self.page.evaluate(_KERNEL_STATE_JS)!r}") \
                from None

    def validate(self) -> tuple[str, str]:
        """Click nbgrader's Validate button; (class attribute, text) of the result message."""
        button = self.page.locator(f"{ACTIVE_PANEL} .jp-NotebookPanel-toolbar .validate-button")
        button.wait_for(state="visible", timeout=self.budget.ms())
        button.click(timeout=self.budget.ms())
        dialog = self.page.locator(".jp-Dialog")
        dialog.first.wait_for(state="visible", timeout=self.budget.ms())
        message = dialog.locator("#validation-message")
        if message.count() != 1:
            raise AssertionError("Validate answered with another dialog than its result: "
                                 f"{dialog.first.inner_text(timeout=10_000)!r}")
        return message.get_attribute("class") or "", message.inner_text(timeout=10_000)


# ---------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (skips locally without it, fails in CI)."""
    def missing(why: str):
        if os.environ.get("CI"):
            pytest.fail(f"{why} (CI must have it)")
        pytest.skip(why)

    if not CHROMIUM.is_file():
        missing(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory, repo_root):
    """`jupyter lab` serving unsolved/step_by_step/ (the release) and solved/step_by_step/ (answered)."""
    base = tmp_path_factory.mktemp("jupyterlab")
    served = base / "served"
    release = Course(repo_root).release(ASSIGNMENT)
    skip = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
    shutil.copytree(release, served / "unsolved" / ASSIGNMENT, ignore=skip)
    shutil.copytree(release, served / "solved" / ASSIGNMENT, ignore=skip)
    solved = served / "solved" / ASSIGNMENT / NOTEBOOK_NAME
    nbformat.write(solved_notebook(Course(repo_root), ASSIGNMENT), solved)
    # Without these the Validate tests would prove nothing.
    def stubs(path: Path) -> int:
        return sum("raise NotImplementedError()" in cell.source
                   for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
    assert stubs(served / "unsolved" / ASSIGNMENT / NOTEBOOK_NAME) > 0
    assert stubs(solved) == 0

    server = start_lab(served, base)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def lab(browser, lab_server, tmp_path):
    """A fresh browser context on the lab server; sessions are shut down afterwards."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield LabPage(page, lab_server, tmp_path, Budget(TEST_BUDGET_S))
    finally:
        context.close()
        lab_server.delete_sessions()


# ------------------------------------------------------------------------------------------------- tests


def test_release_notebook_opens_and_its_setup_cell_runs(lab):
    relpath = f"unsolved/{ASSIGNMENT}/{NOTEBOOK_NAME}"
    with lab.screenshot_on_failure("release_opens"):
        lab.open(relpath)
        page = lab.page
        heading = page.locator(f"{ACTIVE_PANEL} .jp-MarkdownCell .jp-RenderedMarkdown h1").first
        heading.wait_for(state="visible", timeout=lab.budget.ms())
        assert "Building a deep neural network" in heading.inner_text(), \
            f"the title heading reads {heading.inner_text()!r}"

        lab.wait_kernel_ready()
        setup = page.locator(f"{ACTIVE_PANEL} .jp-CodeCell").first
        source = setup.locator(".jp-InputArea-editor").inner_text(timeout=lab.budget.ms())
        assert "from activations import" in source and "from dnn_checks import" in source, \
            f"the first code cell is not the setup cell: {source!r}"
        prompt = setup.locator(".jp-InputArea-prompt")
        assert prompt.inner_text().strip() in ("[ ]:", ""), f"the setup cell already ran: {prompt.inner_text()!r}"

        prompt.click()                                 # selects the cell in command mode
        page.wait_for_function("cell => cell.classList.contains('jp-mod-active')",
                               arg=setup.element_handle(), timeout=lab.budget.ms())
        page.keyboard.press("Shift+Enter")             # run it (and select the next cell)
        page.wait_for_function("el => /^\\[\\d+\\]:$/.test(el.textContent.trim())",
                               arg=prompt.element_handle(), timeout=lab.budget.ms(), polling=200)
        lab.wait_kernel_ready()

        outputs = setup.locator(".jp-OutputArea-output")
        texts = [outputs.nth(i).inner_text() for i in range(outputs.count())]
        errors = setup.locator(f'.jp-OutputArea-output[data-mime-type="{STDERR_MIME}"], '
                               f'.jp-RenderedText[data-mime-type="{STDERR_MIME}"]')
        assert errors.count() == 0, f"the setup cell wrote to stderr or raised: {texts!r}"


def test_validate_passes_the_solved_notebook(lab):
    with lab.screenshot_on_failure("validate_solved"):
        lab.open(f"solved/{ASSIGNMENT}/{NOTEBOOK_NAME}")
        lab.wait_kernel_ready()
        classes, text = lab.validate()
        assert "validation-success" in classes.split(), f"Validate did not succeed ({classes!r}): {text[:2000]}"
        assert "Success! Your notebook passes all the tests." in text, text[:2000]


def test_validate_fails_the_release_notebook(lab):
    with lab.screenshot_on_failure("validate_unsolved"):
        lab.open(f"unsolved/{ASSIGNMENT}/{NOTEBOOK_NAME}")
        lab.wait_kernel_ready()
        classes, text = lab.validate()
        assert "validation-failed" in classes.split(), f"Validate did not fail ({classes!r}): {text[:2000]}"
        assert "The following cell failed:" in text and "not implemented yet" in text, text[:2000]
