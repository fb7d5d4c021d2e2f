"""Item pages: list, read, create, edit and delete (owners and admins)."""

# Flask-Login ships no type hints; its decorators keep the signatures they wrap.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.auth.actor import can_edit
from app.models import Item, User
from app.public.forms import ItemForm
from app.public.views import bp
from app.services import items as service
from app.services.errors import ConflictError
from app.services.item_listing import list_items

PAGE_SIZE = 20
MAX_PAGE = 10**6


@bp.get("/items")
def items() -> str:
    """List items, newest first, with an optional title search."""
    page = request.args.get("page", 1, type=int) or 1
    page = min(max(page, 1), MAX_PAGE)
    q = (request.args.get("q") or "").replace("\x00", "").strip()[:100] or None
    rows, total = list_items(page, PAGE_SIZE, q=q)
    return render_template(
        "items/list.html", items=rows, total=total, page=page, page_size=PAGE_SIZE, q=q
    )


@bp.get("/items/<int:item_id>")
def item(item_id: int) -> str:
    """Show one item; its owner and admins see edit controls."""
    found = service.get_item(item_id)
    editable = current_user.is_authenticated and can_edit(_me(), found.owner_id)
    return render_template("items/detail.html", item=found, editable=editable)


@bp.route("/items/new", methods=["GET", "POST"])
@login_required
def new_item() -> str | Response | tuple[str, int]:
    """Create an item owned by the signed-in user."""
    form = ItemForm()
    if form.validate_on_submit():
        try:
            created = service.create_item(_me().id, form.title.data, form.body.data or "")
        except ConflictError:
            form.title.errors.append(_("You already have an item with this title."))
        else:
            flash(_("Item created."), "success")
            return redirect(url_for("public.item", item_id=created.id))
    return _form_page(form, _("New item"))


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@login_required
def edit_item(item_id: int) -> str | Response | tuple[str, int]:
    """Change an item (owner or admin)."""
    found = _editable(item_id)
    form = ItemForm(obj=found)
    if form.validate_on_submit():
        try:
            service.update_item(item_id, {"title": form.title.data, "body": form.body.data or ""})
        except ConflictError:
            form.title.errors.append(_("You already have an item with this title."))
        else:
            flash(_("Item saved."), "success")
            return redirect(url_for("public.item", item_id=item_id))
    return _form_page(form, _("Edit item"))


@bp.post("/items/<int:item_id>/delete")
@login_required
def delete_item(item_id: int) -> Response:
    """Delete an item (owner or admin)."""
    _editable(item_id)
    service.delete_item(item_id)
    flash(_("Item deleted."), "info")
    return redirect(url_for("public.items"))


def _editable(item_id: int) -> Item:
    """Return the item if the signed-in user may change it; 404 or 403 otherwise."""
    found = service.get_item(item_id)
    if not can_edit(_me(), found.owner_id):
        abort(403, description=_("Only the owner or an admin may change this item."))
    return found


def _form_page(form: ItemForm, heading: str) -> str | tuple[str, int]:
    """Render the item form, with 400 (or 409) when the submission was refused."""
    page = render_template("items/form.html", form=form, heading=heading)
    if not form.is_submitted():
        return page
    return page, 409 if _conflict(form) else 400


def _conflict(form: ItemForm) -> bool:
    """Tell whether the form failed on a duplicate title."""
    return _("You already have an item with this title.") in form.title.errors


def _me() -> User:
    """Return the signed-in user (views call this behind login_required)."""
    user: User = current_user._get_current_object()
    return user
