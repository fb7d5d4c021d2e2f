"""Forms of the item pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from app.models.item import BODY_MAX, TITLE_MAX


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
