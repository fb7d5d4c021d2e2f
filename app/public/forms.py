"""WTForms of the pages: items, sign-in and registration (CSRF token included by Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Email, EqualTo, Length, ValidationError

from app.models.item import BODY_MAX, TITLE_MAX
from app.schemas.auth import EMAIL_MAX, PASSWORD_MAX
from app.security.passwords import MIN_PASSWORD_LENGTH


def no_nul(_form: FlaskForm, field: StringField) -> None:
    """Refuse NUL characters (PostgreSQL text cannot hold them)."""
    if field.data and "\x00" in field.data:
        raise ValidationError(_l("Must not contain NUL characters."))


class ItemForm(FlaskForm):  # type: ignore[misc]
    """Title and body of an item."""

    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=TITLE_MAX), no_nul],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    body = TextAreaField(_l("Body"), validators=[Length(max=BODY_MAX), no_nul])
    submit = SubmitField(_l("Save"))


class LoginForm(FlaskForm):  # type: ignore[misc]
    """Email and password."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=EMAIL_MAX)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)])
    submit = SubmitField(_l("Sign in"))


class RegisterForm(FlaskForm):  # type: ignore[misc]
    """A new account."""

    name = StringField(_l("Name"), validators=[Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=EMAIL_MAX)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=PASSWORD_MAX)],
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
    )
    submit = SubmitField(_l("Create account"))
