"""testinfra checks, as pytest files: test_colour.py (a local colour), test_pod.py (an idle pod).

rollout.verify.testinfra runs them against a host and passes what the host must show as JSON
in ROLLOUT_CHECK_SPEC.
"""
