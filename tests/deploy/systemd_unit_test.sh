#!/usr/bin/env bash
# deploy/systemd: `systemd-analyze verify` accepts migctl.service (with
# ExecStart pointing at the built migctl); the gpu-clients hook stops only the
# active listed units and starts exactly those again (systemctl stubbed);
# `migctl apply` driven by migctl.env's variables applies the selection and
# exits 4 — which the unit counts as success — when a MIG mode change stays
# pending. Usage: systemd_unit_test.sh SOURCE_DIR MIGCTL_BINARY
# Exit 77 (skipped) when MIGCTL_BINARY was not built (presets building only
# some targets).
set -euo pipefail
src="$1"
[ -x "$2" ] || { echo "no $2: skipped"; exit 77; }
migctl="$(realpath "$2")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

if command -v systemd-analyze >/dev/null; then
  sed "s|/usr/bin/migctl|$migctl|" "$src/deploy/systemd/migctl.service" >"$tmp/migctl.service"
  systemd-analyze verify "$tmp/migctl.service" || fail "systemd-analyze verify"
else
  echo "(no systemd-analyze: unit not verified)"
fi
grep -qx 'SuccessExitStatus=4' "$src/deploy/systemd/migctl.service" || fail "SuccessExitStatus=4"

# The hook, with a systemctl that logs its calls; dcgm.service is active.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/systemctl" <<STUB
#!/bin/sh
echo "\$*" >>"$tmp/calls"
if [ "\$1" = is-active ]; then [ "\$3" = dcgm.service ]; exit; fi
exit 0
STUB
chmod +x "$tmp/bin/systemctl"
# The hook keeps its state in /run/migctl; use a private copy of the script.
sed "s|/run/migctl|$tmp/run|g" "$src/deploy/systemd/gpu-clients" >"$tmp/gpu-clients"
chmod +x "$tmp/gpu-clients"
hook() { PATH="$tmp/bin:$PATH" MIGCTL_GPU_CLIENTS="$src/deploy/systemd/gpu-clients.list" \
  "$tmp/gpu-clients" "$@"; }
[ "$(hook stop)" = "stopping dcgm.service" ] || fail "hook stop output"
[ "$(hook start)" = "starting dcgm.service" ] || fail "hook start output"
[ "$(grep -v is-active "$tmp/calls")" = "$(printf 'stop dcgm.service\nstart dcgm.service')" ] ||
  fail "systemctl calls: $(cat "$tmp/calls")"
[ "$(grep -c is-active "$tmp/calls")" = 9 ] || fail "is-active calls"

# migctl apply with migctl.env's variables (config file and selection).
"$migctl" sim create "$tmp/node.json" --gpus 2xH100-NVL >/dev/null
run_apply() {
  env MIG_PARTED_CONFIG_FILE="$src/examples/custom-mig.yaml" \
    MIG_PARTED_SELECTED_CONFIG=custom-mig "$migctl" --sim "$tmp/node.json" apply >"$tmp/apply.log" 2>&1
}
# A process holds GPU 0: its MIG mode change stays pending -> exit 4.
"$migctl" sim attach-process "$tmp/node.json" -i 0 --pid 4242 --name nv-hostengine >/dev/null
rc=0; run_apply || rc=$?
[ "$rc" = 4 ] || { cat "$tmp/apply.log"; fail "apply with a busy GPU: exit $rc, want 4"; }
"$migctl" sim detach-process "$tmp/node.json" --pid 4242 >/dev/null
rc=0; run_apply || rc=$?
[ "$rc" = 0 ] || { cat "$tmp/apply.log"; fail "apply: exit $rc, want 0"; }
"$migctl" --sim "$tmp/node.json" assert -f "$src/examples/custom-mig.yaml" -c custom-mig >/dev/null 2>&1 ||
  fail "assert after apply"
echo "systemd_unit_test: passed"
