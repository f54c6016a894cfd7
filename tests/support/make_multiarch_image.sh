#!/usr/bin/env bash
# make_multiarch_image.sh OUT.tar NAME: a two-platform OCI image archive
# whose index.json names one image index (named NAME, as make_oci_image.sh
# names its manifest) with a linux/amd64 and a linux/arm64 manifest, each
# made by make_oci_image.sh. The arm64 "busybox" is the host's with a byte
# appended: its layer differs, though it runs nowhere but here.
# Deterministic. Prints the index's digest, then the amd64 and the arm64
# manifest's, then the arm64 layer's, one a line. `skopeo copy --all
# oci-archive:OUT.tar docker://...` pushes the whole index.
set -euo pipefail
out=$1
name=$2
here=$(dirname "$0")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cp /bin/busybox "$work/busybox-arm64"
printf '\n' >>"$work/busybox-arm64"
mkdir -p "$work/image/blobs/sha256" "$work/amd64" "$work/arm64"
for arch in amd64 arm64; do
  bin=/bin/busybox
  [[ $arch == arm64 ]] && bin=$work/busybox-arm64
  bash "$here/make_oci_image.sh" "$work/$arch.tar" "$name" "$bin" "$arch" >/dev/null
  tar -C "$work/$arch" -xf "$work/$arch.tar"
  cp "$work/$arch"/blobs/sha256/* "$work/image/blobs/sha256/"
done

# The one manifest entry of each layout's index.json, without its annotations.
entry() {
  python3 -c 'import json,sys; e=json.load(open(sys.argv[1]))["manifests"][0]; e.pop("annotations",None); print(json.dumps(e,separators=(",",":")))' "$1"
}
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s,%s]}' \
  "$(entry "$work/amd64/index.json")" "$(entry "$work/arm64/index.json")" >"$work/index.json"
hex=$(sha256sum "$work/index.json" | cut -d' ' -f1)
cp "$work/index.json" "$work/image/blobs/sha256/$hex"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$hex" "$(stat -c %s "$work/index.json")" "$name" "${name##*:}" >"$work/image/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/image/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/image" -cf "$out" oci-layout index.json blobs
echo "sha256:$hex"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$work/amd64/index.json"
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$work/arm64/index.json"
arm_manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["manifests"][0]["digest"])' "$work/arm64/index.json")
python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' "$work/arm64/blobs/sha256/${arm_manifest#sha256:}"
