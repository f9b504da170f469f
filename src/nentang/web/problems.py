"""The human-readable side of our RFC 9457 problem types, for the ``/problems/`` pages.

The catalogue itself — every code with its status, title, meaning and advice — lives in
:mod:`nentang.kernel.errors.registry`, where each context registers its codes.
"""

from nentang.kernel.errors.registry import (
    ProblemType,
    problem_type_for_code,
    problem_type_for_status,
    problem_types,
)

__all__ = ["ProblemType", "problem_type_for_code", "problem_type_for_status", "problem_types"]
