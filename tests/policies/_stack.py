"""A small secure stack in the engine's wire form, and helpers to weaken it one control at a time.

It has one of everything the security pack looks at, wired the way the AccuNode program wires it
(property dependencies for every resource input that came from another resource's output).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from accunode.engine.graph import UNKNOWN_STRING, Resource

PROJECT, STACK = "accunode", "test"
SECRET_SIG = {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270"}


def secret(value: Any) -> dict[str, Any]:
    return {**SECRET_SIG, "value": value}


class StackBuilder:
    def __init__(self) -> None:
        self.resources: dict[str, Resource] = {}

    def urn(self, type_: str, name: str) -> str:
        return f"urn:pulumi:{STACK}::{PROJECT}::{type_}::{name}"

    def id(self, name: str) -> str:
        return self.resources[name].outputs["id"]

    def arn(self, name: str) -> str:
        return self.resources[name].outputs["arn"]

    def add(self, type_: str, name: str, inputs: dict[str, Any], **deps: str | list[str]) -> Resource:
        """``deps``: input name -> the names of the resources its value came from."""
        property_dependencies = {key: [self.resources[n].urn for n in ([v] if isinstance(v, str) else v)]
                                 for key, v in deps.items()}
        kind = type_.rsplit(":", 1)[1].lower()
        outputs = {**copy.deepcopy(inputs), "id": inputs.get("name", f"{kind}-{name}"),
                   "arn": f"arn:aws:{type_.split(':')[1].split('/')[0]}:us-east-1:123456789012:{kind}/{name}"}
        resource = Resource(urn=self.urn(type_, name), type=type_, name=name, custom=True, inputs=inputs,
                            outputs=outputs, dependencies=sorted({u for us in property_dependencies.values()
                                                                  for u in us}),
                            property_dependencies=property_dependencies)
        self.resources[name] = resource
        return resource


def container_definitions(**overrides: Any) -> str:
    container = {
        "name": "api", "image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/accunode:2026.11.26-1",
        "user": "1000:1000", "readonlyRootFilesystem": True, "privileged": False, "essential": True,
        "environment": [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8000"}],
        "secrets": [{"name": "DATABASE_URL",
                     "valueFrom": "arn:aws:ssm:us-east-1:123456789012:parameter/accunode/test/database-url"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/accunode/test/api"}},
        "mountPoints": [{"sourceVolume": "tmp", "containerPath": "/tmp"}],
        "linuxParameters": {"capabilities": {"drop": ["ALL"]}, "initProcessEnabled": True},
    }
    container.update(overrides)
    return json.dumps([container])


def policy_document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


GITHUB_PROVIDER = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"


def github_trust(sub: Any = "repo:accunode/accunode:ref:refs/heads/prod", aud: Any = "sts.amazonaws.com") -> str:
    condition: dict[str, Any] = {"StringEquals": {}}
    if aud is not None:
        condition["StringEquals"]["token.actions.githubusercontent.com:aud"] = aud
    if sub is not None:
        condition["StringLike"] = {"token.actions.githubusercontent.com:sub": sub}
    return policy_document({"Effect": "Allow", "Principal": {"Federated": GITHUB_PROVIDER},
                            "Action": "sts:AssumeRoleWithWebIdentity", "Condition": condition})


def secure_stack() -> StackBuilder:
    s = StackBuilder()
    s.add("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16", "enableDnsHostnames": True})
    s.add("aws:ec2/internetGateway:InternetGateway", "igw", {"vpcId": s.id("vpc")}, vpcId="vpc")
    for tier in ("public", "private"):
        s.add("aws:ec2/subnet:Subnet", f"{tier}-a", {"vpcId": s.id("vpc"), "cidrBlock": "10.0.0.0/20",
                                                    "availabilityZone": "us-east-1a", "mapPublicIpOnLaunch": False},
              vpcId="vpc")
    s.add("aws:ec2/eip:Eip", "nat-eip", {"domain": "vpc"})
    s.add("aws:ec2/natGateway:NatGateway", "nat", {"subnetId": s.id("public-a"), "allocationId": s.id("nat-eip")},
          subnetId="public-a", allocationId="nat-eip")
    s.add("aws:ec2/routeTable:RouteTable", "public-rt", {"vpcId": s.id("vpc")}, vpcId="vpc")
    s.add("aws:ec2/route:Route", "public-default", {"routeTableId": s.id("public-rt"), "gatewayId": s.id("igw"),
                                                     "destinationCidrBlock": "0.0.0.0/0"},
          routeTableId="public-rt", gatewayId="igw")
    s.add("aws:ec2/routeTable:RouteTable", "private-rt",
          {"vpcId": s.id("vpc"), "routes": [{"cidrBlock": "0.0.0.0/0", "natGatewayId": s.id("nat")}]},
          vpcId="vpc", routes="nat")
    for tier in ("public", "private"):
        s.add("aws:ec2/routeTableAssociation:RouteTableAssociation", f"{tier}-a-rta",
              {"subnetId": s.id(f"{tier}-a"), "routeTableId": s.id(f"{tier}-rt")},
              subnetId=f"{tier}-a", routeTableId=f"{tier}-rt")
    s.add("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "default-sg",
          {"vpcId": s.id("vpc"), "ingress": [], "egress": []}, vpcId="vpc")
    s.add("aws:cloudwatch/logGroup:LogGroup", "flow-logs", {"name": "/accunode/test/vpc-flow", "retentionInDays": 30})
    s.add("aws:ec2/flowLog:FlowLog", "flow-log", {"vpcId": s.id("vpc"), "trafficType": "ALL",
                                                   "logDestination": s.arn("flow-logs")},
          vpcId="vpc", logDestination="flow-logs")

    for group in ("alb-sg", "api-sg", "data-sg"):
        s.add("aws:ec2/securityGroup:SecurityGroup", group, {"vpcId": s.id("vpc"), "description": group}, vpcId="vpc")
    ingress, egress = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", \
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
    for name, cidr in (("alb-https", {"cidrIpv4": "0.0.0.0/0"}), ("alb-https-v6", {"cidrIpv6": "::/0"})):
        s.add(ingress, name, {"securityGroupId": s.id("alb-sg"), "ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
                              **cidr}, securityGroupId="alb-sg")
    s.add(ingress, "alb-http", {"securityGroupId": s.id("alb-sg"), "ipProtocol": "tcp", "fromPort": 80, "toPort": 80,
                                "cidrIpv4": "0.0.0.0/0"}, securityGroupId="alb-sg")
    s.add(egress, "alb-to-api", {"securityGroupId": s.id("alb-sg"), "ipProtocol": "tcp", "fromPort": 8000,
                                 "toPort": 8000, "referencedSecurityGroupId": s.id("api-sg")},
          securityGroupId="alb-sg", referencedSecurityGroupId="api-sg")
    s.add(ingress, "api-from-alb", {"securityGroupId": s.id("api-sg"), "ipProtocol": "tcp", "fromPort": 8000,
                                    "toPort": 8000, "referencedSecurityGroupId": s.id("alb-sg")},
          securityGroupId="api-sg", referencedSecurityGroupId="alb-sg")
    s.add(egress, "api-https-out", {"securityGroupId": s.id("api-sg"), "ipProtocol": "tcp", "fromPort": 443,
                                    "toPort": 443, "cidrIpv4": "0.0.0.0/0"}, securityGroupId="api-sg")
    for port in (5432, 6379):
        s.add(ingress, f"data-{port}-from-api", {"securityGroupId": s.id("data-sg"), "ipProtocol": "tcp",
                                                  "fromPort": port, "toPort": port,
                                                  "referencedSecurityGroupId": s.id("api-sg")},
              securityGroupId="data-sg", referencedSecurityGroupId="api-sg")

    s.add("aws:rds/subnetGroup:SubnetGroup", "db-subnets",
          {"name": "accunode-test-db", "subnetIds": [s.id("private-a")]}, subnetIds="private-a")
    s.add("aws:rds/parameterGroup:ParameterGroup", "db-params",
          {"name": "accunode-test-pg16", "family": "postgres16",
           "parameters": [{"name": "rds.force_ssl", "value": "1", "applyMethod": "pending-reboot"}]})
    s.add("aws:rds/instance:Instance", "db", {
        "engine": "postgres", "instanceClass": "db.t3.small", "storageEncrypted": True, "publiclyAccessible": False,
        "backupRetentionPeriod": 7, "deletionProtection": True, "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "accunode-test-final", "dbSubnetGroupName": "accunode-test-db",
        "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
        "parameterGroupName": "accunode-test-pg16", "vpcSecurityGroupIds": [s.id("data-sg")],
        "manageMasterUserPassword": True},
        dbSubnetGroupName="db-subnets", parameterGroupName="db-params", vpcSecurityGroupIds="data-sg")
    s.add("aws:elasticache/subnetGroup:SubnetGroup", "cache-subnets",
          {"name": "accunode-test-cache", "subnetIds": [s.id("private-a")]}, subnetIds="private-a")
    s.add("aws:elasticache/replicationGroup:ReplicationGroup", "cache", {
        "engine": "redis", "nodeType": "cache.t3.micro", "atRestEncryptionEnabled": True,
        "transitEncryptionEnabled": True, "authToken": secret("not-a-real-token-0123456789abcdef"),
        "snapshotRetentionLimit": 7, "replicationGroupId": "accunode-test-redis",
        "subnetGroupName": "accunode-test-cache", "securityGroupIds": [s.id("data-sg")]},
        subnetGroupName="cache-subnets", securityGroupIds="data-sg")

    tasks_trust = policy_document({"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                                   "Action": "sts:AssumeRole"})
    for role in ("execution-role", "task-role"):
        s.add("aws:iam/role:Role", role, {"name": f"accunode-test-{role}", "assumeRolePolicy": tasks_trust})
        s.resources[role].outputs["arn"] = f"arn:aws:iam::123456789012:role/accunode-test-{role}"
    s.add("aws:iam/rolePolicy:RolePolicy", "execution-policy", {
        "role": "accunode-test-execution-role",
        "policy": policy_document(
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
             "Resource": "arn:aws:logs:us-east-1:123456789012:log-group:/accunode/test/*"})},
        role="execution-role")
    s.add("aws:iam/role:Role", "deploy-role", {"name": "accunode-test-deploy", "assumeRolePolicy": github_trust()})
    s.add("aws:iam/rolePolicy:RolePolicy", "deploy-policy", {
        "role": "accunode-test-deploy",
        "policy": policy_document(
            {"Effect": "Allow", "Action": "iam:PassRole",
             "Resource": [s.arn("execution-role"), s.arn("task-role")]},
            {"Effect": "Allow", "Action": ["ecs:UpdateService"],
             "Resource": "arn:aws:ecs:us-east-1:123456789012:service/accunode-test/*"})},
        role="deploy-role")
    s.add("aws:iam/policy:Policy", "app-policy", {"policy": policy_document(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::accunode-test-app/*"})})
    s.add("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "app-policy-attach",
          {"role": "accunode-test-task-role", "policyArn": s.arn("app-policy")}, role="task-role",
          policyArn="app-policy")

    s.add("aws:cloudwatch/logGroup:LogGroup", "api-logs", {"name": "/accunode/test/api", "retentionInDays": 30})
    s.add("aws:ecs/taskDefinition:TaskDefinition", "api-task", {
        "family": "accunode-test-api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
        "cpu": "512", "memory": "1024", "containerDefinitions": container_definitions(),
        "executionRoleArn": s.arn("execution-role"), "taskRoleArn": s.arn("task-role")},
        executionRoleArn="execution-role", taskRoleArn="task-role")
    for group in ("api-tg", "api-tg-alt"):
        s.add("aws:lb/targetGroup:TargetGroup", group, {"port": 8000, "protocol": "HTTP", "targetType": "ip",
                                                        "vpcId": s.id("vpc")}, vpcId="vpc")
    s.add("aws:ecs/service:Service", "api-service", {
        "name": "accunode-test-api", "launchType": "FARGATE", "taskDefinition": s.arn("api-task"),
        "networkConfiguration": {"subnets": [s.id("private-a")], "securityGroups": [s.id("api-sg")],
                                 "assignPublicIp": False}, "enableExecuteCommand": False,
        "loadBalancers": [{"targetGroupArn": s.arn("api-tg"), "containerName": "api", "containerPort": 8000,
                           "advancedConfiguration": {"alternateTargetGroupArn": s.arn("api-tg-alt")}}],
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "15"},
        "alarms": {"alarmNames": ["accunode-test-alb-5xx-rate"], "enable": True, "rollback": True}},
        networkConfiguration=["private-a", "api-sg"], taskDefinition="api-task", loadBalancers=["api-tg", "api-tg-alt"])
    s.add("aws:ecr/repository:Repository", "repo", {
        "name": "accunode-test", "imageTagMutability": "IMMUTABLE",
        "imageScanningConfiguration": {"scanOnPush": True}})
    s.add("aws:ecr/lifecyclePolicy:LifecyclePolicy", "repo-lifecycle", {
        "repository": "accunode-test", "policy": json.dumps({"rules": [
            {"rulePriority": 1, "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                                              "countUnit": "days", "countNumber": 1},
             "action": {"type": "expire"}}]})}, repository="repo")

    s.add("aws:s3/bucket:Bucket", "alb-logs", {"bucket": "accunode-test-alb-logs"})
    s.add("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "alb-logs-pab", {
        "bucket": "accunode-test-alb-logs", "blockPublicAcls": True, "blockPublicPolicy": True,
        "ignorePublicAcls": True, "restrictPublicBuckets": True}, bucket="alb-logs")
    s.add("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "alb-logs-sse", {
        "bucket": "accunode-test-alb-logs",
        "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}, bucket="alb-logs")
    s.add("aws:lb/loadBalancer:LoadBalancer", "alb", {
        "name": "accunode-test", "loadBalancerType": "application", "internal": False,
        "securityGroups": [s.id("alb-sg")], "subnets": [s.id("public-a")], "dropInvalidHeaderFields": True,
        "enableDeletionProtection": True, "accessLogs": {"bucket": "accunode-test-alb-logs", "enabled": True}},
        securityGroups="alb-sg", subnets="public-a", accessLogs="alb-logs")
    s.add("aws:lb/listener:Listener", "https", {
        "loadBalancerArn": s.arn("alb"), "protocol": "HTTPS", "port": 443,
        "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "certificateArn": "arn:aws:acm:us-east-1:123456789012:certificate/5f0c7a4e",
        "defaultActions": [{"type": "forward", "targetGroupArn": s.arn("api-tg")}]},
        loadBalancerArn="alb", defaultActions="api-tg")
    s.add("aws:lb/listener:Listener", "http", {
        "loadBalancerArn": s.arn("alb"), "protocol": "HTTP", "port": 80,
        "defaultActions": [{"type": "redirect",
                            "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}}]},
        loadBalancerArn="alb")
    s.add("aws:wafv2/webAcl:WebAcl", "waf", {"scope": "REGIONAL"})
    s.add("aws:wafv2/webAclAssociation:WebAclAssociation", "waf-alb",
          {"resourceArn": s.arn("alb"), "webAclArn": s.arn("waf")}, resourceArn="alb", webAclArn="waf")

    _more_of_everything(s)
    s.add("aws:ssm/parameter:Parameter", "database-url", {
        "name": "/accunode/test/database-url", "type": "SecureString",
        "value": secret("postgresql://app:pw@db:5432/accunode?sslmode=require")})
    s.add("aws:ssm/parameter:Parameter", "log-level", {"name": "/accunode/test/log-level", "type": "String",
                                                       "value": "info"})
    return s


def _more_of_everything(s: StackBuilder) -> None:
    """Compliant instances of the types the program does not use today, so every rule runs and passes."""
    account_root = {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"}, "Action": "kms:*",
                    "Resource": "*"}
    s.add("aws:kms/key:Key", "key", {"enableKeyRotation": True, "policy": policy_document(account_root)})
    s.add("aws:sns/topic:Topic", "alarms", {"name": "accunode-test-alarms", "kmsMasterKeyId": s.arn("key")},
          kmsMasterKeyId="key")
    s.add("aws:sqs/queue:Queue", "jobs", {"name": "accunode-test-jobs", "sqsManagedSseEnabled": True})
    s.add("aws:sqs/queuePolicy:QueuePolicy", "jobs-policy", {"queueUrl": s.id("jobs"), "policy": policy_document(
        {"Effect": "Allow", "Principal": "*", "Action": "sqs:SendMessage", "Resource": s.arn("jobs"),
         "Condition": {"ArnEquals": {"aws:SourceArn": s.arn("alarms")}}})}, queueUrl="jobs")
    s.add("aws:s3/bucketPolicy:BucketPolicy", "alb-logs-policy", {"bucket": "accunode-test-alb-logs",
                                                                   "policy": policy_document(
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::accunode-test-alb-logs/*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Allow", "Principal": {"Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
         "Action": "s3:PutObject", "Resource": "arn:aws:s3:::accunode-test-alb-logs/*"})}, bucket="alb-logs")
    s.add("aws:cloudwatch/eventRule:EventRule", "nightly", {"scheduleExpression": "cron(0 3 * * ? *)"})
    s.add("aws:cloudwatch/eventTarget:EventTarget", "nightly-task", {
        "rule": "nightly", "arn": "arn:aws:ecs:us-east-1:123456789012:cluster/accunode-test",
        "input": json.dumps({"containerOverrides": [{"name": "api", "environment": [
            {"name": "JOB", "value": "reindex"}]}]}),
        "ecsTarget": {"taskDefinitionArn": s.arn("api-task"), "launchType": "FARGATE", "enableExecuteCommand": False,
                      "networkConfiguration": {"subnets": [s.id("private-a")], "securityGroups": [s.id("api-sg")],
                                               "assignPublicIp": False}}},
        rule="nightly", ecsTarget=["api-task", "private-a", "api-sg"])
    s.add("aws:ec2/launchTemplate:LaunchTemplate", "bastion-lt", {
        "metadataOptions": {"httpTokens": "required", "httpEndpoint": "enabled"},
        "networkInterfaces": [{"associatePublicIpAddress": "false", "subnetId": s.id("private-a")}]},
        networkInterfaces="private-a")
    s.add("aws:lambda/functionUrl:FunctionUrl", "hook-url", {"functionName": "accunode-test-hook",
                                                            "authorizationType": "AWS_IAM"})
    s.add("aws:lambda/function:Function", "hook", {"functionName": "accunode-test-hook",
                                                  "environment": {"variables": {"MODEL_KEY": "models/v3/model.onnx"}}})
    s.add("aws:lambda/permission:Permission", "hook-invoke", {
        "function": "accunode-test-hook", "action": "lambda:InvokeFunction", "principal": "events.amazonaws.com",
        "sourceArn": "arn:aws:events:us-east-1:123456789012:rule/nightly"})
    s.add("aws:rds/clusterParameterGroup:ClusterParameterGroup", "aurora-params", {
        "name": "accunode-test-aurora", "family": "aurora-postgresql16",
        "parameters": [{"name": "rds.force_ssl", "value": "1"}]})
    s.add("aws:rds/cluster:Cluster", "aurora", {
        "clusterIdentifier": "accunode-test-aurora", "engine": "aurora-postgresql", "storageEncrypted": True,
        "backupRetentionPeriod": 7, "deletionProtection": True, "skipFinalSnapshot": False,
        "finalSnapshotIdentifier": "accunode-test-aurora-final", "dbSubnetGroupName": "accunode-test-db",
        "dbClusterParameterGroupName": "accunode-test-aurora", "vpcSecurityGroupIds": [s.id("data-sg")],
        "enabledCloudwatchLogsExports": ["postgresql"], "manageMasterUserPassword": True},
        dbSubnetGroupName="db-subnets", dbClusterParameterGroupName="aurora-params", vpcSecurityGroupIds="data-sg")
    s.add("aws:rds/clusterInstance:ClusterInstance", "aurora-1", {
        "clusterIdentifier": "accunode-test-aurora", "instanceClass": "db.r6g.large", "engine": "aurora-postgresql",
        "publiclyAccessible": False}, clusterIdentifier="aurora")
    s.add("aws:elasticache/cluster:Cluster", "cache-node", {"clusterId": "accunode-test-redis-001",
                                                           "replicationGroupId": "accunode-test-redis"},
          replicationGroupId="cache")
    s.add("aws:lb/listenerRule:ListenerRule", "https-api", {
        "listenerArn": s.arn("https"), "priority": 10,
        "conditions": [{"pathPattern": {"values": ["/api/*"]}}],
        "actions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:tg/api"}]},
        listenerArn="https")


def set_prop(resource: Resource, path: str, value: Any) -> None:
    """Set ``a.b.0.c`` in both the inputs and the outputs (``UNSET`` deletes it)."""
    for props in (resource.inputs, resource.outputs):
        _set(props, path.split("."), value)


UNSET = object()


def _set(target: Any, steps: list[str], value: Any) -> None:
    for step in steps[:-1]:
        target = target[int(step)] if isinstance(target, list) else target.setdefault(step, {})
    last = steps[-1]
    if isinstance(target, list):
        target[int(last)] = value
    elif value is UNSET:
        target.pop(last, None)
    else:
        target[last] = value


__all__ = ["UNKNOWN_STRING", "UNSET", "StackBuilder", "container_definitions", "github_trust", "policy_document",
           "secret", "secure_stack", "set_prop"]
