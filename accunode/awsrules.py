"""AWS's own rules for values the program sends: tag limits and characters, ARN shapes, account ids,
private ranges, name lengths, image tags and the PostgreSQL versions RDS creates.

One place for each fact: settings validate against it, and components and policy rules should use
it rather than a copy of the regex. Each rule names where it comes from.
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from collections.abc import Mapping, Sequence

# ---- tags: "Tagging AWS resources" (general rules), the Resource Groups Tagging API model ------------
TAG_KEY_MAX = 128  # botocore resourcegroupstaggingapi TagKey: min 1, max 128
TAG_VALUE_MAX = 256  # TagValue: min 0, max 256
TAGS_PER_RESOURCE_MAX = 50  # user-created tags per resource
TAG_RESERVED_PREFIX = "aws:"
# Allowed: letters, numbers and spaces representable in UTF-8, and _ . : / = + - @
_TAG_PUNCTUATION = frozenset("_.:/=+-@")


def tag_text_problem(text: str, what: str, maximum: int, minimum: int = 0) -> str | None:
    """Why ``text`` cannot be a tag key or value (``what`` says which), or None."""
    if len(text) < minimum:
        return f"{what} is empty"
    if len(text) > maximum:
        return f"{what} is {len(text)} characters; AWS allows at most {maximum}"
    bad = sorted({c for c in text if not (c.isalpha() or c.isnumeric() or c in _TAG_PUNCTUATION
                                          or unicodedata.category(c) == "Zs")})
    if bad:
        shown = " ".join(repr(c) for c in bad[:5])
        return (f"{what} has characters AWS refuses in tags ({shown}); allowed: letters, digits, spaces "
                "and _ . : / = + - @")
    return None


def tag_set_problems(tags: Mapping[str, str], added: Sequence[str], added_by: str, taken: str) -> list[str]:
    """AWS's rules for a set of tags every resource carries, one line per problem (``<key>: <what>``).

    ``added`` are the keys something else puts on each resource too (``added_by`` says what), so they count
    against the 50 and a tag of that key is refused with ``taken``.
    """
    problems = []
    room = TAGS_PER_RESOURCE_MAX - len(added)
    if len(tags) > room:
        problems.append(f"{len(tags)} tags; AWS allows {TAGS_PER_RESOURCE_MAX} per resource and {added_by} adds "
                        f"{len(added)} ({', '.join(added)}), so at most {room}")
    for key, text in tags.items():
        shown = key if len(key) <= 40 else f"{key[:40]}..."
        if key.lower().startswith(TAG_RESERVED_PREFIX):
            problems.append(f"{shown}: tag keys starting with 'aws:' are reserved by AWS")
        elif key in added:
            problems.append(f"{shown}: {taken}")
        elif problem := (tag_text_problem(key, "the key", TAG_KEY_MAX, minimum=1)
                         or tag_text_problem(text, "the value", TAG_VALUE_MAX)):
            problems.append(f"{shown}: {problem}")
    return problems


# ---- account ids and ARNs ---------------------------------------------------------------------------
ACCOUNT_ID = re.compile(r"\d{12}")
PARTITION = r"aws(?:-cn|-us-gov|-iso|-iso-b)?"
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d")
SSM_PARAMETER_ARN = re.compile(rf"arn:{PARTITION}:ssm:[a-z0-9-]+:\d{{12}}:parameter/.+")
ACM_CERTIFICATE_ARN = re.compile(
    rf"arn:(?P<partition>{PARTITION}):acm:(?P<region>[a-z0-9-]+):(?P<account>\d{{12}}):certificate/[0-9a-f-]+")



def account_id_problem(value: str, what: str = "account_id") -> str | None:
    return None if ACCOUNT_ID.fullmatch(value) else f"{what} {value!r} is not a 12-digit AWS account id"


def region_problem(value: str, what: str = "region") -> str | None:
    return None if REGION.fullmatch(value) else f"{what} {value!r} is not an AWS region name (e.g. us-east-1)"


# ---- GitHub repositories, as IAM trust conditions name them (token.actions.githubusercontent.com:sub) ----
# An owner is 1-39 letters, digits and single hyphens, not starting or ending with one; a repository
# name is up to 100 letters, digits, '.', '_' and '-', and not '.' or '..' (GitHub's naming rules).
_GITHUB_OWNER = re.compile(r"[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}")
_GITHUB_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def github_repository_problem(value: str) -> str | None:
    owner, _, name = value.partition("/")
    if _GITHUB_OWNER.fullmatch(owner) and _GITHUB_NAME.fullmatch(name) and name not in (".", ".."):
        return None
    return (f"{value!r} is not a GitHub repository; expected owner/name (owner: letters, digits and single "
            "hyphens; name: letters, digits, '.', '_', '-'), without wildcards")


# ---- networks: RFC 1918 private address space; VPC CIDR blocks are /16 to /28 ----------------------
RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def is_rfc1918(network: ipaddress.IPv4Network) -> bool:
    return any(network.subnet_of(block) for block in RFC1918)


# ---- names ------------------------------------------------------------------------------------------
LOAD_BALANCER_NAME_MAX = 32  # ELBv2 CreateLoadBalancer / CreateTargetGroup: Name, at most 32 characters
IAM_ROLE_NAME_MAX = 64
# A prefix of physical names (<prefix>-<role>): S3 bucket and ECR repository names take only lower-case
# letters, digits and single hyphens, and start and end with a letter or digit (S3 bucket naming rules).
NAME_PREFIX = re.compile(r"[a-z](?:-?[a-z0-9])*")


def name_prefix_problem(value: str, what: str = "name_prefix") -> str | None:
    return None if NAME_PREFIX.fullmatch(value) else (
        f"{what} {value!r} must be lower-case letters, digits and single '-', starting with a letter "
        "and not ending with '-' (it starts S3 bucket and ECR repository names)")

# ---- ECS progressive deployments (botocore ecs DeploymentConfiguration, pulumi-aws 7.51 docs) --------
# Bake times 0-1440 minutes; a canary takes 0.1-100 % of traffic, a linear step 3-100 %.
ECS_BAKE_MINUTES_MAX = 1440
ECS_CANARY_PERCENT = (0.1, 100.0)
ECS_LINEAR_STEP_PERCENT = (3.0, 100.0)

# ---- CloudWatch Logs: the retention periods PutRetentionPolicy accepts (days) ------------------------
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                      2192, 2557, 2922, 3288, 3653)

# ---- container images: the Docker reference grammar's tag, which is what ECR stores ----------------
IMAGE_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")

# ---- RDS for PostgreSQL ---------------------------------------------------------------------------
# Versions a new instance can be created with. A bare major lets RDS choose its default minor.
# Source: AWS's end-of-standard-support notice for RDS for PostgreSQL (May 2026): creation on
# 14.14-14.17, 15.9-15.12, 16.5-16.8 and 17.1-17.4 ends on 2026-05-01 and instances are upgraded to
# 14.20, 15.15, 16.11, 17.7 or higher; the minors between are in the RDS release calendar
# (PostgreSQLReleaseNotes/postgresql-release-calendar). Majors before 14 are in Extended Support (extra
# charges). Add a minor here when RDS releases it (`aws rds describe-db-engine-versions --engine postgres`).
POSTGRES_VERSIONS: dict[str, tuple[str, ...]] = {
    "14": ("14.18", "14.19", "14.20"),
    "15": ("15.13", "15.14", "15.15"),
    "16": ("16.9", "16.10", "16.11"),
    "17": ("17.5", "17.6", "17.7"),
}


def postgres_version_problem(version: str) -> str | None:
    major = version.split(".")[0]
    if major not in POSTGRES_VERSIONS:
        return (f"PostgreSQL {version!r} is not offered for new RDS instances; allowed majors: "
                f"{', '.join(POSTGRES_VERSIONS)} (older majors incur RDS Extended Support charges)")
    if version != major and version not in POSTGRES_VERSIONS[major]:
        return (f"PostgreSQL {version!r} is not a version RDS creates; use {major} (RDS picks the minor) or one of "
                f"{', '.join(POSTGRES_VERSIONS[major])}")
    return None
