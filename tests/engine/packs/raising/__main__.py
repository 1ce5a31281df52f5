"""A policy that raises: `accunode preview` must exit with the crash code, as `pulumi preview` fails."""

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy


def broken(args, report_violation):
    if args.resource_type == "aws:rds/instance:Instance":
        raise KeyError("engineVersion")


PolicyPack(name="raising-pack", enforcement_level=EnforcementLevel.MANDATORY, policies=[
    ResourceValidationPolicy(name="broken-rule", description="A rule with a bug.", validate=broken),
])
