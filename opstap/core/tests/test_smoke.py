import pytest


@pytest.mark.django_db
def test_dashboard_greets_a_logged_in_adviser(world, login):
    response = login(world["adviser"]).get("/")
    assert response.status_code == 200
    assert "Microkrediet Brussel" in response.content.decode()


@pytest.mark.django_db
def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/clients/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
