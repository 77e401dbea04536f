"""docker-compose.yml and docker/nginx-hubs.conf agree with each other and with the hub (no Docker engine runs here,
so these are read, not started): the scale-out instances share one database, one key and the proxy's address, the
proxy sends to both, and the MongoDB hub names the replica set the server runs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from reference_hub.store import open_store
from reference_hub.store.mongo import MongoStore
from reference_hub.store.postgres import PostgresStore

ROOT = Path(__file__).resolve().parents[2]


def _resolved(value: str) -> str:
    """``${NAME:-default}`` as docker compose reads it with NAME unset."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_the_scale_out_instances_share_one_database_one_key_and_the_proxys_address() -> None:
    services = _compose()["services"]
    scale_out = {name for name, s in services.items() if "scale-out" in s.get("profiles", [])}
    assert scale_out == {"postgres", "hub-a", "hub-b", "proxy"}
    a, b = services["hub-a"]["environment"], services["hub-b"]["environment"]
    assert a == b
    store = _resolved(a["OCPI_HUB_STORE"])
    assert isinstance(open_store(store), PostgresStore)
    url, db = urlsplit(store), services["postgres"]["environment"]
    assert url.hostname == "postgres" and url.username == db["POSTGRES_USER"]
    assert url.password == _resolved(db["POSTGRES_PASSWORD"]) and url.path == "/" + db["POSTGRES_DB"]
    assert _resolved(a["OCPI_HUB_SECRET_KEY"]) == _resolved(services["hub"]["environment"]["OCPI_HUB_SECRET_KEY"])
    published = services["proxy"]["ports"][0]  # "127.0.0.1:8081:8081"
    host, host_port, container_port = published.split(":")
    assert a["OCPI_HUB_PUBLIC_URL"] == f"http://{host}:{host_port}"

    nginx = (ROOT / "docker" / "nginx-hubs.conf").read_text()
    assert re.search(rf"listen {container_port};", nginx)
    assert set(re.findall(r"server (hub-[ab]):8080", nginx)) == {"hub-a", "hub-b"}
    mounted = services["proxy"]["volumes"][0].split(":")[0]
    assert (ROOT / mounted).resolve() == (ROOT / "docker" / "nginx-hubs.conf").resolve()


def test_the_mongodb_hub_names_the_replica_set_the_server_runs() -> None:
    services = _compose()["services"]
    command = services["mongo"]["command"]
    replica_set = command[command.index("--replSet") + 1]
    store = services["hub"]["environment"]["OCPI_HUB_STORE"]
    assert isinstance(open_store(store), MongoStore)
    assert parse_qs(urlsplit(store).query)["replicaSet"] == [replica_set]
    assert f"_id: '{replica_set}'" in " ".join(services["mongo"]["healthcheck"]["test"])
