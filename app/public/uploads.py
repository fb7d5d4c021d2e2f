"""The upload page: the browser asks the API for a presigned POST and sends the file itself."""

# Flask-Login ships no type hints; its decorators keep the signatures they wrap.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from flask import render_template
from flask_login import login_required

from app.public.views import bp


@bp.get("/uploads")
@login_required
def upload() -> str:
    """Render the upload form; static/js/upload.js runs the presigned flow."""
    return render_template("uploads/upload.html")
