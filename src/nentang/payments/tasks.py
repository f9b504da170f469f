"""Background tasks of the payments context (django-tasks). Thin: load by id, call one
service."""

from __future__ import annotations
