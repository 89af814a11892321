"""An independent (Python, Debian grpcio) client registers and reads agencies on a running hub
with the bootstrap administrator certificate. Usage: registry_smoke.py <port> <data-dir>"""
import pathlib
import sys
import uuid

import meshstubs

repo = pathlib.Path(__file__).resolve().parents[2]
meshstubs.generate(repo)

import grpc  # noqa: E402
from meshhealth import health_pb2, health_pb2_grpc  # noqa: E402
from mesh.registry.v1 import registry_pb2, registry_pb2_grpc  # noqa: E402

port, data_dir = int(sys.argv[1]), pathlib.Path(sys.argv[2])
ch = meshstubs.channel(port, data_dir, data_dir / "admin.pem")

health = health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(), timeout=10)
assert health.status == health_pb2.HealthCheckResponse.SERVING, health
print("health: SERVING")

registry = registry_pb2_grpc.RegistryServiceStub(ch)
unit = registry_pb2.Agency(organ_id="002.00.01.H49", parent_organ_id="000.00.01.H49",
                           display_name="Phòng Hành chính - Tổ chức, Văn phòng UBND tỉnh Quảng Ninh",
                           contacts=registry_pb2.Contacts(email="hcth@quangninh.gov.vn"))
request_id = str(uuid.uuid4())
created = registry.CreateAgency(registry_pb2.CreateAgencyRequest(request_id=request_id, agency=unit), timeout=10).agency
again = registry.CreateAgency(registry_pb2.CreateAgencyRequest(request_id=request_id, agency=unit), timeout=10).agency
assert created == again, "idempotent create must return the same agency"
read = registry.GetAgency(registry_pb2.GetAgencyRequest(organ_id="002.00.01.H49"), timeout=10).agency
assert read.display_name == unit.display_name and read.level == 3, read
children = registry.ListAgencies(registry_pb2.ListAgenciesRequest(parent_organ_id="000.00.00.H49", include_descendants=True), timeout=10)
ids = [a.organ_id for a in children.agencies]
assert "002.00.01.H49" in ids and "000.00.01.H49" in ids, ids
print(f"registry: created {created.organ_id} (level {read.level}), {len(ids)} agencies under 000.00.00.H49")

try:
    registry.GetAgency(registry_pb2.GetAgencyRequest(organ_id="000.00.0.H49"), timeout=10)
    raise AssertionError("a malformed OrganId must be refused")
except grpc.RpcError as e:
    assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e
    print("registry: malformed OrganId refused with INVALID_ARGUMENT")
print("python interop: OK")
