"""Hidden cases per student: inputs drawn from the course secret and the student id, expected outputs and the
catalogued mistakes' outcomes computed by the reference solutions, here on the grader's side only."""
from .course import Course
from .diagnosis import mistaken_solutions
from .refcache import build_cases, load_verified
from .secret import course_secret, student_seed
from .solutions import load_solutions


class StudentCases:
    """Builds the hidden cases of one assignment for any student. Not thread-safe (recording swaps the
    reference namespace's helpers while it runs): build from one thread."""

    def __init__(self, course: Course, assignment: str):
        load_verified(course, assignment)  # refuses to grade with solutions changed since `dnnkit references`
        self.assignment = assignment
        self.secret = course_secret(course.root)
        self.reference = load_solutions(course, assignment)
        self.mistaken = mistaken_solutions(course, assignment, self.reference)

    def for_student(self, student: str, submission: str = "") -> dict:
        """{function: [case, ...]}: the same for the same student and submission digest every time, different for
        another student or another submission (see dnnkit.secret)."""
        return build_cases(self.reference, self.assignment, hidden=True, mistaken=self.mistaken,
                           seed=student_seed(self.secret, self.assignment, student, submission))
