"""Identity: least-privilege IAM documents in every form (inline, managed, user and group policies),
no admin-equivalent attachments through any attachment type, scoped PassRole, no escalation actions
on wildcards, trust policies that name their principals, pinned GitHub OIDC trust."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from . import _iam as iam
from . import _types as t
from ._frame import CRITICAL, HIGH, MEDIUM, UNKNOWN, Context, Graph, Res, Rule, dicts, known_strings

AREA = "identity"
GITHUB_OIDC = "token.actions.githubusercontent.com"
GITHUB_AUDIENCE = "sts.amazonaws.com"
# AWS managed policies that grant admin or a path to it (IAM write on everything).
ADMIN_POLICIES = ("AdministratorAccess", "AdministratorAccess-Amplify", "AdministratorAccess-AWSElasticBeanstalk",
                  "IAMFullAccess", "PowerUserAccess", "AWSOrganizationsFullAccess", "AWSSSOMasterAccountAdministrator",
                  "AWSIdentityCenterFullAccess")
POLICY_DOCUMENT_TYPES = (t.IAM_POLICY, t.IAM_ROLE_POLICY, t.IAM_ROLE, t.IAM_USER_POLICY, t.IAM_GROUP_POLICY)
ATTACHMENT_TYPES = (t.IAM_ROLE, t.IAM_ROLE_POLICY_ATTACHMENT, t.IAM_POLICY_ATTACHMENT, t.IAM_USER_POLICY_ATTACHMENT,
                    t.IAM_GROUP_POLICY_ATTACHMENT, *t.IAM_EXCLUSIVE_ATTACHMENTS, t.SSO_MANAGED_POLICY_ATTACHMENT)
ATTACHMENT_KEYS = ("policyArn", "policyArns", "managedPolicyArns", "managedPolicyArn")
# Actions that let a principal grant itself more (Rhino Security Labs' IAM escalation methods).
ESCALATION_ACTIONS = (
    "iam:AttachRolePolicy", "iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:PutRolePolicy", "iam:PutUserPolicy",
    "iam:PutGroupPolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:PassRole",
    "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:UpdateAssumeRolePolicy",
    "iam:AddUserToGroup", "iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
    "sts:AssumeRole",
)
# Condition keys that limit "anyone" to a known caller.
RESTRICTING_KEYS = {"aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce",
                    "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
                    "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourceip", "aws:vpcsourceip", "kms:calleraccount",
                    "aws:userid", "sts:externalid"}


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
    return [(label, doc) for label, value in raw if (doc := iam.document(value, ctx, label)) is not None]


def _allowed(res: Res, ctx: Context) -> Iterator[tuple[str, dict[str, Any]]]:
    for label, document in _documents(res, ctx):
        for statement in iam.statements(document):
            if iam.allows(statement):
                yield label, statement


def _wildcard(resource: str) -> bool:
    """``*``, or an ARN whose account or resource part is a bare wildcard (``arn:aws:iam::*:role/*``)."""
    if resource == "*":
        return True
    parts = resource.split(":", 5)
    return len(parts) == 6 and (parts[4] == "*" or parts[5] in ("*", "role/*", "user/*", "policy/*", "group/*"))


def check_no_admin_statements(res: Res, ctx: Context) -> Iterator[str]:
    for label, statement in _allowed(res, ctx):
        actions = iam.values(statement, "Action", ctx, label)
        resources = iam.values(statement, "Resource", ctx, label)
        if any(a in ("*", "*:*") for a in actions) and "*" in resources:
            yield (f"{label} allows every action on every resource (Action \"*\", Resource \"*\"); list the "
                   "actions and resource ARNs the principal needs.")


def check_no_not_action(res: Res, ctx: Context) -> Iterator[str]:
    for label, statement in _allowed(res, ctx):
        for key, listed in (("NotAction", "every action except those listed"),
                            ("NotResource", "every resource except those listed")):
            if statement.get(key) is not None:
                yield (f"{label} allows {key} ({listed}, including every action AWS adds later); write an "
                       f"Allow with the {key.removeprefix('Not')} list the principal needs.")


def check_no_escalation(res: Res, ctx: Context) -> Iterator[str]:
    for label, statement in _allowed(res, ctx):
        resources = iam.values(statement, "Resource", ctx, label)
        wild = [r for r in resources if _wildcard(r)]
        if not wild:
            continue
        actions = iam.values(statement, "Action", ctx, label)
        granted = sorted({action for action in ESCALATION_ACTIONS if action != "iam:PassRole"
                          for pattern in actions if iam.action_matches(pattern, action)})
        if granted and not any(a in ("*", "*:*") for a in actions):  # "*" on "*" is iam-no-admin-statements
            yield (f"{label} allows {', '.join(granted[:4])}{' ...' if len(granted) > 4 else ''} on {wild[0]}, which "
                   "lets the principal grant itself more; name the exact roles, users or policies it may change.")


def _admin_arns(value: Any) -> list[str]:
    return [arn for arn in known_strings(value)
            if ":iam::aws:policy/" in arn and arn.rsplit("/", 1)[-1] in ADMIN_POLICIES]


def check_no_administrator_access(res: Res, ctx: Context) -> Iterator[str]:
    # An unknown ARN comes from a resource of this stack, so it is not an AWS-managed policy.
    for key in ATTACHMENT_KEYS:
        for arn in _admin_arns(res.get(key)):
            yield (f"attaches {arn}, which grants admin or IAM write on everything; attach a policy with only the "
                   "permissions this principal needs.")


def _passes_role(action: str) -> bool:
    return iam.action_matches(action, "iam:PassRole")


def check_passrole_scoped(res: Res, ctx: Context) -> Iterator[str]:
    for label, statement in _allowed(res, ctx):
        if not any(_passes_role(a) for a in iam.values(statement, "Action", ctx, label)):
            continue
        if statement.get("NotResource") is not None:
            yield (f"{label} allows iam:PassRole with NotResource (every role but some); list the role ARNs "
                   "it may pass in Resource.")
            continue
        wild = [r for r in iam.values(statement, "Resource", ctx, label) if "*" in r or "?" in r]
        if wild and not (all(map(_named_role_prefix, wild)) and _passed_to_named_services(statement)):
            yield (f"{label} allows iam:PassRole on {', '.join(wild)}; list the exact role ARNs it may pass "
                   "(e.g. the service's task and execution roles), or limit a role-name prefix "
                   "(role/<prefix>-*) to the services that may receive it with an iam:PassedToService condition.")


def _named_role_prefix(arn: str) -> bool:
    """``arn:aws:iam::<account>:role/<prefix>*``: one account's roles under a named prefix, the only wildcard last."""
    head, _, name = arn.partition(":role/")
    account = head.rsplit(":", 1)[-1] if head.startswith("arn:") else ""
    return (account.isdigit() and len(account) == 12 and name.endswith("*")
            and len(name.rstrip("*").strip("/")) >= 3 and not any(c in name.rstrip("*") for c in "*?"))


def _passed_to_named_services(statement: dict[str, Any]) -> bool:
    """An iam:PassedToService condition that names exact services (AWS's way to scope PassRole)."""
    return any(key == "iam:passedtoservice" and iam.pins(operator, items)
               and all(isinstance(item, str) and "*" not in item and "?" not in item for item in items)
               for operator, key, items in iam.conditions(statement))


def _github_statement(statement: dict[str, Any], conditions: list[tuple[str, str, list[Any]]]) -> bool | object:
    principals, unknown = iam.principal_values(statement)
    if any(isinstance(p, tuple) and p[0] == "Federated" and GITHUB_OIDC in p[1] for p in principals):
        return True
    if any(key.startswith(f"{GITHUB_OIDC}:") for _, key, _ in conditions):
        return True
    return UNKNOWN if unknown else False


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
    document = iam.document(res.get("assumeRolePolicy"), ctx, "assumeRolePolicy")
    for statement in iam.statements(document):
        conditions = iam.conditions(statement)
        github = _github_statement(statement, conditions)
        if github is UNKNOWN:
            ctx.unknown("assumeRolePolicy Principal.Federated")
        if github is not True or not iam.allows(statement):
            continue
        audiences = [(op, items) for op, key, items in conditions if key == f"{GITHUB_OIDC}:aud"]
        pinned = [v for op, items in audiences if iam.pins(op, items) for v in items]
        if not pinned or any(v not in (GITHUB_AUDIENCE, UNKNOWN) for v in pinned):
            yield (f"the GitHub OIDC trust does not pin {GITHUB_OIDC}:aud; add StringEquals "
                   f"{{\"{GITHUB_OIDC}:aud\": \"{GITHUB_AUDIENCE}\"}}.")
        subjects = [(op, items) for op, key, items in conditions if key == f"{GITHUB_OIDC}:sub"]
        loose = sorted({op for op, items in subjects if op not in iam.POSITIVE_OPERATORS})
        if loose:
            yield (f"the GitHub OIDC trust tests {GITHUB_OIDC}:sub with {', '.join(loose)}, which admits every "
                   "repository it does not exclude (or any token without the key); use StringEquals/StringLike "
                   "on sub = repo:<org>/<repo>:ref:refs/heads/<branch>.")
        values = [v for op, items in subjects if op in iam.POSITIVE_OPERATORS for v in items]
        if not values:
            yield (f"the GitHub OIDC trust has no {GITHUB_OIDC}:sub condition, so any repository can assume the "
                   "role; add StringEquals/StringLike on sub = repo:<org>/<repo>:ref:refs/heads/<branch>.")
        for problem in filter(None, map(_sub_problem, values)):
            yield (f"the GitHub OIDC trust's sub {problem}; pin it to repo:<org>/<repo>:ref:refs/heads/<branch> "
                   "(or :environment:<name>).")


def restricted(conditions: list[tuple[str, str, list[Any]]]) -> bool:
    """Whether a condition limits the statement to a known caller (account, org, source, network)."""
    return any(key in RESTRICTING_KEYS and iam.pins(op, items) for op, key, items in conditions)


def open_statement(statement: dict[str, Any]) -> str | None:
    """Why an Allow statement admits anyone (None when it names its principals or is restricted)."""
    if statement.get("NotPrincipal") is not None:
        return "NotPrincipal (everyone except those listed)"
    principals, _ = iam.principal_values(statement)
    everyone = [p for p in principals if iam.is_everyone(p)]
    if everyone and not restricted(iam.conditions(statement)):
        return "Principal \"*\" without a condition on the caller's account, organization or source"
    return None


def check_trust_not_open(res: Res, ctx: Context) -> Iterator[str]:
    document = iam.document(res.get("assumeRolePolicy"), ctx, "assumeRolePolicy")
    for statement in iam.statements(document):
        if not iam.allows(statement):
            continue
        reason = open_statement(statement)
        if reason:
            yield (f"the trust policy lets anyone assume the role ({reason}); name the account, role or service "
                   "principal that may assume it.")
            continue
        principals, _ = iam.principal_values(statement)
        for _, provider in (p for p in principals if isinstance(p, tuple) and p[0] == "Federated"):
            if GITHUB_OIDC in provider or "saml-provider/" in provider:
                continue  # GitHub: iam-github-oidc-trust-pinned; SAML assertions name the IdP's users
            issuer = provider.split("oidc-provider/", 1)[-1]
            keys = {key for op, key, items in iam.conditions(statement) if iam.pins(op, items)}
            if not any(key.endswith((":aud", ":sub", ":amr")) for key in keys):
                yield (f"the trust policy lets any identity of {issuer} assume the role (no aud or sub condition); "
                       f"add StringEquals on {issuer}:aud and {issuer}:sub.")


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
    Rule("iam-no-not-action-allow", AREA,
         "IAM policies must not allow with NotAction or NotResource (they grant everything not listed).",
         HIGH, check_no_not_action, types=POLICY_DOCUMENT_TYPES),
    Rule("iam-no-privilege-escalation", AREA,
         "IAM policies must not allow privilege-escalation actions (iam:Attach*/Put*Policy, CreatePolicyVersion, "
         "CreateAccessKey, UpdateAssumeRolePolicy, ...) on wildcard resources.",
         CRITICAL, check_no_escalation, types=POLICY_DOCUMENT_TYPES),
    Rule("iam-no-administrator-access", AREA,
         "No principal may have AdministratorAccess or another admin-equivalent AWS managed policy, through any "
         "attachment type.", CRITICAL, check_no_administrator_access, types=ATTACHMENT_TYPES),
    Rule("iam-passrole-scoped", AREA,
         "iam:PassRole must be limited to named roles, or to a role-name prefix with iam:PassedToService naming the "
         "services.",
         HIGH, check_passrole_scoped, types=POLICY_DOCUMENT_TYPES),
    Rule("iam-github-oidc-trust-pinned", AREA,
         "GitHub OIDC trust must pin aud to sts.amazonaws.com and sub to one repository (no wildcard in org/repo, "
         "no negated operator).", CRITICAL, check_github_oidc_trust, types=(t.IAM_ROLE,)),
    Rule("iam-trust-not-open", AREA,
         "Role trust policies must name who may assume them: no Principal \"*\" without a caller condition, no "
         "NotPrincipal, no web-identity trust without aud/sub conditions.",
         CRITICAL, check_trust_not_open, types=(t.IAM_ROLE,)),
    Rule("ecs-task-roles-distinct", AREA, "ECS task definitions must use different task and execution roles.",
         MEDIUM, check_task_roles_distinct, stack=True),
]
