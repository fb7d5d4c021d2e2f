"""What the rollout reads from a kustomize overlay's files (its infra.env)."""

from __future__ import annotations

from pathlib import Path

from rollout.errors import TargetError


def env_file(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines (the overlay's infra.env)."""
    pairs = {}
    for line in path.read_text().splitlines() if path.exists() else []:
        key, sep, value = line.partition("=")
        if sep and not key.startswith("#"):
            pairs[key.strip()] = value.strip()
    return pairs


def overlay_public_url(overlay: Path | None) -> str:
    """Return https://APP_DOMAIN of the overlay's infra.env."""
    domain = env_file(overlay / "infra.env").get("APP_DOMAIN", "") if overlay else ""
    if not domain:
        raise TargetError("no public URL: pass --public-url or an overlay with APP_DOMAIN")
    return f"https://{domain}"
