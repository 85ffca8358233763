"""Unit tests: fast hashing, in-process tasks, in-memory cache."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-secret")

from config.settings.base import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
LANGUAGE_CODE = "en"
