"""Test support shared by every context's tests (never imported by nentang itself).
Test modules import helpers from here, never from one another or from a conftest:

* hashers — the fast, counting password hasher of the suite;
* html — a small HTML reader and what every page of the design system promises;
* browser — Debian's chromium under Playwright, and what a page did that it should not;
* http — a scripted HTTP server on loopback (webhook and outbound-HTTP tests);
* processes — the real `nentang` command and server in other processes.
"""
