"""HubClientInfo Sender list: pagination and last_updated filters on a real hub with seeded parties."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.support.ocpi import auth
from tests.support.processes import HubProcess

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubProcess, str]]:
    folder = tmp_path_factory.mktemp("seeded")
    hub = HubProcess(folder / "hub.db", env={"OCPI_HUB_PAGE_LIMIT": "10"})
    result = hub.cli("seed", "--parties", "25", "--export", str(folder / "tokens"))
    assert result.returncode == 0, result.stderr
    hub.start()
    yield hub, (folder / "tokens").read_text().split()[0]
    hub.stop()


def _next(response: httpx.Response) -> str | None:
    match = re.match(r'<([^>]+)>; rel="next"', response.headers.get("Link", ""))
    return match.group(1) if match else None


def test_pages_follow_link_headers_to_the_whole_list(seeded: tuple[HubProcess, str]) -> None:
    hub, token = seeded
    url: str | None = f"{hub.base_url}/ocpi/2.3.0/sender/hubclientinfo?limit=100"
    seen = []
    while url:
        response = httpx.get(url, headers=auth(token))
        body = response.json()
        assert response.headers["X-Total-Count"] == "25" and response.headers["X-Limit"] == "10"
        assert len(body["data"]) <= 10
        seen += [(c["country_code"], c["party_id"]) for c in body["data"]]
        url = _next(response)
    assert len(seen) == len(set(seen)) == 25


def test_date_from_inclusive_date_to_exclusive_and_filters_kept_in_link(seeded: tuple[HubProcess, str]) -> None:
    hub, token = seeded
    everything = httpx.get(f"{hub.base_url}/ocpi/2.3.0/sender/hubclientinfo?limit=10", headers=auth(token))
    stamps = [c["last_updated"] for c in everything.json()["data"]]
    start, end = stamps[2], stamps[7]
    params = {"date_from": start, "date_to": end, "limit": "2"}
    first = httpx.get(f"{hub.base_url}/ocpi/2.3.0/sender/hubclientinfo", params=params, headers=auth(token))
    assert first.headers["X-Total-Count"] == "5"  # stamps[2] .. stamps[6]
    assert first.json()["data"][0]["last_updated"] == start
    link = _next(first)
    assert link is not None and "date_from=" in link and "date_to=" in link and "offset=2" in link
    offset_page = httpx.get(link, headers=auth(token)).json()["data"]
    assert offset_page[0]["last_updated"] == stamps[4]


def test_bad_query_parameters_get_2001_with_http_200(seeded: tuple[HubProcess, str]) -> None:
    hub, token = seeded
    for query in ("offset=-1", "limit=abc", "date_from=2020-01-01T00:00:00%2B01:00"):
        response = httpx.get(f"{hub.base_url}/ocpi/2.3.0/sender/hubclientinfo?{query}", headers=auth(token))
        assert response.status_code == 200 and response.json()["status_code"] == 2001, query
