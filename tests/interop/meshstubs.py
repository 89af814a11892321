"""Generates Python gRPC stubs from protos/ at test time (nothing generated is committed)."""
import os
import pathlib
import sys
import tempfile

import grpc_tools
from grpc_tools import protoc

HEALTH_PROTO = """
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
service Health { rpc Check(HealthCheckRequest) returns (HealthCheckResponse); }
"""


def generate(repo_root: pathlib.Path) -> pathlib.Path:
    out = pathlib.Path(tempfile.mkdtemp(prefix="mesh-py-stubs-"))
    protos = repo_root / "protos"
    # The file path (not the proto package) names the Python module: keep it away from the real `grpc` package.
    health_dir = out / "health_src" / "meshhealth"
    health_dir.mkdir(parents=True)
    (health_dir / "health.proto").write_text(HEALTH_PROTO)
    well_known = pathlib.Path(grpc_tools.__file__).parent / "_proto"
    files = [str(p.relative_to(protos)) for p in protos.rglob("*.proto")]
    args = ["protoc", f"-I{protos}", f"-I{out / 'health_src'}", f"-I{well_known}",
            f"--python_out={out}", f"--grpc_python_out={out}", *files, "meshhealth/health.proto"]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    for d in out.rglob("*"):
        if d.is_dir() and not (d / "__init__.py").exists():
            (d / "__init__.py").touch()
    sys.path.insert(0, str(out))
    return out


def channel(port: int, data_dir: pathlib.Path, identity_pem: pathlib.Path):
    import grpc
    pem = identity_pem.read_bytes()
    key_start = pem.index(b"-----BEGIN PRIVATE KEY-----")
    creds = grpc.ssl_channel_credentials(
        root_certificates=(data_dir / "pki" / "ca.pem").read_bytes(),
        private_key=pem[key_start:],
        certificate_chain=pem[:key_start])
    return grpc.secure_channel(f"localhost:{port}", creds)
