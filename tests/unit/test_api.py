import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cases.models import AccessLog, Case, Partner
from tests.factories import UserFactory, case_payload

pytestmark = pytest.mark.django_db


def partner_client(name: str) -> APIClient:
    user = UserFactory(username=name)
    Partner.objects.create(name=name, user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def body(**overrides) -> dict:
    payload = case_payload(**overrides)
    payload.pop("kind")
    payload.pop("channel")
    return payload


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/api/v1/crowdfunding/cases/", {"raiser": {"name": "王大伟", "relation": "parent"}, "raised": "1000"}),
        ("/api/v1/foundation-aid/cases/", {}),
        ("/api/v1/pap/cases/", {"pap": {"drug": "伊马替尼", "cycles_paid": 3}}),
    ],
)
def test_a_partner_submits_a_case_on_each_channel_and_it_is_verified(path, extra, django_capture_on_commit_callbacks):
    client = partner_client("水滴")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(path, {**body(), **extra}, format="json")
    assert response.status_code == 201, response.json()
    ref = response.json()["ref"]
    # Verification was enqueued after commit, and ran in-process since no broker is configured.
    assert len(callbacks) == 1
    assert client.get(f"/api/v1/cases/{ref}/").json()["status"] == "verified"
    assert Case.objects.get(ref=ref).channel == path.split("/")[3].replace("-", "_")


def test_bad_input_gets_every_problem_by_field():
    response = partner_client("p").post(
        "/api/v1/foundation-aid/cases/",
        body(patient__birth_date="2016-02-30", household__annual_income="-1", insurance__basic="commercial"),
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()
    assert errors["household.annual_income"] == ["-1 is negative"]
    assert errors["patient.birth_date"] == ["'2016-02-30' is not an ISO 8601 date"]
    assert "'commercial' is not one of employee, resident, none" in errors["insurance.basic"][0]
    assert not Case.objects.exists()


def test_clients_cannot_set_fields_the_server_owns():
    response = partner_client("p").post(
        "/api/v1/foundation-aid/cases/",
        {**body(), "status": "verified", "need": "999999", "flags": [], "person": "P1", "tier": "upper"},
        format="json",
    )
    case = Case.objects.get(ref=response.json()["ref"])
    assert (case.status, case.need, case.tier) == ("pending", None, "")  # verification has not run yet
    assert case.person.public_id != "P1"


def test_a_partner_sees_only_its_own_cases_and_reads_are_logged():
    own, other = partner_client("a"), partner_client("b")
    ref = own.post("/api/v1/foundation-aid/cases/", body(), format="json").json()["ref"]
    assert other.get(f"/api/v1/cases/{ref}/").status_code == 404
    assert other.post("/api/v1/foundation-aid/cases/", body(ref=ref), format="json").status_code == 400
    assert own.get(f"/api/v1/cases/{ref}/").status_code == 200
    assert AccessLog.objects.filter(case__ref=ref, where="api").count() == 1


def test_anonymous_and_ordinary_users_are_refused():
    assert APIClient().post("/api/v1/pap/cases/", body(), format="json").status_code == 401
    client = APIClient()
    client.force_authenticate(UserFactory())
    assert client.post("/api/v1/pap/cases/", body(), format="json").status_code == 403


def test_the_openapi_schema_documents_every_channel(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert {"/api/v1/crowdfunding/cases/", "/api/v1/foundation-aid/cases/", "/api/v1/pap/cases/",
            "/api/v1/cases/{ref}/"} <= set(schema["paths"])  # fmt: skip
    assert "raiser" in schema["components"]["schemas"]["CrowdfundingCaseIn"]["properties"]
    assert client.get("/api/docs/").status_code == 200
