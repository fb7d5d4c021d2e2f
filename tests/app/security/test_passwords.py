"""app/security/passwords.py: argon2id hashing."""

from __future__ import annotations

from argon2 import PasswordHasher

from app.security.passwords import hash_password, needs_rehash, password_problem, verify_password


def test_hash_and_verify() -> None:
    stored = hash_password("a long enough secret")
    assert stored.startswith("$argon2id$")
    assert stored != hash_password("a long enough secret")  # salted
    assert verify_password(stored, "a long enough secret")
    assert not verify_password(stored, "a long enough secreT")
    assert not verify_password("not-a-hash", "anything")


def test_weaker_hashes_need_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("pw")
    assert needs_rehash(weak)
    assert not needs_rehash(hash_password("pw"))


def test_password_problems() -> None:
    assert password_problem("twelve chars") is None
    assert "at least" in (password_problem("short") or "")
    assert "whitespace" in (password_problem("trailing space ") or "")
