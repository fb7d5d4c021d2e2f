"""Verification: smoke checks, testinfra checks, locust gates and the expand-only check.

Each answers with one Verdict (passed, failed, inconclusive or error, and why).
"""
