"""Test support shared by every context's tests (never imported by nentang itself):
a fast password hasher, HTML checks, browser set-up and the like. Test modules import
helpers from here, never from one another."""
