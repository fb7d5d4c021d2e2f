"""The gunicorn config other-kit.toml names (a stub: only its existence is checked)."""
