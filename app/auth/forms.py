"""WTForms for the sign-in pages (CSRF token included by Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from app.auth.schemas import EMAIL_MAX, PASSWORD_MAX
from app.security.passwords import MIN_PASSWORD_LENGTH


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
