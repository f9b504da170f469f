"""Problem codes of the smartcity context (see kernel/errors/registry.py): each code a
service raises is registered here with its status, title, meaning and advice."""

from __future__ import annotations
