#!/usr/bin/env bash
# bench-copy.sh: how fast can a whole Open WebUI SQLite database move to
# PostgreSQL or MariaDB? Measures `schema copy` beside the floors it is
# judged against, each under /usr/bin/time -v (wall time, and the peak
# resident memory of the largest client-side process: sqlite3, psql, mysql,
# pgloader or schema; the servers' own memory is not counted).
#
#   go run ./cmd/schemabench -copy-seed 100000 -out /tmp/owui-100k.db
#   scripts/bench-copy.sh /tmp/owui-100k.db                 # everything
#   scripts/bench-copy.sh /tmp/owui-100k.db floor-pg floor-mysql-fifo
#
# Methods (default: all, in this order):
#   floor-pg            fresh PostgreSQL database; `schema up`; drop the
#                       foreign keys; per table `sqlite3 -csv | psql \copy
#                       FROM STDIN CSV`; re-add (and so validate) the keys.
#   floor-mysql-file    fresh MariaDB database; `schema up`; per table
#                       sqlite3 -csv into a temporary file, then LOAD DATA
#                       LOCAL INFILE with foreign_key_checks=0 (MariaDB
#                       would rebuild a table to add a key back, so keys
#                       stay and are not checked: a floor, not a proof).
#   floor-mysql-fifo    the same through a named pipe (no temporary file).
#   pgloader            pgloader (Debian's 3.6) out of the box into an empty
#                       database: it makes its own tables from SQLite's.
#   pgloader-tuned      pgloader with a bigger heap (--dynamic-space-size),
#                       boolean casts, data only into a database built by
#                       `schema up`, keys dropped and re-added as the floor.
#   copy-pg, copy-mysql `schema copy --from sqlite:////FILE --to URL` into a
#                       fresh empty database; skipped with a message while
#                       `schema copy --help` does not describe --from (the
#                       command is not there yet).
#
# The table printed at the end has, per method, the wall time, the peak
# memory, the exit status, whether the row counts match, and the 1-minute
# load average before and after (the servers share the machine: a busy one
# shows there). Tables that take a second or more are timed on stderr.
#
# Every method gets a database of its own (bench_copy_<pid>_<method>),
# dropped at the end (also on error or Ctrl-C); after each run the rows of
# every table are counted on both sides (not timed) and the result says
# whether they match. Keep -k (KEEP=1) to leave the databases for a look.
#
# NULL and '' stay apart: PostgreSQL's CSV reads an unquoted empty field as
# NULL and "" as '' (sqlite3 -csv writes NULL as nothing and '' as ""); for
# MariaDB sqlite3 writes NULL as the bare word NULL, which LOAD DATA reads as
# NULL when fields are enclosed (a text value spelled exactly NULL would be
# misread: the seed has none). Booleans are cast in the SELECT; folder
# timestamps, text in SQLite ("2024-09-16 16:20:35.123456+00:00", as the Go
# driver writes them), go to PostgreSQL as they are and to MariaDB as
# "YYYY-MM-DD HH:MM:SS.ffffff" in UTC.
#
# Servers (defaults: the project's local test servers; passwords from
# PGPASSWORD / MYSQL_PWD, as their clients take them):
#   PGHOST=127.0.0.1 PGPORT=5432 PGUSER=postgres
#   MYSQL_HOST=127.0.0.1 MYSQL_TCP_PORT=3306 MYSQL_USER=root
#   SCHEMA_BIN=path   use this schema binary instead of building ./cmd/schema
#   PGLOADER_HEAP_MB=4096   the tuned pgloader's heap
#   TIMEOUT=3600      seconds after which a method is stopped (pgloader can
#                     spin or sit in its debugger when its heap runs out)
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
	usage
	exit 2
fi
src=$(readlink -f "$1")
shift
[[ -f $src ]] || { echo "bench-copy: no SQLite file $src (make one with: go run ./cmd/schemabench -copy-seed 100000 -out $src)" >&2; exit 2; }
methods=("$@")
[[ ${#methods[@]} -gt 0 ]] || methods=(floor-pg floor-mysql-file floor-mysql-fifo pgloader pgloader-tuned copy-pg copy-mysql)

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
export MYSQL_HOST=${MYSQL_HOST:-127.0.0.1} MYSQL_TCP_PORT=${MYSQL_TCP_PORT:-3306} MYSQL_USER=${MYSQL_USER:-root}
heap=${PGLOADER_HEAP_MB:-4096}
timeout=${TIMEOUT:-3600}
for tool in sqlite3 psql mysql /usr/bin/time timeout awk go; do
	command -v "$tool" >/dev/null || { echo "bench-copy: $tool is missing" >&2; exit 2; }
done

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d /tmp/bench-copy.XXXXXX)
made_pg=() made_my=()
cleanup() {
	set +e
	if [[ ${KEEP:-0} != 1 ]]; then
		for d in "${made_pg[@]}"; do psql -Xq -d postgres -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null; done
		for d in "${made_my[@]}"; do mysql -e "DROP DATABASE IF EXISTS \`$d\`"; done
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

schema=${SCHEMA_BIN:-}
if [[ -z $schema ]]; then
	schema=$work/schema
	(cd "$repo" && go build -o "$schema" ./cmd/schema)
fi

enc() { # percent-encodes a password for a URL
	local LC_ALL=C s=$1 i c out=
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in [a-zA-Z0-9._~-]) out+=$c ;; *) out+=$(printf '%%%02X' "'$c") ;; esac
	done
	echo "$out"
}
pg_url() {
	local auth=$PGUSER
	[[ -n ${PGPASSWORD:-} ]] && auth+=":$(enc "$PGPASSWORD")"
	echo "postgres://$auth@$PGHOST:$PGPORT/$1?sslmode=disable"
}
my_url() {
	local auth=$MYSQL_USER
	[[ -n ${MYSQL_PWD:-} ]] && auth+=":$(enc "$MYSQL_PWD")"
	echo "mysql://$auth@$MYSQL_HOST:$MYSQL_TCP_PORT/$1"
}
psqlx() { psql -Xq -v ON_ERROR_STOP=1 "$@"; }
# A database this project wrote is in WAL mode: a reader that opens it while
# the previous one closes (and checkpoints) gets "database is locked"
# without a busy timeout.
sq() { sqlite3 -cmd ".timeout 30000" "$@"; }
# The mysql client reads host, port and user from these variables only
# partly (MYSQL_HOST and MYSQL_TCP_PORT yes, the user no).
mysqlx() { mysql --user="$MYSQL_USER" --local-infile=1 "$@"; }
stamp() { date +%s.%N; }
# slow: a table's line, when it took a second or more.
slow() { awk -v what="$1" -v t0="$2" -v t1="$(stamp)" 'BEGIN { if (t1 - t0 >= 1) printf "    %-26s %6.1f s\n", what, t1 - t0 }' >&2; }
phase() { awk -v what="$1" -v t0="$2" -v t1="$(stamp)" 'BEGIN { printf "  %-28s %6.1f s\n", what, t1 - t0 }' >&2; }

# The tables to move: the source's own, without the runner's record
# (the target's is written by its own `schema up`).
mapfile -t tables < <(sq "$src" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name")
cols_of() { sq "$src" "SELECT name FROM pragma_table_info('$1') ORDER BY cid"; }

# select_for TABLE TYPESFILE: the sqlite3 SELECT that writes TABLE's rows as
# the target reads them; TYPESFILE lists "table column kind" with kind
# bool, ts_pg, ts_my or plain.
select_for() {
	local t=$1 types=$2 c kind exprs=()
	while read -r c; do
		kind=$(awk -v t="$t" -v c="$c" '$1 == t && $2 == c { print $3 }' "$types")
		case $kind in
		bool) exprs+=("CASE WHEN \"$c\" IS NULL THEN NULL WHEN \"$c\" THEN '${3:-t}' ELSE '${4:-f}' END") ;;
		ts_my) exprs+=("CASE WHEN substr(\"$c\", 20, 1) = '.' THEN strftime('%Y-%m-%d %H:%M:%S', \"$c\") || substr(\"$c\", 20, length(\"$c\") - 25) ELSE strftime('%Y-%m-%d %H:%M:%S', \"$c\") END") ;;
		*) exprs+=("\"$c\"") ;;
		esac
	done < <(cols_of "$t")
	local IFS=,
	echo "SELECT ${exprs[*]} FROM \"$t\""
}
col_list() { # quoted with $2
	local c out=()
	while read -r c; do out+=("$2$c$2"); done < <(cols_of "$1")
	local IFS=,
	echo "${out[*]}"
}

pg_types() { # table column kind, from the target's catalog
	psqlx -At -F ' ' -d "$1" -c "SELECT table_name, column_name, CASE data_type WHEN 'boolean' THEN 'bool' ELSE 'plain' END
		FROM information_schema.columns WHERE table_schema = current_schema()"
}
my_types() {
	mysqlx -N -B -e "SELECT table_name, column_name, CASE WHEN column_type = 'tinyint(1)' THEN 'bool' WHEN data_type = 'datetime' THEN 'ts_my' ELSE 'plain' END
		FROM information_schema.columns WHERE table_schema = '$1'" | tr '\t' ' '
}

# The foreign keys of a PostgreSQL database: drop_fks writes the statements
# that re-add them to $work/fk-add-$1.sql.
pg_drop_fks() {
	psqlx -At -d "$1" -c "SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s;', conrelid::regclass, conname, pg_get_constraintdef(oid))
		FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace" >"$work/fk-add-$1.sql"
	psqlx -At -d "$1" -c "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I;', conrelid::regclass, conname)
		FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace" | psqlx -d "$1"
}
pg_add_fks() { psqlx -d "$1" -1 -f "$work/fk-add-$1.sql"; }

pg_new() { psqlx -d postgres -c "CREATE DATABASE \"$1\""; made_pg+=("$1"); }
my_new() { mysqlx -e "CREATE DATABASE \`$1\`"; made_my+=("$1"); }

floor_pg() {
	local db=$1 t0 t1
	t0=$(stamp)
	"$schema" up --database-url "$(pg_url "$db")" >/dev/null
	phase "schema up" "$t0"
	t1=$(stamp)
	pg_drop_fks "$db"
	pg_types "$db" >"$work/types-$db"
	local sel cols t2
	for t in "${tables[@]}"; do
		sel=$(select_for "$t" "$work/types-$db") cols=$(col_list "$t" '"') t2=$(stamp)
		sq -csv "$src" "$sel" | psqlx -d "$db" -c "\\copy \"$t\" ($cols) FROM pstdin CSV"
		slow "$t" "$t2"
	done
	phase "load (sqlite3 | psql copy)" "$t1"
	t1=$(stamp)
	pg_add_fks "$db"
	phase "re-add foreign keys" "$t1"
}

floor_mysql() {
	local db=$1 how=$2 t0 t1 warnings=0 w
	t0=$(stamp)
	"$schema" up --database-url "$(my_url "$db")" >/dev/null
	phase "schema up" "$t0"
	t1=$(stamp)
	my_types "$db" >"$work/types-$db"
	for t in "${tables[@]}"; do
		local data=$work/$t.csv q sel t2
		sel=$(select_for "$t" "$work/types-$db" 1 0) t2=$(stamp)
		q="SET foreign_key_checks = 0; LOAD DATA LOCAL INFILE '$data' INTO TABLE \`$t\` CHARACTER SET utf8mb4
			FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\\n' ($(col_list "$t" '`'));
			SHOW COUNT(*) WARNINGS;"
		if [[ $how == fifo ]]; then
			mkfifo "$data"
			sq -csv -cmd ".nullvalue NULL" "$src" "$sel" >"$data" &
			w=$(mysqlx -N -B "$db" -e "$q")
			wait $!
		else
			sq -csv -cmd ".nullvalue NULL" "$src" "$sel" >"$data"
			w=$(mysqlx -N -B "$db" -e "$q")
		fi
		rm -f "$data"
		slow "$t" "$t2"
		[[ $w == 0 ]] || { echo "  $t: $w warnings (values changed on the way in)" >&2; warnings=$((warnings + w)); }
	done
	phase "load (LOAD DATA, $how)" "$t1"
	[[ $warnings == 0 ]]
}

pgloader_plain() {
	local db=$1
	pgloader --no-ssl-cert-verification --root-dir "$work/pgloader-$db" "sqlite://$src" "$(pg_url "$db" | sed 's/^postgres:/postgresql:/; s/?sslmode=disable//')" </dev/null
}

pgloader_tuned() {
	local db=$1 t0 t1
	t0=$(stamp)
	"$schema" up --database-url "$(pg_url "$db")" >/dev/null
	phase "schema up" "$t0"
	pg_drop_fks "$db"
	t1=$(stamp)
	# No USING in the casts: their values then go out as SQLite gives them
	# (0/1, which PostgreSQL's boolean reads; the timestamps' text as is):
	# the numeric rule's own float-to-string, and tinyint-to-boolean, which
	# wants a string, both fail on SQLite's integers.
	cat >"$work/load-$db.pgl" <<-EOF
		LOAD DATABASE
		  FROM sqlite://$src
		  INTO $(pg_url "$db" | sed 's/^postgres:/postgresql:/; s/?sslmode=disable//')
		WITH data only, workers = 2, concurrency = 1, prefetch rows = 2000, batch rows = 2000, batch size = 16MB
		SET work_mem to '64MB', maintenance_work_mem to '512MB'
		CAST type numeric to boolean drop typemod,
		     type datetime to timestamptz
		EXCLUDING TABLE NAMES LIKE 'schema_migrations';
	EOF
	pgloader --dynamic-space-size "$heap" --root-dir "$work/pgloader-$db" "$work/load-$db.pgl" </dev/null
	phase "pgloader (data only)" "$t1"
	t1=$(stamp)
	pg_add_fks "$db"
	phase "re-add foreign keys" "$t1"
}

copy_to() {
	"$schema" copy --from "sqlite:///$src" --to "$1"
}

# counts_match DIALECT DB: every table's rows equal the source's.
counts_match() {
	local t n m bad=0
	for t in "${tables[@]}"; do
		n=$(sq "$src" "SELECT count(*) FROM \"$t\"")
		if [[ $1 == pg ]]; then
			m=$(psqlx -At -d "$2" -c "SELECT count(*) FROM \"$t\"" 2>/dev/null) || m=missing
		else
			m=$(mysqlx -N -B "$2" -e "SELECT count(*) FROM \`$t\`" 2>/dev/null) || m=missing
		fi
		[[ $n == "$m" ]] || { echo "  $t: $n rows in the source, $m in the target" >&2; bad=1; }
	done
	return $bad
}

export -f floor_pg floor_mysql pgloader_plain pgloader_tuned copy_to select_for col_list cols_of pg_types my_types \
	pg_drop_fks pg_add_fks psqlx mysqlx sq stamp phase slow pg_url my_url enc
export src work schema heap
export TABLES="${tables[*]}"

results=()
run_method() {
	local m=$1 target db fn
	db=bench_copy_$$_${m//-/_}
	case $m in
	floor-pg) target=postgres fn="floor_pg $db" ;;
	floor-mysql-file) target=mariadb fn="floor_mysql $db file" ;;
	floor-mysql-fifo) target=mariadb fn="floor_mysql $db fifo" ;;
	pgloader) target=postgres fn="pgloader_plain $db" ;;
	pgloader-tuned) target=postgres fn="pgloader_tuned $db" ;;
	copy-pg | copy-mysql)
		# cobra answers --help of an unknown command with the root's help
		# and status 0: the copy command is there when its help names --from.
		if ! "$schema" copy --help 2>/dev/null | grep -q -- --from; then
			echo "== $m: skipped: this schema binary has no copy command (schema copy --help does not name --from)" >&2
			results+=("$m|-|-|-|skipped: no copy command|-|-")
			return
		fi
		if [[ $m == copy-pg ]]; then target=postgres fn="copy_to $(pg_url "$db")"; else target=mariadb fn="copy_to $(my_url "$db")"; fi
		;;
	*)
		echo "bench-copy: unknown method $m" >&2
		exit 2
		;;
	esac
	if [[ $target == postgres ]]; then pg_new "$db"; else my_new "$db"; fi
	echo "== $m -> $target database $db" >&2
	local tf=$work/time-$m status=0 load0
	load0=$(cut -d' ' -f1 /proc/loadavg)
	# tables is an array: functions run in a child bash see it through TABLES.
	timeout --signal=KILL "$timeout" /usr/bin/time -v -o "$tf" bash -c "set -euo pipefail; tables=(\$TABLES); $fn" >"$work/out-$m" 2>&1 || status=$?
	sed 's/^/  /' "$work/out-$m" | tail -n 40 >&2
	local wall rss ok
	if [[ -s $tf ]]; then
		wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$tf")
		rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tf")
	else
		wall="(killed after ${timeout}s)" rss=-
	fi
	if [[ $target == postgres ]]; then counts_match pg "$db" && ok=yes || ok=no; else counts_match my "$db" && ok=yes || ok=no; fi
	results+=("$m|$target|$wall|$rss|$status|$ok|$load0 / $(cut -d' ' -f1 /proc/loadavg)")
}

echo "source: $src ($(du -m "$src" | cut -f1) MB, $(sq "$src" "SELECT count(*) FROM chat") chats)" >&2
for m in "${methods[@]}"; do run_method "$m"; done

# load: the 1-minute load average before and after, to tell a busy machine.
printf '\n| method | target | wall s | peak RSS MB | exit | row counts match | load |\n|---|---|---|---|---|---|---|\n'
for r in "${results[@]}"; do
	IFS='|' read -r m target wall rss status ok load <<<"$r"
	printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$m" "$target" "$wall" "$rss" "$status" "$ok" "$load"
done
