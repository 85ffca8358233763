"""Model fields for personal data: encrypted at rest, and masked copies that lists can show.

An identity number or phone is stored as a Fernet token and read back as plain text, so code
that uses the value does not change. The keys come from settings.FIELD_ENCRYPTION_KEYS, the first
one current: values are encrypted with it and decrypted with whichever key made them, which is
what lets keys rotate (manage.py rotate_keys re-encrypts everything under the current one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django import forms
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def _current_fernet() -> MultiFernet:
    # Read on every call, not at import, so that a rotation (or a test) that changes the setting takes effect.
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt(value: str) -> str:
    """A token under the current key; the empty string stays empty, so "not given" stays queryable."""
    if not value:
        return ""
    return _current_fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """The plain text of a token made under any configured key; raises InvalidToken otherwise."""
    if not token:
        return ""
    return _current_fernet().decrypt(token.encode()).decode()


class EncryptedCharField(models.TextField):
    """A short text stored encrypted. max_length limits the plain text (forms), not the column.

    Tokens are random, so the database can only tell empty from not empty: match values through
    their keyed hashes and show them through their stored masks.
    """

    _queryable = frozenset({"exact", "isnull"})

    def from_db_value(self, value, expression, connection):
        return value if value is None else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value is None else encrypt(value)

    def get_lookup(self, lookup_name):
        # Any other lookup (startswith, in, icontains) would compare against a random token and find nothing.
        return super().get_lookup(lookup_name) if lookup_name in self._queryable else None

    def formfield(self, **kwargs):
        return super().formfield(**{"widget": forms.TextInput, **kwargs})


class MaskField(models.CharField):
    """A masked copy of another field (1101**********002X), kept in step on every insert and save.

    Lists and searches read the mask, so they never decrypt. Like auto_now, it is computed in
    pre_save, which bulk_create calls too; bulk_update and update() bypass it.
    """

    def __init__(self, *args, source: str = "", mask: Callable[[str], str] | None = None, **kwargs):
        self.source, self.mask = source, mask
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        return name, path, args, {**kwargs, "source": self.source, "mask": self.mask}

    def pre_save(self, model_instance, add):
        if self.source in model_instance.get_deferred_fields():
            return getattr(model_instance, self.attname)  # not loaded, so not changed: keep the stored mask
        value = self.mask(getattr(model_instance, self.source))
        setattr(model_instance, self.attname, value)
        return value


def encrypted_paths(model: type[models.Model], related: Iterable[str] = ()) -> list[str]:
    """The encrypted fields of a model and of the models along each related path ("case__person")."""

    def encrypted(of: type[models.Model]) -> list[str]:
        return [f.name for f in of._meta.concrete_fields if isinstance(f, EncryptedCharField)]

    out = encrypted(model)
    for path in related:
        target = model
        for part in path.split("__"):
            target = target._meta.get_field(part).related_model
        out += [f"{path}__{name}" for name in encrypted(target)]
    return out
