"""The worker's SQS queue and its dead-letter queue, both encrypted with SQS-managed keys.

A message the worker fails to process 5 times moves to the DLQ, which keeps it 14 days (the SQS
maximum) so someone can look at it; the DLQ accepts messages only from this queue. Names, ARNs and
URLs are built from account, region and name, so consumers (IAM documents, container environment,
alarms) know them at preview.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import ResourceOptions

from accunode.specs.context import StackContext
from accunode.specs.iam import sqs_queue_arn, sqs_queue_url

DAY = 86400


@dataclass(frozen=True)
class WorkQueueArgs:
    context: StackContext
    queue_name: str
    max_receive_count: int = 5
    visibility_timeout_seconds: int = 300
    """How long a received message stays hidden; longer than the worker's slowest job."""
    retention_days: int = 4
    dlq_retention_days: int = 14

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,76}", self.queue_name):
            raise ValueError(f"queue_name {self.queue_name!r} must be 1-76 letters, digits, '-' or '_' "
                             "(the DLQ adds '-dlq')")
        if not 1 <= self.max_receive_count <= 1000:
            raise ValueError(f"max_receive_count {self.max_receive_count} must be 1-1000")
        if not 0 <= self.visibility_timeout_seconds <= 43200:
            raise ValueError(f"visibility_timeout_seconds {self.visibility_timeout_seconds} must be 0-43200")
        for key in ("retention_days", "dlq_retention_days"):
            if not 1 <= getattr(self, key) <= 14:
                raise ValueError(f"{key} {getattr(self, key)} must be 1-14 days (the SQS limit)")
        if self.dlq_retention_days < self.retention_days:
            raise ValueError("dlq_retention_days must be at least retention_days, or failed messages expire early")

    @property
    def dlq_name(self) -> str:
        return f"{self.queue_name}-dlq"


class WorkQueue(pulumi.ComponentResource):
    name: str
    arn: str
    url: str
    dlq_name: str
    dlq_arn: str
    dlq_url: str

    def __init__(self, name: str, args: WorkQueueArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:queue:WorkQueue", name, None, opts)
        account, region = args.context.account_id, args.context.region
        arn, dlq_arn = sqs_queue_arn(account, region, args.queue_name), sqs_queue_arn(account, region, args.dlq_name)
        dlq = aws.sqs.Queue(
            f"{name}-dlq", name=args.dlq_name, sqs_managed_sse_enabled=True,
            message_retention_seconds=args.dlq_retention_days * DAY,
            redrive_allow_policy=json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [arn]}),
            tags=args.context.tagged(args.dlq_name), opts=ResourceOptions(parent=self))
        aws.sqs.Queue(
            f"{name}-queue", name=args.queue_name, sqs_managed_sse_enabled=True,
            visibility_timeout_seconds=args.visibility_timeout_seconds,
            message_retention_seconds=args.retention_days * DAY, receive_wait_time_seconds=20,
            redrive_policy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": args.max_receive_count}),
            tags=args.context.tagged(args.queue_name), opts=ResourceOptions(parent=self, depends_on=[dlq]))

        self.name, self.arn, self.url = args.queue_name, arn, sqs_queue_url(account, region, args.queue_name)
        self.dlq_name, self.dlq_arn = args.dlq_name, dlq_arn
        self.dlq_url = sqs_queue_url(account, region, args.dlq_name)
        self.register_outputs({"name": self.name, "url": self.url, "dlqName": self.dlq_name, "dlqUrl": self.dlq_url})
