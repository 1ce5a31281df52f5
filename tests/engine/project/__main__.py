"""A tiny program whose resources switch the test pack's policies on through config."""

import pulumi
import pulumi_aws as aws

config = pulumi.Config()


class Box(pulumi.ComponentResource):
    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None):
        super().__init__("tiny:index:Box", name, None, opts)
        self.vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block="10.0.0.0/16", tags={"team": "t"}, opts=pulumi.ResourceOptions(
            parent=self, protect=True, ignore_changes=["tags"], delete_before_replace=True,
            custom_timeouts=pulumi.CustomTimeouts(create="5m", delete="1h"), aliases=[pulumi.Alias(name="old-vpc")],
            additional_secret_outputs=["arn"]))
        self.subnet = aws.ec2.Subnet(f"{name}-subnet", vpc_id=self.vpc.id, cidr_block="10.0.1.0/24",
                                     opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({"vpcId": self.vpc.id})


box = Box("box")
thing = pulumi.CustomResource("tiny:index:Thing", "thing", {
    "flag": config.get("flag"), "count": 3, "password": pulumi.Output.secret("s3cret"),
    "explode": config.get_bool("explode") or False, "die": config.get_bool("die") or False,
    "note": config.get("note"), "arn": box.vpc.arn, "stackFlag": config.get("stackFlag"),
    "ghostFlag": config.get_bool("ghostFlag") or False, "stackWide": config.get_bool("stackWide") or False,
}, opts=pulumi.ResourceOptions(depends_on=[box.subnet]))
if config.get_bool("fail"):
    raise pulumi.RunError("invalid stack settings: tinyproj:fail must not be set")
pulumi.export("vpcId", box.vpc.id)
if config.get_bool("extra"):  # one more resource, for change previews (--compare-to)
    pulumi.CustomResource("tiny:index:Thing", "extra", {"flag": "ok"})
if config.get_bool("exportDryRun"):
    pulumi.export("dryRun", pulumi.runtime.is_dry_run())
