"""Load the Pulumi SDK once per process, on one thread.

The preview imports the SDK lazily (a cached capture never needs ``pulumi``) and from several
threads: the capture runs the program on the calling thread while each policy pack boots on a
thread of its own. Python's import system is not safe against two threads importing the same
package graph for the first time: ``pulumi/__init__`` and ``pulumi.runtime.proto`` import each
other, and a thread can see the other's partially initialised module (``ImportError: cannot import
name ... from partially initialized module 'pulumi.runtime.proto'``), about once in fifteen
uncached previews. Every entry point calls :func:`load_sdk` first; the lock makes the first
import happen on exactly one thread and every later call a dictionary look-up.
"""

from __future__ import annotations

import importlib
import threading

# Everything the capture and the pack host import lazily, in dependency order.
SDK_MODULES = (
    "google.protobuf.empty_pb2",
    "google.protobuf.struct_pb2",
    "google.protobuf.json_format",
    "grpc",
    "pulumi",
    "pulumi.runtime",
    "pulumi.runtime.proto",
    "pulumi.runtime.proto.analyzer_pb2",
    "pulumi.runtime.proto.analyzer_pb2_grpc",
    "pulumi.runtime.proto.resource_pb2",
    "pulumi.runtime.mocks",
    "pulumi.runtime.rpc",
    "pulumi.runtime.settings",
    "pulumi.runtime.stack",
    "pulumi.runtime.sync_await",
)

_lock = threading.Lock()
_loaded = False


def load_sdk() -> None:
    """Import :data:`SDK_MODULES` unless this process already has; safe from any thread."""
    global _loaded
    if _loaded:
        return
    with _lock:
        if not _loaded:
            for name in SDK_MODULES:
                importlib.import_module(name)
            _loaded = True
