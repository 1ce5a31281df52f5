"""Scaling specs: the deployment review's API CPU target and worker queue thresholds."""

from __future__ import annotations

import pytest

from accunode.specs.scaling import CpuScaling, QueueScaling, resource_id


def test_api_tracks_70_percent_cpu_scaling_out_faster_than_in():
    policy = CpuScaling(1, 10).policy()
    assert policy["target_value"] == 70
    assert policy["predefined_metric_specification"] == {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}
    assert (policy["scale_out_cooldown"], policy["scale_in_cooldown"]) == (120, 300)


def test_worker_scales_out_above_5_messages_for_1_minute_and_in_below_2_for_5_minutes():
    scaling = QueueScaling("accunode-prod-jobs", 1, 5)
    out, in_ = scaling.steps()
    out_alarm, in_alarm = scaling.alarm(out), scaling.alarm(in_)
    for alarm in (out_alarm, in_alarm):
        assert alarm["namespace"] == "AWS/SQS" and alarm["metric_name"] == "ApproximateNumberOfMessagesVisible"
        assert alarm["dimensions"] == {"QueueName": "accunode-prod-jobs"} and alarm["period"] == 60
    assert (out_alarm["comparison_operator"], out_alarm["threshold"], out_alarm["evaluation_periods"]) == (
        "GreaterThanThreshold", 5, 1)
    assert (in_alarm["comparison_operator"], in_alarm["threshold"], in_alarm["evaluation_periods"]) == (
        "LessThanThreshold", 2, 5)


def test_worker_steps_add_one_task_above_the_threshold_and_remove_one_below():
    scaling = QueueScaling("q", 0, 5)
    out, in_ = (scaling.policy(step) for step in scaling.steps())
    assert out["step_adjustments"] == [{"metric_interval_lower_bound": "0", "scaling_adjustment": 1}]
    assert in_["step_adjustments"] == [{"metric_interval_upper_bound": "0", "scaling_adjustment": -1}]
    assert out["adjustment_type"] == in_["adjustment_type"] == "ChangeInCapacity"


def test_worker_may_scale_to_zero():
    assert QueueScaling("q", 0, 2).min_capacity == 0


@pytest.mark.parametrize("make", [
    lambda: CpuScaling(3, 2), lambda: CpuScaling(0, 0), lambda: CpuScaling(1, 2, target_percent=99),
    lambda: QueueScaling("q", 2, 1), lambda: QueueScaling("q", 0, 2, scale_out_above=2, scale_in_below=2),
])
def test_scaling_specs_reject_ranges_that_cannot_work(make):
    with pytest.raises(ValueError):
        make()


def test_scalable_target_is_the_service_in_its_cluster():
    assert resource_id("accunode-prod", "accunode-prod-api") == "service/accunode-prod/accunode-prod-api"
