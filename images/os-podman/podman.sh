#!/bin/sh
# The podman user engine: `podman system service` on /var/run/docker.sock (group docker, the
# Docker-compatible API), storage in /var/lib/containers (bound from the state disk), then the
# images preloaded under /var/lib/rancher/preload/docker and the user-scope services, as the
# docker engine does.
set -e
mkdir -p /run/containers/storage /var/run /var/tmp
# The storage lives on the state disk, in /var/lib/rancher/containers (bound into every
# console and engine), apart from docker's /var/lib/docker.
mkdir -p /var/lib/rancher/containers /var/lib/containers
grep -qs " /var/lib/containers " /proc/self/mounts ||
    mount --bind /var/lib/rancher/containers /var/lib/containers
mkdir -p /var/lib/containers/storage

# write_files with `container: docker` go into this container (it is the `docker` service).
ros cloud-init --write-files-for docker || echo "podman: some write_files for docker failed" >&2

# cgroup v2: move our processes into a leaf so that the containers' cgroups can have
# controllers (as corral-docker does).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    mkdir -p /sys/fs/cgroup/init
    while read -r pid; do
        echo "$pid" >/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || true
    done </sys/fs/cgroup/cgroup.procs
    for controller in $(cat /sys/fs/cgroup/cgroup.controllers); do
        echo "+$controller" >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null ||
            echo "podman: cgroup controller $controller not available" >&2
    done
fi

socket=/var/run/docker.sock
# The socket of the engine this one replaced.
rm -f "$socket"

preload=/var/lib/rancher/preload/docker
(
    i=0
    while [ ! -S "$socket" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
    # podman creates the socket root-only; the docker group of the console uses it.
    chgrp docker "$socket" && chmod 0660 "$socket"
    echo "podman: serving the Docker API on $socket"
    for archive in "$preload"/*; do
        [ -f "$archive" ] || continue
        if podman load -q -i "$archive" >/dev/null; then
            echo "podman: preloaded $archive"
        else
            echo "podman: preload of $archive failed" >&2
        fi
    done
    ros service up --scope user ||
        echo "podman: not every user service came up (ros service ps --scope user)" >&2
) &
exec podman system service --time=0 "unix://$socket"
