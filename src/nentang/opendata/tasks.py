"""Background tasks of the opendata context (django-tasks). Thin: load by id, call one
service."""

from __future__ import annotations
