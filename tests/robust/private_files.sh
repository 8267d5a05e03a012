#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# A run next to a hostile local user: symlinks and files planted under every name a QEMU run used to take in /tmp
# and /dev/shm, and a listener bound where the QMP socket used to be, must not be touched, truncated or talked to;
# every file of the run lives in its own private directory (0700), gone afterwards. And a QEMU whose monitor cannot
# be reached makes the live walk fail instead of trusting the guest's registers.
source "$(dirname "$0")/common.sh"
need_qemu
SCENARIO="$SOURCE_DIR/scenarios/not-present.toml"
VICTIM="$SCRATCH/victim"
echo "precious" >"$VICTIM"
export TMPDIR="$SCRATCH/tmp"
mkdir -m 0700 "$TMPDIR"

# The impostor: accepts QMP connections on every planted socket name and logs each one.
IMPOSTOR_LOG="$SCRATCH/impostor.log"
: >"$IMPOSTOR_LOG"
(
    pid=$BASHPID  # exec keeps the pid: the names below are the ones this run would have used
    echo "$pid" >"$SCRATCH/run.pid"
    for n in 0 1 2 3 4 5; do
        printf '%s\n' "/dev/shm/pagewalk-ram-$pid-$n" "/tmp/pagewalk-qemu-$pid-$n.log" \
            "/tmp/pagewalk-qmp-$pid-$n.sock.planted" "/tmp/pagewalk-qmp-$pid-$n.sock" >>"$SCRATCH/planted"
        ln -s "$VICTIM" "/dev/shm/pagewalk-ram-$pid-$n"
        ln -s "$VICTIM" "/tmp/pagewalk-qemu-$pid-$n.log"
        : >"/tmp/pagewalk-qmp-$pid-$n.sock.planted"
    done
    /usr/bin/python3 - "$pid" "$IMPOSTOR_LOG" <<'PY' &
import os, socket, sys, threading
pid, log = sys.argv[1], sys.argv[2]
def serve(path):
    s = socket.socket(socket.AF_UNIX); s.bind(path); s.listen(8)
    while True:
        c, _ = s.accept()
        open(log, "a").write("connection on " + path + "\n")
        c.sendall(b'{"QMP": {"version": {}, "capabilities": []}}\n')
for n in range(6):
    threading.Thread(target=serve, args=("/tmp/pagewalk-qmp-%s-%d.sock" % (pid, n),), daemon=True).start()
threading.Event().wait(60)
PY
    echo $! >"$SCRATCH/impostor.pid"
    sleep 0.5
    exec "$PAGEWALK" run --backend qemu --mode 4level --jobs 1 --guest "$GUEST" "$SCENARIO" >"$SCRATCH/run.out" 2>&1
) && rc=0 || rc=$?
kill "$(cat "$SCRATCH/impostor.pid")" 2>/dev/null || true
cat "$SCRATCH/run.out"
run_pid="$(cat "$SCRATCH/run.pid")"
sleep 0.2  # the impostor's sockets go with it
planted="$(entries_of_pid "$run_pid" | grep -v '\.sock$')"
# What remains under the run's pid is exactly what was planted (6 symlinks each in /dev/shm and /tmp, 6 files).
[[ "$(grep -c . <<<"$planted")" == 18 ]] || fail "the planted names changed: $planted"
for f in $planted; do
    [[ "$f" == *.planted || "$(readlink "$f")" == "$VICTIM" ]] || fail "$f is not what was planted"
done
[[ "$rc" == 0 ]] || fail "the run did not pass (exit $rc)"
[[ "$(cat "$VICTIM")" == "precious" ]] || fail "the planted symlink's target was written"
[[ ! -s "$IMPOSTOR_LOG" ]] || fail "pagewalk talked to the impostor: $(cat "$IMPOSTOR_LOG")"
[[ -z "$(ls -A "$TMPDIR")" ]] || fail "left in TMPDIR: $(ls -A "$TMPDIR")"
echo "planted names untouched, impostor never contacted, nothing left behind"

# Without the live walk (no shared RAM) QEMU still has a QMP socket: it goes too.
"$PAGEWALK" run --backend qemu --no-live --mode 4level --guest "$GUEST" "$SCENARIO" >"$SCRATCH/nolive.out" 2>&1 &
nolive=$!
wait "$nolive" || fail "the --no-live run failed: $(cat "$SCRATCH/nolive.out")"
[[ -z "$(ls -A "$TMPDIR")" ]] || fail "left in TMPDIR after --no-live: $(ls -A "$TMPDIR")"
[[ -z "$(entries_of_pid "$nolive")" ]] || fail "left after --no-live: $(entries_of_pid "$nolive")"
echo "a --no-live run leaves no socket"

# A QEMU whose monitor is unreachable (the -qmp option dropped): the live walk has no registers of its own.
cat >"$SCRATCH/qemu-without-qmp" <<SH
#!/usr/bin/env bash
args=()
while ((\$#)); do
    if [[ "\$1" == -qmp ]]; then shift 2; continue; fi
    args+=("\$1"); shift
done
exec ${PAGEWALK_QEMU:-qemu-system-x86_64} "\${args[@]}"
SH
chmod +x "$SCRATCH/qemu-without-qmp"
PAGEWALK_QEMU="$SCRATCH/qemu-without-qmp" "$PAGEWALK" run --backend qemu --mode 4level --timeout 20 --guest "$GUEST" \
    "$SCENARIO" >"$SCRATCH/noqmp.out" 2>&1 && rc=0 || rc=$?
cat "$SCRATCH/noqmp.out"
[[ "$rc" == 1 ]] || fail "a live run without QEMU's monitor must fail (exit $rc)"
grep -q "needs the vCPU's registers" "$SCRATCH/noqmp.out" || fail "the failure does not say why"
[[ -z "$(ls -A "$TMPDIR")" ]] || fail "left in TMPDIR after the failed run: $(ls -A "$TMPDIR")"
echo "a live run without registers from QEMU fails and says why"
