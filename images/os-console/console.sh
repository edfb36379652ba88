#!/bin/sh
# The console service: host keys on first boot, the user's home, its write_files, logins on
# tty1 and ttyS0 (rancher.autologin logs `rancher` in without a password), runcmd once per
# boot, then sshd in the foreground (key-only).
set -e
keys=/var/lib/rancher/ssh
mkdir -p "$keys" /run/sshd /home/rancher /run/corral
chmod 0755 /run/sshd
for type in ed25519 ecdsa; do
    [ -f "$keys/ssh_host_${type}_key" ] || ssh-keygen -q -t "$type" -N '' -f "$keys/ssh_host_${type}_key"
done
chown 1100:1100 /home/rancher
if [ -d /home/rancher/.ssh ]; then
    chown -R 1100:1100 /home/rancher/.ssh
    chmod 0700 /home/rancher/.ssh
fi

# write_files with `container: console` go into this container.
ros cloud-init --write-files-for console || echo "console: some write_files for the console failed" >&2

# rancher.password: a console login password for rancher (SSH stays key-only).
password=$(ros config get rancher.password 2>/dev/null || true)
if [ -n "$password" ]; then
    hash=$(mkpasswd -m sha512 "$password")
    sed -i "s|^rancher:[^:]*:|rancher:$hash:|" /etc/shadow
fi

# Logins. PID 1 already runs a shell on the serial console when the kernel command line says
# rancher.autologin=ttyS0: the serial line is then left to it.
autologin=$(ros config get rancher.autologin 2>/dev/null || true)
cmdline=$(cat /proc/cmdline 2>/dev/null || true)
login_on() {
    tty=$1 speed=$2
    [ -c "/dev/$tty" ] || return 0
    case " $cmdline " in
        *" rancher.autologin="*"$tty"*) [ "$tty" = ttyS0 ] && return 0 ;;
    esac
    case "$autologin" in
        *"$tty"*) set -- -n -l /usr/sbin/corral-autologin ;;
        *) set -- ;;
    esac
    (while :; do getty "$@" -L "$speed" "$tty" linux || true; sleep 1; done) &
}
login_on tty1 38400
login_on ttyS0 115200

# runcmd: once per boot (this container restarts with sshd), after the console is up.
if [ ! -e /run/corral/runcmd.done ]; then
    : >/run/corral/runcmd.done
    (sleep 1; ros cloud-init --runcmd) &
fi

echo "console: sshd starting"
exec /usr/sbin/sshd -D -e
