"""Two independent (Python, Debian grpcio + the openssl CLI) agencies exchange a document through a
running hub: certificates issued with openssl from the hub's development CA and bound by the
bootstrap administrator; the sender signs the main PDF and the manifest with `openssl cms`
(detached, SHA-256, CAdES) and streams the attachments; the recipient lists, downloads, checks
the sender's signature and every SHA-256, and acknowledges. Nothing here comes from .NET.
Usage: exchange_smoke.py <port> <data-dir>"""
import datetime
import hashlib
import pathlib
import subprocess
import sys
import tempfile
import uuid

import meshstubs

repo = pathlib.Path(__file__).resolve().parents[2]
meshstubs.generate(repo)

import grpc  # noqa: E402
from mesh.common.v1 import common_pb2  # noqa: E402
from mesh.registry.v1 import registry_pb2, registry_pb2_grpc  # noqa: E402
from mesh.routing.v1 import routing_pb2, routing_pb2_grpc  # noqa: E402

port, data_dir = int(sys.argv[1]), pathlib.Path(sys.argv[2])
work = pathlib.Path(tempfile.mkdtemp(prefix="mesh-py-exchange-"))
SENDER, RECIPIENT = "000.00.00.G14", "000.00.00.H41"


def openssl(*args: str, data: bytes | None = None) -> bytes:
    return subprocess.run(["openssl", *args], input=data, check=True, capture_output=True).stdout


# The hub's development CA (certificate and key) from its PKCS#12 file, as PEM for openssl.
ca_pem = work / "ca-with-key.pem"
ca_pem.write_bytes(openssl("pkcs12", "-in", str(data_dir / "pki" / "ca.pfx"), "-nodes", "-passin", "pass:"))
serial = int.from_bytes(uuid.uuid4().bytes[:8], "big")


def issue(organ_id: str, name: str, kind: str) -> pathlib.Path:
    """An agency certificate (P-256) issued by the hub's CA; returns a PEM with certificate then key."""
    global serial
    serial += 1
    key, csr, crt = work / f"{organ_id}-{kind}.key", work / f"{organ_id}-{kind}.csr", work / f"{organ_id}-{kind}.crt"
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(key))
    openssl("req", "-new", "-key", str(key), "-subj", f"/CN={name} {kind}/O={name}/OU={organ_id}", "-out", str(csr))
    ext = work / f"{organ_id}-{kind}.ext"
    usage = "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature" if kind == "client" \
        else "keyUsage=critical,digitalSignature,nonRepudiation"
    ext.write_text(f"basicConstraints=critical,CA:FALSE\n{usage}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    openssl("x509", "-req", "-in", str(csr), "-CA", str(ca_pem), "-CAkey", str(ca_pem), "-set_serial", str(serial),
            "-days", "30", "-sha256", "-extfile", str(ext), "-out", str(crt))
    pem = work / f"{organ_id}-{kind}.pem"
    pem.write_bytes(crt.read_bytes() + openssl("pkcs8", "-topk8", "-nocrypt", "-in", str(key)))
    return pem


def der(pem: pathlib.Path) -> bytes:
    return openssl("x509", "-in", str(pem), "-outform", "DER")


def sign_detached(content: bytes, identity: pathlib.Path) -> bytes:
    """Detached CMS SignedData, SHA-256, signer certificate and ESS signing-certificate-v2 included."""
    return openssl("cms", "-sign", "-binary", "-md", "sha256", "-cades", "-outform", "DER", "-nosmimecap",
                   "-signer", str(identity), "-inkey", str(identity), data=content)


def signed_pdf(identity: pathlib.Path, text: str) -> bytes:
    """A one-page PDF with an adbe.pkcs7.detached signature over its /ByteRange (ISO 32000-1 §12.8)."""
    hole = 8192
    stream = f"BT /F1 14 Tf 50 780 Td ({text}) Tj ET\n"
    before = ("%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
              "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
              "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n"
              f"4 0 obj\n<< /Length {len(stream)} >>\nstream\n{stream}endstream\nendobj\n"
              "5 0 obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /adbe.pkcs7.detached "
              "/ByteRange [0 0000000000 0000000000 0000000000] /Contents ").encode("latin-1")
    after = b" >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    b, c, d = len(before), len(before) + hole + 2, len(after)
    before = before.replace(b"[0 0000000000 0000000000 0000000000]", f"[0 {b:010d} {c:010d} {d:010d}]".encode())
    signature = sign_detached(before + after, identity).hex().upper().encode()
    assert len(signature) <= hole, "signature does not fit"
    return before + b"<" + signature.ljust(hole, b"0") + b">" + after


admin = meshstubs.channel(port, data_dir, data_dir / "admin.pem")
registry = registry_pb2_grpc.RegistryServiceStub(admin)
ids = {}
for organ_id, name in [(SENDER, "Bo Noi vu"), (RECIPIENT, "UBND tinh Ha Giang")]:
    try:
        registry.GetAgency(registry_pb2.GetAgencyRequest(organ_id=organ_id), timeout=10)
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.NOT_FOUND, e
        registry.CreateAgency(registry_pb2.CreateAgencyRequest(
            request_id=str(uuid.uuid4()), agency=registry_pb2.Agency(organ_id=organ_id, display_name=name)), timeout=10)
    client, signing = issue(organ_id, name, "client"), issue(organ_id, name, "signing")
    registry.BindCertificate(registry_pb2.BindCertificateRequest(
        request_id=str(uuid.uuid4()), organ_id=organ_id, certificate=der(client),
        purpose=registry_pb2.CERTIFICATE_PURPOSE_CLIENT_TLS, roles=[registry_pb2.ROLE_AGENCY]), timeout=10)
    registry.BindCertificate(registry_pb2.BindCertificateRequest(
        request_id=str(uuid.uuid4()), organ_id=organ_id, certificate=der(signing),
        purpose=registry_pb2.CERTIFICATE_PURPOSE_DOCUMENT_SIGNING), timeout=10)
    ids[organ_id] = (client, signing)
print(f"registry: {SENDER} and {RECIPIENT} bound with openssl-issued certificates")

# Sender: a signed PDF and an appendix, a manifest with their digests signed with openssl cms.
sender_client, sender_signing = ids[SENDER]
pdf = signed_pdf(sender_signing, "Python interop document")
appendix = "Phụ lục gửi từ Python\n".encode()
today = datetime.date.today()
number = str(int(datetime.datetime.now().timestamp()) % 10_000_000_000)
header = routing_pb2.DocumentHeader(
    **{"from": routing_pb2.Organization(organ_id=SENDER, organ_name="Bộ Nội vụ")},
    to=[routing_pb2.Organization(organ_id=RECIPIENT)],
    code=routing_pb2.DocumentCode(code_number=number, code_notation="BNV-PY"),
    promulgation_info=routing_pb2.PromulgationInfo(place="Hà Nội", promulgation_date=common_pb2.Date(year=today.year, month=today.month, day=today.day)),
    document_type=routing_pb2.DocumentType(type=1, type_name="Công văn"),
    subject="V/v thử nghiệm liên thông từ Python",
    signer_info=routing_pb2.SignerInfo(full_name="Trần Thị B", position="Chánh Văn phòng"),
    other_info=routing_pb2.OtherInfo(priority=routing_pb2.PRIORITY_NORMAL, classification=routing_pb2.CLASSIFICATION_UNCLASSIFIED),
    business=routing_pb2.Business(type=routing_pb2.BUSINESS_TYPE_NEW),
    document_id=f"{SENDER},{today:%Y/%m/%d},{number}/BNV-PY")
files = [("van-ban.pdf", "application/pdf", routing_pb2.ATTACHMENT_ROLE_MAIN_DOCUMENT, pdf),
         ("phu-luc.txt", "text/plain", routing_pb2.ATTACHMENT_ROLE_ATTACHMENT, appendix)]
manifest = routing_pb2.DocumentManifest(header=header, attachments=[
    routing_pb2.AttachmentDescriptor(name=n, media_type=m, role=r, size=len(b), sha256=hashlib.sha256(b).digest())
    for n, m, r, b in files])
manifest_bytes = manifest.SerializeToString()
request_id = str(uuid.uuid4())


def send_requests():
    yield routing_pb2.SendDocumentRequest(header=routing_pb2.SendDocumentHeader(
        request_id=request_id, manifest=manifest_bytes, manifest_signature=sign_detached(manifest_bytes, sender_signing)))
    for i, (_, _, _, content) in enumerate(files):
        for offset in range(0, len(content), 16 * 1024):
            yield routing_pb2.SendDocumentRequest(chunk=routing_pb2.AttachmentChunk(
                attachment_index=i, offset=offset, data=content[offset:offset + 16 * 1024]))


sender = routing_pb2_grpc.RoutingServiceStub(meshstubs.channel(port, data_dir, sender_client))
sent = sender.SendDocument(send_requests(), timeout=30)
receipt = routing_pb2.Receipt.FromString(sent.receipt_bytes)
assert receipt.recipients == [RECIPIENT] and receipt.manifest_sha256 == hashlib.sha256(manifest_bytes).digest(), receipt
print(f"send: {receipt.document_id} accepted, audit leaf {receipt.audit_leaf_index}")

# Recipient: wait on the inbox stream for the document, download, verify, acknowledge.
recipient = routing_pb2_grpc.RoutingServiceStub(meshstubs.channel(port, data_dir, ids[RECIPIENT][0]))
item = None
for message in recipient.WatchInbox(routing_pb2.WatchInboxRequest(kind=routing_pb2.INBOX_ITEM_KIND_DOCUMENT), timeout=60):
    if message.HasField("item") and message.item.document.document_id == receipt.document_id:
        item = message.item
        break
assert item is not None
listed = recipient.ListInbox(routing_pb2.ListInboxRequest(kind=routing_pb2.INBOX_ITEM_KIND_DOCUMENT), timeout=10)
assert any(i.item_id == item.item_id for i in listed.items), listed
print(f"inbox: {item.item_id} from {item.document.sender}: {item.document.subject}")

package = next(p.package for p in recipient.DownloadDocument(
    routing_pb2.DownloadDocumentRequest(document_id=receipt.document_id), timeout=30) if p.HasField("package"))
got = routing_pb2.DocumentManifest.FromString(package.manifest)
(work / "manifest.bin").write_bytes(package.manifest)
(work / "manifest.p7s").write_bytes(package.manifest_signature)
openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", str(work / "manifest.p7s"), "-content", str(work / "manifest.bin"),
        "-CAfile", str(data_dir / "pki" / "ca.pem"), "-purpose", "any", "-out", "/dev/null")
print("download: the sender's manifest signature verifies with openssl against the hub's CA")
for a in got.attachments:
    data = b"".join(p.chunk.data for p in recipient.DownloadDocument(
        routing_pb2.DownloadDocumentRequest(document_id=receipt.document_id, attachment_name=a.name), timeout=30) if p.HasField("chunk"))
    assert len(data) == a.size and hashlib.sha256(data).digest() == a.sha256, f"{a.name}: digest mismatch"
    print(f"download: {a.name} {a.size} bytes, SHA-256 {a.sha256.hex()} matches the signed manifest")

acked = recipient.AcknowledgeDelivery(routing_pb2.AcknowledgeDeliveryRequest(
    request_id=str(uuid.uuid4()), delivery_id=item.item_id, outcome=routing_pb2.ACK_OUTCOME_DONE), timeout=10)
assert acked.item.delivery_state == routing_pb2.DELIVERY_STATE_DONE, acked
print("ack: delivery DONE")
print("python exchange interop: OK")
