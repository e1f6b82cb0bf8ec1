"""The grading path of `dnnkit grade`, one module per step, in the order a submission meets them:

settings   c.DnnkitGrade from nbgrader_config.py (sandbox limits, timeouts; unknown keys are errors)
batch      which submissions to grade, the parallel runs (threads or Dask), the grades CSV
intake     find, read and repair the submitted notebook; locked cells restored (released: every release's cells)
supervisor start the runner in the sandbox (sandbox, cgroup, syscalls), take its reports in order (channel)
runner     inside the sandbox: run the cells, then each level's graded functions on their inputs
judge      outside: compare with the reference outputs, name the catalogued mistake; the verdicts
nbgrader_pipeline  nbgrader's own autograde pass writes the verdicts into the gradebook (points, late penalty)
records    the result record (grader-only), its JSON and CSV row
"""
