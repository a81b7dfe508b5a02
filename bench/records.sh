#!/usr/bin/env bash
# records.sh - the records benchmark of issue 7: a million generated person
# records with realistic errors (bench/persons_gen.c), imported with
# `htdispatch import` (the import rate), then the ten best records for a
# thousand misspelt queries by htdispatch's search next to SQLite FTS5
# trigram and PostgreSQL pg_trgm on the same names (bench/records_search.c),
# and the index sizes. A throwaway PostgreSQL cluster is made, started on a
# socket in the work directory and removed at the end.
#
# Usage: bench/records.sh [--quick] [--out PATH] [--dir DIR] [--people N]
#            [--queries N] [--build DIR]
#   --quick        a smoke run: 50,000 people, 200 queries; no JSON unless
#                  --out
#   --out PATH     the JSON (default bench/results/records.json for a
#                  standard run)
#   --dir DIR      where the data and databases go (default $TMPDIR or
#                  /tmp); removed at the end
#   --people N     people generated (default 1000000)
#   --queries N    queries (default 1000)
#   --build DIR    the build directory (default build)
# Prints a table and one "target:" line; exits non-zero only when the
# benchmark could not run (a missed target is reported, not a failure).
set -uo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." || exit 1

quick=0 out= dir=${TMPDIR:-/tmp} people=1000000 queries=1000 build=build
standard=1
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 standard=0 people=50000 queries=200 ;;
	--out | --dir | --people | --queries | --build)
		if [ $# -lt 2 ] || [ -z "$2" ]; then
			echo "records.sh: $1 needs a value" >&2
			exit 2
		fi
		case "$1" in
		--out) out=$2 ;;
		--dir) dir=$2 ;;
		--people) people=$2 standard=0 ;;
		--queries) queries=$2 standard=0 ;;
		--build) build=$2 ;;
		esac
		shift
		;;
	-h | --help)
		sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "records.sh: unknown option '$1' (see --help)" >&2
		exit 2
		;;
	esac
	shift
done
[ -z "$out" ] && [ "$standard" -eq 1 ] && out=bench/results/records.json

for exe in htdispatch bench/persons_gen bench/bench_records_search; do
	if [ ! -x "$build/$exe" ]; then
		echo "records.sh: $build/$exe is not built" >&2
		exit 1
	fi
done

work=$(mktemp -d "$dir/htd-records.XXXXXX") || exit 1
pgdata=
cleanup() {
	if [ -n "$pgdata" ] && [ -f "$pgdata/postmaster.pid" ]; then
		as_postgres "$pgbin/pg_ctl" -D "$pgdata" -m immediate stop \
			>/dev/null 2>&1
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# PostgreSQL will not run as root: as root, run it as the postgres user.
as_postgres() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

echo "records: generating $people people and $queries queries"
"$build/bench/persons_gen" "$people" "$queries" "$work/persons.csv" \
	"$work/queries.tsv" || exit 1

db=$work/htd.db
"$build/htdispatch" init --db "$db" >/dev/null || exit 1
echo "records: importing with htdispatch import"
t0=$(date +%s.%N)
"$build/htdispatch" import --db "$db" --kind persons "$work/persons.csv" ||
	exit 1
t1=$(date +%s.%N)
import_s=$(echo "$t1 - $t0" | bc -l 2>/dev/null ||
	awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')

# The pg_trgm anchor: a throwaway cluster on a socket in $work.
pg_args=()
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -n "$pgbin" ] && [ -x "$pgbin/initdb" ]; then
	pgdata=$work/pg
	mkdir -p "$pgdata" "$work/pgsock"
	[ "$(id -u)" -eq 0 ] && chown postgres "$pgdata" "$work/pgsock" &&
		chmod o+x "$work"
	port=$((20000 + RANDOM % 20000))
	if as_postgres "$pgbin/initdb" -D "$pgdata" -A trust -U postgres \
		>"$work/initdb.log" 2>&1 &&
		as_postgres "$pgbin/pg_ctl" -D "$pgdata" -l "$pgdata/server.log" -w \
			-o "-k $work/pgsock -p $port -c listen_addresses='' -c fsync=off -c shared_buffers=256MB" \
			start >/dev/null 2>&1; then
		pg_args=(--pg "host=$work/pgsock port=$port dbname=postgres user=postgres")
	else
		echo "records: PostgreSQL did not start; the pg_trgm anchor is skipped" >&2
		cat "$work/initdb.log" "$pgdata/server.log" 2>/dev/null | tail -5 >&2
		pgdata=
	fi
else
	echo "records: no PostgreSQL server (scripts/deps.sh installs it); the pg_trgm anchor is skipped" >&2
fi

json_args=()
[ -n "$out" ] && json_args=(--out "$out")
"$build/bench/bench_records_search" --db "$db" \
	--persons "$work/persons.csv" --queries "$work/queries.tsv" \
	--work "$work" --import-seconds "$import_s" \
	--import-records "$people" "${pg_args[@]}" "${json_args[@]}" || exit 1
