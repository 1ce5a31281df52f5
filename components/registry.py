"""The ECR repository for the AccuNode image: immutable tags, scanned on push, encrypted, pruned.

Immutable tags mean a deployed tag always names the image that was tested. The lifecycle rules
are built by ``accunode.specs.ecr`` (keep the newest N tagged images, expire untagged after a day).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
from pulumi import Output, ResourceOptions

from accunode.specs.context import StackContext
from accunode.specs.ecr import DEFAULT_KEEP_TAGGED, lifecycle_policy


@dataclass(frozen=True)
class RegistryArgs:
    context: StackContext
    repository_name: str
    keep_tagged_images: int = DEFAULT_KEEP_TAGGED
    force_delete: bool = False
    """Delete the repository even if it holds images. Never in prod."""
    kms_key_arn: str | None = None
    """A customer-managed key; None encrypts with AES256."""

    def __post_init__(self) -> None:
        if not re.fullmatch(r"(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*",
                            self.repository_name) or not 2 <= len(self.repository_name) <= 256:
            raise ValueError(f"repository_name {self.repository_name!r} is not a valid ECR repository name")
        if self.keep_tagged_images < 1:
            raise ValueError(f"keep_tagged_images must be at least 1, got {self.keep_tagged_images}")


class Registry(pulumi.ComponentResource):
    repository_name: str
    repository_url: Output[str]
    repository_arn: Output[str]

    def __init__(self, name: str, args: RegistryArgs, opts: ResourceOptions | None = None) -> None:
        super().__init__("accunode:registry:Registry", name, None, opts)
        encryption = (aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="KMS", kms_key=args.kms_key_arn)
                      if args.kms_key_arn else aws.ecr.RepositoryEncryptionConfigurationArgs(encryption_type="AES256"))
        repository = aws.ecr.Repository(
            f"{name}-repository", name=args.repository_name, image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(scan_on_push=True),
            encryption_configurations=[encryption], force_delete=args.force_delete,
            tags=args.context.tagged(args.repository_name), opts=ResourceOptions(parent=self))
        aws.ecr.LifecyclePolicy(f"{name}-lifecycle", repository=repository.name,
                                policy=lifecycle_policy(args.keep_tagged_images), opts=ResourceOptions(parent=self))

        self.repository_name = args.repository_name
        self.repository_url = repository.repository_url
        self.repository_arn = repository.arn
        self.register_outputs({"repositoryName": repository.name, "repositoryUrl": repository.repository_url})
