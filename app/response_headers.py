"""Setting several response headers in one pass (the request hooks' shared helper)."""

from __future__ import annotations

from collections.abc import Sequence

from werkzeug.datastructures import Headers


def put_headers(headers: Headers, pairs: Sequence[tuple[str, str]]) -> None:
    """Set every (name, value) of PAIRS on HEADERS: added when absent, replaced when present.

    Headers.__setitem__ scans every header already there for each one it sets; this reads
    them once. A header a view set itself is still replaced, as with assignment.
    """
    present = {name.lower() for name, _ in headers}
    for name, value in pairs:
        if name.lower() in present:
            headers[name] = value
        else:
            headers.add(name, value)
