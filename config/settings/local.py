"""Development and demo: debug on, an embedded SQLite database, tasks in-process."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "local-development-only-not-secret")

from config.settings.base import *  # noqa: E402,F401,F403
