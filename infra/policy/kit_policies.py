"""CrossGuard rules for the kit: the guide's production checklist as code.

Resource rules see a resource's inputs (camelCase, as the engine sends them) and are written as
small per-type checks that yield messages; stack rules see every resource's outputs and check
that the pieces a bucket or a database needs exist together.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from functools import cache

from policy_encryption import ENCRYPTION
from policy_exposure import EXPOSURE
from policy_production import PRODUCTION_SAFETY
from policy_support import REQUIRED_TAGS
from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
)

# --- tags -------------------------------------------------------------------------------------


@cache
def args_class(resource_type: str) -> type | None:
    """Return the installed pulumi-aws Args class of a resource type token, if there is one."""
    parts = resource_type.split(":")
    if len(parts) != 3 or parts[0] != "aws" or parts[1].startswith("index"):
        return None
    try:
        package = importlib.import_module(f"pulumi_aws.{parts[1].split('/')[0]}")
    except ImportError:
        return None
    resource_class = getattr(package, parts[2], None)
    if resource_class is None:
        return None
    module = sys.modules[resource_class.__module__]
    # pulumi-aws names it <Class>InitArgs when <Class>Args is taken by a nested input type.
    for candidate in (f"{parts[2]}InitArgs", f"{parts[2]}Args"):
        found = getattr(module, candidate, None)
        if isinstance(found, type) and found.__module__ == module.__name__:
            return found
    return None


def is_taggable(resource_type: str) -> bool:
    """Return True when the installed pulumi-aws resource accepts ``tags``."""
    found = args_class(resource_type)
    return found is not None and "tags" in inspect.signature(found).parameters


def _required_tags(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_taggable(args.resource_type):
        return
    tags = args.props.get("tags") or {}
    missing = [key for key in REQUIRED_TAGS if not tags.get(key)]
    if missing:
        report(f"Missing tags: {', '.join(missing)}.", None)


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    *ENCRYPTION,
    *EXPOSURE,
    *PRODUCTION_SAFETY,
    ResourceValidationPolicy(
        name="required-tags",
        description=f"Every taggable AWS resource carries the tags {', '.join(REQUIRED_TAGS)}.",
        validate=_required_tags,
    ),
]
