"""`ros netconf` (the network system service) in a network and mount namespace of its own:
static addresses, MTU, gateway, a bridge with a member, DNS in /etc/resolv.conf (a file
bind-mounted over the host's), then a change of the configuration while it runs (as cloud-init
saving the user data of this boot): the new settings apply without a restart; SIGTERM ends it.
This machine's kernel has veth and bridges but no bonding or VLAN driver: bonds and VLANs are
checked in the VM tier (tests/vm/cases/04_bad_config.yml)."""
from __future__ import annotations

import os
import subprocess
import textwrap
from pathlib import Path

from test_ros_service import ros_binary

FIRST = """\
#cloud-config
rancher:
  network:
    interfaces:
      # An entry named as the link wins over a pattern written before it.
      "veth*":
        mtu: 1450
      veth0:
        address: 10.50.0.2/24
        mtu: 1400
        gateway: 10.50.0.1
      br-test:
        bridge: true
        address: 10.60.0.1/24
      veth1:
        bridge: br-test
    dns:
      nameservers: [10.50.0.1]
      search: [corral.test]
"""

SECOND = """\
#cloud-config
rancher:
  network:
    interfaces:
      veth0:
        addresses: [10.50.0.2/24, 10.70.0.9/16]
        mtu: 1300
      br-test:
        bridge: true
        address: 10.60.0.1/24
      veth1:
        bridge: br-test
    dns:
      nameservers: [10.70.0.53]
"""

# Runs in `unshare --net --mount`: the namespaces end with it.
DRIVER = r"""
set -u
mount --bind "$WORK/resolv.conf" /etc/resolv.conf
# /sys/class/net shows the links of the network namespace that mounted sysfs: this one's.
mount -t sysfs sysfs /sys
ip link add veth0 type veth peer name veth1
"$ROS" --root "$ROOT" netconf 2>"$WORK/netconf.log" &
pid=$!
configured() { grep -c 'netconf: configured' "$WORK/netconf.log"; }
for i in $(seq 300); do [ "$(configured)" -ge 1 ] && break; sleep 0.1; done
echo "== first"; ip -o addr show; ip -o link show; ip route show
echo "== resolv-first"; cat /etc/resolv.conf
# Saved as cloud-init saves user data: a new file renamed into cloud-config.d.
cp "$WORK/second.yml" "$ROOT/var/lib/rancher/conf/cloud-config.d/.boot.yml.new"
mv "$ROOT/var/lib/rancher/conf/cloud-config.d/.boot.yml.new" \
   "$ROOT/var/lib/rancher/conf/cloud-config.d/boot.yml"
for i in $(seq 300); do [ "$(configured)" -ge 2 ] && break; sleep 0.1; done
echo "== second"; ip -o addr show; ip -o link show; ip route show
echo "== resolv-second"; cat /etc/resolv.conf
# Touching a file without changing the network settings applies nothing again.
echo "hostname: same-network" > "$ROOT/var/lib/rancher/conf/cloud-config.yml"
sleep 1.5
echo "== third $(configured)"
kill -TERM "$pid"; wait "$pid"; echo "== exit $?"
"""


def section(output: str, name: str) -> str:
    return output.split(f"== {name}", 1)[1].split("== ", 1)[0]


def test_netconf_applies_and_reapplies_the_network_configuration(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "var/lib/rancher/conf/cloud-config.d").mkdir(parents=True)
    (root / "var/lib/rancher/conf/cloud-config.d/boot.yml").write_text(FIRST)
    # No kernel command line from the host: an empty one.
    (root / "proc").mkdir()
    (root / "proc/cmdline").write_text("\n")
    (tmp_path / "second.yml").write_text(SECOND)
    (tmp_path / "resolv.conf").write_text("nameserver 192.0.2.1\n")
    environment = dict(os.environ, WORK=str(tmp_path), ROOT=str(root), ROS=ros_binary())
    environment.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    result = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private",
                             "sh", "-c", DRIVER], capture_output=True, text=True, timeout=120,
                            env=environment)
    log = (tmp_path / "netconf.log").read_text() if (tmp_path / "netconf.log").exists() else ""
    context = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\nnetconf log:\n{log}"
    assert result.returncode == 0, context
    assert "warning" not in log, context

    first = section(result.stdout, "first")
    assert "inet 10.50.0.2/24" in first, context
    assert "mtu 1400" in first.split("veth0@veth1")[1].split("\n")[0], context
    assert "default via 10.50.0.1 dev veth0" in first, context
    assert "inet 10.60.0.1/24" in first and "br-test" in first, context
    veth1 = [line for line in first.splitlines() if ": veth1@veth0:" in line]
    assert veth1 and "master br-test" in veth1[0], context
    resolv = section(result.stdout, "resolv-first")
    assert "nameserver 10.50.0.1" in resolv and "search corral.test" in resolv, context
    assert "192.0.2.1" not in resolv, context

    second = section(result.stdout, "second")
    assert "inet 10.70.0.9/16" in second and "inet 10.50.0.2/24" in second, context
    assert "mtu 1300" in second.split("veth0@veth1")[1].split("\n")[0], context
    # The gateway is no longer configured; the route set before stays (netconf adds, the
    # kernel keeps).
    resolv = section(result.stdout, "resolv-second")
    assert "nameserver 10.70.0.53" in resolv and "10.50.0.1" not in resolv, context
    assert "the network configuration changed" in log, context

    assert section(result.stdout, "third").strip() == "2", context
    assert "== exit 0" in result.stdout, context


# The first configuration applied under strace (the ros process only: not the `ip` commands
# it runs), stopped once it says it is configured.
TRACED = r"""
set -eu
mount --bind "$WORK/resolv.conf" /etc/resolv.conf
mount -t sysfs sysfs /sys
ip link add veth0 type veth peer name veth1
set +e
strace -qq -e trace=openat -e signal=none -o "$WORK/trace" \
    "$ROS" --root "$ROOT" netconf 2>"$WORK/netconf.log" &
tracer=$!
for i in $(seq 300); do grep -q 'netconf: configured' "$WORK/netconf.log" && break; sleep 0.1; done
ip -o link show br-test
kill -TERM "$(cat /proc/$tracer/task/$tracer/children)"; wait "$tracer"; echo "== exit $?"
"""


def test_netconf_lists_the_links_once_per_pass(tmp_path: Path) -> None:
    """Review finding: each pass that makes bonds, bridges and VLANs listed /sys/class/net
    twice more (before and after), and matching the configuration to the links listed it again.
    FIRST makes one link (br-test) in its first pass, so links are made in two passes: one
    listing before them and one after each, then the addresses are set on the last listing."""
    root = tmp_path / "root"
    (root / "var/lib/rancher/conf/cloud-config.d").mkdir(parents=True)
    (root / "var/lib/rancher/conf/cloud-config.d/boot.yml").write_text(FIRST)
    (root / "proc").mkdir()
    (root / "proc/cmdline").write_text("\n")
    (tmp_path / "resolv.conf").write_text("nameserver 192.0.2.1\n")
    # LeakSanitizer cannot stop the world of a process strace already traces.
    environment = dict(os.environ, WORK=str(tmp_path), ROOT=str(root), ROS=ros_binary(),
                       ASAN_OPTIONS="detect_leaks=0:abort_on_error=0")
    result = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private",
                             "sh", "-c", TRACED], capture_output=True, text=True, timeout=120,
                            env=environment)
    log = (tmp_path / "netconf.log").read_text() if (tmp_path / "netconf.log").exists() else ""
    trace = (tmp_path / "trace").read_text() if (tmp_path / "trace").exists() else ""
    context = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\nnetconf log:\n{log}"
    assert result.returncode == 0 and "== exit" in result.stdout, context
    assert "br-test" in result.stdout, context
    listings = [line for line in trace.splitlines() if '"/sys/class/net",' in line]
    assert len(listings) == 3, "\n".join(listings) + "\n" + context
