#!/bin/sh
# The user engine: dockerd on /var/run/docker.sock (group docker), data in /var/lib/docker
# (on the state disk), then the images preloaded under /var/lib/rancher/preload/docker and
# the user-scope services.
set -e
mkdir -p /var/lib/docker /var/run

# write_files with `container: docker` go into this container.
ros cloud-init --write-files-for docker || echo "docker: some write_files for docker failed" >&2

# cgroup v2 inside our own cgroup namespace: the engine's containers need controllers, and a
# cgroup with processes cannot hand them to children. Move our processes into a leaf first
# (what docker's own dind does).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    mkdir -p /sys/fs/cgroup/init
    while read -r pid; do
        echo "$pid" >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
    done </sys/fs/cgroup/cgroup.procs
    for controller in $(cat /sys/fs/cgroup/cgroup.controllers); do
        echo "+$controller" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
            echo "docker: cgroup controller $controller not available" >&2
    done
fi

# Docker's bridge networking needs iptables' nat table; without it the engine cannot start,
# so it runs without iptables rules (containers still run; no NAT to the outside).
options=""
if ! iptables -t nat -L -n >/dev/null 2>&1; then
    echo "docker: iptables nat table not available: starting dockerd with --iptables=false" >&2
    options="--iptables=false"
fi

# The rancher.docker section in one `ros config get` (each ros run costs boot time under
# emulation): YAML with its keys at the start of a line and list items indented as "  - ITEM".
docker_config=$(ros config get rancher.docker 2>/dev/null) || docker_config=""
# setting KEY: the scalar rancher.docker.KEY.
setting() {
    printf '%s\n' "$docker_config" | sed -n "s/^$1: *//p"
}
# items KEY: the items of the list rancher.docker.KEY, one a line, without quotes.
items() {
    printf '%s\n' "$docker_config" | sed -n "/^$1:/,/^[^ -]/s/^ *- *//p" | tr -d "\"'"
}

# rancher.docker.insecure_registry: one --insecure-registry a registry (HOST[:PORT] or a CIDR
# range), as RancherOS passed them. dockerd refuses to start on an entry with a scheme: such
# an entry, or one with a space, is left out with a warning instead.
insecure=""
while IFS= read -r registry; do
    case "$registry" in
    "") ;;
    *://* | *" "* | *"	"*)
        echo "docker: rancher.docker.insecure_registry: left out \`$registry\`" \
            "(give HOST[:PORT] or a CIDR range, without a scheme)" >&2
        ;;
    *)
        insecure="$insecure --insecure-registry $registry"
        echo "docker: insecure registry $registry"
        ;;
    esac
done <<EOF
$(items insecure_registry)
EOF

# rancher.docker.tls: dockerd also listens on TCP and asks for client certificates, with the
# arguments of rancher.docker.tls_args (--tlsverify, the files of /etc/docker/tls as
# `ros tls generate -s` wrote them, -H=0.0.0.0:2376), as RancherOS did. /etc/docker is not on
# the state disk: after a reboot the files are written again from the configuration, where
# `ros tls generate` saved them (rancher.docker.ca_cert, server_cert, server_key).
tls_args=""
if [ "$(setting tls)" = "true" ]; then
    tls=/etc/docker/tls
    mkdir -p "$tls"
    # restore FILE KEY MODE: FILE from rancher.docker.KEY when it is missing.
    restore() {
        [ -s "$tls/$1" ] && return 0
        value=$(ros config get "rancher.docker.$2" 2>/dev/null) || return 1
        [ -n "$value" ] || return 1
        (umask 077 && printf '%s\n' "$value" >"$tls/$1.tmp") &&
            chmod "$3" "$tls/$1.tmp" && mv "$tls/$1.tmp" "$tls/$1"
    }
    if restore ca.pem ca_cert 0644 && restore server-cert.pem server_cert 0644 &&
        restore server-key.pem server_key 0600; then
        tls_args=$(items tls_args)
        echo "docker: TLS on (rancher.docker.tls_args)"
    else
        echo "docker: rancher.docker.tls is true but there is no server certificate" \
            "(ros tls generate -s): listening on the unix socket only" >&2
    fi
fi

# Once dockerd answers: the images preloaded under /var/lib/rancher/preload/docker, then the
# user-scope services of the configuration (those without io.rancher.os.scope: system in
# rancher.services and the enabled services_include), which may use those images.
preload=/var/lib/rancher/preload/docker
(
    i=0
    while ! docker version >/dev/null 2>&1 && [ $i -lt 6000 ]; do sleep 0.1; i=$((i + 1)); done
    for archive in "$preload"/*; do
        [ -f "$archive" ] || continue
        if docker load -i "$archive" >/dev/null; then
            echo "docker: preloaded $archive"
        else
            echo "docker: preload of $archive failed" >&2
        fi
    done
    ros service up --scope user ||
        echo "docker: not every user service came up (ros service ps --scope user)" >&2
) &
# Words as they are: no file name expansion of "[fd00::1]:5000".
set -f
# shellcheck disable=SC2086
exec dockerd -H unix:///var/run/docker.sock --group docker --data-root /var/lib/docker $options \
    $insecure $tls_args "$@"
