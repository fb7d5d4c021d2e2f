"""The load gate other-kit.toml names (a stub: only its existence is checked)."""
