"""Follow a captured graph from a subnet to the routes it uses, by property dependencies.

Property dependencies hold engine URNs, so this works on a first preview where every id is unknown.
Used by the network tests and the whole-program acceptance tests.
"""

from __future__ import annotations

from accunode.engine.graph import Resource, ResourceGraph

SUBNET = "aws:ec2/subnet:Subnet"
ROUTE = "aws:ec2/route:Route"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
IGW = "aws:ec2/internetGateway:InternetGateway"


def deps(resource: Resource, key: str) -> list[str]:
    return resource.property_dependencies.get(key, [])


def route_tables_of(graph: ResourceGraph, subnet: Resource) -> list[Resource]:
    """Route tables explicitly associated with the subnet (none means the VPC's main table)."""
    return [graph.get(urn) for a in graph.of_type(ASSOCIATION) if subnet.urn in deps(a, "subnetId")
            for urn in deps(a, "routeTableId")]


def routes_of(graph: ResourceGraph, route_table: Resource) -> list[dict]:
    """Standalone routes and inline routes of a table, as input dicts with dependency URNs under ``_deps``."""
    standalone = [{**r.props, "_deps": r.property_dependencies} for r in graph.of_type(ROUTE)
                  if route_table.urn in deps(r, "routeTableId")]
    return standalone + list(route_table.props.get("routes") or [])


def reaches_internet_gateway(graph: ResourceGraph, subnet: Resource) -> bool:
    igws = {igw.urn for igw in graph.of_type(IGW)} | {igw.id for igw in graph.of_type(IGW) if igw.id}
    for table in route_tables_of(graph, subnet):
        for route in routes_of(graph, table):
            targets = set(route.get("_deps", {}).get("gatewayId", [])) | {route.get("gatewayId")}
            if targets & igws or str(route.get("gatewayId") or "").startswith("igw-"):
                return True
    return False


def default_routes(graph: ResourceGraph, subnet: Resource) -> list[dict]:
    return [route for table in route_tables_of(graph, subnet) for route in routes_of(graph, table)
            if route.get("destinationCidrBlock") == "0.0.0.0/0" or route.get("cidrBlock") == "0.0.0.0/0"]


def subnets_behind(graph: ResourceGraph, resource: Resource, subnet_group_key: str) -> list[Resource]:
    """The subnets a resource is placed in through its subnet group input (e.g. ``dbSubnetGroupName``)."""
    groups = [graph.get(urn) for urn in deps(resource, subnet_group_key)]
    return [graph.get(urn) for group in groups for urn in deps(group, "subnetIds")
            if graph.get(urn) is not None and graph.get(urn).type == SUBNET]
