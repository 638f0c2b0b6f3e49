#!/bin/sh
# The admin command line of the Debian package: the service's config, and
# run as the service's user, so files it creates (the SQLite database,
# backups) belong to the service.
# What it writes (the database, backups) is for the service only. Paths
# are taken as given: the user ki-reise must be able to reach them.
umask 027
export KI_REISE_CONFIG="${KI_REISE_CONFIG:-/etc/ki-reise/ki-reise.toml}"
if [ -r /etc/ki-reise/umgebung ]; then
    set -a
    . /etc/ki-reise/umgebung
    set +a
fi
if [ "$(id -u)" = "0" ]; then
    exec runuser -u ki-reise -- /usr/lib/ki-reise/ki-reise "$@"
fi
exec /usr/lib/ki-reise/ki-reise "$@"
