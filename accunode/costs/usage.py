"""Usage profiles: the monthly usage each tier assumes, for the cost lines that depend on usage.

This follows infracost's usage files (a default profile per size, overridden per resource or stack):
the document's tiers give requests/day, log and transfer volumes; the rest are the assumptions of
shared/reference/aws-prices-and-cost-anchors.md section 2.2. A stack overrides any of them with the
``accunode:usage`` config key, e.g. ``accunode:usage: {natProcessedGb: 300}``.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic.alias_generators import to_camel


class UsageProfile(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)

    requests_per_day: float = Field(ge=0, description="HTTP requests per day (the document's tiers)")
    app_log_gb: float = Field(ge=0, description="GB/month of application logs (ECS), the document's CloudWatch line")
    flow_log_gb: float = Field(ge=0, description="GB/month of VPC flow logs")
    other_log_gb: float = Field(ge=0, description="GB/month per other log group (RDS, Redis slow log)")
    transfer_out_gb: float = Field(ge=0, description="GB/month to the internet (the document's data-transfer line)")
    nat_processed_gb: float = Field(ge=0, description="GB/month through the NAT gateways, all of them together")
    alb_lcu: float = Field(ge=0, description="average load-balancer capacity units")
    ecr_gb: float = Field(ge=0, description="GB of images kept in ECR")
    sqs_million_requests: float = Field(ge=0, description="million SQS requests/month (send, receive, delete)")
    model_bucket_gb: float = Field(ge=0, description="GB stored in the application's S3 buckets")
    log_bucket_gb: float = Field(ge=0, description="GB of ALB access logs kept (7-day expiry)")
    deployments_per_month: float = Field(ge=0, description="GitHub Actions deployments/month")
    minutes_per_deployment: float = Field(ge=0, description="GitHub Actions minutes per deployment")
    cpu_seconds_per_request: float = Field(
        default=1.0, ge=0, description="vCPU-seconds of API work per request (sets the expected API task count)")
    jobs_per_request: float = Field(default=1.0, ge=0, description="queue jobs each API request enqueues")
    seconds_per_job: float = Field(default=30.0, ge=0, description="task-seconds a worker spends on one job")
    queue_depth: float = Field(default=0.0, ge=0, description="average visible messages in the work queue")

    def merged(self, overrides: dict[str, float] | None) -> UsageProfile:
        return self.model_validate({**self.model_dump(), **{k: v for k, v in (overrides or {}).items()
                                                             if v is not None}})


# ``accunode:usage``: any field of a usage profile, replacing the tier's assumption (same names, all optional).
UsageOverrides = create_model(
    "UsageOverrides",
    __config__=ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True),
    **{name: (float | None, Field(default=None, ge=0, description=field.description))
       for name, field in UsageProfile.model_fields.items()},
)


_LIGHT = UsageProfile(requests_per_day=50, app_log_gb=5, flow_log_gb=1, other_log_gb=0.2, transfer_out_gb=55,
                      nat_processed_gb=20, alb_lcu=0.25, ecr_gb=1, sqs_million_requests=0.1, model_bucket_gb=5,
                      log_bucket_gb=0.2, deployments_per_month=30, minutes_per_deployment=30)
TIER_USAGE: dict[str, UsageProfile] = {
    "minimal": _LIGHT.merged({"requests_per_day": 10, "deployments_per_month": 10}),
    "light": _LIGHT,
    "moderate": _LIGHT.merged({"requests_per_day": 500, "app_log_gb": 10, "flow_log_gb": 2, "transfer_out_gb": 167,
                               "nat_processed_gb": 100, "alb_lcu": 1, "ecr_gb": 2, "sqs_million_requests": 1,
                               "model_bucket_gb": 20, "log_bucket_gb": 1}),
    "high": _LIGHT.merged({"requests_per_day": 5000, "app_log_gb": 20, "flow_log_gb": 5, "other_log_gb": 1,
                           "transfer_out_gb": 444, "nat_processed_gb": 500, "alb_lcu": 3, "ecr_gb": 3,
                           "sqs_million_requests": 10, "model_bucket_gb": 50, "log_bucket_gb": 5,
                           "deployments_per_month": 60}),
    "enterprise": _LIGHT.merged({"requests_per_day": 20000, "app_log_gb": 50, "flow_log_gb": 20, "other_log_gb": 2,
                                 "transfer_out_gb": 1111, "nat_processed_gb": 2000, "alb_lcu": 10, "ecr_gb": 5,
                                 "sqs_million_requests": 50, "model_bucket_gb": 200, "log_bucket_gb": 20,
                                 "deployments_per_month": 100}),
}


def usage_for(tier: str, overrides: dict[str, float] | None = None) -> UsageProfile:
    return TIER_USAGE[tier].merged(overrides)
