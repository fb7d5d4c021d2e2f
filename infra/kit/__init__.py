"""Pulumi components for the Flask deployment kit: one ComponentResource per AWS concern."""
