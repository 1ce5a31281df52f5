"""Replay captured stacks into an emulated AWS account (a moto server): one boto3 create per resource.

Each resource of a captured graph becomes the API calls pulumi-aws makes to create it, with the
parameters derived from the resource's recorded inputs. Resources are replayed in registration
order (the SDK registers a resource only after the resources it depends on). The ids, ARNs and
endpoints the mocks invented are replaced by the ones the emulated account returns, wherever they
occur in later inputs (also inside strings: connection URLs, dashboard bodies). botocore validates
every call against the service model before it is sent, and moto rejects what collides with what
an earlier stack created (a second OIDC provider for one URL, a role or bucket name taken).

What is not replayed, and why, is in ``NOT_REPLAYED``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import boto3

from accunode.engine.graph import Resource, ResourceGraph

NOT_REPLAYED = {
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup":
        "adopts the VPC's default group (the provider revokes its rules; nothing is created)",
    "random:index/randomPassword:RandomPassword": "not an AWS resource (its captured value is used)",
    "random:index/randomId:RandomId": "not an AWS resource (its captured value is used)",
}
Handler = Callable[["Replay", dict[str, Any], Resource], dict[str, str]]
HANDLERS: dict[str, Handler] = {}


def handles(type_: str) -> Callable[[Handler], Handler]:
    def register(function: Handler) -> Handler:
        HANDLERS[type_] = function
        return function
    return register


class ReplayError(AssertionError):
    pass


class Replay:
    """One emulated account; ``replay(graph)`` creates a captured stack in it."""

    def __init__(self, endpoint: str, region: str = "us-east-1") -> None:
        self.endpoint, self.region = endpoint, region
        self.real: dict[str, str] = {}
        self.created: list[tuple[str, str, str]] = []  # (stack, type, name)
        self._clients: dict[str, Any] = {}
        self._serial = 0

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = boto3.client(
                service, region_name=self.region, endpoint_url=self.endpoint,
                aws_access_key_id="testing", aws_secret_access_key="testing")
        return self._clients[service]

    def unique(self, prefix: str) -> str:
        """A name as the provider generates it from a prefix (Terraform's 26-digit unique id)."""
        self._serial += 1
        return f"{prefix}{20261201000000000000000000 + self._serial}"

    def autoname(self, resource: Resource, length: int = 7) -> str:
        """Pulumi's auto-name: the logical name and a random hex suffix."""
        return f"{resource.name}-{hashlib.sha256(resource.urn.encode()).hexdigest()[:length]}"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            if value in self.real:
                return self.real[value]
            for fake in sorted((k for k in self.real if len(k) >= 12 and k in value), key=len, reverse=True):
                value = value.replace(fake, self.real[fake])
        return value

    def replay(self, graph: ResourceGraph, substitutions: dict[str, str] | None = None) -> None:
        self.real.update(substitutions or {})
        for resource in graph.custom_resources:
            if resource.type in NOT_REPLAYED:
                continue
            handler = HANDLERS.get(resource.type)
            if handler is None:
                raise ReplayError(f"{graph.stack}: no replay for {resource.type}; add one or list it in NOT_REPLAYED")
            props = self.resolve({k: v for k, v in resource.props.items() if k != "tagsAll"})
            try:
                real = handler(self, props, resource)
            except Exception as error:
                raise ReplayError(f"{graph.stack}: creating {resource.type} {resource.name} failed: "
                                  f"{type(error).__name__}: {error}") from error
            chosen = {v for v in resource.props.values() if isinstance(v, str)}  # names the program chose
            for key, value in real.items():
                captured = resource.outputs.get(key)
                if isinstance(captured, str) and captured and captured != value and captured not in chosen:
                    self.real[captured] = value
            self.created.append((graph.stack, resource.type, resource.name))


def _tags(props: dict[str, Any], key: str = "Key", value: str = "Value") -> list[dict[str, str]]:
    return [{key: k, value: v} for k, v in (props.get("tags") or {}).items()]


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


# ---- network -----------------------------------------------------------------------------------
@handles("aws:ec2/vpc:Vpc")
def _vpc(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    ec2 = r.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=p["cidrBlock"], TagSpecifications=[
        {"ResourceType": "vpc", "Tags": _tags(p)}])["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": p["enableDnsSupport"]})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": p["enableDnsHostnames"]})
    return {"id": vpc}


@handles("aws:ec2/internetGateway:InternetGateway")
def _igw(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    ec2 = r.client("ec2")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=p["vpcId"])
    return {"id": igw}


@handles("aws:ec2/subnet:Subnet")
def _subnet(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    subnet = r.client("ec2").create_subnet(VpcId=p["vpcId"], CidrBlock=p["cidrBlock"],
                                           AvailabilityZone=p["availabilityZone"])["Subnet"]
    return {"id": subnet["SubnetId"], "arn": subnet["SubnetArn"]}


@handles("aws:ec2/routeTable:RouteTable")
def _route_table(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    return {"id": r.client("ec2").create_route_table(VpcId=p["vpcId"])["RouteTable"]["RouteTableId"]}


@handles("aws:ec2/route:Route")
def _route(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("ec2").create_route(**_drop_none({
        "RouteTableId": p["routeTableId"], "DestinationCidrBlock": p["destinationCidrBlock"],
        "GatewayId": p.get("gatewayId"), "NatGatewayId": p.get("natGatewayId")}))
    return {}


@handles("aws:ec2/eip:Eip")
def _eip(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    address = r.client("ec2").allocate_address(Domain=p["domain"])
    return {"id": address["AllocationId"], "allocationId": address["AllocationId"], "publicIp": address["PublicIp"]}


@handles("aws:ec2/natGateway:NatGateway")
def _nat(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    nat = r.client("ec2").create_nat_gateway(AllocationId=p["allocationId"], SubnetId=p["subnetId"],
                                             ConnectivityType=p["connectivityType"])["NatGateway"]
    return {"id": nat["NatGatewayId"]}


@handles("aws:ec2/routeTableAssociation:RouteTableAssociation")
def _association(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    return {"id": r.client("ec2").associate_route_table(RouteTableId=p["routeTableId"],
                                                        SubnetId=p["subnetId"])["AssociationId"]}


@handles("aws:ec2/vpcEndpoint:VpcEndpoint")
def _endpoint(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    endpoint = r.client("ec2").create_vpc_endpoint(VpcId=p["vpcId"], ServiceName=p["serviceName"],
                                                   VpcEndpointType=p["vpcEndpointType"],
                                                   RouteTableIds=p["routeTableIds"])["VpcEndpoint"]
    return {"id": endpoint["VpcEndpointId"]}


@handles("aws:ec2/flowLog:FlowLog")
def _flow_log(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    result = r.client("ec2").create_flow_logs(
        ResourceIds=[p["vpcId"]], ResourceType="VPC", TrafficType=p["trafficType"],
        LogDestinationType=p["logDestinationType"], LogDestination=p["logDestination"],
        DeliverLogsPermissionArn=p["iamRoleArn"], MaxAggregationInterval=p["maxAggregationInterval"])
    if result.get("Unsuccessful"):
        raise ReplayError(str(result["Unsuccessful"]))
    return {"id": result["FlowLogIds"][0]}


@handles("aws:ec2/securityGroup:SecurityGroup")
def _security_group(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    name = p.get("name") or r.unique(p["namePrefix"])
    ec2 = r.client("ec2")
    group = ec2.create_security_group(GroupName=name, Description=p["description"], VpcId=p["vpcId"],
                                      TagSpecifications=[{"ResourceType": "security-group", "Tags": _tags(p)}])
    group_id = group["GroupId"]
    # The provider removes AWS's default allow-all egress from a new group.
    ec2.revoke_security_group_egress(GroupId=group_id, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    return {"id": group_id}


def _rule(p: dict[str, Any]) -> dict[str, Any]:
    permission: dict[str, Any] = {"IpProtocol": p["ipProtocol"], "FromPort": p["fromPort"], "ToPort": p["toPort"]}
    if p.get("cidrIpv4"):
        permission["IpRanges"] = [{"CidrIp": p["cidrIpv4"], "Description": p["description"]}]
    else:
        permission["UserIdGroupPairs"] = [{"GroupId": p["referencedSecurityGroupId"], "Description": p["description"]}]
    return permission


@handles("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
def _ingress(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    result = r.client("ec2").authorize_security_group_ingress(GroupId=p["securityGroupId"], IpPermissions=[_rule(p)])
    return {"id": result["SecurityGroupRules"][0]["SecurityGroupRuleId"]} if result.get("SecurityGroupRules") else {}


@handles("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")
def _egress(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    result = r.client("ec2").authorize_security_group_egress(GroupId=p["securityGroupId"], IpPermissions=[_rule(p)])
    return {"id": result["SecurityGroupRules"][0]["SecurityGroupRuleId"]} if result.get("SecurityGroupRules") else {}


# ---- logs, IAM, KMS ----------------------------------------------------------------------------
@handles("aws:cloudwatch/logGroup:LogGroup")
def _log_group(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    logs = r.client("logs")
    logs.create_log_group(logGroupName=p["name"], tags=p.get("tags") or {})
    logs.put_retention_policy(logGroupName=p["name"], retentionInDays=p["retentionInDays"])
    return {}


@handles("aws:iam/role:Role")
def _role(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    role = r.client("iam").create_role(**_drop_none({
        "RoleName": p["name"], "AssumeRolePolicyDocument": p["assumeRolePolicy"], "Description": p.get("description"),
        "MaxSessionDuration": p.get("maxSessionDuration"), "Tags": _tags(p)}))["Role"]
    return {"arn": role["Arn"]}


@handles("aws:iam/rolePolicy:RolePolicy")
def _role_policy(r: Replay, p: dict[str, Any], resource: Resource) -> dict[str, str]:
    r.client("iam").put_role_policy(RoleName=p["role"], PolicyName=p.get("name") or r.autoname(resource),
                                    PolicyDocument=p["policy"])
    return {}


@handles("aws:iam/openIdConnectProvider:OpenIdConnectProvider")
def _oidc(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    arn = r.client("iam").create_open_id_connect_provider(
        Url=p["url"], ClientIDList=p["clientIdLists"], ThumbprintList=p.get("thumbprintLists") or [],
        Tags=_tags(p))["OpenIDConnectProviderArn"]
    return {"arn": arn, "id": arn}


@handles("aws:kms/key:Key")
def _key(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    kms = r.client("kms")
    key = kms.create_key(Policy=p["policy"], Description=p["description"],
                         Tags=_tags(p, "TagKey", "TagValue"))["KeyMetadata"] if p.get("policy") else kms.create_key(
        Description=p["description"], Tags=_tags(p, "TagKey", "TagValue"))["KeyMetadata"]
    if p.get("enableKeyRotation"):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    return {"id": key["KeyId"], "keyId": key["KeyId"], "arn": key["Arn"]}


@handles("aws:kms/alias:Alias")
def _alias(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("kms").create_alias(AliasName=p["name"], TargetKeyId=p["targetKeyId"])
    return {}


# ---- storage, registry, parameters, queue ------------------------------------------------------
@handles("aws:s3/bucket:Bucket")
def _bucket(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    s3 = r.client("s3")
    s3.create_bucket(Bucket=p["bucket"])
    if p.get("tags"):
        s3.put_bucket_tagging(Bucket=p["bucket"], Tagging={"TagSet": _tags(p)})
    return {}


@handles("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
def _public_access(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("s3").put_public_access_block(Bucket=p["bucket"], PublicAccessBlockConfiguration={
        "BlockPublicAcls": p["blockPublicAcls"], "IgnorePublicAcls": p["ignorePublicAcls"],
        "BlockPublicPolicy": p["blockPublicPolicy"], "RestrictPublicBuckets": p["restrictPublicBuckets"]})
    return {}


@handles("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
def _ownership(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("s3").put_bucket_ownership_controls(Bucket=p["bucket"], OwnershipControls={
        "Rules": [{"ObjectOwnership": p["rule"]["objectOwnership"]}]})
    return {}


@handles("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
def _encryption(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    rules = [{"ApplyServerSideEncryptionByDefault": _drop_none({
        "SSEAlgorithm": rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"],
        "KMSMasterKeyID": rule["applyServerSideEncryptionByDefault"].get("kmsMasterKeyId")}),
        "BucketKeyEnabled": rule.get("bucketKeyEnabled", False)} for rule in p["rules"]]
    r.client("s3").put_bucket_encryption(Bucket=p["bucket"], ServerSideEncryptionConfiguration={"Rules": rules})
    return {}


@handles("aws:s3/bucketVersioning:BucketVersioning")
def _versioning(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("s3").put_bucket_versioning(Bucket=p["bucket"], VersioningConfiguration={
        "Status": p["versioningConfiguration"]["status"]})
    return {}


@handles("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
def _lifecycle(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    rules = []
    for rule in p["rules"]:
        rules.append(_drop_none({
            "ID": rule["id"], "Status": rule["status"], "Filter": {"Prefix": ""},
            "Expiration": {"Days": rule["expiration"]["days"]} if rule.get("expiration") else None,
            "NoncurrentVersionExpiration": {"NoncurrentDays": rule["noncurrentVersionExpiration"]["noncurrentDays"]}
            if rule.get("noncurrentVersionExpiration") else None,
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": rule["abortIncompleteMultipartUpload"][
                "daysAfterInitiation"]} if rule.get("abortIncompleteMultipartUpload") else None}))
    r.client("s3").put_bucket_lifecycle_configuration(Bucket=p["bucket"], LifecycleConfiguration={"Rules": rules})
    return {}


@handles("aws:s3/bucketPolicy:BucketPolicy")
def _bucket_policy(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("s3").put_bucket_policy(Bucket=p["bucket"], Policy=p["policy"])
    return {}


@handles("aws:ecr/repository:Repository")
def _repository(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    encryption = p["encryptionConfigurations"][0]
    repository = r.client("ecr").create_repository(
        repositoryName=p["name"], imageTagMutability=p["imageTagMutability"],
        imageScanningConfiguration={"scanOnPush": p["imageScanningConfiguration"]["scanOnPush"]},
        encryptionConfiguration=_drop_none({"encryptionType": encryption["encryptionType"],
                                            "kmsKey": encryption.get("kmsKey")}),
        tags=_tags(p))["repository"]
    return {"arn": repository["repositoryArn"], "repositoryUrl": repository["repositoryUri"]}


@handles("aws:ecr/lifecyclePolicy:LifecyclePolicy")
def _ecr_lifecycle(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("ecr").put_lifecycle_policy(repositoryName=p["repository"], lifecyclePolicyText=p["policy"])
    return {}


@handles("aws:ssm/parameter:Parameter")
def _parameter(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("ssm").put_parameter(**_drop_none({
        "Name": p["name"], "Value": p["value"], "Type": p["type"], "Description": p.get("description"),
        "KeyId": p.get("keyId"), "Tags": _tags(p)}))
    return {}


@handles("aws:sqs/queue:Queue")
def _queue(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    names = {"visibilityTimeoutSeconds": "VisibilityTimeout", "messageRetentionSeconds": "MessageRetentionPeriod",
             "receiveWaitTimeSeconds": "ReceiveMessageWaitTimeSeconds", "redrivePolicy": "RedrivePolicy",
             "redriveAllowPolicy": "RedriveAllowPolicy", "sqsManagedSseEnabled": "SqsManagedSseEnabled"}
    attributes = {aws: str(p[key]).lower() if isinstance(p[key], bool) else str(p[key])
                  for key, aws in names.items() if key in p}
    url = r.client("sqs").create_queue(QueueName=p["name"], Attributes=attributes, tags=p.get("tags") or {})["QueueUrl"]
    return {"url": url, "id": url}


@handles("aws:sns/topic:Topic")
def _topic(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    arn = r.client("sns").create_topic(Name=p["name"], Attributes=_drop_none({"KmsMasterKeyId": p.get(
        "kmsMasterKeyId")}), Tags=_tags(p))["TopicArn"]
    return {"arn": arn, "id": arn}


@handles("aws:sns/topicSubscription:TopicSubscription")
def _subscription(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("sns").subscribe(TopicArn=p["topic"], Protocol=p["protocol"], Endpoint=p["endpoint"])
    return {}


# ---- data tier ---------------------------------------------------------------------------------
@handles("aws:rds/subnetGroup:SubnetGroup")
def _db_subnets(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("rds").create_db_subnet_group(DBSubnetGroupName=p["name"], DBSubnetGroupDescription=p["description"],
                                           SubnetIds=p["subnetIds"], Tags=_tags(p))
    return {}


@handles("aws:rds/parameterGroup:ParameterGroup")
def _db_parameters(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    rds, name = r.client("rds"), p.get("name") or r.unique(p["namePrefix"])
    rds.create_db_parameter_group(DBParameterGroupName=name, DBParameterGroupFamily=p["family"],
                                  Description=p["description"], Tags=_tags(p))
    rds.modify_db_parameter_group(DBParameterGroupName=name, Parameters=[
        {"ParameterName": q["name"], "ParameterValue": q["value"], "ApplyMethod": q["applyMethod"]}
        for q in p["parameters"]])
    return {"id": name, "name": name}


@handles("aws:rds/instance:Instance")
def _db_instance(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    instance = r.client("rds").create_db_instance(**_drop_none({
        "DBInstanceIdentifier": p["identifier"], "Engine": p["engine"], "EngineVersion": p.get("engineVersion"),
        "DBInstanceClass": p["instanceClass"], "AllocatedStorage": p["allocatedStorage"],
        "MaxAllocatedStorage": p.get("maxAllocatedStorage"), "StorageType": p.get("storageType"),
        "StorageEncrypted": p.get("storageEncrypted"), "KmsKeyId": p.get("kmsKeyId"), "DBName": p.get("dbName"),
        "MasterUsername": p["username"], "MasterUserPassword": p["password"],
        "DBSubnetGroupName": p["dbSubnetGroupName"], "DBParameterGroupName": p["parameterGroupName"],
        "VpcSecurityGroupIds": p["vpcSecurityGroupIds"], "PubliclyAccessible": p["publiclyAccessible"],
        "MultiAZ": p["multiAz"], "BackupRetentionPeriod": p["backupRetentionPeriod"],
        "PreferredBackupWindow": p["backupWindow"], "PreferredMaintenanceWindow": p["maintenanceWindow"],
        "AutoMinorVersionUpgrade": p["autoMinorVersionUpgrade"], "DeletionProtection": p["deletionProtection"],
        "CopyTagsToSnapshot": p["copyTagsToSnapshot"],
        "EnableCloudwatchLogsExports": p.get("enabledCloudwatchLogsExports"),
        "EnablePerformanceInsights": p.get("performanceInsightsEnabled"),
        "PerformanceInsightsRetentionPeriod": p.get("performanceInsightsRetentionPeriod"),
        "PerformanceInsightsKMSKeyId": p.get("performanceInsightsKmsKeyId"), "Tags": _tags(p)}))["DBInstance"]
    return {"arn": instance["DBInstanceArn"], "address": instance.get("Endpoint", {}).get("Address", "")}


@handles("aws:elasticache/subnetGroup:SubnetGroup")
def _cache_subnets(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("elasticache").create_cache_subnet_group(
        CacheSubnetGroupName=p["name"], CacheSubnetGroupDescription=p["description"], SubnetIds=p["subnetIds"],
        Tags=_tags(p))
    return {}


@handles("aws:elasticache/replicationGroup:ReplicationGroup")
def _redis(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    group = r.client("elasticache").create_replication_group(**_drop_none({
        "ReplicationGroupId": p["replicationGroupId"], "ReplicationGroupDescription": p["description"],
        "Engine": p["engine"], "EngineVersion": p.get("engineVersion"),
        "CacheParameterGroupName": p.get("parameterGroupName"), "CacheNodeType": p["nodeType"],
        "NumCacheClusters": p["numCacheClusters"], "Port": p["port"], "CacheSubnetGroupName": p["subnetGroupName"],
        "SecurityGroupIds": p["securityGroupIds"], "AtRestEncryptionEnabled": p["atRestEncryptionEnabled"],
        "KmsKeyId": p.get("kmsKeyId"), "TransitEncryptionEnabled": p["transitEncryptionEnabled"],
        "TransitEncryptionMode": p.get("transitEncryptionMode"), "AuthToken": p["authToken"],
        "AutomaticFailoverEnabled": p["automaticFailoverEnabled"], "MultiAZEnabled": p["multiAzEnabled"],
        "SnapshotRetentionLimit": p["snapshotRetentionLimit"], "SnapshotWindow": p["snapshotWindow"],
        "PreferredMaintenanceWindow": p["maintenanceWindow"], "AutoMinorVersionUpgrade": p["autoMinorVersionUpgrade"],
        "LogDeliveryConfigurations": [{
            "LogType": c["logType"], "DestinationType": c["destinationType"], "LogFormat": c["logFormat"],
            "DestinationDetails": {"CloudWatchLogsDetails": {"LogGroup": c["destination"]}}}
            for c in p.get("logDeliveryConfigurations", [])],
        "Tags": _tags(p)}))["ReplicationGroup"]
    return {"arn": group.get("ARN", "")}


# ---- edge --------------------------------------------------------------------------------------
@handles("aws:lb/loadBalancer:LoadBalancer")
def _load_balancer(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    elb = r.client("elbv2")
    lb = elb.create_load_balancer(Name=p["name"], Subnets=p["subnets"], SecurityGroups=p["securityGroups"],
                                  Scheme="internal" if p["internal"] else "internet-facing", Type=p["loadBalancerType"],
                                  Tags=_tags(p))["LoadBalancers"][0]
    logs = p.get("accessLogs") or {}
    elb.modify_load_balancer_attributes(LoadBalancerArn=lb["LoadBalancerArn"], Attributes=[
        {"Key": "deletion_protection.enabled", "Value": str(p["enableDeletionProtection"]).lower()},
        {"Key": "routing.http.drop_invalid_header_fields.enabled", "Value": str(p["dropInvalidHeaderFields"]).lower()},
        {"Key": "access_logs.s3.enabled", "Value": str(logs.get("enabled", False)).lower()},
        {"Key": "access_logs.s3.bucket", "Value": logs.get("bucket", "")},
        {"Key": "access_logs.s3.prefix", "Value": logs.get("prefix", "")}])
    arn = lb["LoadBalancerArn"]
    return {"id": arn, "arn": arn, "arnSuffix": arn.split(":loadbalancer/", 1)[1], "dnsName": lb["DNSName"]}


@handles("aws:lb/targetGroup:TargetGroup")
def _target_group(r: Replay, p: dict[str, Any], resource: Resource) -> dict[str, str]:
    check = p["healthCheck"]
    elb = r.client("elbv2")
    group = elb.create_target_group(
        Name=p.get("name") or r.autoname(resource), Protocol=p["protocol"], Port=p["port"], VpcId=p["vpcId"],
        TargetType=p["targetType"], HealthCheckEnabled=check["enabled"], HealthCheckPath=check["path"],
        HealthCheckProtocol=check["protocol"], HealthCheckPort=check["port"],
        HealthCheckIntervalSeconds=check["interval"], HealthCheckTimeoutSeconds=check["timeout"],
        HealthyThresholdCount=check["healthyThreshold"], UnhealthyThresholdCount=check["unhealthyThreshold"],
        Matcher={"HttpCode": check["matcher"]}, Tags=_tags(p))["TargetGroups"][0]
    arn = group["TargetGroupArn"]
    elb.modify_target_group_attributes(TargetGroupArn=arn, Attributes=[
        {"Key": "deregistration_delay.timeout_seconds", "Value": str(p["deregistrationDelay"])}])
    return {"id": arn, "arn": arn, "arnSuffix": arn.split(":", 5)[5]}


def _action(action: dict[str, Any]) -> dict[str, Any]:
    if action["type"] == "forward" and action.get("forward"):
        groups = action["forward"]["targetGroups"]
        return {"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": group["arn"], "Weight": group["weight"]} for group in groups]}}
    if action["type"] == "forward":
        return {"Type": "forward", "TargetGroupArn": action["targetGroupArn"]}
    if action["type"] == "fixed-response":
        response = action["fixedResponse"]
        return {"Type": "fixed-response", "FixedResponseConfig": _drop_none({
            "StatusCode": response["statusCode"], "ContentType": response.get("contentType"),
            "MessageBody": response.get("messageBody")})}
    redirect = action["redirect"]
    return {"Type": "redirect", "RedirectConfig": {"Protocol": redirect["protocol"], "Port": redirect["port"],
                                                   "StatusCode": redirect["statusCode"]}}


@handles("aws:lb/listener:Listener")
def _listener(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    listener = r.client("elbv2").create_listener(**_drop_none({
        "LoadBalancerArn": p["loadBalancerArn"], "Protocol": p["protocol"], "Port": p["port"],
        "SslPolicy": p.get("sslPolicy"),
        "Certificates": [{"CertificateArn": p["certificateArn"]}] if p.get("certificateArn") else None,
        "DefaultActions": [_action(a) for a in p["defaultActions"]], "Tags": _tags(p)}))["Listeners"][0]
    return {"id": listener["ListenerArn"], "arn": listener["ListenerArn"]}


def _condition(condition: dict[str, Any]) -> dict[str, Any]:
    if "pathPattern" in condition:
        return {"Field": "path-pattern", "PathPatternConfig": {"Values": condition["pathPattern"]["values"]}}
    header = condition["httpHeader"]
    return {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": header["httpHeaderName"],
                                                         "Values": header["values"]}}


@handles("aws:lb/listenerRule:ListenerRule")
def _listener_rule(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    rule = r.client("elbv2").create_rule(
        ListenerArn=p["listenerArn"], Priority=p["priority"], Conditions=[_condition(c) for c in p["conditions"]],
        Actions=[_action(a) for a in p["actions"]], Tags=_tags(p))["Rules"][0]
    return {"id": rule["RuleArn"], "arn": rule["RuleArn"]}


# ---- compute -----------------------------------------------------------------------------------
@handles("aws:ecs/cluster:Cluster")
def _cluster(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    cluster = r.client("ecs").create_cluster(
        clusterName=p["name"], settings=p.get("settings") or [],
        tags=_tags(p, "key", "value"))["cluster"]
    return {"arn": cluster["clusterArn"]}


@handles("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders")
def _capacity(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("ecs").put_cluster_capacity_providers(
        cluster=p["clusterName"], capacityProviders=p["capacityProviders"],
        defaultCapacityProviderStrategy=[{"capacityProvider": s["capacityProvider"], "weight": s["weight"],
                                          "base": s.get("base", 0)} for s in p["defaultCapacityProviderStrategies"]])
    return {}


@handles("aws:ecs/taskDefinition:TaskDefinition")
def _task_definition(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    platform = p["runtimePlatform"]
    task = r.client("ecs").register_task_definition(
        family=p["family"], containerDefinitions=json.loads(p["containerDefinitions"]), networkMode=p["networkMode"],
        requiresCompatibilities=p["requiresCompatibilities"], cpu=p["cpu"], memory=p["memory"],
        executionRoleArn=p["executionRoleArn"], taskRoleArn=p["taskRoleArn"],
        runtimePlatform={"operatingSystemFamily": platform["operatingSystemFamily"],
                         "cpuArchitecture": platform["cpuArchitecture"]},
        volumes=[{"name": v["name"]} for v in p.get("volumes", [])], tags=_tags(p, "key", "value"))["taskDefinition"]
    return {"arn": task["taskDefinitionArn"], "id": task["taskDefinitionArn"]}


def ecs_deployment_configuration(block: dict[str, Any] | None) -> dict[str, Any]:
    """The progressive part of a service's ``deploymentConfiguration`` as the provider sends it to ECS: the
    schema's string bake times become the integers botocore's ``DeploymentConfiguration`` requires."""
    if not block:
        return {}
    sent: dict[str, Any] = {"strategy": block["strategy"]}
    if "bakeTimeInMinutes" in block:
        sent["bakeTimeInMinutes"] = int(block["bakeTimeInMinutes"])
    if canary := block.get("canaryConfiguration"):
        sent["canaryConfiguration"] = {"canaryPercent": float(canary["canaryPercent"]),
                                       "canaryBakeTimeInMinutes": int(canary["canaryBakeTimeInMinutes"])}
    if linear := block.get("linearConfiguration"):
        sent["linearConfiguration"] = {"stepPercent": float(linear["stepPercent"]),
                                       "stepBakeTimeInMinutes": int(linear["stepBakeTimeInMinutes"])}
    return sent


def _service_load_balancer(block: dict[str, Any]) -> dict[str, Any]:
    sent = {"targetGroupArn": block["targetGroupArn"], "containerName": block["containerName"],
            "containerPort": block["containerPort"]}
    if advanced := block.get("advancedConfiguration"):
        sent["advancedConfiguration"] = {
            "alternateTargetGroupArn": advanced["alternateTargetGroupArn"],
            "productionListenerRule": advanced["productionListenerRule"],
            "testListenerRule": advanced["testListenerRule"], "roleArn": advanced["roleArn"]}
    return sent


@handles("aws:ecs/service:Service")
def _service(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    network = p["networkConfiguration"]
    service = r.client("ecs").create_service(**_drop_none({
        "cluster": p["cluster"], "serviceName": p["name"], "taskDefinition": p["taskDefinition"],
        "desiredCount": p["desiredCount"], "launchType": p.get("launchType"),
        "capacityProviderStrategy": [{"capacityProvider": s["capacityProvider"], "weight": s["weight"]}
                                     for s in p["capacityProviderStrategies"]]
        if p.get("capacityProviderStrategies") else None,
        "platformVersion": p["platformVersion"],
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": network["subnets"], "securityGroups": network["securityGroups"],
            "assignPublicIp": "ENABLED" if network["assignPublicIp"] else "DISABLED"}},
        "loadBalancers": [_service_load_balancer(b) for b in p["loadBalancers"]] if p.get("loadBalancers") else None,
        "healthCheckGracePeriodSeconds": p.get("healthCheckGracePeriodSeconds"),
        "deploymentConfiguration": _drop_none({
            "deploymentCircuitBreaker": p["deploymentCircuitBreaker"],
            "maximumPercent": p["deploymentMaximumPercent"], "minimumHealthyPercent": p[
                "deploymentMinimumHealthyPercent"],
            "alarms": {"alarmNames": p["alarms"]["alarmNames"], "enable": p["alarms"]["enable"],
                       "rollback": p["alarms"]["rollback"]} if p.get("alarms") else None,
            **ecs_deployment_configuration(p.get("deploymentConfiguration"))}),
        "enableECSManagedTags": p["enableEcsManagedTags"], "propagateTags": p["propagateTags"],
        "enableExecuteCommand": p["enableExecuteCommand"], "tags": _tags(p, "key", "value")}))["service"]
    return {"id": service["serviceArn"]}


@handles("aws:appautoscaling/target:Target")
def _scalable_target(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("application-autoscaling").register_scalable_target(
        ServiceNamespace=p["serviceNamespace"], ResourceId=p["resourceId"], ScalableDimension=p["scalableDimension"],
        MinCapacity=p["minCapacity"], MaxCapacity=p["maxCapacity"])
    return {}


def _pascal(value: Any) -> Any:
    if isinstance(value, dict):
        return {k[0].upper() + k[1:]: _pascal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_pascal(v) for v in value]
    return value


@handles("aws:appautoscaling/policy:Policy")
def _scaling_policy(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    configuration: dict[str, Any] = {}
    if p.get("stepScalingPolicyConfiguration"):
        step = _pascal(p["stepScalingPolicyConfiguration"])
        for adjustment in step["StepAdjustments"]:
            for bound in ("MetricIntervalLowerBound", "MetricIntervalUpperBound"):
                if bound in adjustment:
                    adjustment[bound] = float(adjustment[bound])
        configuration["StepScalingPolicyConfiguration"] = step
    if p.get("targetTrackingScalingPolicyConfiguration"):
        tracking = _pascal(p["targetTrackingScalingPolicyConfiguration"])
        spec = tracking.pop("PredefinedMetricSpecification", None)
        if spec:
            tracking["PredefinedMetricSpecification"] = spec
        configuration["TargetTrackingScalingPolicyConfiguration"] = tracking
    arn = r.client("application-autoscaling").put_scaling_policy(
        PolicyName=p["name"], ServiceNamespace=p["serviceNamespace"], ResourceId=p["resourceId"],
        ScalableDimension=p["scalableDimension"], PolicyType=p["policyType"], **configuration)["PolicyARN"]
    return {"arn": arn, "id": arn}


# ---- monitoring and budget ---------------------------------------------------------------------
def _dimensions(dimensions: dict[str, str] | None) -> list[dict[str, str]]:
    return [{"Name": k, "Value": v} for k, v in (dimensions or {}).items()]


@handles("aws:cloudwatch/metricAlarm:MetricAlarm")
def _alarm(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    queries = [_drop_none({
        "Id": q["id"], "ReturnData": q.get("returnData"), "Expression": q.get("expression"), "Label": q.get("label"),
        "MetricStat": {"Metric": {"Namespace": q["metric"]["namespace"], "MetricName": q["metric"]["metricName"],
                                  "Dimensions": _dimensions(q["metric"].get("dimensions"))},
                       "Period": q["metric"]["period"], "Stat": q["metric"]["stat"]} if q.get("metric") else None})
        for q in p.get("metricQueries") or []]
    r.client("cloudwatch").put_metric_alarm(**_drop_none({
        "AlarmName": p["name"], "AlarmDescription": p.get("alarmDescription"),
        "ComparisonOperator": p["comparisonOperator"], "EvaluationPeriods": p["evaluationPeriods"],
        "DatapointsToAlarm": p.get("datapointsToAlarm"), "Threshold": float(p["threshold"]),
        "MetricName": p.get("metricName"), "Namespace": p.get("namespace"), "Period": p.get("period"),
        "Statistic": p.get("statistic"), "ExtendedStatistic": p.get("extendedStatistic"),
        "Dimensions": _dimensions(p.get("dimensions")) if p.get("dimensions") else None,
        "Metrics": queries or None, "TreatMissingData": p.get("treatMissingData"),
        "AlarmActions": p.get("alarmActions"), "OKActions": p.get("okActions"), "Tags": _tags(p)}))
    return {}


@handles("aws:cloudwatch/dashboard:Dashboard")
def _dashboard(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    r.client("cloudwatch").put_dashboard(DashboardName=p["dashboardName"], DashboardBody=p["dashboardBody"])
    return {}


@handles("aws:budgets/budget:Budget")
def _budget(r: Replay, p: dict[str, Any], _: Resource) -> dict[str, str]:
    account = boto3.client("sts", region_name=r.region, endpoint_url=r.endpoint, aws_access_key_id="testing",
                           aws_secret_access_key="testing").get_caller_identity()["Account"]
    r.client("budgets").create_budget(AccountId=account, Budget=_drop_none({
        "BudgetName": p["name"], "BudgetType": p["budgetType"], "TimeUnit": p["timeUnit"],
        "BudgetLimit": {"Amount": p["limitAmount"], "Unit": p["limitUnit"]},
        "CostFilters": {f["name"]: f["values"] for f in p.get("costFilters") or []} or None}),
        NotificationsWithSubscribers=[{
            "Notification": {"NotificationType": n["notificationType"], "ComparisonOperator": n["comparisonOperator"],
                             "Threshold": float(n["threshold"]), "ThresholdType": n["thresholdType"]},
            "Subscribers": [{"SubscriptionType": "EMAIL", "Address": a} for a in n["subscriberEmailAddresses"]]}
            for n in p.get("notifications") or []])
    return {}


def issue_certificate(replay: Replay, domain: str) -> str:
    """An ISSUED ACM certificate for ``domain`` in the emulated account (a self-signed one, imported)."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now)
                   .not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
                   .sign(key, hashes.SHA256()))
    acm = replay.client("acm")
    arn = acm.import_certificate(
        Certificate=certificate.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                     serialization.NoEncryption()))["CertificateArn"]
    status = acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]
    if status != "ISSUED":
        raise ReplayError(f"the emulated certificate for {domain} is {status}, not ISSUED")
    return arn
