#!/bin/bash
# unit/cli_usage: the dmabridge command on the host, without a module:
# bad usage of every command exits 2 with a usage line on stderr and
# nothing on stdout, never a crash (a signal); --help exits 0; --json
# output parses; with a scratch directory, bench's host path runs there
# (rounds, median, --plot).
set -u
CLI=${1:?usage: cli_usage.sh path/to/dmabridge [scratch dir]}
fails=0

# run WANT ARGS...
run() {
	local want=$1 rc=0 out err
	shift
	out=$("$CLI" "$@" 2>/tmp/cli_usage.$$) || rc=$?
	err=$(cat /tmp/cli_usage.$$)
	if [ "$rc" != "$want" ]; then
		echo "FAIL: dmabridge $*: exit $rc, want $want"; echo "$err"; fails=$((fails + 1))
	elif [ "$want" = 2 ] && { ! grep -q '^usage: dmabridge' <<<"$err" || [ -n "$out" ]; }; then
		echo "FAIL: dmabridge $*: no usage line on stderr, or output on stdout"
		echo "$out"; echo "$err"; fails=$((fails + 1))
	fi
	LAST_OUT=$out
}

run 2
run 2 frobnicate
run 2 --bogus list
run 0 --help
run 0 help
run 0 --version
for c in $("$CLI" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }'); do
	run 0 "$c" --help
	run 0 help "$c"
	run 2 "$c" --no-such-option
	run 2 "$c" -Z
done
run 2 list extra
run 2 stats --interval x
run 2 stats --interval
run 2 stats --count 0
run 2 stats a b
if "$CLI" --help | grep -q '^  check'; then
	run 2 check extra
fi
if "$CLI" --help | grep -q '^  bind'; then
	run 2 bind
	run 2 bind not-a-bdf
	run 2 bind 0000:00:04.0 0000:00:05.0
	run 2 unbind
	run 2 unbind 00:04
	run 2 bind --root
fi
if "$CLI" --help | grep -q '^  cp'; then
	run 2 cp
	run 2 cp /etc/hostname
	run 2 cp /etc/hostname --to nothing
	run 2 cp /etc/hostname --to udmabuf --compat sometimes
	run 2 cp /etc/hostname --to udmabuf --chunk 3
	run 2 cp a b --to udmabuf
fi
if "$CLI" --help | grep -q '^  bench'; then
	run 2 bench
	run 2 bench --file /tmp/x --sizes 4K,,8K
	run 2 bench --file /tmp/x --sizes 3000
	run 2 bench --file /tmp/x --paths direct,teleport
	run 2 bench --file /tmp/x --qd 0
	run 2 bench --file /tmp/x --threads 0
	run 2 bench --file /tmp/x --duration forever
	run 2 bench --file /tmp/x --exporters udmabuf,gpu
	run 2 bench --file /tmp/x --plot-size 12
	run 2 bench --file /tmp/x --dirs up
	run 2 bench --file /tmp/x --rounds 0
	run 2 bench --paths host
fi
# --json parses, wherever it is given
run 0 list --json
python3 -c 'import json, sys; json.loads(sys.argv[1])' "$LAST_OUT" ||
	{ echo "FAIL: list --json does not parse: $LAST_OUT"; fails=$((fails + 1)); }
run 0 --json list
python3 -c 'import json, sys; json.loads(sys.argv[1])' "$LAST_OUT" ||
	{ echo "FAIL: --json list does not parse"; fails=$((fails + 1)); }
# bench's host path runs anywhere O_DIRECT does: rounds keep the median
# round of each cell, and --plot draws a PNG of the asked size
scratch=${2:-}
if [ -n "$scratch" ] && "$CLI" --help | grep -q '^  bench'; then
	mkdir -p "$scratch"
	if "$CLI" --json bench --host-file "$scratch/bench.dat" --file-size 2M --sizes 4K,64K \
		--qd 2 --duration 0.05 --rounds 3 --plot "$scratch/bench.png" --plot-size 640x480 \
		> "$scratch/bench.json" 2> /tmp/cli_usage.$$; then
		python3 - "$scratch/bench.json" "$scratch/bench.png" <<-'PYEOF' ||
		import json, struct, sys
		j = json.load(open(sys.argv[1]))
		assert j['config']['rounds'] == 3 and len(j['results']) == 2, j
		for r in j['results']:
		    rr = sorted(r['round_throughputs'])
		    assert len(rr) == 3 and r['throughput'] == rr[1], r
		    assert r['error'] is None and r['bytes'] == r['ios'] * r['io_size'], r
		d = open(sys.argv[2], 'rb').read(24)
		assert d[:8] == b'\x89PNG\r\n\x1a\n' and struct.unpack('>II', d[16:24]) == (640, 480)
		PYEOF
			{ echo "FAIL: bench --rounds 3 --plot on the host"; fails=$((fails + 1)); }
	elif grep -q 'Invalid argument' /tmp/cli_usage.$$; then
		echo "note: no O_DIRECT in $scratch: bench's host path not run"
	else
		echo "FAIL: bench on the host:"; cat /tmp/cli_usage.$$; fails=$((fails + 1))
	fi
	rm -f "$scratch/bench.dat"
fi
rm -f /tmp/cli_usage.$$
[ $fails = 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "ok: usage of every command"
