"""Once per AWS account: the GitHub OIDC provider, the CI role, the Pulumi state bucket and secrets key.

Run by an account administrator, before any application stack (README, "State and account
bootstrap"). Everything here is protected: it outlives the stacks it serves.
"""

import pulumi
import pulumi_aws as aws

from accunode import awsrules
from accunode.specs import bootstrap as spec
from accunode.specs.iam import GITHUB_AUDIENCE, GITHUB_OIDC_HOST, tls_only_bucket_policy, to_json

config = pulumi.Config()
repository = config.get("githubRepository")
environment = config.get("githubEnvironment") or "production"
if not repository:
    raise pulumi.RunError("accunode-bootstrap:githubRepository: required; owner/name of the repository whose deploy "
                          "workflow runs pulumi (no wildcards)")
if problem := awsrules.github_repository_problem(repository):
    raise pulumi.RunError(f"accunode-bootstrap:githubRepository: {problem}")
if problem := spec.environment_problem(environment):
    raise pulumi.RunError(f"accunode-bootstrap:githubEnvironment: {problem}, e.g. production")

account_id = aws.get_caller_identity().account_id
region = aws.get_region().region
tags = {"project": spec.PREFIX, "stack": "bootstrap", "owner": "platform-team"}
kept = pulumi.ResourceOptions(protect=True, retain_on_delete=True)

provider = aws.iam.OpenIdConnectProvider(
    "github-oidc", url=f"https://{GITHUB_OIDC_HOST}", client_id_lists=[GITHUB_AUDIENCE],
    tags={**tags, "Name": GITHUB_OIDC_HOST}, opts=kept)

key = aws.kms.Key("pulumi-secrets", description="Encrypts the secrets of AccuNode's Pulumi stacks",
                  enable_key_rotation=True, deletion_window_in_days=30, tags={**tags, "Name": spec.SECRETS_KEY_ALIAS},
                  opts=kept)
aws.kms.Alias("pulumi-secrets-alias", name=spec.SECRETS_KEY_ALIAS, target_key_id=key.key_id, opts=kept)

bucket_name = spec.state_bucket_name(account_id)
bucket = aws.s3.Bucket("state", bucket=bucket_name, tags={**tags, "Name": bucket_name}, opts=kept)
child = pulumi.ResourceOptions(parent=bucket, protect=True)
block = aws.s3.BucketPublicAccessBlock("state-public-access", bucket=bucket.id, block_public_acls=True,
                                       block_public_policy=True, ignore_public_acls=True,
                                       restrict_public_buckets=True, opts=child)
aws.s3.BucketOwnershipControls("state-ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"},
                               opts=child)
aws.s3.BucketVersioning("state-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"},
                        opts=child)
aws.s3.BucketServerSideEncryptionConfiguration("state-encryption", bucket=bucket.id, rules=[{
    "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
    "bucket_key_enabled": True}], opts=child)
aws.s3.BucketLifecycleConfiguration("state-lifecycle", bucket=bucket.id, rules=[{
    "id": "expire-old-state-versions", "status": "Enabled", "filter": {},
    "noncurrent_version_expiration": {"noncurrent_days": spec.STATE_NONCURRENT_DAYS},
    "abort_incomplete_multipart_upload": {"days_after_initiation": 1}}], opts=child)
aws.s3.BucketPolicy("state-policy", bucket=bucket.id, policy=to_json(tls_only_bucket_policy(bucket_name)),
                    opts=pulumi.ResourceOptions(parent=bucket, protect=True, depends_on=[block]))

ci = aws.iam.Role("ci", name=spec.CI_ROLE_NAME, max_session_duration=3600,
                  description=f"GitHub Actions runs pulumi for {repository} in the {environment} environment",
                  assume_role_policy=to_json(spec.ci_trust_policy(account_id, repository, environment)),
                  tags={**tags, "Name": spec.CI_ROLE_NAME}, opts=pulumi.ResourceOptions(depends_on=[provider]))
aws.iam.RolePolicy("ci-state", name="pulumi-state", role=ci.name,
                   policy=key.arn.apply(lambda arn: to_json(spec.ci_state_policy(bucket_name, arn))))
aws.iam.RolePolicy("ci-stacks", name="accunode-stacks", role=ci.name,
                   policy=to_json(spec.ci_stack_policy(account_id, region, bucket_name)))

login = spec.backend_url(bucket_name)
secrets = spec.secrets_provider(region)
pulumi.export("oidcProviderArn", provider.arn)
pulumi.export("ciRoleArn", ci.arn)
pulumi.export("stateBucket", bucket_name)
pulumi.export("backendUrl", login)  # the deploy workflow's PULUMI_BACKEND_URL
pulumi.export("secretsProvider", secrets)
pulumi.export("loginCommand", f"pulumi login {login}")
pulumi.export("stackInitCommand", f"pulumi stack init <stack> --secrets-provider '{secrets}'")
