"""HTML pages: sign in, sign out, register."""

# Flask-Login ships no type hints; its decorators keep the signatures they wrap.
# mypy: disable-error-code="untyped-decorator"

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.auth.sessions import end_session, start_session
from app.public.forms import LoginForm, RegisterForm
from app.security.limits import register_limits, sign_in_limits
from app.services import users as service
from app.services.errors import ServiceError
from app.services.signals import user_registered

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str:
    """Return TARGET when it is a path on this site, else the items page (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("public.items")


@bp.route("/login", methods=["GET", "POST"])
@sign_in_limits
def login() -> str | Response | tuple[str, int]:
    """Show the sign-in form and sign the user in."""
    if current_user.is_authenticated:
        return redirect(url_for("public.items"))
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            start_session(user)
            flash(_("Signed in as %(email)s.", email=user.email), "success")
            return redirect(safe_next(request.args.get("next")))
        form.password.errors.append(_("The email address or password is wrong."))
        return render_template("auth/login.html", form=form), 401
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/register", methods=["GET", "POST"])
@register_limits
def register() -> str | Response | tuple[str, int]:
    """Show the registration form and create the account."""
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = service.register_user(
                form.email.data or "", form.password.data or "", form.name.data or ""
            )
        except ServiceError as exc:
            form.email.errors.append(_message(exc))
            return render_template("auth/register.html", form=form), exc.status
        user_registered.send(user)
        start_session(user)
        flash(_("Welcome! Your account is ready."), "success")
        return redirect(url_for("public.items"))
    status = 400 if form.errors else 200
    return render_template("auth/register.html", form=form), status


def _message(exc: ServiceError) -> str:
    """Return the user-facing text of a registration failure."""
    if exc.status == 409:
        return str(_("An account with this email address already exists."))
    return str(_("This email address or password cannot be used."))


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out (POST with a CSRF token, so no other site can sign people out)."""
    end_session()
    flash(_("Signed out."), "info")
    return redirect(url_for("public.home"))
