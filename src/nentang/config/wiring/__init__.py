"""Wiring between contexts that may not import each other's insides (see ``apps``)."""
