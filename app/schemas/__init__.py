"""marshmallow schemas for the API's input and output."""
