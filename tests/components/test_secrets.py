"""App secrets: SecureString parameters with TLS connection URLs, referenced by ARNs known at preview."""

from __future__ import annotations

import pytest
from pulumi import Output

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph, contains_unknown, is_secret
from components.secrets import AppSecrets, AppSecretsArgs, postgres_url, redis_url
from tests.components.stack import stack_context

PARAMETER = "aws:ssm/parameter:Parameter"
PASSWORD = "Db0Password1"
TOKEN = "Redis0Token1Redis0Token1"


def _args(**overrides) -> AppSecretsArgs:
    values = dict(context=stack_context(tags={"project": "accunode"}), path="/accunode/test",
                  db_host="db.example.internal", db_port=5432, db_name="accunode", db_username="accunode",
                  db_password=Output.secret(PASSWORD), redis_host="redis.example.internal", redis_port=6379,
                  redis_auth_token=Output.secret(TOKEN))
    return AppSecretsArgs(**{**values, **overrides})


def _build(preview: bool = False) -> tuple[ResourceGraph, dict]:
    exposed = {}

    def program() -> None:
        secrets = AppSecrets("app-secrets", _args())
        exposed.update(database=secrets.database_url_arn, redis=secrets.redis_url_arn, path=secrets.path_arn)

    return run_program(program, preview=preview), exposed


@pytest.fixture(scope="module")
def captured() -> tuple[ResourceGraph, dict]:
    return _build()


def _parameter(graph: ResourceGraph, name: str):
    return next(p for p in graph.of_type(PARAMETER) if p.props["name"] == name)


def test_connection_urls_are_secure_strings_under_the_stack_path(captured):
    graph, _ = captured
    parameters = graph.of_type(PARAMETER)
    assert sorted(p.props["name"] for p in parameters) == ["/accunode/test/database-url", "/accunode/test/redis-url"]
    for parameter in parameters:
        assert parameter.props["type"] == "SecureString"
        assert is_secret(parameter.inputs["value"]), "the URL must stay a Pulumi secret"
        assert parameter.props["tags"]["Name"] == parameter.props["name"]


def test_database_url_requires_tls_and_redis_url_uses_the_tls_scheme(captured):
    graph, _ = captured
    assert _parameter(graph, "/accunode/test/database-url").props["value"] == (
        f"postgresql://accunode:{PASSWORD}@db.example.internal:5432/accunode?sslmode=require")
    assert _parameter(graph, "/accunode/test/redis-url").props["value"] == (
        f"rediss://:{TOKEN}@redis.example.internal:6379/0")


def test_parameter_arns_are_built_from_account_region_and_name(captured):
    _, arns = captured
    assert arns == {
        "database": "arn:aws:ssm:us-east-1:123456789012:parameter/accunode/test/database-url",
        "redis": "arn:aws:ssm:us-east-1:123456789012:parameter/accunode/test/redis-url",
        "path": "arn:aws:ssm:us-east-1:123456789012:parameter/accunode/test/*",
    }


def test_parameter_names_and_arns_are_known_at_preview():
    graph, arns = _build(preview=True)
    assert all(isinstance(arn, str) and not contains_unknown(arn) for arn in arns.values())
    assert all(not contains_unknown(p.inputs["name"]) for p in graph.of_type(PARAMETER))


def test_url_builders_escape_characters_that_would_break_the_url():
    assert postgres_url("app", "p@ss/w:rd", "h", 5432, "db") == "postgresql://app:p%40ss%2Fw%3Ard@h:5432/db?sslmode=require"
    assert redis_url("t@k/en", "h", 6379) == "rediss://:t%40k%2Fen@h:6379/0"


@pytest.mark.parametrize("overrides, message", [
    ({"path": "accunode/test"}, "path"),
    ({"path": "/accunode/test/"}, "path"),
])
def test_app_secrets_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        _args(**overrides)
