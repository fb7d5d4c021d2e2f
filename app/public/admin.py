"""The admin page: accounts and totals, for admins only."""

# Flask-Login ships no type hints; its decorators keep the signatures they wrap.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from typing import Any

from flask import abort, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select

from app.extensions import db
from app.models import Item, User
from app.public.views import bp

MAX_USERS_SHOWN = 200


@bp.get("/admin")
@login_required
def admin() -> str:
    """Show accounts with their item counts (403 for non-admins)."""
    if not current_user.is_admin:
        abort(403, description=_("This page is for admins only."))
    counts = (
        select(User, func.count(Item.id))
        .outerjoin(Item, Item.owner_id == User.id)
        .group_by(User.id)
        .order_by(User.created_at.desc(), User.id.desc())
        .limit(MAX_USERS_SHOWN)
    )
    users: list[Any] = [tuple(row) for row in db.session.execute(counts)]
    return render_template(
        "admin/index.html",
        users=users,
        user_count=db.session.scalar(select(func.count(User.id))) or 0,
        item_count=db.session.scalar(select(func.count(Item.id))) or 0,
    )
