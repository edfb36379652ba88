"""docker pull from local registries (Debian's docker-registry, filled with skopeo): plain
HTTP on 127.0.0.1 with gzip and zstd layers, HTTPS with our own CA, bearer-token auth,
registries named with --insecure-registry."""
import base64
import json
import os
import re
import ssl
import subprocess
import tarfile
import urllib.request

import pytest

import images
import registries
from conftest import corral_bin, engine_binary
from harness import Docker, Registry

MANIFEST_TYPES = ", ".join([
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
])


def manifest_digest(url: str, repository: str, tag: str, context=None) -> str:
    request = urllib.request.Request(f"{url}/v2/{repository}/manifests/{tag}",
                                     headers={"Accept": MANIFEST_TYPES}, method="HEAD")
    with urllib.request.urlopen(request, timeout=10, context=context) as response:
        return response.headers["Docker-Content-Digest"]


def check_pulled(docker, reference: str, result, digest: str):
    assert f"Digest: {digest}" in result.stdout, result.stdout
    data = docker.inspect(reference, "image")
    repository = reference.rsplit(":", 1)[0]
    assert f"{repository}@{digest}" in data["RepoDigests"], data["RepoDigests"]
    assert reference in data["RepoTags"]
    assert data["Config"]["Labels"] == {images.TEST_LABEL[0]: images.TEST_LABEL[1]}
    assert docker.out("run", "--rm", reference, "echo", "pulled") == "pulled"
    # docker: a tag new to the engine is "Downloaded newer image", even when every layer and
    # the image itself were already there.
    assert f"Status: Downloaded newer image for {reference}" in result.stdout, result.stdout
    # Once each, as dockerd sends them; the CLI then prints the reference pulled.
    lines = result.stdout.splitlines()
    assert [line for line in lines if line.startswith(("Digest: ", "Status: "))] == [
        f"Digest: {digest}", f"Status: Downloaded newer image for {reference}"], result.stdout
    assert lines[-1] == reference, result.stdout


def test_pull_over_http(docker, image, registry_http):
    reference = f"{registry_http.address}/test/busybox:1"
    digest = manifest_digest(registry_http.url, "test/busybox", "1")
    result = docker("pull", reference, timeout=120)
    check_pulled(docker, reference, result, digest)
    # Same content as the loaded image: same image id.
    assert docker.inspect(reference, "image")["Id"] == docker.inspect(image, "image")["Id"]
    again = docker("pull", reference, timeout=120)
    assert f"Status: Image is up to date for {reference}" in again.stdout, again.stdout
    by_digest = f"{registry_http.address}/test/busybox@{digest}"
    docker("pull", by_digest, timeout=120)
    assert docker.out("run", "--rm", by_digest, "echo", "by-digest") == "by-digest"
    docker("rmi", reference, by_digest, check=False)


def test_pull_zstd_layers(docker, registry_http):
    reference = f"{registry_http.address}/test/busybox:zstd"
    digest = manifest_digest(registry_http.url, "test/busybox", "zstd")
    result = docker("pull", reference, timeout=120)
    check_pulled(docker, reference, result, digest)
    docker("rmi", reference)


def test_pull_unknown_tag_is_an_error(docker, registry_http):
    result = docker("pull", f"{registry_http.address}/test/busybox:nope", check=False,
                    timeout=120)
    assert result.returncode != 0
    assert "not found" in result.stderr or "manifest unknown" in result.stderr, result.stderr


def test_pull_over_https_with_own_ca(docker, registry_https, tls_ca):
    reference = f"{registry_https.name}/test/busybox:1"
    context = ssl.create_default_context(cafile=str(tls_ca["ca"]))
    digest = manifest_digest(registry_https.url, "test/busybox", "1", context)
    result = docker("pull", reference, timeout=120)
    check_pulled(docker, reference, result, digest)
    docker("rmi", reference)


def test_pull_over_https_refuses_unverified_certificate(docker, registry_https, engine):
    if engine == "dockerd":
        pytest.skip("dockerd treats any name resolving into 127.0.0.0/8 as an insecure registry "
                    "and skips verification")
    # Same registry under a name its certificate does not carry and with no CA configured.
    reference = f"corral-untrusted.test:{registry_https.port}/test/busybox:1"
    result = docker("pull", reference, check=False, timeout=120)
    assert result.returncode != 0
    assert re.search(r"x509|certificate|tls|TLS|SSL", result.stderr), result.stderr


def test_pull_with_bearer_token(docker, registry_token, session_root):
    reference = f"{registry_token.address}/test/busybox:1"
    anonymous = docker("pull", reference, check=False, timeout=120)
    assert anonymous.returncode != 0
    assert re.search(r"unauthorized|denied|authentication required", anonymous.stderr,
                     re.IGNORECASE), anonymous.stderr
    config = session_root / "docker-config-token"
    registries.docker_config_with_credentials(config, registry_token.address)
    authorized = Docker(docker.host, config_dir=str(config))
    before = len(registry_token.token_server.requests)
    result = authorized("pull", reference, timeout=120)
    assert authorized.out("run", "--rm", reference, "echo", "token") == "token"
    issued = registry_token.token_server.requests[before:]
    assert any(request["user"] == registries.TOKEN_USER and request["access"]
               for request in issued), issued
    assert "Status: Downloaded newer image" in result.stdout, result.stdout
    docker("rmi", reference)


def test_pull_with_wrong_password_is_refused(docker, registry_token, session_root):
    config = session_root / "docker-config-wrong"
    config.mkdir(exist_ok=True)
    auth = base64.b64encode(f"{registries.TOKEN_USER}:wrong".encode()).decode()
    (config / "config.json").write_text(json.dumps({"auths": {registry_token.address: {"auth": auth}}}))
    wrong = Docker(docker.host, config_dir=str(config))
    result = wrong("pull", f"{registry_token.address}/test/busybox:1", check=False, timeout=120)
    assert result.returncode != 0
    assert re.search(r"unauthorized|denied|authentication", result.stderr, re.IGNORECASE), \
        result.stderr


@pytest.fixture
def untrusted_registry(tmp_path, image_archive):
    """HTTPS with a certificate of a CA no engine trusts."""
    tls = tmp_path / "tls"
    ca = registries.make_ca(tls, "corral-nobody-ca")
    cert, key = registries.make_server_cert(tls, ca, ["corral-untrusted.test"], ["127.0.0.1"])
    registry = Registry(tmp_path / "registry", tls=(str(cert), str(key)))
    registry.push_archive(str(image_archive), "test/busybox:1")
    yield registry
    registry.close()


def test_insecure_registries(daemon_factory, engine, image_archive, registry_http,
                             registry_https, untrusted_registry):
    """--insecure-registry HOST:PORT: HTTPS with whatever certificate, else plain HTTP; every
    other registry stays HTTPS verified. The names resolve to 127.0.0.1 inside the engine's
    namespace (harness.Namespace), but are not loopback addresses."""
    over_https = f"corral-untrusted.test:{untrusted_registry.port}"
    over_http = f"corral-untrusted.test:{registry_http.port}"
    daemon = daemon_factory("insecure", start=False)
    daemon.extra_args = ["--insecure-registry", over_https, "--insecure-registry", over_http]
    daemon.start()
    docker = Docker(daemon.host)
    with tarfile.open(image_archive) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
    loaded = "sha256:" + manifest[0]["Config"].removesuffix(".json")
    for registry in (over_https, over_http):
        reference = f"{registry}/test/busybox:1"
        result = docker("pull", reference, timeout=120)
        assert "Status: Downloaded newer image" in result.stdout, result.stdout
        assert docker.inspect(reference, "image")["Id"] == loaded
    if engine == "dockerd":
        return  # dockerd takes any name resolving into 127.0.0.0/8 as an insecure registry
    # Not listed: the HTTPS registry's certificate is checked (this engine has no CA for it)...
    verified = docker("pull", f"corral-registry.test:{registry_https.port}/test/busybox:1",
                      check=False, timeout=120)
    assert verified.returncode != 0
    assert re.search(r"x509|certificate|tls|TLS|SSL", verified.stderr), verified.stderr
    # ... and a plain HTTP registry is not spoken to in plain HTTP.
    plain = docker("pull", f"corral-registry.test:{registry_http.port}/test/busybox:1",
                   check=False, timeout=120)
    assert plain.returncode != 0
    assert f"https://corral-registry.test:{registry_http.port}" in plain.stderr, plain.stderr


def test_insecure_range_covers_names_resolving_into_it(daemon_factory, image_archive,
                                                     registry_http, untrusted_registry):
    """--insecure-registry CIDR: a registry named by a host name with an address in the range
    is insecure too (dockerd resolves the name). corral-untrusted.test resolves to 127.0.0.1
    inside the engine's namespace: with 127.0.0.0/8 given, the HTTPS registry's certificate
    (not for that name, from no known CA) is not checked and the plain HTTP one is spoken to
    in plain HTTP."""
    daemon = daemon_factory("insecure-range", start=False)
    daemon.extra_args = ["--insecure-registry", "127.0.0.0/8"]
    daemon.start()
    docker = Docker(daemon.host)
    with tarfile.open(image_archive) as archive:
        manifest = json.load(archive.extractfile("manifest.json"))
    loaded = "sha256:" + manifest[0]["Config"].removesuffix(".json")
    for port in (untrusted_registry.port, registry_http.port):
        reference = f"corral-untrusted.test:{port}/test/busybox:1"
        result = docker("pull", reference, timeout=120)
        assert "Status: Downloaded newer image" in result.stdout, result.stdout
        assert docker.inspect(reference, "image")["Id"] == loaded


def insecure_section(info: str) -> list[str]:
    """The entries under " Insecure Registries:" of `docker info`'s output."""
    lines = info.splitlines()
    assert " Insecure Registries:" in lines, info
    entries = []
    for line in lines[lines.index(" Insecure Registries:") + 1:]:
        if not line.startswith("  ") or line.startswith("   "):
            break
        entries.append(line.strip())
    return entries


def test_info_lists_insecure_registries(daemon_factory, engine):
    """GET /info's RegistryConfig as dockerd fills it: a name given with --insecure-registry is
    an index that is not secure, a range is in InsecureRegistryCIDRs from its network address,
    next to the loopback range; docker.io stays secure and official; no mirrors. The docker CLI
    and system-docker list them under "Insecure Registries:"."""
    daemon = daemon_factory("info-insecure", start=False)
    daemon.extra_args = ["--insecure-registry", "registry.lan:5000",
                         "--insecure-registry", "10.20.3.4/16"]
    daemon.start()
    try:
        docker = Docker(daemon.host)
        config = json.loads(docker.out("info", "--format", "{{json .RegistryConfig}}"))
        indexes = config["IndexConfigs"]
        assert set(indexes) == {"docker.io", "registry.lan:5000"}, indexes
        assert indexes["registry.lan:5000"] == {"Name": "registry.lan:5000", "Mirrors": [],
                                                "Secure": False, "Official": False}
        assert indexes["docker.io"] == {"Name": "docker.io", "Mirrors": [], "Secure": True,
                                        "Official": True}
        # The configured range, then the loopback one(s).
        assert config["InsecureRegistryCIDRs"][0] == "10.20.0.0/16", config
        assert "127.0.0.0/8" in config["InsecureRegistryCIDRs"], config
        assert not config["Mirrors"]
        listed = insecure_section(docker.out("info"))
        assert listed[:2] == ["registry.lan:5000", "10.20.0.0/16"], listed
        assert "127.0.0.0/8" in listed, listed
        if engine == "dockerd":
            return
        client = corral_bin() / "system-docker"
        environment = {key: value for key, value in os.environ.items() if key != "DOCKER_HOST"}
        ours = subprocess.run([str(client), "-H", daemon.host, "info"], capture_output=True,
                              text=True, timeout=60, env=environment)
        assert ours.returncode == 0, ours.stderr
        assert insecure_section(ours.stdout) == listed, ours.stdout
    finally:
        daemon.teardown()


def test_insecure_registry_with_a_scheme_is_refused(engine, tmp_path):
    if engine == "dockerd":
        pytest.skip("checks system-dockerd's command line")
    result = subprocess.run([engine_binary(engine), "-H", f"unix://{tmp_path}/never.sock",
                             "--insecure-registry", "http://registry.lan:5000"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "insecure registry `http://registry.lan:5000`" in result.stderr, result.stderr
    assert not (tmp_path / "never.sock").exists()
