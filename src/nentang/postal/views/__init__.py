"""HTML pages of the postal context: the public tracking page, and the scanning and
delivery pages of postal workers (phone-sized first)."""
