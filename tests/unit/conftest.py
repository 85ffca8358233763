import pytest

from cases.services.roles import case_worker_group
from tests.factories import UserFactory


@pytest.fixture
def worker(client):
    """A least-privilege case worker, logged in to the admin with the test client."""
    user = UserFactory(is_staff=True)
    user.groups.add(case_worker_group())
    client.force_login(user)
    return user
