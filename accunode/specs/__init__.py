"""Pure builders for what resources carry: policy documents, lifecycle rules, alarm and scaling specs.

No Pulumi imports: each builder is tested on its own and the components pass its result through.
"""
