#!/bin/sh
# The user engine: dockerd on /var/run/docker.sock (group docker), data in /var/lib/docker
# (on the state disk), then the images preloaded under /var/lib/rancher/preload/docker.
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

preload=/var/lib/rancher/preload/docker
if [ -d "$preload" ]; then
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
    ) &
fi
# shellcheck disable=SC2086
exec dockerd -H unix:///var/run/docker.sock --group docker --data-root /var/lib/docker $options "$@"
