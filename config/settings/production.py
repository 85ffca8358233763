"""Production: everything secret or site-specific must come from the environment."""

from config.settings.base import *  # noqa: F401,F403
from config.settings.base import env

DEBUG = False
# Its own key, never derived from SECRET_KEY: rotating the secret must not change every identity hash
# (people would stop being recognised and the blacklist would stop matching).
ID_HASH_KEY = env("ID_HASH_KEY")
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
LOGGING["root"]["level"] = env("LOG_LEVEL", default="INFO")  # noqa: F405
