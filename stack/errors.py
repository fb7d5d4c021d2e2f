"""The one exception the local stack raises."""


class StackError(Exception):
    """A local stack operation failed; the message says what and where."""
