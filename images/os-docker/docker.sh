#!/bin/sh
# The user engine: dockerd on /var/run/docker.sock (group docker), data in /var/lib/docker
# (on the state disk), then the images preloaded under /var/lib/rancher/preload/docker.
set -e
mkdir -p /var/lib/docker /var/run
preload=/var/lib/rancher/preload/docker
if [ -d "$preload" ]; then
    (
        i=0
        while [ ! -S /var/run/docker.sock ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
        for archive in "$preload"/*; do
            [ -f "$archive" ] || continue
            docker load -i "$archive" >/dev/null && echo "preloaded $archive"
        done
    ) &
fi
exec dockerd -H unix:///var/run/docker.sock --group docker --data-root /var/lib/docker "$@"
