import pytest
import yaml
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_schema_is_a_valid_openapi_3_document(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3.")
    validate(document)
    assert "/api/v1/partners/{slug}/" in document["paths"]
    assert "partnerApiKey" in document["components"]["securitySchemes"]


def test_swagger_ui_is_served_without_a_cdn(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html


def test_unknown_api_path_gets_the_uniform_error_body(client, user):
    client.force_login(user)
    response = client.get("/api/v1/partners/no-such-partner/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
