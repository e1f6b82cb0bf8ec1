"""dnnkit: instructor tooling for the forward/backward propagation assignments."""

__version__ = "0.1.0"


class DnnkitError(Exception):
    """An error the user can fix; its message is one line naming the file and the fix."""
