import datetime as dt

import pytest


@pytest.fixture
def today() -> dt.date:
    from django.utils import timezone

    return timezone.localdate()
