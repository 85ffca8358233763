import os
import subprocess
import sys

FERNET_KEY = "q9sDbXp0n0bYlq2a1mXb5n0m3qv3G7m0QxZkXyX2t0Q="


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unset = ("DEBUG", "SECRET_KEY", "ID_HASH_KEY", "ID_HASH_KEYS", "FIELD_ENCRYPTION_KEYS", "DATABASE_URL",
             "DJANGO_ALLOW_ASYNC_UNSAFE")  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if k not in unset}
    return subprocess.run([sys.executable, "manage.py", *args], capture_output=True, text=True, env={**clean, **env})


def test_production_settings_pass_the_deployment_checks_with_no_warnings():
    result = manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.production",
        SECRET_KEY="a-long-random-production-secret-key-" + "x7Q2#k9Lm!" * 4,
        ALLOWED_HOSTS="tongzhou.example.org",
        ID_HASH_KEY="a-separate-long-random-key-for-identity-hashes",
        FIELD_ENCRYPTION_KEYS=FERNET_KEY,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_SETTINGS_MODULE="config.settings.production")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_needs_its_own_identity_hash_key():
    result = manage("check", DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="x" * 60)
    assert result.returncode != 0
    assert "ID_HASH_KEY" in result.stderr


def test_production_needs_its_own_field_encryption_keys():
    result = manage("check", DJANGO_SETTINGS_MODULE="config.settings.production", SECRET_KEY="x" * 60,
                    ID_HASH_KEYS="new-hash-key,old-hash-key")  # fmt: skip
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_a_malformed_field_encryption_key_fails_at_start():
    result = manage("check", DJANGO_SETTINGS_MODULE="config.settings.local", FIELD_ENCRYPTION_KEYS="not-a-fernet-key")
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr
