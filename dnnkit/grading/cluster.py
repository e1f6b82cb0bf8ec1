"""The Dask path, authenticated: the course's own TLS certificate (`dnnkit certs`, in the grader-only `.dnnkit/tls/`)
and a client that talks to a tls:// scheduler only, with distributed's mutual TLS (docs/threat-model-local.md).
"""
from __future__ import annotations

import datetime
import os
import ssl
from pathlib import Path

from .. import DnnkitError
from ..names import one_line
from . import private

TLS = Path(".dnnkit") / "tls"
CA, CERT, KEY = "ca.pem", "course.pem", "course-key.pem"
VALID_DAYS = 730
CONNECT_SECONDS = 20


def tls_folder(root: Path) -> Path:
    return Path(root) / TLS


def start_commands(root: Path) -> list[str]:
    """How an administrator starts a scheduler and its workers with the course's certificate."""
    folder = tls_folder(root)
    tls = f"--tls-ca-file {folder / CA} --tls-cert {folder / CERT} --tls-key {folder / KEY}"
    return [f"dask scheduler --protocol tls {tls}",
            f"dask worker tls://SCHEDULER-HOST:8786 {tls} --nthreads 1 --nworkers N",
            "dnnkit grade ASSIGNMENT --scheduler tls://SCHEDULER-HOST:8786"]


def make_certificates(root: Path, force: bool = False) -> Path:
    """Make the course's authority (ca.pem) and its certificate and key (course.pem, course-key.pem) in
    .dnnkit/tls/; the folder. Refuses to replace existing ones unless `force`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder = private.private_dir(tls_folder(root), parents=True, ancestors=False)
    if (folder / CA).exists() and not force:
        raise DnnkitError(f"{folder / CA}: the course already has its Dask certificates; `dnnkit certs --force` "
                          "makes new ones (then restart the scheduler and workers with them)")
    now = datetime.datetime.now(datetime.timezone.utc)
    course = f"dnnkit course {Path(root).resolve().name}"
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{course} authority")])

    def build(subject, public_key):
        return (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name).public_key(public_key)
                .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False))

    ca = (build(ca_name, ca_key.public_key())
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                       crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    member = (build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{course} grading cluster")]),
                    key.public_key())
              .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
              .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                    ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
              .add_extension(x509.SubjectAlternativeName([x509.DNSName("dnnkit-grading")]), critical=False)
              .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    files = {CA: ca.public_bytes(pem), CERT: member.public_bytes(pem),
             KEY: key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())}
    for name, data in files.items():  # written aside, then renamed: never half a set, never through a link
        fd = private.open_private(folder / f".{name}.new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    for name in files:
        os.replace(folder / f".{name}.new", folder / name)
    return folder


def security(root: Path, roles: tuple[str, ...] = ("client",)):
    """distributed's Security with the course's certificate for `roles` (client, scheduler, worker), encryption
    required; DnnkitError (one line) when the certificate is missing or other accounts can read or change it."""
    from distributed.security import Security

    folder = tls_folder(root)
    for name in (CA, CERT, KEY):
        path = folder / name
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            raise DnnkitError(f"{path}: the course has no Dask certificate; make it with `dnnkit certs`, and "
                              "start the scheduler and workers with it (docs/threat-model-local.md)") from None
        problem = private.not_private(info, directory=False, owners=(0,))
        if problem:
            raise DnnkitError(f"{path}: refused as the course's Dask certificate: {problem}; make new ones with "
                              "`dnnkit certs --force` as the grading account")
    pairs = {f"tls_{role}_{part}": str(folder / name)
             for role in roles for part, name in (("cert", CERT), ("key", KEY))}
    return Security(require_encryption=True, tls_ca_file=str(folder / CA), **pairs)


def check_address(scheduler: str) -> str:
    """The scheduler's address if it is a tls:// one; else DnnkitError (one line): work is never sent to a
    scheduler that does not authenticate."""
    from distributed.comm import parse_address

    scheme, _ = parse_address(scheduler)
    if scheme != "tls":
        raise DnnkitError(f"--scheduler {scheduler}: refused: a {scheme}:// scheduler does not authenticate, so any "
                          "local account could run it or send it work; start it with the course's certificate "
                          "and give tls://HOST:PORT (`dnnkit certs`, docs/threat-model-local.md)")
    return scheduler


def connect(scheduler: str, root: Path):
    """A distributed Client of the tls:// `scheduler`, authenticated with the course's certificate; DnnkitError
    (one line) when the address is not tls:// or the scheduler does not show the course's certificate."""
    from distributed import Client

    check_address(scheduler)
    try:
        return Client(scheduler, security=security(root), timeout=CONNECT_SECONDS)
    except (OSError, ssl.SSLError, TimeoutError) as err:
        raise DnnkitError(one_line(f"--scheduler {scheduler}: no TLS connection with the course's certificate "
                                   f"({type(err).__name__}: {str(err)[:300]}); is the scheduler running, and "
                                   f"started with this course's {TLS}/ (not another course's)?")) from None


def refuse_root_workers(client) -> None:
    """Without the sandbox, student code runs as its worker's user: DnnkitError (one line) if any is root."""
    roots = sorted(address for address, uid in client.run(os.geteuid).items() if uid == 0)
    if roots:
        raise DnnkitError(f"--unsafe-no-sandbox: refused: {len(roots)} Dask worker(s) run as root ({roots[0]}, ...), "
                          "so student code would run as root there; grade in the sandbox (without the flag)")
