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

# Students see this in every exercise they have not done yet.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Short cell timeouts: the slowest graded cell trains a tiny network for a few hundred steps.
c.Execute.timeout = 60
# Tracebacks without source lines, so no hidden test code reaches a student through an error.
c.Execute.extra_arguments = ["--InteractiveShell.xmode=Minimal"]

# Feedback shows no hidden test.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# A warning printed on stderr does not zero a grade cell; an error still does.
c.IgnorePattern.pattern = r"^(?:(?!Traceback)[\s\S])*Warning"
c.IgnorePattern.enabled = True

# The application notebook reads datasets/ from the course folder, not from the assignment folder.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback"]

# `dnnkit grade`: limits of the sandbox each submission runs in, and its timeouts (seconds).
c.DnnkitGrade.memory_bytes = 2 * 1024**3
c.DnnkitGrade.cpu_seconds = 600
c.DnnkitGrade.processes = 64
c.DnnkitGrade.file_bytes = 256 * 1024**2
c.DnnkitGrade.open_files = 256
c.DnnkitGrade.work_bytes = 512 * 1024**2  # the working folder (a tmpfs) and the report folder, each
c.DnnkitGrade.output_line_chars = 2000  # outputs kept in autograded/ and feedback
c.DnnkitGrade.output_cell_chars = 20000
c.DnnkitGrade.cell_seconds = 10  # every cell here runs in well under a second under the grader
c.DnnkitGrade.function_seconds = 20  # all public and hidden cases of one function
c.DnnkitGrade.startup_seconds = 60
