"""The bootstrap and the three stacks, replayed in order into one emulated AWS account (moto's
server on 127.0.0.1), create every resource without an error.

The calls are derived from the captured resources' inputs (tests/deploy/replay.py); botocore checks
each one against the service model and moto rejects collisions with what an earlier stack created.
prod's example certificate ARN is replaced by a certificate issued in the emulated account.

Not replayed (``replay.NOT_REPLAYED``): the VPC's default security group (adopted, not created) and
the ``random`` resources (not AWS; their captured values are used). What moto cannot judge: whether
ECS can pull the image or read the parameters at task start (no tasks run), IAM evaluation of the
documents (tests/deploy/test_aws_models.py checks their actions), and service quotas.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from accunode.engine.graph import ResourceGraph
from tests.conftest import captured
from tests.deploy.replay import HANDLERS, NOT_REPLAYED, Replay, ReplayError, issue_certificate
from tests.deploy.stacks import STACKS, bootstrap_graph


def _reset(endpoint: str) -> None:
    """moto keeps one account per process, shared by every server: start (and leave) it empty."""
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"))  # noqa: S310


def _endpoint(server: ThreadedMotoServer) -> str:
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


def _replay_stack(replay: Replay, graph: ResourceGraph) -> None:
    certificate = graph.config.get("accunode:certificateArn")
    substitutions = {certificate: issue_certificate(replay, graph.config["accunode:domainName"])} if certificate else {}
    replay.replay(graph, substitutions)


@pytest.fixture(scope="module")
def account(monkeypatch_module: None) -> Iterator[Replay]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    endpoint = _endpoint(server)
    _reset(endpoint)
    replay = Replay(endpoint)
    replay.replay(bootstrap_graph())
    for stack in STACKS:
        _replay_stack(replay, captured(stack))
    yield replay
    _reset(endpoint)
    server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module() -> Iterator[None]:
    # moto reports this many running tasks for services created from now on (read in this process).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MOTO_ECS_SERVICE_RUNNING", "1")
        yield


def _expected(graph: ResourceGraph) -> list[tuple[str, str, str]]:
    return [(graph.stack, r.type, r.name) for r in graph.custom_resources if r.type not in NOT_REPLAYED]


def test_every_resource_type_is_replayed_or_listed_with_a_reason() -> None:
    types = {r.type for graph in (bootstrap_graph(), *map(captured, STACKS)) for r in graph.custom_resources}
    assert types - HANDLERS.keys() - NOT_REPLAYED.keys() == set()
    assert len(types & HANDLERS.keys()) >= 45


def test_the_bootstrap_and_all_three_stacks_create_every_resource_in_one_account(account: Replay) -> None:
    expected = [*_expected(bootstrap_graph()), *(item for stack in STACKS for item in _expected(captured(stack)))]
    assert account.created == expected
    assert len(expected) > 300


def test_the_account_holds_one_github_provider_and_each_stacks_own_resources(account: Replay) -> None:
    providers = account.client("iam").list_open_id_connect_providers()["OpenIDConnectProviderList"]
    assert [p["Arn"].rsplit("/", 1)[1] for p in providers] == ["token.actions.githubusercontent.com"]
    clusters = account.client("ecs").list_clusters()["clusterArns"]
    assert sorted(arn.rsplit("/", 1)[1] for arn in clusters) == [f"accunode-{s}" for s in sorted(STACKS)]
    groups = account.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["accunode-*"]}])["SecurityGroups"]
    assert len(groups) == 4 * len(STACKS) and len({g["GroupName"] for g in groups}) == len(groups)
    target_groups = account.client("elbv2").describe_target_groups()["TargetGroups"]
    captured_groups = sum(len(captured(stack).of_type("aws:lb/targetGroup:TargetGroup")) for stack in STACKS)
    assert captured_groups == len(STACKS) + 1  # prod's blue/green API has an alternate group
    assert len({t["TargetGroupName"] for t in target_groups}) == captured_groups


def test_prods_https_listener_routes_through_the_rules_ecs_shifts(account: Replay) -> None:
    elb = account.client("elbv2")
    (prod,) = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] ==
               "accunode-prod-alb"]
    listeners = {listener["Protocol"]: listener
                 for listener in elb.describe_listeners(LoadBalancerArn=prod["LoadBalancerArn"])["Listeners"]}
    assert [a["Type"] for a in listeners["HTTP"]["DefaultActions"]] == ["redirect"]
    assert [a["Type"] for a in listeners["HTTPS"]["DefaultActions"]] == ["fixed-response"]
    rules = [r for r in elb.describe_rules(ListenerArn=listeners["HTTPS"]["ListenerArn"])["Rules"]
             if not r["IsDefault"]]
    assert sorted(r["Priority"] for r in rules) == ["10", "20"]
    for rule in rules:
        (action,) = rule["Actions"]
        assert sorted(g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]) == [0, 100]


def test_prods_https_listener_uses_the_issued_certificate(account: Replay) -> None:
    elb = account.client("elbv2")
    (prod,) = [lb for lb in elb.describe_load_balancers()["LoadBalancers"] if lb["LoadBalancerName"] ==
               "accunode-prod-alb"]
    listeners = elb.describe_listeners(LoadBalancerArn=prod["LoadBalancerArn"])["Listeners"]
    (https,) = [listener for listener in listeners if listener["Protocol"] == "HTTPS"]
    status = account.client("acm").describe_certificate(CertificateArn=https["Certificates"][0]["CertificateArn"])
    assert status["Certificate"]["Status"] == "ISSUED"


def _only(graph: ResourceGraph, type_: str, name: str) -> ResourceGraph:
    graph.resources = [r for r in graph.resources if r.type == type_ and r.name == name]
    return graph


def test_the_replay_rejects_a_second_account_level_provider(account: Replay) -> None:
    """The defect this issue fixes: a stack that creates the account's OIDC provider next to the bootstrap's."""
    stack_with_provider = _only(bootstrap_graph(), "aws:iam/openIdConnectProvider:OpenIdConnectProvider", "github-oidc")
    with pytest.raises(ReplayError, match=r"OpenIdConnectProvider github-oidc failed: EntityAlreadyExists"):
        Replay(account.endpoint).replay(stack_with_provider)


def test_the_replay_rejects_prods_example_certificate(account: Replay) -> None:
    """Without a certificate of the account, the listener create fails as it would on AWS."""
    prod = captured("prod")
    fresh = Replay(account.endpoint)
    fresh.real = {k: v for k, v in account.real.items() if k != prod.config["accunode:certificateArn"]}
    with pytest.raises(ReplayError, match=r"Listener load-balancer-https failed: CertificateNotFound"):
        fresh.replay(_only(prod, "aws:lb/listener:Listener", "load-balancer-https"))
