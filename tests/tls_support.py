"""Certificates made in the test (the `cryptography` package) and a second PostgreSQL cluster
with `ssl=on`, for the tests of sync over TLS."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class Issued:
    cert_pem: str
    key_pem: str
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "兴安盟政务服务测试"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _pem(cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> Issued:
    return Issued(cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
                  key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii"), cert, key)


def make_ca(cn: str = "League Test CA") -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(cn))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return _pem(cert, key)


def make_server_cert(ca: Issued, names: list[str]) -> Issued:
    """A server certificate signed by `ca` for `names` (DNS names or IP addresses)."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    alt: list[x509.GeneralName] = []
    for n in names:
        try:
            alt.append(x509.IPAddress(ipaddress.ip_address(n)))
        except ValueError:
            alt.append(x509.DNSName(n))
    cert = (x509.CertificateBuilder().subject_name(_name(names[0])).issuer_name(ca.cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(alt), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca.key.public_key()), critical=False)
            .sign(ca.key, hashes.SHA256()))
    return _pem(cert, key)


# --- a PostgreSQL cluster with ssl=on ---------------------------------------------------------
def postgres_bin() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin holding initdb and pg_ctl."""
    base = Path("/usr/lib/postgresql")
    found = sorted((p / "bin" for p in base.glob("*") if (p / "bin" / "pg_ctl").is_file()
                    and (p / "bin" / "initdb").is_file()),
                   key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class TlsCluster:
    port: int
    ca: Issued
    admin_url: str  # superuser over TLS, verified against `ca` with host "localhost"
    ca_file: Path

    def url(self, **params: str) -> str:
        from psycopg.conninfo import make_conninfo

        return make_conninfo(self.admin_url, **params)


def _as_postgres(argv: list[str], *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    if os.geteuid() == 0:  # root cannot run postgres
        runuser = shutil.which("runuser")
        argv = [runuser, "-u", "postgres", "--", *argv] if runuser else \
            ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(argv)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)


def start_tls_cluster(ca: Issued, server: Issued) -> Iterator[TlsCluster]:
    """initdb + pg_ctl start on a free port with ssl=on and the given server certificate (a
    client chooses TLS or not: whether a plain connection is made is the client's policy).
    Stopped and removed afterwards."""
    bindir = postgres_bin()
    if bindir is None:
        pytest.skip("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin")
    if os.geteuid() == 0:
        try:
            import pwd

            pg = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres account to run a cluster")
    # the system temp folder, not pytest's: the postgres account must reach its folder
    root = Path(tempfile.mkdtemp(prefix="xingan-tls-"))
    data = root / "data"
    if os.geteuid() == 0:
        os.chown(root, pg.pw_uid, pg.pw_gid)
    done = _as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                         "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"],
                        timeout=120)
    if done.returncode != 0:
        done = _as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                             "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                            timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    port = _free_port()
    files = {"server.crt": server.cert_pem, "server.key": server.key_pem, "root.crt": ca.cert_pem}
    for name, text in files.items():
        path = data / name
        path.write_text(text)
        os.chmod(path, 0o600)
        if os.geteuid() == 0:
            os.chown(path, pg.pw_uid, pg.pw_gid)
    with open(data / "postgresql.conf", "a") as fh:
        fh.write(f"\nport = {port}\nlisten_addresses = '127.0.0.1'\n"
                 f"unix_socket_directories = '{root}'\nssl = on\n"
                 "ssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                 "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                 "shared_buffers = 16MB\nmax_connections = 40\n")
    (data / "pg_hba.conf").write_text(  # plain TCP too: a client may choose it if allowed
        "local all all trust\nhost all postgres 127.0.0.1/32 trust\n"
        "host all all 127.0.0.1/32 scram-sha-256\n")
    if os.geteuid() == 0:
        os.chown(data / "pg_hba.conf", pg.pw_uid, pg.pw_gid)
    started = _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(root / "log"),
                            "-w", "-t", "60", "start"], timeout=90)
    try:
        assert started.returncode == 0, started.stderr[-2000:] + (root / "log").read_text()[-2000:]
        ca_file = root / "ca.pem"
        ca_file.write_text(ca.cert_pem)
        os.chmod(ca_file, 0o644)
        url = (f"host=localhost hostaddr=127.0.0.1 port={port} user=postgres dbname=postgres "
               f"sslmode=verify-full sslrootcert={ca_file}")
        deadline = time.monotonic() + 30
        import psycopg

        while True:
            try:
                psycopg.connect(url, connect_timeout=3).close()
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield TlsCluster(port, ca, url, ca_file)
    finally:
        _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(root, ignore_errors=True)
