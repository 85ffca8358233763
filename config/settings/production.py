"""Production: everything secret or site-specific must come from the environment."""

from config.settings.base import *  # noqa: F401,F403
from config.settings.base import env, fernet_keys

DEBUG = False
# Their own keys, never derived from SECRET_KEY: rotating the secret must not change every identity hash
# (people would stop being recognised and the blacklist would stop matching) nor make stored identity
# numbers and phones unreadable.
# ID_HASH_KEYS: comma-separated HMAC keys, the first current; to rotate, put a new key first, run
# `manage.py rotate_keys`, then drop the old one. ID_HASH_KEY (one key) is still accepted instead.
ID_HASH_KEYS = env.list("ID_HASH_KEYS", default=None) or [env("ID_HASH_KEY")]
# FIELD_ENCRYPTION_KEYS: comma-separated Fernet keys (`Fernet.generate_key()`), the first current; rotate
# them the same way. Losing every key listed loses the identity numbers and phones stored.
FIELD_ENCRYPTION_KEYS = fernet_keys("FIELD_ENCRYPTION_KEYS")
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
