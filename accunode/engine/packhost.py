"""Hosting one policy pack: its process, launched as the Python language host launches it, and its
Analyzer client."""

from __future__ import annotations

import collections
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import yaml

START_TIMEOUT = 60.0  # seconds for a pack to print its port (the machine may be busy)
RPC_TIMEOUT = 120.0
# The engine address handed to each pack. pulumi.policy parses it but never connects to it (its
# runtime Settings are built without an engine), so nothing needs to listen there.
ENGINE_ADDRESS = "127.0.0.1:0"
# PULUMI_CONFIG at or above this size travels in a file (see PolicyPackHost._large_config).
CONFIG_ENV_LIMIT = 64 * 1024
_CONFIG_BOOTSTRAP = (
    "import os, runpy, sys\n"
    "with open(os.environ.pop('ACCUNODE_PULUMI_CONFIG_FILE'), encoding='utf-8') as f:\n"
    "    os.environ['PULUMI_CONFIG'] = f.read()\n"
    "sys.argv = ['pulumi.policy', *sys.argv[1:]]\n"
    "runpy.run_module('pulumi.policy', run_name='__main__', alter_sys=True)\n"
)
# Resources remediated and analyzed at once (each pack's gRPC server has 4 worker threads).
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                 ("grpc.max_send_message_length", 400 * 1024 * 1024)]


class PolicyPackError(RuntimeError):
    """A pack failed to start, exited, or an RPC failed: the preview cannot be trusted.

    ``str()`` is the engine-like message; ``output`` the tail of the pack's stderr (its traceback).
    """

    def __init__(self, message: str, pack_dir: Path | None = None, output: str = ""):
        super().__init__(message)
        self.pack_dir = pack_dir
        self.output = output


# --------------------------------------------------------------------------------------------
# One pack process
# --------------------------------------------------------------------------------------------
def pack_virtualenv(pack_dir: Path) -> str | None:
    """The venv a pack runs in: ``runtime.options.virtualenv`` when it exists (the language host's
    ``RunPlugin``); otherwise the venv this process runs from, which is what the CLI's ``python3``
    from PATH is when ``pulumi`` runs from an activated venv (the documented way for packs without
    the option); None outside any venv."""
    project = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text()) or {}
    runtime = project.get("runtime")
    options = runtime.get("options") or {} if isinstance(runtime, dict) else {}
    venv = options.get("virtualenv")
    if venv:
        # normpath, not resolve(): the venv's python is a symlink whose target is outside the venv
        candidate = os.path.normpath(pack_dir / venv)
        if os.path.exists(os.path.join(candidate, "bin", "python")):
            return candidate
    if sys.prefix != sys.base_prefix:
        return sys.prefix
    return None


def pack_python(pack_dir: Path) -> str:
    """The interpreter for a pack: its venv's ``bin/python``, else ours."""
    venv = pack_virtualenv(pack_dir)
    if venv and venv != sys.prefix:
        return os.path.join(venv, "bin", "python")
    return sys.executable


def activate_virtualenv(env: Mapping[str, str], venv: str | None) -> dict[str, str]:
    """``toolchain.ActivateVirtualEnv``: the venv's bin first on PATH, VIRTUAL_ENV set, PYTHONHOME unset."""
    result = dict(env)
    if venv is None:
        return result
    result.pop("PYTHONHOME", None)
    result["PATH"] = os.path.join(venv, "bin") + (os.pathsep + result["PATH"] if result.get("PATH") else "")
    result["VIRTUAL_ENV"] = venv
    return result


def parse_port(line: str) -> int:
    """``plugin.parsePort``: the first stdout line, terminal progress escapes and spaces stripped,
    must be a port number. Raises ValueError with the engine's wording."""
    text = line.replace("\x1b]9;4;3;\x1b\\", "").replace("\x1b]9;4;0;\x1b\\", "").strip()
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise ValueError(f'could not parse port: strconv.Atoi: parsing "{text}": invalid syntax')
    port = int(text)
    if port <= 0 or port > 65535:
        raise ValueError(f"invalid port number: {port}")
    return port


class PolicyPackHost:
    """A running pack process and its Analyzer client."""

    def __init__(self, pack_dir: Path, env: Mapping[str, str]):
        self.path = Path(pack_dir).resolve()
        self.env = dict(env)
        self.process: subprocess.Popen[bytes] | None = None
        self.channel: Any = None
        self.stub: Any = None
        self._stderr: IO[bytes] | None = None
        self._stdout_tail: collections.deque[str] = collections.deque(maxlen=50)
        self.yaml: dict[str, Any] = {}
        self._config_file: Path | None = None

    # lifecycle -----------------------------------------------------------------------------
    def start(self, timeout: float = START_TIMEOUT) -> None:
        import grpc
        from pulumi.runtime.proto import analyzer_pb2_grpc

        project_file = self.path / "PulumiPolicy.yaml"
        if not project_file.is_file():
            raise PolicyPackError(f"failed to load Pulumi policy project located at {self.path}: "
                                  "no PulumiPolicy.yaml", self.path)
        self.yaml = yaml.safe_load(project_file.read_text()) or {}
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        env, module = self._large_config(activate_virtualenv(self.env, pack_virtualenv(self.path)))
        command = [pack_python(self.path), "-u", *module, ENGINE_ADDRESS, str(self.path)]
        try:
            self.process = subprocess.Popen(command, cwd=self.path, env=env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=self._stderr)
        except OSError as error:  # e.g. the interpreter is missing: a failed launch, not a crash of ours
            raise PolicyPackError(f"failed to start: {error}", self.path) from None
        port = self._read_port(timeout)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}", options=_GRPC_OPTIONS)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    def _large_config(self, env: dict[str, str]) -> tuple[dict[str, str], list[str]]:
        """The environment and module arguments for the pack process.

        The engine passes the stack's config in one variable, PULUMI_CONFIG; Linux refuses any single
        variable over 128 KiB (MAX_ARG_STRLEN: ``Argument list too long``, pulumi/pulumi#20402). A larger
        config goes through a private file that a two-line bootstrap puts back into PULUMI_CONFIG inside
        the pack process, before ``pulumi.policy`` starts, so the pack sees exactly what the engine sends.
        """
        config = env.get("PULUMI_CONFIG", "")
        if len(config.encode()) < CONFIG_ENV_LIMIT:
            return env, ["-m", "pulumi.policy"]
        handle = tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json", delete=False)  # noqa: SIM115
        with handle:  # mode 0600: the config may hold decrypted values
            handle.write(config)
        self._config_file = Path(handle.name)
        env.pop("PULUMI_CONFIG")
        env["ACCUNODE_PULUMI_CONFIG_FILE"] = handle.name
        return env, ["-c", _CONFIG_BOOTSTRAP]

    def _read_port(self, timeout: float) -> int:
        """The first line on stdout is the port, as the engine reads it (anything else fails the boot);
        later lines are kept for the crash report."""
        assert self.process is not None and self.process.stdout is not None
        first: list[str] = []
        stdout = self.process.stdout

        def reader() -> None:
            with stdout:  # drained until the process ends (policies may print), then closed here
                for raw in stdout:
                    line = raw.decode(errors="replace")
                    if not first:
                        first.append(line.rstrip("\n"))
                        continue
                    self._stdout_tail.append(line.rstrip())

        threading.Thread(target=reader, daemon=True, name=f"pack-stdout-{self.path.name}").start()
        deadline = time.monotonic() + timeout
        while not first:
            if self.process.poll() is not None:
                time.sleep(0.05)  # the reader may still be handing over the last line
                if first:
                    break
                raise self._failure(f"could not read plugin [{self.path}]: exit status {self.process.returncode}")
            if time.monotonic() > deadline:
                raise self._failure(f"failed to start within {timeout:.0f}s")
            time.sleep(0.005)
        try:
            return parse_port(first[0])
        except ValueError as error:
            raise self._failure(f"analyzer plugin [{self.path}] wrote an invalid port to stdout: {error}") from None

    def close(self) -> None:
        """``Cancel`` (Python packs answer UNIMPLEMENTED, tolerated), then end the process."""
        if self._config_file is not None:
            self._config_file.unlink(missing_ok=True)
            self._config_file = None
        if self.stub is not None and self.process is not None and self.process.poll() is None:
            from google.protobuf import empty_pb2

            with contextlib.suppress(Exception):  # UNIMPLEMENTED in pulumi_policy, as the engine tolerates
                self.stub.Cancel(empty_pb2.Empty(), timeout=2)
        if self.channel is not None:
            self.channel.close()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def stderr_tail(self, lines: int = 40) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        text = self._stderr.read().decode(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def _failure(self, message: str) -> PolicyPackError:
        output = self.stderr_tail()
        if self._stdout_tail:
            output = "\n".join([*self._stdout_tail, output]).strip()
        return PolicyPackError(message, self.path, output)

    # RPCs ----------------------------------------------------------------------------------
    def call(self, method: str, request: Any, what: str = "") -> Any:
        try:
            return getattr(self.stub, method)(request, timeout=RPC_TIMEOUT)
        except Exception as error:  # grpc.RpcError
            raise self.rpc_failure(error, what or method) from None

    def rpc_failure(self, error: Any, what: str) -> PolicyPackError:
        details = error.details() if hasattr(error, "details") else str(error)
        code = error.code().name if hasattr(error, "code") else ""
        if code == "UNAVAILABLE" and self.process is not None:  # the pack may be exiting: let it finish
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=2)
        exited = self.process is not None and self.process.poll() is not None
        if exited:
            details = f"the pack process exited with code {self.process.returncode}"  # type: ignore[union-attr]
        return self._failure(f"{what}: rpc error: code = {code} desc = {details}")

