"""A fast password hasher for tests that counts its work.

Argon2id is slow by design (tens of milliseconds of a core per hash), and the suite
hashes thousands of passwords; the root conftest makes this hasher the only one, except
for tests marked ``argon2``. It counts the hashes it computes so a test can assert that
a path costs a hash (an unknown login must cost one, like a wrong password) without
measuring time.
"""

from __future__ import annotations

import threading
from typing import Any, ClassVar

from django.contrib.auth.hashers import MD5PasswordHasher


class CountingHasher(MD5PasswordHasher):
    algorithm = "test-md5"
    _lock: ClassVar[threading.Lock] = threading.Lock()
    computed: ClassVar[int] = 0

    def encode(self, password: str, salt: str, *args: Any, **kwargs: Any) -> str:
        with CountingHasher._lock:
            CountingHasher.computed += 1
        return super().encode(password, salt, *args, **kwargs)
