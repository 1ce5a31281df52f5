"""Identity: least-privilege IAM documents, no admin attachments, scoped PassRole, pinned GitHub OIDC trust."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from . import _types as t
from ._frame import (
    CRITICAL,
    HIGH,
    MEDIUM,
    UNKNOWN,
    Context,
    Graph,
    Res,
    Rule,
    as_list,
    dicts,
    known_strings,
    parse_json,
)

AREA = "identity"
GITHUB_OIDC = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"
ADMIN_POLICIES = ("AdministratorAccess",)
POLICY_DOCUMENT_TYPES = (t.IAM_POLICY, t.IAM_ROLE_POLICY, t.IAM_ROLE, t.IAM_USER_POLICY, t.IAM_GROUP_POLICY)
ATTACHMENT_TYPES = (t.IAM_ROLE, t.IAM_ROLE_POLICY_ATTACHMENT, t.IAM_POLICY_ATTACHMENT,
                    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
                    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment")


def _documents(res: Res, ctx: Context) -> list[tuple[str, dict[str, Any]]]:
    """(label, parsed document) for every permission document the resource carries."""
    raw: list[tuple[str, Any]] = []
    if res.type == t.IAM_ROLE:
        inline = res.get("inlinePolicies")
        if inline is UNKNOWN:
            ctx.unknown("inlinePolicies")
        for index, item in enumerate(dicts(inline)):
            name = item.get("name")
            raw.append((f"inline policy {name if isinstance(name, str) else index}", item.get("policy")))
    else:
        raw.append(("policy", res.get("policy")))
    documents = []
    for label, value in raw:
        document = parse_json(value)
        if document is UNKNOWN:
            ctx.unknown(label)
        elif isinstance(document, dict):
            documents.append((label, document))
    return documents


def statements(document: Any) -> list[dict[str, Any]]:
    return list(dicts(document.get("Statement") if isinstance(document, dict) else None))


def _allows(statement: dict[str, Any]) -> bool:
    return statement.get("Effect", "Allow") != "Deny"


def _values(statement: dict[str, Any], key: str, ctx: Context, label: str) -> list[str]:
    value = statement.get(key)
    if value is UNKNOWN or (isinstance(value, list) and UNKNOWN in value):
        ctx.unknown(f"{label}.{key}")
    return known_strings(value)


def check_no_admin_statements(res: Res, ctx: Context) -> Iterator[str]:
    for label, document in _documents(res, ctx):
        for statement in statements(document):
            if not _allows(statement):
                continue
            actions = _values(statement, "Action", ctx, label)
            resources = _values(statement, "Resource", ctx, label)
            if any(a.strip() in ("*", "*:*") for a in actions) and "*" in [r.strip() for r in resources]:
                yield (f"{label} allows every action on every resource (Action \"*\", Resource \"*\"); list the "
                       "actions and resource ARNs the principal needs.")


def _admin_arns(value: Any) -> list[str]:
    return [arn for arn in known_strings(value) if arn.rsplit("/", 1)[-1] in ADMIN_POLICIES and ":policy/" in arn]


def check_no_administrator_access(res: Res, ctx: Context) -> Iterator[str]:
    # An unknown ARN comes from a resource of this stack, so it is not the AWS-managed policy.
    for arn in _admin_arns(res.get("managedPolicyArns" if res.type == t.IAM_ROLE else "policyArn")):
        yield f"attaches {arn}; attach a policy with only the permissions this principal needs."


def _passes_role(action: str) -> bool:
    return fnmatch.fnmatchcase("iam:passrole", action.strip().lower())


def check_passrole_scoped(res: Res, ctx: Context) -> Iterator[str]:
    for label, document in _documents(res, ctx):
        for statement in statements(document):
            if not _allows(statement) or not any(_passes_role(a) for a in _values(statement, "Action", ctx, label)):
                continue
            if statement.get("NotResource") is not None:
                yield (f"{label} allows iam:PassRole with NotResource (every role but some); list the role ARNs "
                       "it may pass in Resource.")
                continue
            wild = [r for r in _values(statement, "Resource", ctx, label) if "*" in r or "?" in r]
            if wild:
                yield (f"{label} allows iam:PassRole on {', '.join(wild)}; list the exact role ARNs it may pass "
                       "(e.g. the service's task and execution roles).")


def _conditions(statement: dict[str, Any]) -> dict[str, list[Any]]:
    """Condition key (lower case) -> [(operator, values)] across operators."""
    found: dict[str, list[Any]] = {}
    condition = statement.get("Condition")
    for operator, block in (condition.items() if isinstance(condition, dict) else []):
        for key, values in (block.items() if isinstance(block, dict) else []):
            found.setdefault(str(key).lower(), []).append((str(operator), as_list(values)))
    return found


def _github_statement(statement: dict[str, Any], conditions: dict[str, list[Any]]) -> bool | object:
    principal = statement.get("Principal")
    federated = principal.get("Federated") if isinstance(principal, dict) else None
    if any(GITHUB_OIDC in f for f in known_strings(federated)):
        return True
    if any(key.startswith(f"{GITHUB_OIDC}:") for key in conditions):
        return True
    return UNKNOWN if federated is UNKNOWN or (isinstance(federated, list) and UNKNOWN in federated) else False


def _sub_problem(value: Any) -> str | None:
    if value is UNKNOWN:
        return None
    if not isinstance(value, str) or not value.startswith("repo:"):
        return f"{value!r} does not name a repository (expected repo:<org>/<repo>:<ref or environment>)"
    owner_repo = value[len("repo:"):].split(":", 1)[0]
    owner, _, repo = owner_repo.partition("/")
    if not owner or not repo or any(c in owner_repo for c in "*?"):
        return f"{value!r} has a wildcard or no repository in its repo part"
    return None


def check_github_oidc_trust(res: Res, ctx: Context) -> Iterator[str]:
    document = parse_json(res.get("assumeRolePolicy"))
    if document is UNKNOWN:
        ctx.unknown("assumeRolePolicy")
        return
    for statement in statements(document):
        conditions = _conditions(statement)
        github = _github_statement(statement, conditions)
        if github is UNKNOWN:
            ctx.unknown("assumeRolePolicy Principal.Federated")
        if github is not True or not _allows(statement):
            continue
        audiences = conditions.get(f"{GITHUB_OIDC}:aud", [])
        pinned = [v for op, values in audiences if op == "StringEquals" for v in values]
        if not pinned or any(v not in (GITHUB_AUDIENCE, UNKNOWN) for v in pinned):
            yield (f"the GitHub OIDC trust does not pin {GITHUB_OIDC}:aud; add StringEquals "
                   f"{{\"{GITHUB_OIDC}:aud\": \"{GITHUB_AUDIENCE}\"}}.")
        subjects = [v for _, values in conditions.get(f"{GITHUB_OIDC}:sub", []) for v in values]
        if not subjects:
            yield (f"the GitHub OIDC trust has no {GITHUB_OIDC}:sub condition, so any repository can assume the "
                   "role; add StringEquals/StringLike on sub = repo:<org>/<repo>:ref:refs/heads/<branch>.")
        for problem in filter(None, map(_sub_problem, subjects)):
            yield (f"the GitHub OIDC trust's sub {problem}; pin it to repo:<org>/<repo>:ref:refs/heads/<branch> "
                   "(or :environment:<name>).")


def check_task_roles_distinct(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    for task in graph.of_type(t.TASK_DEFINITION):
        execution, role = task.get("executionRoleArn"), task.get("taskRoleArn")
        execution_roles = graph.linked(task, "executionRoleArn", t.IAM_ROLE)
        task_roles = graph.linked(task, "taskRoleArn", t.IAM_ROLE)
        same = [r.name for r in execution_roles if r in task_roles]
        if not same and isinstance(execution, str) and execution and execution == role:
            same = [execution]
        if same:
            yield task, (f"task definition {task.name} uses the same role for execution and task ({same[0]}); "
                         "give the task its own role with only the app's permissions.")
        elif (execution is UNKNOWN or role is UNKNOWN) and not (execution_roles and task_roles):
            ctx.unknown(f"{task.name} role ARNs")


RULES = [
    Rule("iam-no-admin-statements", AREA, "IAM policies must not allow action \"*\" on resource \"*\".",
         CRITICAL, check_no_admin_statements, types=POLICY_DOCUMENT_TYPES),
    Rule("iam-no-administrator-access", AREA, "No principal may have the AdministratorAccess managed policy.",
         CRITICAL, check_no_administrator_access, types=ATTACHMENT_TYPES),
    Rule("iam-passrole-scoped", AREA, "iam:PassRole must be limited to named roles, without wildcards.",
         HIGH, check_passrole_scoped, types=POLICY_DOCUMENT_TYPES),
    Rule("iam-github-oidc-trust-pinned", AREA,
         "GitHub OIDC trust must pin aud to sts.amazonaws.com and sub to one repository (no wildcard in org/repo).",
         CRITICAL, check_github_oidc_trust, types=(t.IAM_ROLE,)),
    Rule("ecs-task-roles-distinct", AREA, "ECS task definitions must use different task and execution roles.",
         MEDIUM, check_task_roles_distinct, stack=True),
]
