"""Alarms, their notification topic and the dashboard.

The alarms come from the catalogue in ``accunode.specs.alarms`` (one spec per alarm) and all notify
one SNS topic, which mails the stack's alert address when one is set. The topic is encrypted with a
customer-managed KMS key rather than ``alias/aws/sns``: the AWS-managed key's policy cannot be
changed to let CloudWatch use it, so alarm notifications to such a topic are dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace

import pulumi
import pulumi_aws as aws
from pulumi import Output, ResourceOptions

from accunode.specs.alarms import AlarmTargets, alarm_catalogue, dashboard_body
from accunode.specs.context import StackContext
from accunode.specs.iam import kms_alarm_topic_key_policy, to_json


@dataclass(frozen=True)
class MonitoringArgs:
    context: StackContext
    targets: AlarmTargets
    alert_email: str | None = None

    def __post_init__(self) -> None:
        if self.alert_email is not None and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", self.alert_email):
            raise ValueError(f"alert_email {self.alert_email!r} is not an email address")
        if not self.targets.service_names:
            raise ValueError("targets.service_names must not be empty")


class Monitoring(pulumi.ComponentResource):
    topic_arn: Output[str]
    alarm_names: list[str]
    dashboard_name: str

    def __init__(self, name: str, args: MonitoringArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:observability:Monitoring", name, None, opts)
        child = ResourceOptions(parent=self)
        prefix = args.context.name_prefix

        key = aws.kms.Key(f"{name}-alarms-key", description=f"Encrypts the {prefix} alarm topic",
                          enable_key_rotation=True, deletion_window_in_days=30,
                          policy=to_json(kms_alarm_topic_key_policy(args.context.account_id)),
                          tags=args.context.tagged(f"{prefix}-alarms"), opts=child)
        aws.kms.Alias(f"{name}-alarms-key-alias", name=f"alias/{prefix}-alarms", target_key_id=key.key_id, opts=child)
        topic = aws.sns.Topic(f"{name}-alarms", name=f"{prefix}-alarms", kms_master_key_id=key.arn,
                              tags=args.context.tagged(f"{prefix}-alarms"), opts=child)
        if args.alert_email:
            aws.sns.TopicSubscription(f"{name}-alarms-email", topic=topic.arn, protocol="email",
                                      endpoint=args.alert_email, opts=child)

        self.alarm_names = []
        for spec in alarm_catalogue(args.targets):
            alarm_name = spec.name(prefix)
            aws.cloudwatch.MetricAlarm(f"{name}-{spec.id}", name=alarm_name, alarm_actions=[topic.arn],
                                       ok_actions=[topic.arn], tags=args.context.tagged(alarm_name),
                                       **spec.alarm_args(), opts=child)
            self.alarm_names.append(alarm_name)

        self.dashboard_name = prefix
        # The load balancer's ARN suffix is assigned by AWS, so the body is resolved once it exists.
        body = Output.all(args.targets.load_balancer, args.targets.target_group).apply(
            lambda suffixes: json.dumps(dashboard_body(replace(
                args.targets, load_balancer=suffixes[0], target_group=suffixes[1]), args.context.region),
                sort_keys=True))
        aws.cloudwatch.Dashboard(f"{name}-dashboard", dashboard_name=self.dashboard_name, dashboard_body=body,
                                 opts=child)

        self.topic_arn = topic.arn
        self.register_outputs({"topicArn": topic.arn, "dashboardName": self.dashboard_name,
                               "alarmNames": self.alarm_names})

