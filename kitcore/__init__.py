"""What the local stack and the rollout tool share: colours, releases, the probe, migrations."""
