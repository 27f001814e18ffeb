#!/bin/bash
# The shipped integration files parse and say what matters: the
# Kubernetes DaemonSet (privileged, hostPID, /dev/fuse, Bidirectional
# mount of the mount point, the daemon and remount --all at start), the
# example pod (HostToContainer hostPath files), the hooks.d file, and the
# LXC snippet and hooks. Kubernetes itself cannot run here.
set -u
. "$TESTLIB"
CONTRIB=$(cd "$(dirname "$TESTLIB")/../../contrib" && pwd)

if python3 -c 'import yaml' 2>/dev/null; then
	out=$(python3 - "$CONTRIB/kubernetes/cviewfs-daemonset.yaml" "$CONTRIB/kubernetes/pod-example.yaml" <<'PY'
import sys, yaml
ds = yaml.safe_load(open(sys.argv[1]))
spec = ds["spec"]["template"]["spec"]
c = spec["containers"][0]
vols = {v["name"]: v for v in spec["volumes"]}
mounts = {m["mountPath"]: m for m in c["volumeMounts"]}
script = " ".join(c["command"] + c.get("args", []))
def vol_of(path):
    return vols[mounts[path]["name"]]["hostPath"]
print("kind", ds["kind"], ds["apiVersion"])
print("hostPID", spec.get("hostPID"))
print("privileged", c["securityContext"].get("privileged"))
print("fuse", vol_of("/dev/fuse")["path"], vol_of("/dev/fuse").get("type"))
print("mnt", vol_of("/var/lib/lxcfs")["path"], mounts["/var/lib/lxcfs"].get("mountPropagation"))
print("daemon", "cviewfs -f /var/lib/lxcfs" in script)
print("remount", "remount --all" in script)
print("prestop", " ".join(c["lifecycle"]["preStop"]["exec"]["command"][-2:]))
pod = yaml.safe_load(open(sys.argv[2]))
pc = pod["spec"]["containers"][0]
pvols = {v["name"]: v["hostPath"]["path"] for v in pod["spec"]["volumes"]}
for m in sorted(pc["volumeMounts"], key=lambda m: m["mountPath"]):
    print("pod", m["mountPath"], pvols[m["name"]], m.get("mountPropagation"))
PY
)
	want="kind DaemonSet apps/v1
hostPID True
privileged True
fuse /dev/fuse CharDevice
mnt /var/lib/lxcfs Bidirectional
daemon True
remount True
prestop umount --all"
	is "$(echo "$out" | grep -v '^pod')" "$want" "the DaemonSet: privileged, hostPID, /dev/fuse, Bidirectional mount point, daemon + remount --all, umount --all on stop"
	bad=$(echo "$out" | awk '$1 == "pod" && ($3 != "/var/lib/lxcfs" $2 || $4 != "HostToContainer")')
	is "$bad" "" "the example pod binds each file from /var/lib/lxcfs with HostToContainer"
	is "$(echo "$out" | grep -c '^pod')" "8" "the example pod has the 7 proc files and the cpu directory"
else
	skip "python3-yaml not installed"
	skip "python3-yaml not installed"
	skip "python3-yaml not installed"
fi

if command -v jq >/dev/null; then
	got=$(jq -c '[.version, .hook.args[-1], .when.always, .stages]' "$CONTRIB/oci/cviewfs-hook.json.in")
	is "$got" '["1.0.0","hook",true,["prestart","poststop"]]' "hooks.d: runs the toolkit's hook for every container, at prestart and poststop"
else
	skip "jq not installed"
fi

is "$(grep -c '^lxc.hook.mount = @HOOKDIR@/cviewfs-mount$' "$CONTRIB/lxc/cviewfs.conf.in"):$(grep -c '^lxc.hook.post-stop = @HOOKDIR@/cviewfs-poststop$' "$CONTRIB/lxc/cviewfs.conf.in")" "1:1" "the LXC snippet sets the mount and post-stop hooks"
for h in cviewfs-mount cviewfs-poststop; do
	sh -n "$CONTRIB/lxc/$h.in"
	is "$?" "0" "$h is valid sh"
done
done_testing
