"""The work queue: encrypted, a DLQ after 5 failed receives that keeps messages 14 days, names known up front."""

from __future__ import annotations

import json

import pytest

from accunode.engine.capture import run_program
from accunode.engine.graph import ResourceGraph, contains_unknown
from components.queue import WorkQueue, WorkQueueArgs
from tests.components.stack import stack_context

QUEUE = "aws:sqs/queue:Queue"


def _build(preview: bool = False, **overrides) -> ResourceGraph:
    args = WorkQueueArgs(**{"context": stack_context(), "queue_name": "accunode-test-jobs", **overrides})
    return run_program(lambda: WorkQueue("queue", args), preview=preview)


@pytest.fixture(scope="module")
def graph() -> ResourceGraph:
    return _build()


def test_both_queues_are_encrypted_with_sqs_managed_keys(graph):
    assert [q.props["sqsManagedSseEnabled"] for q in graph.of_type(QUEUE)] == [True, True]


def test_failed_messages_move_to_the_dlq_after_5_receives_and_stay_14_days(graph):
    queue, dlq = graph.find(QUEUE, "queue-queue").props, graph.find(QUEUE, "queue-dlq").props
    assert json.loads(queue["redrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:accunode-test-jobs-dlq", "maxReceiveCount": 5}
    assert dlq["messageRetentionSeconds"] == 14 * 86400
    assert dlq["name"] == "accunode-test-jobs-dlq"
    assert json.loads(dlq["redriveAllowPolicy"]) == {
        "redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:us-east-1:123456789012:accunode-test-jobs"]}


def test_the_queue_is_created_after_its_dlq_and_its_redrive_policy_is_known_at_preview():
    graph = _build(preview=True)
    queue = graph.find(QUEUE, "queue-queue")
    assert graph.find(QUEUE, "queue-dlq").urn in queue.dependencies
    assert not contains_unknown(queue.inputs["redrivePolicy"])


def test_url_and_arns_are_built_from_account_region_and_name():
    queues: list[WorkQueue] = []
    run_program(lambda: queues.append(WorkQueue("queue", WorkQueueArgs(stack_context(region="eu-west-1"), "jobs"))))
    assert queues[0].url == "https://sqs.eu-west-1.amazonaws.com/123456789012/jobs"
    assert queues[0].dlq_arn == "arn:aws:sqs:eu-west-1:123456789012:jobs-dlq"


@pytest.mark.parametrize("overrides, message", [
    ({"queue_name": "jobs.fifo"}, "queue_name"),
    ({"max_receive_count": 0}, "max_receive_count"),
    ({"dlq_retention_days": 15}, "dlq_retention_days"),
    ({"retention_days": 10, "dlq_retention_days": 7}, "expire early"),
])
def test_queue_args_reject_invalid_values(overrides, message):
    with pytest.raises(ValueError, match=message):
        WorkQueueArgs(**{"context": stack_context(), "queue_name": "jobs", **overrides})
