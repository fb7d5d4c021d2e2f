"""Exit codes of the rollout tool: one per failure reason, so a pipeline can act on them."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    """Why the tool stopped."""

    PROMOTED = 0
    ERROR = 1
    USAGE = 2
    LOCKED = 3
    NOT_READY = 4
    DEPLOY_FAILED = 5
    MIGRATION_REFUSED = 6
    MIGRATION_FAILED = 7
    VERIFY_FAILED = 8
    GATE_FAILED = 9
    SWITCH_FAILED = 10
    ROLLED_BACK = 11
    ROLLBACK_FAILED = 12
    BACKGROUND_FAILURES = 13
    INCONCLUSIVE = 14
    ROLLED_BACK_INCONCLUSIVE = 15
    INTERRUPTED = 130


MEANING = {
    Exit.PROMOTED: "promoted: the new version serves all traffic (or switch/rollback done)",
    Exit.ERROR: "unexpected error; traffic left on a healthy colour (see `rollout status`)",
    Exit.USAGE: "bad usage (unknown option, target or gate setting; not a release dir)",
    Exit.LOCKED: "another rollout is running",
    Exit.NOT_READY: "target not ready (stack down, no release, nothing to switch to)",
    Exit.DEPLOY_FAILED: "the idle colour did not start with the new version",
    Exit.MIGRATION_REFUSED: "a pending migration is not backward compatible (--force-migration)",
    Exit.MIGRATION_FAILED: "the migration itself failed",
    Exit.VERIFY_FAILED: "testinfra or smoke checks of the idle colour failed",
    Exit.GATE_FAILED: "the pre-switch locust gate failed; traffic untouched",
    Exit.SWITCH_FAILED: "the switch did not complete; traffic stays on the old colour",
    Exit.ROLLED_BACK: "post-switch verification failed; traffic switched back",
    Exit.ROLLBACK_FAILED: "switching back failed: traffic may be on an unverified colour",
    Exit.BACKGROUND_FAILURES: "promoted, but the background load saw failed requests",
    Exit.INCONCLUSIVE: (
        "the gate and its control against the active colour both failed: shared "
        "infrastructure; traffic untouched, release not marked failed; retry later"
    ),
    Exit.ROLLED_BACK_INCONCLUSIVE: (
        "post-switch verification and its control against the old colour both failed: "
        "traffic switched back, release not marked failed; retry later"
    ),
    Exit.INTERRUPTED: "interrupted (Ctrl-C); traffic left on a healthy colour",
}


def help_text() -> str:
    """Render the exit codes for --help."""
    return "exit codes:\n" + "\n".join(f"  {int(c):>3}  {MEANING[c]}" for c in Exit)
