#!/usr/bin/env bash
# make_multiarch_image.sh OUT.tar NAME ARCH...: an OCI image archive whose
# index.json names one image index (application/vnd.oci.image.index.v1+json)
# with a manifest per ARCH (linux/<ARCH>), each made by make_oci_image.sh
# (EXTRA_LAYERS is passed on). `skopeo copy --all oci-archive:OUT.tar ...`
# pushes the whole index. Prints the index's digest. Deterministic.
set -euo pipefail
out=$1
name=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/image/blobs/sha256"
entries=""
for arch in "$@"; do
  ARCH=$arch bash "$here/make_oci_image.sh" "$work/$arch.tar" "$name" >/dev/null
  mkdir -p "$work/$arch"
  tar -xf "$work/$arch.tar" -C "$work/$arch"
  cp -n "$work/$arch/blobs/sha256/"* "$work/image/blobs/sha256/"
  # The platform manifest's descriptor, from the single-image index.json.
  entry=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))["manifests"][0]; m.pop("annotations",None); print(json.dumps(m,separators=(",",":")))' "$work/$arch/index.json")
  entries+="${entries:+,}$entry"
done
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[%s]}' "$entries" >"$work/index.blob"
hex=$(sha256sum "$work/index.blob" | cut -d' ' -f1)
cp "$work/index.blob" "$work/image/blobs/sha256/$hex"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
  "$hex" "$(stat -c %s "$work/index.blob")" "$name" "${name##*:}" >"$work/image/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/image/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/image" -cf "$out" oci-layout index.json blobs
echo "sha256:$hex"
