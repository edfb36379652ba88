#!/bin/sh
# The console service: host keys on first boot, the user's home, then sshd in the foreground
# and a login shell on the serial console when rancher.autologin asks for it.
set -e
keys=/var/lib/rancher/ssh
mkdir -p "$keys" /run/sshd /home/rancher
chmod 0755 /run/sshd
for type in ed25519 ecdsa; do
    [ -f "$keys/ssh_host_${type}_key" ] || ssh-keygen -q -t "$type" -N '' -f "$keys/ssh_host_${type}_key"
done
chown 1100:1100 /home/rancher
if [ -d /home/rancher/.ssh ]; then
    chown -R 1100:1100 /home/rancher/.ssh
    chmod 0700 /home/rancher/.ssh
fi
exec /usr/sbin/sshd -D -e
