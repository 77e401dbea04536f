"""target.toml parsing, the CLI's offline commands, the scenario catalogue and the fuzz schema rebasing."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from pytest_bdd.steps import step_function_context_registry

import conformance.steps.bookings
import conformance.steps.commands
import conformance.steps.common
import conformance.steps.credentials
import conformance.steps.hub
import conformance.steps.invoicereconciliation
import conformance.steps.objects
import conformance.steps.pagination
import conformance.steps.routing
import conformance.steps.versions  # noqa: F401
from conformance import FEATURES_DIR
from conformance.__main__ import main, pytest_args
from conformance.catalog import matches, read_catalog
from conformance.fuzz.driver import rebase_schema
from conformance.oracle import get_oracle
from conformance.session import Discovery
from conformance.specref import SPEC_SECTIONS
from conformance.target import TEMPLATE, ConfigError, load_target, parse_target

# -- target.toml --------------------------------------------------------------------------------


def test_the_init_template_is_a_valid_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init"]) == 0
    text = capsys.readouterr().out
    assert text == TEMPLATE
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "target.toml"
    path.write_text(text.replace("PASTE-TOKEN-A-FOR-THE-EMSP-HERE", "abc123").replace("-FOR-THE-CPO-", "-CPO-"))
    cfg = load_target(path)
    assert cfg.token_a == "abc123" and cfg.token is None and cfg.allow_destructive
    assert cfg.report_dir == tmp_path / "sub" / "ocpi-conformance-report"  # relative to the file
    assert cfg.party.party_id == "CTH" and cfg.peer.port == 0
    # a CPO and an eMSP identity, the eMSP first (the primary identity), and nothing read-only by default
    assert [(i.party.role, i.party.party_id) for i in cfg.identities] == [("EMSP", "CTH"), ("CPO", "CTC")]
    cpo = cfg.identity_for("CPO")
    assert cpo is not None and cpo.token_a == "PASTE-TOKEN-A-CPO-HERE"
    assert not cfg.read_only and cfg.roles == ("HUB",)


def test_the_single_party_form_is_one_identity() -> None:
    cfg = parse_target(
        {"versions_url": "http://127.0.0.1/v", "token_a": "a", "party": {"party_id": "ABC", "role": "CPO"}}
    )
    assert len(cfg.identities) == 1 and cfg.identities[0].party == cfg.party and cfg.identity_for("CPO")
    assert cfg.identity_for("EMSP") is None


@pytest.mark.parametrize(
    ("identities", "extra", "words"),
    [
        ([{"role": "CPO"}], {}, "identities\\[1\\].token_a"),
        ([{"token_a": "a"}], {}, "role. is required"),
        ([{"role": "CPO", "token_a": "a"}, {"role": "EMSP", "token_a": "b"}], {}, "given twice"),
        ([{"role": "CPO", "token_a": "a"}], {"token_a": "x"}, "not both"),
        ([{"role": "PTP", "token_a": "a"}], {}, "identities\\[1\\].role"),
        ([{"role": "CPO", "token_a": "a", "peer_port": 70000}], {}, "identities\\[1\\].peer_port"),
        ([{"role": "CPO", "token_a": "a", "peer_public_url": "harness:9001"}], {}, "peer_public_url"),
    ],
)
def test_identity_errors_name_the_table(identities: list, extra: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_target({"versions_url": "http://127.0.0.1/v", "identities": identities, **extra})


@pytest.mark.parametrize(
    ("doc", "words"),
    [
        ({"token_a": "x"}, "versions_url"),
        ({"versions_url": "ftp://x/ocpi/versions", "token_a": "x"}, "absolute http"),
        ({"versions_url": "http://127.0.0.1/v"}, "token_a"),
        ({"versions_url": "http://127.0.0.1/v", "token_a": "a", "token": "c"}, "not both"),
        ({"versions_url": "http://127.0.0.1/v", "token_a": "has space"}, "printable"),
        ({"versions_url": "http://127.0.0.1/v", "token_a": "a", "roles": ["PTP"]}, "roles"),
        ({"versions_url": "http://127.0.0.1/v", "token_a": "a", "party": {"party_id": "TOOLONG"}}, "party_id"),
        ({"versions_url": "http://127.0.0.1/v", "token_a": "a", "peer": {"port": "x"}}, "peer.port"),
    ],
)
def test_target_errors_name_the_key(doc: dict, words: str) -> None:
    with pytest.raises(ConfigError, match=words):
        parse_target(doc)


def test_existing_token_is_not_destructive_by_default() -> None:
    cfg = parse_target({"versions_url": "http://127.0.0.1/v", "token": "c", "roles": "hub"})
    assert cfg.roles == ("HUB",) and not cfg.allow_destructive
    assert parse_target(
        {"versions_url": "http://127.0.0.1/v", "token": "c", "run": {"destructive": True}}
    ).allow_destructive


def test_missing_target_file_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(tmp_path / "nope.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err and "ocpi-conformance init > nope.toml" in err


_VALID = {"versions_url": "http://127.0.0.1/v", "token_a": "a"}


@pytest.mark.parametrize(
    ("doc", "line"),
    [
        # a typo never silently changes what a run does: unknown tables and keys name the closest valid one
        ({**_VALID, "Run": {"read_only": True}}, "unknown table `Run`; did you mean [run]?"),
        ({**_VALID, "run": {"readonly": True}}, "unknown key `run.readonly`; did you mean `run.read_only`?"),
        ({**_VALID, "read_only": True}, "`read_only` is not a key here; it belongs in [run]"),
        ({**_VALID, "versions_ulr": "x"}, "unknown key `versions_ulr`; did you mean `versions_url`?"),
        ({**_VALID, "peer": {"prot": 5}}, "did you mean `peer.port`?"),
        ({**_VALID, "identity": [{"role": "CPO"}]}, "did you mean [identities]?"),
        # wrong types and values out of range
        ({**_VALID, "run": {"read_only": "yes"}}, "`run.read_only` must be a boolean (true or false), got 'yes'"),
        ({**_VALID, "run": {"strict": 1}}, "`run.strict` must be a boolean"),
        ({**_VALID, "timeout": 0}, "`timeout` must be more than 0 and at most 600, got 0"),
        ({**_VALID, "timeout": "10"}, "`timeout` must be a number"),
        ({**_VALID, "peer": {"port": 70000}}, "`peer.port` must be 0-65535, got 70000"),
        ({**_VALID, "peer": {"port": True}}, "`peer.port` must be an integer"),
        (
            {**_VALID, "roles": ["CP0"]},
            "`roles`: 'CP0' is not one of CPO, EMSP, HUB, NAP, NSP, OTHER, SCSP; did you mean CPO?",
        ),
        ({**_VALID, "roles": []}, "`roles` must name at least one"),
        ({**_VALID, "run": {"exclude": ["locations.receiver-put-gt"]}}, "did you mean locations.receiver-put-get?"),
        ({**_VALID, "peer": [{"port": 1}]}, "`peer` is a table: write [peer], not [[peer]]"),
        ({**_VALID, "report": "out"}, "`report` must be a table ([report])"),
    ],
)
def test_target_file_is_read_strictly_one_line_naming_the_key(doc: dict, line: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_target(doc)
    assert line in str(err.value) and "\n" not in str(err.value), str(err.value)


def test_a_typo_in_the_file_is_refused_before_anything_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`[Run]` once silently turned read-only mode off; now the run does not start (exit 2, one line)."""
    path = tmp_path / "target.toml"
    path.write_text('versions_url = "http://127.0.0.1:9/v"\ntoken_a = "a"\n[Run]\nread_only = true\n')
    for command in ("run", "plan", "fuzz"):
        assert main([command, str(path)]) == 2
        err = capsys.readouterr().err
        assert err == f"ocpi-conformance: {path}: unknown table `Run`; did you mean [run]?\n"


def test_the_reference_page_is_generated_from_the_schema_the_loader_uses() -> None:
    from conformance.target import SCHEMA, reference_page

    page = (Path(__file__).resolve().parents[2] / "docs" / "target-toml.md").read_text(encoding="utf-8")
    assert page == reference_page(), "regenerate: python -m conformance.target > docs/target-toml.md"
    for table in SCHEMA:
        assert f"## {table.title}" in page
        for key in table.keys:
            assert f"| `{key.name}` | {key.kind} |" in page, key.name
    # every key the template uses is one the schema defines (the template is read by the same loader)
    for line in TEMPLATE.splitlines():
        name = line.split("=", 1)[0].strip().lstrip("# ")
        if "=" in line and not line.lstrip().startswith("#") and " " not in name:
            assert any(t.key(name) for t in SCHEMA), name


def test_run_builds_an_isolated_pytest_session(tmp_path: Path) -> None:
    args = pytest_args(tmp_path / "t.toml", ids=["pagination."], strict=True)
    assert args[args.index("-c") + 1] == os.devnull
    assert "--disable-plugin-autoload" in args and "conformance.plugin" in args and "pytest_bdd.plugin" in args
    assert args[args.index("--ocpi-ids") + 1] == "pagination." and "--ocpi-strict" in args


# -- the scenario catalogue ---------------------------------------------------------------------


def test_every_scenario_is_tagged_with_id_level_spec_and_role() -> None:
    entries = read_catalog()
    assert len(entries) >= 40
    ids = [e.id for e in entries]
    assert len(ids) == len(set(ids)), "scenario ids are unique"
    for e in entries:
        assert e.id.startswith(e.area + "."), e.id
        assert sum(t in ("shall", "should", "may") for t in e.tags) == 1, e.id
        assert e.spec and all(s in SPEC_SECTIONS for s in e.spec), (e.id, e.spec)
        assert [t for t in e.tags if t.startswith("role.")], e.id
    assert {e.area for e in entries} == {
        *("transport", "versions", "credentials", "pagination"),
        *("locations", "tariffs", "sessions", "cdrs", "tokens", "routing"),
        *("commands", "chargingprofiles"),  # asynchronous results
        *("invoicereconciliation", "bookings"),  # the add-on modules
    }


def test_one_behaviour_per_feature_file() -> None:
    for path in FEATURES_DIR.rglob("*.feature"):
        text = path.read_text()
        assert text.count("Feature:") == 1, path
        assert "import " not in text and "def " not in text, path


def test_every_step_in_the_features_has_a_definition() -> None:
    contexts = list(step_function_context_registry.values())
    missing = []
    for path in FEATURES_DIR.rglob("*.feature"):
        kind = None
        in_scenario = False
        for line in path.read_text().splitlines():
            words = line.strip().split(" ", 1)
            if words[0] in ("Scenario:", "Background:"):
                in_scenario = True
            if not in_scenario:
                continue
            if words[0] in ("Given", "When", "Then"):
                kind = words[0].lower()
            elif words[0] not in ("And", "But"):
                continue
            text = words[1]
            if not any(c.type in (kind, None) and c.parser.is_matching(text) for c in contexts):
                missing.append(f"{path.name}: {kind} {text}")
    assert not missing, "\n".join(missing)


def test_list_filters_by_tags(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list", "--tags", "role.hub"]) == 0
    out = capsys.readouterr().out
    assert "credentials.hub-party-id" in out and "routing.broadcast-delivered" in out
    should = [e.id for e in read_catalog() if matches(e, ["should"])]
    assert set(should) == {
        "credentials.old-token-retired",
        "credentials.deleted-token-retired",
        "credentials.token-a-retired",
        "versions.module-listed-once",
        "locations.receiver-id-mismatch-refused",
        "locations.receiver-unknown-object-404",
        "tariffs.receiver-foreign-party-refused",
        "locations.receiver-invalid-object-http-200",
        "pagination.owners-named-in-credentials",
        "commands.unknown-location-2003",
        "commands.unknown-session",
        # hub routing: described flows without a keyword, and what the spec leaves to the hub
        "routing.clientinfo-pushed",
        "routing.broadcast-not-echoed",
        "routing.relayed-link-usable",
        "routing.sessions-shown-to-their-emsp-only",
        # 2.2.1: a later version's module, field or credentials field shown to a 2.2.1 client (2.2.1 neither forbids
        # nor obliges tolerating what it does not define)
        "versions.v221-core-modules",
        "credentials.no-hub-party-id",
        "pagination.v221-no-later-fields",
        # the add-on modules: a hub's routing the spec leaves open, and the Bookings 1.0/1.1 ambiguity
        "invoicereconciliation.routed-by-its-cdrs",
        "invoicereconciliation.not-broadcast",
        "invoicereconciliation.sender-shows-own-records",
        "bookings.receiver-10-refused",
        "bookings.booking-not-broadcast",
        "bookings.booking-answer-routed",
    }


# -- fuzz: openapi.yaml rebased onto what a target advertises ------------------------------------


def test_rebase_keeps_only_advertised_get_operations_on_the_targets_paths() -> None:
    base = "http://127.0.0.1:7000/ocpi/cpo"
    d = Discovery(
        details_url=f"{base}/2.3.0",
        endpoints=[
            {"identifier": "credentials", "role": "SENDER", "url": f"{base}/2.3.0/credentials"},
            {"identifier": "locations", "role": "SENDER", "url": f"{base}/2.3.0/locations/"},
            {"identifier": "tokens", "role": "RECEIVER", "url": f"{base}/2.3.0/tokens"},
            {"identifier": "cdrs", "role": "SENDER", "url": "http://127.0.0.2:7000/cdrs"},
        ],
    )
    schema, notes = rebase_schema(get_oracle(), d, f"{base}/versions")
    paths = schema["paths"]
    assert schema["servers"] == [{"url": "http://127.0.0.1:7000"}]
    assert "/ocpi/cpo/versions" in paths and "/ocpi/cpo/2.3.0" in paths and "/ocpi/cpo/2.3.0/credentials" in paths
    # advertised with a trailing slash: kept, and the spec's suffixes join it with one "/"
    assert "/ocpi/cpo/2.3.0/locations/" in paths and "/ocpi/cpo/2.3.0/locations" not in paths
    assert "/ocpi/cpo/2.3.0/locations/{location_id}/{evse_uid}" in paths
    assert "/ocpi/cpo/2.3.0/tokens/{country_code}/{party_id}/{token_uid}" in paths
    assert not any("/sender/" in p or "/receiver/" in p or "sessions" in p for p in paths)
    assert all(set(item) & {"put", "post", "patch", "delete"} == set() for item in paths.values())
    assert paths["/ocpi/cpo/2.3.0/locations/"]["get"]["x-ocpi-paginated"] is True
    assert "x-ocpi-paginated" not in paths["/ocpi/cpo/versions"]["get"]
    assert any("cdrs" in n for n in notes)
    tomllib.loads('a = "b"')  # tomllib used by the CLI template test above
