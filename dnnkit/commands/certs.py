"""`dnnkit certs`: make the course's Dask TLS authority and certificate in the grader-only .dnnkit/tls/, and say
how to start a scheduler and workers with them (dnnkit.grading.cluster)."""
from __future__ import annotations

from ..course import Course
from ..grading.cluster import make_certificates, start_commands


def add_arguments(parser) -> None:
    parser.add_argument("--force", action="store_true",
                        help="replace the course's certificates (the scheduler and workers must be restarted)")


def run(args) -> int:
    course = Course()
    folder = make_certificates(course.root, force=args.force)
    print(f"{folder.relative_to(course.root)}/: the course's TLS authority and certificate (mode 0600, grader only); "
          "start the cluster with them, on each machine as root (the sandbox needs it):")
    for line in start_commands(course.root):
        print(f"  {line}")
    return 0
