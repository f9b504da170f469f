"""Shared kernel: building blocks every context may import. It imports no context."""
