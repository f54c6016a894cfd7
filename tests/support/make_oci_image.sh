#!/usr/bin/env bash
# make_oci_image.sh OUT.tar NAME [BUSYBOX [ARCH]]: a one-layer OCI image
# archive (image layout: oci-layout, index.json, blobs/sha256/...) of a
# busybox-static rootfs (/bin/busybox and /bin/sh), for linux/ARCH (default
# amd64; only the config and index say so), named NAME through the
# index's io.containerd.image.name annotation, as `ctr images import` and
# skopeo's oci-archive: read it. Deterministic: the same input gives the same
# digests.
set -euo pipefail
out=$1
name=$2
busybox=${3:-/bin/busybox}
arch=${4:-amd64}
[[ -x $busybox ]] || { echo "make_oci_image.sh: $busybox is not executable (Debian's busybox-static)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/rootfs/bin" "$work/image/blobs/sha256"
cp "$busybox" "$work/rootfs/bin/busybox"
ln -s busybox "$work/rootfs/bin/sh"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/rootfs" -cf "$work/layer.tar" .
gzip -n -6 -c "$work/layer.tar" >"$work/layer.tar.gz"

# blob FILE: stores FILE under its digest; prints "sha256:<hex> <size>".
blob() {
  local hex
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$work/image/blobs/sha256/$hex"
  echo "sha256:$hex $(stat -c %s "$1")"
}

diff_id=sha256:$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
read -r layer layer_size < <(blob "$work/layer.tar.gz")
printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
  "$arch" "$diff_id" >"$work/config.json"
read -r config config_size < <(blob "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
  "$config" "$config_size" "$layer" "$layer_size" >"$work/manifest.json"
read -r manifest manifest_size < <(blob "$work/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"},"platform":{"architecture":"%s","os":"linux"}}]}' \
  "$manifest" "$manifest_size" "$name" "${name##*:}" "$arch" >"$work/image/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/image/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/image" -cf "$out" oci-layout index.json blobs
echo "$manifest"
