"""nbgrader configuration of the course (plain nbgrader verbs work in this folder; so does dnnkit)."""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "dnn-forward-backward"
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))
# SQLite gradebook inside the course folder; set DNNKIT_DB_URL (e.g. postgresql://...) to use a server.
_db_url = os.environ.get("DNNKIT_DB_URL", "sqlite:///" + os.path.join(c.CourseDirectory.root, "gradebook.db"))
# SQLAlchemy 2.0 reads a bare postgresql:// as psycopg2; requirements.txt installs psycopg 3
if _db_url.startswith("postgresql://"):
    _db_url = "postgresql+psycopg://" + _db_url[len("postgresql://"):]
c.CourseDirectory.db_url = _db_url

# The language of the released notebooks' text: "en", "zh" (中文) or "en+zh" (Chinese under each English block).
# Only markdown differs (dnnkit/language.py), so the gradebook is the same in every language; a course changes
# language by releasing again. `dnnkit release --language LANG` overrides it for one run.
c.Dnnkit.language = "en"
from nbgrader.converters.generate_assignment import GenerateAssignment as _GenerateAssignment  # noqa: E402

# first: nbgrader's checksums and gradebook record the text in the course's language
c.GenerateAssignment.preprocessors = ["dnnkit.language.Localize",
                                      *_GenerateAssignment.preprocessors.default()]

# Students see this in every exercise they have not done yet.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Short cell timeouts: the slowest graded cell trains a tiny network for a few hundred steps.
c.Execute.timeout = 60
# Tracebacks without source lines, so no hidden test code reaches a student through an error.
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal"]

# Nothing a student wrote is active content (dnnkit/sanitize.py): markdown, outputs and attachments are cut to
# a safe subset in the autograded notebook (both autograde passes: before and after execution), in the
# feedback HTML, and in every page formgrader renders (its HTMLExporter reads this file when the server
# starts). sanitize_html also makes nbconvert's templates escape HTML/markdown outputs and drop JavaScript and
# widget outputs; nbgrader's feedback and formgrade templates ignore it for markdown cells, hence the
# preprocessor.
from nbgrader.converters.autograde import Autograde as _Autograde  # noqa: E402

_SANITIZE = "dnnkit.sanitize.SanitizeStudentMarkup"
# The application's training cells show the student's own run, not the grader's shortened one (dnnkit/own_outputs.py).
_KEEP, _SHOW = "dnnkit.own_outputs.KeepOwnOutputs", "dnnkit.own_outputs.ShowOwnOutputs"
# What a notebook's outputs keep: nbgrader's LimitOutput, which the kit's also makes cut every line (nbgrader
# leaves a line whole, however long), in both autograde passes (dnnkit/grading/nbgrader_pipeline.py).
_LIMIT = "dnnkit.grading.nbgrader_pipeline.LimitOutput"
_steps = [_LIMIT if step.__name__ == "LimitOutput" else step for step in _Autograde.autograde_preprocessors.default()]
c.LimitOutput.max_lines = 1000  # lines of one cell's output
c.LimitOutput.max_traceback = 100  # lines of one traceback
c.LimitOutput.max_line_chars = 2000  # characters of one line
c.Autograde.sanitize_preprocessors = [_KEEP, *_Autograde.sanitize_preprocessors.default(), _SANITIZE]
c.Autograde.autograde_preprocessors = [*_steps[:1], _SHOW, *_steps[1:], _SANITIZE]  # after Execute
c.HTMLExporter.preprocessors = [_SANITIZE]
c.HTMLExporter.sanitize_html = True  # a second layer for outputs; shows HTML it does not know as text
# no id= on a student's headings: "# statusmessage" or a grade cell's id would capture formgrader's own elements
c.HTMLExporter.exclude_anchor_links = True
# MathJax carried inline, never from a CDN (dnnkit/mathjax.py): formgrader's pages find dnnkit's mathjax macro before
# nbconvert's (the feedback page's exporter does this itself)
from dnnkit.mathjax import formgrader_template_basedirs as _mathjax_basedirs  # noqa: E402

c.HTMLExporter.extra_template_basedirs = _mathjax_basedirs()
c.HTMLExporter.filters = {"inline_mathjax": "dnnkit.mathjax.jinja_filter"}

# Feedback shows no hidden test, and no student markup that could run.
c.GenerateFeedback.preprocessors = [
    _SANITIZE,
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# The feedback page a student receives, with nbgrader's labels ("Score", "Test cell", ...) in the release's
# language (dnnkit/feedback.py). Formgrader's pages keep nbgrader's own exporter.
c.GenerateFeedback.exporter_class = "dnnkit.feedback.FeedbackExporter"

# A warning printed on stderr does not zero a grade cell; an error still does.
c.IgnorePattern.pattern = r"^(?:(?!Traceback)[\s\S])*Warning"
c.IgnorePattern.enabled = True

# Copied with every assignment folder (release, fetch, submit, collect): the application's two data files too,
# which `dnnkit release` puts next to its notebook.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# `dnnkit grade`: limits of the sandbox each submission runs in, and its timeouts (seconds).
c.DnnkitGrade.memory_bytes = 2 * 1024**3  # each process, and all of a sandbox's (with its tmpfs) together
c.DnnkitGrade.cpu_seconds = 600
c.DnnkitGrade.processes = 64
c.DnnkitGrade.file_bytes = 256 * 1024**2
c.DnnkitGrade.open_files = 256
c.DnnkitGrade.work_bytes = 512 * 1024**2  # each private tmpfs: the working folder, /tmp, /dev/shm
c.DnnkitGrade.cell_seconds = 10  # every cell here runs in well under a second under the grader
c.DnnkitGrade.function_seconds = 20  # all public and hidden cases of one function
c.DnnkitGrade.startup_seconds = 60
c.DnnkitGrade.restarts = 10  # fresh processes after a cell or function hangs or dies (each skips what failed)
c.DnnkitGrade.submission_seconds = 180  # everything one submission may take, restarts included
