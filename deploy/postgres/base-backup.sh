#!/usr/bin/env bash
# A base backup of the PostgreSQL primary, to be combined with the WAL archive for point-in-time
# recovery. Run daily from cron or a systemd timer as the postgres user:
#   deploy/postgres/base-backup.sh /srv/backup/congdan
# The primary archives every finished WAL segment (postgresql.conf):
#   archive_mode = on
#   archive_command = 'test ! -f /srv/backup/congdan/wal/%f && cp %p /srv/backup/congdan/wal/%f'
# Restore: stop PostgreSQL, put a base backup in place of the data directory, create
# recovery.signal with restore_command = 'cp /srv/backup/congdan/wal/%f %p' (and a
# recovery_target_time if wanted), start PostgreSQL; it replays the archive and opens.
set -euo pipefail
target="${1:?usage: base-backup.sh BACKUP_DIR}"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$target/base" "$target/wal"
pg_basebackup -D "$target/base/$stamp" -F plain -X stream -c fast --manifest-checksums=SHA256
# Every file against the backup's manifest, and the WAL it needs to be consistent.
pg_verifybackup "$target/base/$stamp"
# Keep the last seven base backups; WAL older than the oldest kept one can go.
ls -1d "$target"/base/*/ | head -n -7 | xargs -r rm -rf
echo "base backup: $target/base/$stamp"
