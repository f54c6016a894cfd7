#!/usr/bin/env bash
# make_oci_image.sh OUT.tar NAME [BUSYBOX [ARCH]]: an OCI image archive (image
# layout: oci-layout, index.json, blobs/sha256/...) whose first layer is a
# busybox-static rootfs (/bin/busybox and /bin/sh), named NAME through the
# index's io.containerd.image.name annotation, as `ctr images import` and
# skopeo's oci-archive: read it. Prints the manifest's digest.
# Deterministic: the same input gives the same digests.
#
# Environment:
#   ARCH=amd64           the platform's architecture (config and index), unless
#                        given as the fourth argument
#   EXTRA_LAYERS=N:MIB   N more layers, each one file (/data/<i>) of MIB MiB
#                        of incompressible bytes (an AES-CTR keystream seeded
#                        by the layer number: deterministic, and fast to make)
#   WHITEOUTS=1          two more layers, last: the first makes /etc/app/keep,
#                        /etc/app/gone, /etc/app/linked (a hardlink of keep)
#                        and /var/old/{a,b}; the second deletes /etc/app/gone
#                        (an OCI whiteout), makes /var/old opaque holding only
#                        /var/old/new, and adds /etc/app/h1 and its hardlink h2
#   USERS=1              one more layer, last: /etc/passwd (root, app 1000:1000,
#                        daemon 2:2), /etc/group (app is also in audio 29 and
#                        video 44; a group 50 named "50") and /home/app
#   APPLETS=1            one more layer, last: /bin/<applet> links to busybox for
#                        the usual commands (echo, cat, sleep, id, true, ...)
#   CONFIG='"K":V,...'   more members of the image config's "config" object
#                        (after Cmd), e.g. '"User":"app","WorkingDir":"/home/app"'
set -euo pipefail
out=$1
name=$2
busybox=${3:-/bin/busybox}
arch=${4:-${ARCH:-amd64}}
extra=${EXTRA_LAYERS:-0:0}
[[ -x $busybox ]] || { echo "make_oci_image.sh: $busybox is not executable (Debian's busybox-static)" >&2; exit 1; }
[[ $extra =~ ^([0-9]+):([0-9]+)$ ]] || { echo "make_oci_image.sh: EXTRA_LAYERS=$extra is not N:MIB" >&2; exit 1; }
extra_count=${BASH_REMATCH[1]}
extra_mib=${BASH_REMATCH[2]}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/image/blobs/sha256"

# blob FILE: stores FILE under its digest; prints "sha256:<hex> <size>".
blob() {
  local hex
  hex=$(sha256sum "$1" | cut -d' ' -f1)
  cp "$1" "$work/image/blobs/sha256/$hex"
  echo "sha256:$hex $(stat -c %s "$1")"
}

# layer DIR N LEVEL: tars and gzips DIR as layer N; appends to diff_ids and layers.
diff_ids=""
layers=""
layer() {
  local dir=$1 n=$2 level=$3 digest size
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf "$work/layer$n.tar" .
  gzip -n "-$level" -c "$work/layer$n.tar" >"$work/layer$n.tar.gz"
  diff_ids+="${diff_ids:+,}\"sha256:$(sha256sum "$work/layer$n.tar" | cut -d' ' -f1)\""
  read -r digest size < <(blob "$work/layer$n.tar.gz")
  layers+="${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"$digest\",\"size\":$size}"
  rm -f "$work/layer$n.tar" "$work/layer$n.tar.gz"
}

mkdir -p "$work/rootfs0/bin"
cp "$busybox" "$work/rootfs0/bin/busybox"
ln -s busybox "$work/rootfs0/bin/sh"
layer "$work/rootfs0" 0 6
for ((i = 1; i <= extra_count; i++)); do
  mkdir -p "$work/rootfs$i/data"
  # head closes the pipe once it has enough: openssl's SIGPIPE is expected.
  { openssl enc -aes-256-ctr -nosalt -pass "pass:berth-layer-$i" -pbkdf2 </dev/zero 2>/dev/null || true; } |
    head -c $((extra_mib << 20)) >"$work/rootfs$i/data/$i"
  layer "$work/rootfs$i" "$i" 1  # incompressible: the fastest level does as well
  rm -rf "$work/rootfs$i"
done

if [[ ${WHITEOUTS:-0} == 1 ]]; then
  w=$((extra_count + 1))
  mkdir -p "$work/rootfs$w/etc/app" "$work/rootfs$w/var/old"
  echo keep >"$work/rootfs$w/etc/app/keep"
  echo gone >"$work/rootfs$w/etc/app/gone"
  ln "$work/rootfs$w/etc/app/keep" "$work/rootfs$w/etc/app/linked"
  echo a >"$work/rootfs$w/var/old/a"
  echo b >"$work/rootfs$w/var/old/b"
  layer "$work/rootfs$w" "$w" 6
  w=$((w + 1))
  mkdir -p "$work/rootfs$w/etc/app" "$work/rootfs$w/var/old"
  : >"$work/rootfs$w/etc/app/.wh.gone"
  : >"$work/rootfs$w/var/old/.wh..wh..opq"
  echo new >"$work/rootfs$w/var/old/new"
  echo h >"$work/rootfs$w/etc/app/h1"
  ln "$work/rootfs$w/etc/app/h1" "$work/rootfs$w/etc/app/h2"
  layer "$work/rootfs$w" "$w" 6
fi

if [[ ${USERS:-0} == 1 ]]; then
  u=$((extra_count + 3))
  mkdir -p "$work/rootfs$u/etc" "$work/rootfs$u/home/app"
  printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'daemon:x:2:2::/:/bin/false' 'app:x:1000:1000::/home/app:/bin/sh' \
    >"$work/rootfs$u/etc/passwd"
  printf '%s\n' 'root:x:0:' 'daemon:x:2:' 'audio:x:29:app' 'video:x:44:daemon,app' 'app:x:1000:' '50:x:5050:' \
    >"$work/rootfs$u/etc/group"
  chmod 0644 "$work/rootfs$u/etc/passwd" "$work/rootfs$u/etc/group"
  layer "$work/rootfs$u" "$u" 6
fi

if [[ ${APPLETS:-0} == 1 ]]; then
  a=$((extra_count + 4))
  mkdir -p "$work/rootfs$a/bin"
  for applet in cat echo env false id ls mkdir pwd sleep stty touch true; do
    ln -s busybox "$work/rootfs$a/bin/$applet"
  done
  layer "$work/rootfs$a" "$a" 6
fi

printf '{"architecture":"%s","os":"linux","config":{"Cmd":["/bin/sh"]%s},"rootfs":{"type":"layers","diff_ids":[%s]}}' \
  "$arch" "${CONFIG:+,$CONFIG}" "$diff_ids" >"$work/config.json"
read -r config config_size < <(blob "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
  "$config" "$config_size" "$layers" >"$work/manifest.json"
read -r manifest manifest_size < <(blob "$work/manifest.json")
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"},"platform":{"architecture":"%s","os":"linux"}}]}' \
  "$manifest" "$manifest_size" "$name" "${name##*:}" "$arch" >"$work/image/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$work/image/oci-layout"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work/image" -cf "$out" oci-layout index.json blobs
echo "$manifest"
