"""The catalog of every fixed text a student or an instructor reads: {key: (English, Chinese)}, one table per who
shows it, looked up with `dnnkit.checks.say` and `checks.term`; `dnnkit release` writes STUDENT into dnn_checks.py.
Standard library only (docs/messages.md)."""
from __future__ import annotations

# ---- the visible tests and the stub line (dnn_checks.py) --------------------------------------------------
STUDENT = {
    "problems": ("{function}, {label}: {count} problem(s)", "{function}，{label}：{count} 个问题"),
    "more": ("  ... and {more} more", "  ……另有 {more} 个"),
    "raised": ("{function}, {label}: raised {error}", "{function}，{label}：抛出了 {error}"),
    "case": ("case '{case}'", "用例 '{case}'"),
    "public case": ("public case '{case}'", "公开用例 '{case}'"),
    "hidden case": ("hidden case '{case}'", "隐藏用例 '{case}'"),
    "not a function": ("{function} is not a function (got {kind})", "{function} 不是函数（得到的是 {kind}）"),
    "not implemented": ("{function} is not implemented yet (it still raises NotImplementedError)",
                        "{function} 还没有实现（它仍然抛出 NotImplementedError）"),
    "all pass": ("{function}: all {count} public cases pass", "{function}：全部 {count} 个公开用例通过"),
    "diagnosis": ("Diagnosis: {says}.", "诊断：{says}。"),
    "how to fix": ("How to fix it: {fix}.", "改正方法：{fix}。"),
    "changed params": ("Note: update_parameters changed the params dict it was given (in place); it should "
                       "return a new dict and leave params as it was: start from parameters = "
                       "copy.deepcopy(params) and update that copy",
                       "注意：update_parameters 就地修改了传给它的 params 字典；它应当返回一个新字典，并让 params "
                       "保持原样：从 parameters = copy.deepcopy(params) 开始，然后更新这个副本"),
    "holds itself": ("{function}'s result holds itself (a list appended to itself)",
                     "{function} 的结果包含它自己（一个列表被添加进了它自己）"),
    # checks.compare's problems: {where} names the part (part_name); with reveal=False only the texts marked
    # "hidden" (no value, size, index, key or type name from either side)
    "expected sequence": ("{where}: expected a {container} of {count} values, got {got}",
                          "{where}：应为含 {count} 个值的 {container}，得到的是{got}"),
    "expected sequence hidden": ("{where}: expected a {container} of {count} values, got something else",
                                 "{where}：应为含 {count} 个值的 {container}，得到的是别的东西"),
    "wrong length": ("{where}: expected {count} values, got {length}", "{where}：应有 {count} 个值，得到 {length} 个"),
    "wrong length hidden": ("{where}: expected {count} values, got a different number",
                            "{where}：应有 {count} 个值，得到的个数不同"),
    "expected dict": ("{where}: expected a dict with keys {keys}, got {got}", "{where}：应为键为 {keys} 的 dict，得到的是{got}"),
    "expected dict hidden": ("{where}: expected a dict with keys {keys}, got something else",
                             "{where}：应为键为 {keys} 的 dict，得到的是别的东西"),
    "missing keys": ("{where}: missing keys {keys}", "{where}：缺少键 {keys}"),
    "unexpected keys": ("{where}: unexpected keys {keys}", "{where}：多出了键 {keys}"),
    "unexpected keys hidden": ("{where}: has unexpected keys", "{where}：有多余的键"),
    "expected text": ("{where}: expected {expected}, got {got}", "{where}：应为 {expected}，得到的是 {got}"),
    "wrong value hidden": ("{where}: wrong value", "{where}：值不对"),
    "expected array": ("{where}: expected an array of shape {shape} of {dtype}, got {got}",
                       "{where}：应为形状为 {shape}、dtype 为 {dtype} 的数组，得到的是{got}"),
    "expected array hidden": ("{where}: expected an array of shape {shape} of {dtype}, got something else",
                              "{where}：应为形状为 {shape}、dtype 为 {dtype} 的数组，得到的是别的东西"),
    "not an array": ("{where}: cannot be read as an array ({error})", "{where}：无法当作数组读取（{error}）"),
    "not an array hidden": ("{where}: cannot be read as an array", "{where}：无法当作数组读取"),
    "object array hidden": ("{where}: expected numbers, got an array of Python objects",
                            "{where}：应为数值，得到的是由 Python 对象组成的数组"),
    "shape": ("{where}: shape {shape}, expected {expected}", "{where}：形状为 {shape}，应为 {expected}"),
    "wrong shape hidden": ("{where}: wrong shape", "{where}：形状不对"),
    "dtype": ("{where}: dtype {dtype}, expected {expected}", "{where}：dtype 为 {dtype}，应为 {expected}"),
    "wrong dtype hidden": ("{where}: wrong dtype (expected {expected})", "{where}：dtype 不对（应为 {expected}）"),
    "not finite": ("{where}: {count} NaN/Inf value(s), the first at index {first}",
                   "{where}：有 {count} 个 NaN/Inf 值，第一个在下标 {first}"),
    "not finite hidden": ("{where}: has NaN or Inf values", "{where}：含有 NaN 或 Inf 值"),
    "values differ hidden": ("{where}: values differ from the expected ones", "{where}：数值与期望值不同"),
    "values differ": ("{where}: {count} of {size} values differ; first at index {first}, largest absolute error "
                      "{largest}; there got {got}, expected {expected}",
                      "{where}：{size} 个值中有 {count} 个不同；第一个在下标 {first}，最大绝对误差为 {largest}；"
                      "该处得到 {got}，应为 {expected}"),
    # the parts of a result (part_name) and what a result was (_describe_type)
    "linear cache part": ("linear cache: {name}", "线性缓存：{name}"),
    "linear cache": ("linear cache", "线性缓存"),
    "activation cache part": ("activation cache: {name}", "激活缓存：{name}"),
    "layer cache": ("layer {layer}'s cache", "第 {layer} 层的缓存"),
    "layer linear cache": ("layer {layer}'s linear cache", "第 {layer} 层的线性缓存"),
    "an array": ("an array of shape {shape}", "形状为 {shape} 的数组"),
    "a sequence": ("a {kind} of {count}", "含 {count} 个元素的 {kind}"),
    "a value": ("a {kind}", "一个 {kind}"),
    "more keys": (", ... ({more} more)", "，……（另有 {more} 个）"),
    # an untouched exercise stub run in a notebook (checks.stub_message)
    "stub function": ("NotImplementedError: {function} is still the exercise's stub: write your code in its cell "
                      "in place of `raise NotImplementedError()`, run that cell, then run this one again",
                      "NotImplementedError：{function} 仍是练习的初始代码：在它的单元格里用你的代码替换 "
                      "`raise NotImplementedError()`，运行那个单元格，再重新运行这一个"),
    "stub cell": ("NotImplementedError: this cell is still the exercise's stub: write your code in place of "
                  "`raise NotImplementedError()`, then run it again",
                  "NotImplementedError：这个单元格仍是练习的初始代码：用你的代码替换 `raise NotImplementedError()`，"
                  "然后重新运行"),
}

# ---- the grader's verdicts, faults and notes (dnnkit.grading), as [grader] lines and feedback tell them -----
GRADER = {
    "grader raised": ("{function}: {label}: raised {error}", "{function}：{label}：抛出了 {error}"),
    "an exception": ("an exception", "一个异常"),
    "all public and hidden pass": ("{function}: all public and hidden cases pass", "{function}：全部公开用例和隐藏用例通过"),
    "not attempted": ("{function}: not attempted (still raises NotImplementedError)",
                      "{function}：未作答（仍然抛出 NotImplementedError）"),
    "unreadable results": ("its results could not be read", "无法读取它的结果"),
    "incomplete public": ("{function}: public results incomplete", "{function}：公开用例的结果不完整"),
    "incomplete hidden": ("{function}: hidden results incomplete", "{function}：隐藏用例的结果不完整"),
    "visible test": ("visible test", "可见测试"),
    "note": ("note", "备注"),
    "total": ("total", "总分"),
    # a function's verdict (records.Verdict)
    "verdict passed": ("passed", "通过"),
    "verdict failed": ("failed", "未通过"),
    "verdict not attempted": ("not attempted", "未作答"),
    "verdict not run": ("not run", "未运行"),
    "verdict timed out": ("timed out", "超时"),
    "verdict crashed": ("crashed", "崩溃"),
    # a submission's status (records.Status)
    "status graded": ("graded", "已评分"),
    "status incomplete": ("incomplete", "不完整"),
    "status missing": ("missing", "未提交"),
    "status refused": ("refused", "被拒收"),
    "not graded": ("{function}: not graded ({status})", "{function}：未评分（{status}）"),
    # a fault (supervisor.Fault), as a function's or a cell's [grader] line tells it
    "fault not run": ("{function}: {fault} (0 points)", "{function}：{fault}（0 分）"),
    "fault while running": ("{function}: the process {fault} while it ran (0 points)", "{function}：运行时进程{fault}（0 分）"),
    "fault timed out": ("timed out", "超时"),
    "fault died": ("died", "意外终止"),
    "fault reported too much": ("reported too much", "报告的内容过多"),
    "fault ran out of time": ("ran out of time", "用完了时间"),
    "fault did not report": ("did not report", "没有报告结果"),
    "fault not run: the submission's time was used up": ("not run: the submission's time was used up",
                                                         "未运行：这份提交的时间已用完"),
    "fault not run: too many restarts": ("not run: too many restarts", "未运行：重启次数过多"),
    "fault not run: the process failed outside any cell or function": (
        "not run: the process failed outside any cell or function", "未运行：进程在所有单元格和函数之外出错"),
    "cell fault": ("this cell {fault}; it was skipped", "这个单元格{fault}；已跳过"),
    "own outputs": ("[grader] The outputs you submitted, from your own run: the grader trains for a few iterations "
                    "only, to check that this cell runs",
                    "[grader] 这是你提交的输出，来自你自己的运行：评分程序只训练几次迭代，用来检查这个单元格能够运行"),
    "no own outputs": ("[grader] You submitted this cell without outputs: run the whole notebook before you submit to "
                       "see your own training here (the grader trains for a few iterations only)",
                       "[grader] 你提交的这个单元格没有输出：提交之前运行整个笔记本，就能在这里看到你自己的训练（评分程序只训练几次迭代）"),
    "output left out": ("[grader] output left out: the notebook's outputs are over the size the grader keeps",
                        "[grader] 输出已省略：笔记本的输出超过了评分程序保留的大小"),
}

# ---- `dnnkit check`'s first lines (the rest are the grader's) ------------------------------------------------
CHECK = {
    "check header": ("dnnkit check {assignment}: {notebook}, on the hidden checks of `dnnkit grade` ({how})",
                     "dnnkit check {assignment}：{notebook}，使用 `dnnkit grade` 的隐藏检查（{how}）"),
    "sandboxed": ("sandboxed", "在沙箱中运行"),
    "not sandboxed": ("not sandboxed", "不在沙箱中运行"),
    "no sandbox": ("dnnkit check: running your notebook without the sandbox ({problem}); it is your own code, so it "
                   "runs with your permissions",
                   "dnnkit check：在沙箱之外运行你的笔记本（{problem}）；这是你自己的代码，所以它以你的权限运行"),
    # why the sandbox cannot run (commands.check.sandbox_problem)
    "no bubblewrap": ("bubblewrap is not installed", "没有安装 bubblewrap"),
    "no user namespaces": ("without root the sandbox needs a user namespace, which this account cannot make",
                           "没有 root 权限时沙箱需要一个用户命名空间，而此账户无法创建"),
    "needs seccomp": ("its system-call filter needs libseccomp and pyseccomp", "它的系统调用过滤器需要 libseccomp 和 pyseccomp"),
}

# ---- the instructor report (dnnkit.report; the status and verdict words are GRADER's) -----------------------
REPORT = {
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
    "students count": ("students", "学生"),
    "no failed function": ("no failed function", "没有未通过的函数"),
    "unmatched": ("no known mistake matched", "没有匹配到已知错误"),
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
                         "$\\text{{score}} = \\max(0,\\ \\text{{raw}} - \\text{{late penalty}})$, where raw is the sum "
                         "of the graded functions' points (a grade given by hand in formgrader in place of the "
                         "autograder's) and any extra credit. Formgrader shows the raw score. Listed: every submission "
                         "that lost points, was late or was graded by hand.",
                         "分数按 nbgrader 的算法，与 `nbgrader export` 给出的一致："
                         "$\\text{{score}} = \\max(0,\\ \\text{{raw}} - \\text{{late penalty}})$，"
                         "其中 raw（原始分）是各评分函数得分之和（在 formgrader 中手动给的分数代替自动评分）再加上额外加分。Formgrader 显示的是原始分。"
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
    "other cells": ("other grade cells: {points}", "其他评分单元格：{points}"),
    "days": ("{count} d", "{count} 天"),
    "hours": ("{count} h", "{count} 小时"),
    "minutes": ("{count} min", "{count} 分钟"),
    "seconds": ("{count} s", "{count} 秒"),
}

# ---- the feedback page's labels (dnnkit.feedback; the English ones are nbgrader's words) --------------------
FEEDBACK = {
    "feedback score": ("Score", "分数"),
    "feedback test_cell": ("Test cell", "测试单元格"),
    "feedback coding": ("Coding free-response", "编程自由作答"),
    "feedback written": ("Written response", "书面作答"),
    "feedback task": ("Task", "任务"),
    "feedback comment": ("Comment", "评语"),
    "feedback comments": ("Comments", "评语"),
    "feedback late_penalty": ("Late submission penalty", "迟交扣分"),
    "feedback top": ("Top", "回到顶部"),
    "feedback answer": ("Student's answer", "学生的答案"),
    "feedback student_task": ("Student's task", "学生的任务"),
    "feedback grade_cell": ("Grade cell", "评分单元格"),
}

TABLES = {"STUDENT": STUDENT, "GRADER": GRADER, "CHECK": CHECK, "REPORT": REPORT, "FEEDBACK": FEEDBACK}
TEXTS = {key: texts for table in TABLES.values() for key, texts in table.items()}
