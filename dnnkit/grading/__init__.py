"""The grading path of `dnnkit grade`, in the order a submission meets it (docs/grading-path.md):

settings           c.DnnkitGrade from nbgrader_config.py, a traitlets Configurable (unknown keys are errors)
batch              which submissions to grade; a concurrent.futures executor runs grade_one on each
pipeline           grade_one(submission): take in -> run sandboxed -> judge -> nbgrader pass -> record
intake             find and read the notebook; nbgrader's sanitize steps against the release (released.py)
supervisor         run it in the sandbox (sandbox, cgroup, syscalls), take its runner's reports in order:
  protocol           the events runner and supervisor exchange (copied into the sandbox)
  runner             inside the sandbox: the cells, then each level's graded functions on their inputs
  channel            the runner's pipe, read within bounds
judge              outside: compare with the expected outputs, name the catalogued mistake; the verdicts
nbgrader_pipeline  nbgrader's own autograde pass writes the verdicts into the gradebook; LimitOutput
records            the result record (grader-only, JSON), its CSV row
grades_csv         the grades CSV of the batch, an nbgrader export plugin

From `dnnkit grade` (commands/grade.py) to a score in the CSV a submission visits these 12 modules in this
order (settings once per batch), and the path returns 6 times: to pipeline after each of the five steps, then
to batch. Inside a step it uses the kit's shared modules (student_cases for its hidden cases, checks for the
comparisons, gradebook for the scores nbgrader recorded).
"""
