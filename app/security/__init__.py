"""Security helpers (password hashing now; the auth issue adds more)."""
