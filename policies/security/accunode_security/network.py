"""Network: private placement of the data tier and services, security-group exposure, default SG, flow logs.

Placement is decided from the resource graph, not from ids: a subnet is public when it maps public
IPs on launch or when its route table (explicitly associated, else the VPC's main table) has a route
to an internet gateway. Links follow the engine's property dependencies, which are known on a first
preview when every id is still unknown; known id/ARN/name values are the fallback.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import _types as t
from ._frame import (
    ADVISORY,
    CRITICAL,
    HIGH,
    LOW,
    MEDIUM,
    UNKNOWN,
    Context,
    Graph,
    Res,
    Rule,
    as_bool,
    as_list,
    as_number,
    dicts,
    get,
    known_strings,
)

AREA = "network"
PUBLIC_PORTS = (80, 443)
DATA_PORTS = (5432, 3306, 6379, 11211)
ALL_PROTOCOLS = {"-1", "all"}
PORTED_PROTOCOLS = {"tcp", "udp", "6", "17"}


# -- subnets and routes ----------------------------------------------------------------------------

def _routes_to_igw(graph: Graph, table: Res) -> Res | str | None:
    """The internet gateway (or its id) a route table sends traffic to, if any."""
    for route in dicts(table.get("routes")):
        gateway = route.get("gatewayId")
        if isinstance(gateway, str) and gateway.startswith("igw-"):
            return gateway
    inline = [r for urn in table.deps.get("routes", []) if (r := graph.by_urn(urn)) and r.type == t.INTERNET_GATEWAY]
    if inline:
        return inline[0]
    for route in graph.of_type(t.ROUTE):
        if table not in graph.linked(route, "routeTableId", t.ROUTE_TABLE, t.DEFAULT_ROUTE_TABLE):
            continue
        gateways = graph.linked(route, "gatewayId", t.INTERNET_GATEWAY)
        if gateways:
            return gateways[0]
        gateway = route.get("gatewayId")
        if isinstance(gateway, str) and gateway.startswith("igw-"):
            return gateway
    return None


def _route_tables(graph: Graph, subnet: Res) -> list[Res]:
    """The subnet's explicitly associated route tables, else its VPC's main route table(s)."""
    tables = [table
              for assoc in graph.of_type(t.ROUTE_TABLE_ASSOCIATION)
              if subnet in graph.linked(assoc, "subnetId", t.SUBNET)
              for table in graph.linked(assoc, "routeTableId", t.ROUTE_TABLE, t.DEFAULT_ROUTE_TABLE)]
    if tables:
        return tables
    vpcs = graph.linked(subnet, "vpcId", t.VPC)
    main = [table
            for assoc in graph.of_type(t.MAIN_ROUTE_TABLE_ASSOCIATION)
            if any(v in graph.linked(assoc, "vpcId", t.VPC) for v in vpcs)
            for table in graph.linked(assoc, "routeTableId", t.ROUTE_TABLE)]
    main += [d for d in graph.of_type(t.DEFAULT_ROUTE_TABLE)
             if any(v in graph.linked(d, "defaultRouteTableId", t.VPC) for v in vpcs)]
    return main


def public_reason(graph: Graph, subnet: Res, ctx: Context) -> str | None:
    """Why ``subnet`` is public (None when it is private or cannot be told)."""
    maps_ip = as_bool(subnet.get("mapPublicIpOnLaunch"))
    if maps_ip is True:
        return "it maps public IPs on launch"
    if maps_ip is UNKNOWN:
        ctx.unknown(f"{subnet.name}.mapPublicIpOnLaunch")
    for table in _route_tables(graph, subnet):
        gateway = _routes_to_igw(graph, table)
        if gateway is not None:
            name = gateway.name if isinstance(gateway, Res) else gateway
            return f"its route table {table.name} routes to internet gateway {name}"
    return None


def _placement(graph: Graph, ctx: Context, res: Res, subnets: list[Res], what: str) -> Iterator[tuple[Res, str]]:
    for subnet in subnets:
        reason = public_reason(graph, subnet, ctx)
        if reason:
            yield res, (f"{what} {res.name} is placed in public subnet {subnet.name} ({reason}); "
                        "place it only in private subnets (no internet-gateway route, no public IPs).")


def _group_subnets(graph: Graph, ctx: Context, res: Res, key: str, group_type: str,
                   what: str, setting: str) -> Iterator[tuple[Res, str]]:
    value = res.get(key)
    groups = graph.linked(res, key, group_type)
    if not groups:
        if value is UNKNOWN:
            ctx.unknown(f"{res.name}.{key}")
        elif value in (None, ""):
            yield res, (f"{what} {res.name} has no subnet group, so AWS places it in the default VPC's public "
                        f"subnets; set {setting} to a subnet group of private subnets.")
        else:
            ctx.unknown(f"{res.name}.{key} ({value!r} is not managed by this stack)")
        return
    for group in groups:
        subnets = graph.linked(group, "subnetIds", t.SUBNET)
        if not subnets:
            ctx.unknown(f"{group.name}.subnetIds")
        yield from _placement(graph, ctx, res, subnets, what)


def _inherited_from(graph: Graph, res: Res) -> tuple[bool, list[Res]]:
    """(whether ``res`` takes its placement from another resource, and that resource if the stack has it):
    a same-region read replica from its source, an Aurora instance from its cluster, a cache cluster
    from its replication group."""
    inherits = {t.RDS_INSTANCE: ("replicateSourceDb", t.RDS_INSTANCE),
                t.RDS_CLUSTER_INSTANCE: ("clusterIdentifier", t.RDS_CLUSTER),
                t.CACHE_CLUSTER: ("replicationGroupId", t.REDIS)}
    for key, *types in [inherits[res.type]] if res.type in inherits else []:
        value = res.get(key)
        if value is UNKNOWN or (isinstance(value, str) and value) or res.deps.get(key):
            return True, graph.linked(res, key, *types)
    return False, []


DATA_STORES = (
    (t.RDS_INSTANCE, "dbSubnetGroupName", t.RDS_SUBNET_GROUP, "RDS instance", "db_subnet_group_name"),
    (t.RDS_CLUSTER, "dbSubnetGroupName", t.RDS_SUBNET_GROUP, "Aurora cluster", "db_subnet_group_name"),
    (t.RDS_CLUSTER_INSTANCE, "dbSubnetGroupName", t.RDS_SUBNET_GROUP, "Aurora instance", "db_subnet_group_name"),
    (t.REDIS, "subnetGroupName", t.CACHE_SUBNET_GROUP, "ElastiCache replication group", "subnet_group_name"),
    (t.CACHE_CLUSTER, "subnetGroupName", t.CACHE_SUBNET_GROUP, "ElastiCache cluster", "subnet_group_name"),
)


def _store_placement(graph: Graph, ctx: Context, res: Res, depth: int = 0) -> Iterator[tuple[Res, str]]:
    spec = next(s for s in DATA_STORES if s[0] == res.type)
    _, key, group_type, what, setting = spec
    if res.get(key) in (None, "") and not res.deps.get(key):
        inherits, sources = _inherited_from(graph, res)
        if inherits:
            if not sources:
                ctx.unknown(f"{res.name} placement (inherited from a resource this stack does not manage)")
            for source in sources[:1] if depth < 3 else []:
                for _, message in _store_placement(graph, ctx, source, depth + 1):
                    yield res, f"{what} {res.name} inherits its placement: {message}"
            return
    yield from _group_subnets(graph, ctx, res, key, group_type, what, setting)


def check_data_tier_private(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    for store_type, *_ in DATA_STORES:
        for res in graph.of_type(store_type):
            yield from _store_placement(graph, ctx, res)


# Every way to run an ECS task: (what, property dependency key, path to the ECS block, path inside it
# to the awsvpc network configuration).
RUN_PATHS = {
    t.ECS_SERVICE: ("ECS service", "networkConfiguration", (), ("networkConfiguration",)),
    t.ECS_TASK_SET: ("ECS task set", "networkConfiguration", (), ("networkConfiguration",)),
    t.EVENT_TARGET: ("EventBridge ECS target", "ecsTarget", ("ecsTarget",), ("networkConfiguration",)),
    t.SCHEDULE: ("EventBridge Scheduler ECS target", "target", ("target", "ecsParameters"),
                 ("networkConfiguration",)),
    t.PIPE: ("EventBridge Pipes ECS target", "targetParameters", ("targetParameters", "ecsTaskParameters"),
             ("networkConfiguration", "awsVpcConfiguration")),
}


def ecs_block(res: Res) -> object:
    """The resource's ECS run block (``{}`` for services), None when it runs no ECS task, or UNKNOWN."""
    _, _, block_path, _ = RUN_PATHS[res.type]
    return res.get(*block_path) if block_path else res.props


def network_configuration(res: Res) -> object:
    _, _, block_path, path = RUN_PATHS[res.type]
    return res.get(*block_path, *path)


def check_services_private(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    for res in graph.of_type(*RUN_PATHS):
        what, key, _, _ = RUN_PATHS[res.type]
        block = ecs_block(res)
        if block is UNKNOWN:
            ctx.unknown(f"{res.name} ECS parameters")
            continue
        if block is None:
            continue  # an EventBridge target of another kind (SNS, Lambda, ...)
        config = network_configuration(res)
        subnets = graph.linked(res, key, t.SUBNET, value=get(config, "subnets"))
        if not subnets:
            if config is UNKNOWN or get(config, "subnets") is UNKNOWN:
                ctx.unknown(f"{res.name} network configuration subnets")
            elif not known_strings(get(config, "subnets")):
                yield res, (f"{what} {res.name} names no subnets; set its network configuration's subnets to the "
                            "private subnets (awsvpc mode).")
            else:
                ctx.unknown(f"{res.name} subnets (not managed by this stack)")
            continue
        yield from _placement(graph, ctx, res, subnets, what)


def check_service_no_public_ip(res: Res, ctx: Context) -> Iterator[str]:
    what = RUN_PATHS[res.type][0]
    block = ecs_block(res)
    if block is UNKNOWN:
        ctx.unknown("ECS parameters")
    if block is None or block is UNKNOWN:
        return
    assign = as_bool(get(network_configuration(res), "assignPublicIp"))
    if assign is True:
        yield (f"{what}: the network configuration's assign_public_ip is on; set it to false (DISABLED) and reach "
               "the internet through the NAT gateway.")
    elif assign is UNKNOWN:
        ctx.unknown("assignPublicIp")


def check_subnet_no_auto_public_ip(res: Res, ctx: Context) -> Iterator[str]:
    maps_ip = as_bool(res.get("mapPublicIpOnLaunch"))
    if maps_ip is True:
        yield ("map_public_ip_on_launch is true; set it to false (the load balancer and NAT gateways get their "
               "public addresses without it).")
    elif maps_ip is UNKNOWN:
        ctx.unknown("mapPublicIpOnLaunch")


# -- security groups -------------------------------------------------------------------------------

@dataclass
class SgRule:
    """One security-group rule, whichever resource shape declared it."""

    res: Res
    label: str
    direction: str
    protocol: Any
    from_port: Any
    to_port: Any
    cidrs: list[str] = field(default_factory=list)
    peers_unknown: bool = False
    peer_group: bool = False
    prefix_list: bool = False
    groups: list[Res] = field(default_factory=list)

    @property
    def all_protocols(self) -> bool:
        return isinstance(self.protocol, str | int | float) and str(self.protocol).lower().removesuffix(".0") in \
            ALL_PROTOCOLS

    def port_range(self) -> tuple[float, float] | Any | None:
        """(from, to) for tcp/udp, (0, 65535) for all protocols, None for others (icmp...), UNKNOWN."""
        if self.all_protocols:
            return (0.0, 65535.0)
        if self.protocol is UNKNOWN:
            return UNKNOWN
        if str(self.protocol).lower().removesuffix(".0") not in PORTED_PROTOCOLS:
            return None
        low, high = as_number(self.from_port), as_number(self.to_port)
        if low is UNKNOWN or high is UNKNOWN:
            return UNKNOWN
        if low is None or high is None:
            return None
        return (low, high)

    def covers(self, port: int) -> bool | Any:
        ports = self.port_range()
        if ports is UNKNOWN:
            return UNKNOWN
        return ports is not None and ports[0] <= port <= ports[1]

    @property
    def all_ports(self) -> bool:
        ports = self.port_range()
        return isinstance(ports, tuple) and ports[0] <= 1 and ports[1] >= 65535

    @property
    def open_to_internet(self) -> list[str]:
        return [c for c in self.cidrs if _is_anywhere(c)] or covers_everything(self.cidrs)

    def describe_ports(self) -> str:
        ports = self.port_range()
        if self.all_protocols:
            return "all traffic"
        if isinstance(ports, tuple):
            low, high = int(ports[0]), int(ports[1])
            return f"{self.protocol} {low}" if low == high else f"{self.protocol} {low}-{high}"
        return f"protocol {self.protocol}"


def _is_anywhere(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


def _cidrs(rule: SgRule, *values: Any) -> None:
    for value in values:
        items = as_list(value)
        if items is UNKNOWN:
            rule.peers_unknown = True
            continue
        for item in items:
            if item is UNKNOWN:
                rule.peers_unknown = True
            elif isinstance(item, str) and item:
                rule.cidrs.append(item)


def covers_everything(cidrs: list[str]) -> list[str]:
    """The address families (0.0.0.0/0, ::/0) that ``cidrs`` cover together (split halves, many ranges)."""
    families: dict[int, list[Any]] = {4: [], 6: []}
    for cidr in cidrs:
        try:
            network = ipaddress.ip_network(cidr.strip(), strict=False)
        except ValueError:
            continue
        families[network.version].append(network)
    everything = {4: ipaddress.ip_network("0.0.0.0/0"), 6: ipaddress.ip_network("::/0")}
    return [str(everything[v]) for v, nets in families.items()
            if nets and list(ipaddress.collapse_addresses(nets)) == [everything[v]]]


def _prefix_list_cidrs(graph: Graph, res: Res, key: str, value: Any) -> list[str]:
    """The CIDRs of the managed prefix lists (of this stack) a rule references."""
    cidrs = []
    for prefix_list in graph.linked(res, key, t.MANAGED_PREFIX_LIST, value=value):
        cidrs += [e["cidr"] for e in dicts(prefix_list.get("entries")) if isinstance(e.get("cidr"), str)]
        cidrs += [c for e in graph.pointing_at(prefix_list, "prefixListId", t.MANAGED_PREFIX_LIST_ENTRY)
                  if isinstance(c := e.get("cidr"), str)]
    return cidrs


def _has(value: Any) -> bool | Any:
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, list):
        return any(item is UNKNOWN or (isinstance(item, str) and item) for item in value)
    return isinstance(value, str) and bool(value)


def security_group_rules(graph: Graph, ctx: Context) -> list[SgRule]:
    """Every ingress/egress rule of the stack: standalone vpc rules, ec2 SecurityGroupRule, inline blocks."""
    rules: list[SgRule] = []
    for res in graph.of_type(t.INGRESS_RULE, t.EGRESS_RULE):
        rule = SgRule(res, res.name, "ingress" if res.type == t.INGRESS_RULE else "egress",
                      res.get("ipProtocol"), res.get("fromPort"), res.get("toPort"),
                      groups=graph.linked(res, "securityGroupId", t.SECURITY_GROUP))
        _cidrs(rule, res.get("cidrIpv4"), res.get("cidrIpv6"))
        rule.peer_group = _has(res.get("referencedSecurityGroupId")) is not False
        rule.prefix_list = _has(res.get("prefixListId")) is not False
        rule.cidrs += _prefix_list_cidrs(graph, res, "prefixListId", res.get("prefixListId"))
        rules.append(rule)
    for res in graph.of_type(t.SECURITY_GROUP_RULE):
        rule = SgRule(res, res.name, str(res.get("type")), res.get("protocol"), res.get("fromPort"),
                      res.get("toPort"), groups=graph.linked(res, "securityGroupId", t.SECURITY_GROUP))
        if res.get("type") is UNKNOWN:
            ctx.unknown(f"{res.name}.type")
        _cidrs(rule, res.get("cidrBlocks"), res.get("ipv6CidrBlocks"))
        rule.peer_group = _has(res.get("sourceSecurityGroupId")) is not False or as_bool(res.get("self")) is True
        rule.prefix_list = _has(res.get("prefixListIds")) is not False
        rule.cidrs += _prefix_list_cidrs(graph, res, "prefixListIds", res.get("prefixListIds"))
        rules.append(rule)
    for group in graph.of_type(t.SECURITY_GROUP):
        for direction in ("ingress", "egress"):
            blocks = group.get(direction)
            if blocks is UNKNOWN:
                ctx.unknown(f"{group.name}.{direction}")
            for index, block in enumerate(dicts(blocks)):
                rule = SgRule(group, f"{group.name} inline {direction}[{index}]", direction, block.get("protocol"),
                              block.get("fromPort"), block.get("toPort"), groups=[group])
                _cidrs(rule, block.get("cidrBlocks"), block.get("ipv6CidrBlocks"))
                rule.peer_group = _has(block.get("securityGroups")) is not False or \
                    as_bool(block.get("self")) is True
                rule.prefix_list = _has(block.get("prefixListIds")) is not False
                rule.cidrs += _prefix_list_cidrs(graph, group, direction, block.get("prefixListIds"))
                rules.append(rule)
    return rules


def load_balancer_groups(graph: Graph) -> list[Res]:
    return [group for lb in graph.of_type(*t.LOAD_BALANCERS)
            for group in graph.linked(lb, "securityGroups", t.SECURITY_GROUP)]


def _group_names(rule: SgRule) -> str:
    return ", ".join(g.name for g in rule.groups) or "an unknown security group"


def _group_key(rule: SgRule) -> tuple[str, ...]:
    return tuple(sorted(g.urn for g in rule.groups)) or ("unmanaged", str(rule.res.get("securityGroupId")))


def check_public_ingress(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    lb_groups = load_balancer_groups(graph)
    ingress = [rule for rule in security_group_rules(graph, ctx) if rule.direction == "ingress"]
    by_group: dict[tuple[str, ...], list[str]] = {}
    for rule in ingress:
        by_group.setdefault(_group_key(rule), []).extend(rule.cidrs)
    for rule in ingress:
        if rule.peers_unknown:
            ctx.unknown(f"{rule.label} source CIDRs")
        anywhere = rule.open_to_internet
        if not anywhere and rule.cidrs and covers_everything(by_group[_group_key(rule)]):
            anywhere = [f"{', '.join(rule.cidrs)} (with the group's other ranges: every address)"]
        if not anywhere:
            continue
        if not rule.groups or any(g not in lb_groups for g in rule.groups):
            yield rule.res, (f"{rule.label} opens {rule.describe_ports()} to {', '.join(anywhere)} on "
                             f"{_group_names(rule)}, which is not the load balancer's security group; allow only "
                             "traffic from the load balancer's security group (referenced_security_group_id).")
            continue
        ports = rule.port_range()
        if ports is UNKNOWN:
            ctx.unknown(f"{rule.label} ports")
        elif not (isinstance(ports, tuple) and ports[0] == ports[1] and int(ports[0]) in PUBLIC_PORTS
                  and not rule.all_protocols):
            yield rule.res, (f"{rule.label} opens {rule.describe_ports()} to {', '.join(anywhere)} on the load "
                             "balancer's security group; open only tcp 80 and tcp 443 to the internet.")


def _check_all_ports(graph: Graph, ctx: Context, direction: str) -> Iterator[tuple[Res, str]]:
    for rule in security_group_rules(graph, ctx):
        if rule.direction != direction:
            continue
        if rule.port_range() is UNKNOWN:
            ctx.unknown(f"{rule.label} ports")
        elif rule.all_ports:
            yield rule.res, (f"{rule.label} allows {rule.describe_ports()} ({direction}) on {_group_names(rule)}; "
                             "allow only the protocol and ports the tier needs.")


def check_no_all_ports_ingress(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    yield from _check_all_ports(graph, ctx, "ingress")


def check_no_all_ports_egress(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    yield from _check_all_ports(graph, ctx, "egress")


def data_tier_groups(graph: Graph) -> list[Res]:
    groups = [g for db in graph.of_type(t.RDS_INSTANCE, t.RDS_CLUSTER)
              for g in graph.linked(db, "vpcSecurityGroupIds", t.SECURITY_GROUP)]
    groups += [g for cache in graph.of_type(t.REDIS, t.CACHE_CLUSTER)
               for g in graph.linked(cache, "securityGroupIds", t.SECURITY_GROUP)]
    return groups


def check_data_tier_ingress(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    data_groups = data_tier_groups(graph)
    for rule in security_group_rules(graph, ctx):
        if rule.direction != "ingress":
            continue
        on_data_group = any(g in data_groups for g in rule.groups)
        covers = [rule.covers(port) for port in DATA_PORTS]
        if UNKNOWN in covers and not on_data_group:
            ctx.unknown(f"{rule.label} ports")
        data_port = any(c is True for c in covers) and not rule.all_ports
        if not (on_data_group or data_port):
            continue
        if rule.peers_unknown:
            ctx.unknown(f"{rule.label} source")
        if rule.cidrs or rule.prefix_list:
            sources = ", ".join(rule.cidrs) or "a prefix list"
            yield rule.res, (f"{rule.label} lets {sources} reach the data tier ({rule.describe_ports()}); allow "
                             "only the API and worker security groups (referenced_security_group_id), never CIDRs.")


def check_default_sg_closed(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    managed = graph.of_type(t.DEFAULT_SECURITY_GROUP)
    for vpc in graph.of_type(t.VPC):
        if not any(vpc in graph.linked(d, "vpcId", t.VPC) for d in managed):
            yield vpc, (f"VPC {vpc.name}'s default security group keeps AWS's default rules (all traffic within the "
                        "group, all egress); manage it with aws.ec2.DefaultSecurityGroup(vpc_id=...) and no rules.")
    for group in managed:
        for direction in ("ingress", "egress"):
            rules = group.get(direction)
            if rules is UNKNOWN:
                ctx.unknown(f"{group.name}.{direction}")
            elif as_list(rules):
                yield group, (f"default security group {group.name} has {direction} rules; remove them (set "
                              f"{direction}=[]) and use dedicated security groups.")


def check_flow_logs(graph: Graph, ctx: Context) -> Iterator[tuple[Res, str]]:
    flow_logs = graph.of_type(t.FLOW_LOG)
    for vpc in graph.of_type(t.VPC):
        if not any(vpc in graph.linked(f, "vpcId", t.VPC) for f in flow_logs):
            yield vpc, (f"VPC {vpc.name} has no flow log; add aws.ec2.FlowLog(vpc_id=..., traffic_type=\"ALL\") "
                        "to a log group with retention.")


RULES = [
    Rule("data-tier-private-subnets", AREA,
         "Every data store (RDS instances and replicas, Aurora clusters and instances, ElastiCache replication "
         "groups and clusters) must be placed only in private subnets.",
         CRITICAL, check_data_tier_private, stack=True),
    Rule("ecs-service-private-subnets", AREA,
         "ECS services and every other way to run a task (task sets, EventBridge targets, schedules and pipes) "
         "must run only in private subnets.", HIGH, check_services_private, stack=True),
    Rule("ecs-service-no-public-ip", AREA,
         "ECS services and every other way to run a task must not assign public IPs to tasks.",
         HIGH, check_service_no_public_ip, types=tuple(RUN_PATHS)),
    Rule("subnet-no-auto-public-ip", AREA, "Subnets should not map public IPs on launch.",
         LOW, check_subnet_no_auto_public_ip, types=(t.SUBNET,), enforcement=ADVISORY),
    Rule("security-group-public-ingress", AREA,
         "Ingress from anywhere (0.0.0.0/0, ::/0, ranges or prefix lists that together cover them) is allowed only "
         "on the load balancer's security group, on tcp 80 and 443.",
         CRITICAL, check_public_ingress, stack=True),
    Rule("security-group-no-all-ports-ingress", AREA, "Security-group ingress rules must not allow all ports.",
         HIGH, check_no_all_ports_ingress, stack=True),
    Rule("security-group-no-all-ports-egress", AREA, "Security-group egress rules should not allow all ports.",
         LOW, check_no_all_ports_egress, stack=True, enforcement=ADVISORY),
    Rule("security-group-data-tier-ingress", AREA,
         "The database and cache accept ingress only from security groups, never from CIDR ranges.",
         HIGH, check_data_tier_ingress, stack=True),
    Rule("default-security-group-closed", AREA, "Every VPC's default security group must have no rules.",
         MEDIUM, check_default_sg_closed, stack=True),
    Rule("vpc-flow-logs", AREA, "Every VPC must have a flow log.", MEDIUM, check_flow_logs, stack=True),
]
