#!/usr/bin/env python3
"""edit_oci_archive.py MODE OUT IN... : variants of make_oci_image.sh's
archives (an OCI image layout with one single-manifest index entry), for
tests of importers. Every document the edit changes is stored under its new
digest and the documents above it re-digested, so only the flaw the mode
names is wrong.

Modes:
  index OUT A B        one index over the manifests of A and B (two platforms)
  traversal OUT IN     IN plus an entry "../escaped"
  lying-blob OUT IN    the layer's bytes changed, still stored under its old digest
  big-index OUT IN     index.json padded to 5 MiB
  big-config OUT IN    the config padded to 30 MiB
  wrong-diffid OUT IN  the config's diff ID of the layer is wrong
"""
import hashlib
import io
import json
import sys
import tarfile


def load(path):
    files = {}
    with tarfile.open(path) as tar:
        for m in tar.getmembers():
            if m.isfile():
                files[m.name] = tar.extractfile(m).read()
    return files


def save(path, files, extra=()):
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files) + list(extra):
            data = files[name] if name in files else b"escaped\n"
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))


def put(files, data):
    digest = hashlib.sha256(data).hexdigest()
    files["blobs/sha256/" + digest] = data
    return "sha256:" + digest, len(data)


def blob(files, digest):
    return files["blobs/sha256/" + digest.split(":", 1)[1]]


def dumps(doc):
    return json.dumps(doc, separators=(",", ":")).encode()


def documents(files):
    index = json.loads(files["index.json"])
    manifest = json.loads(blob(files, index["manifests"][0]["digest"]))
    config = json.loads(blob(files, manifest["config"]["digest"]))
    return index, manifest, config


def store(files, index, manifest, config, config_bytes=None):
    """Stores config and manifest under new digests; the index names them."""
    config_bytes = config_bytes if config_bytes is not None else dumps(config)
    manifest["config"]["digest"], manifest["config"]["size"] = put(files, config_bytes)
    entry = index["manifests"][0]
    entry["digest"], entry["size"] = put(files, dumps(manifest))
    files["index.json"] = dumps(index)


def main():
    mode, out, inputs = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = load(inputs[0])
    extra = []
    if mode == "index":
        other = load(inputs[1])
        first = json.loads(files["index.json"])
        second = json.loads(other["index.json"])
        files.update({k: v for k, v in other.items() if k.startswith("blobs/")})
        entries = first["manifests"] + second["manifests"]
        for e in entries:
            e.pop("annotations", None)
        name = json.loads(load(inputs[0])["index.json"])["manifests"][0]["annotations"]
        inner = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}
        digest, size = put(files, dumps(inner))
        files["index.json"] = dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.index.v1+json", "digest": digest, "size": size,
            "annotations": name}]})
    elif mode == "traversal":
        extra = ["../escaped"]
    elif mode == "lying-blob":
        _, manifest, _ = documents(files)
        name = "blobs/sha256/" + manifest["layers"][0]["digest"].split(":", 1)[1]
        data = bytearray(files[name])
        data[len(data) // 2] ^= 0xFF
        files[name] = bytes(data)
    elif mode == "big-index":
        index = json.loads(files["index.json"])
        index["annotations"] = {"padding": "x" * (5 << 20)}
        files["index.json"] = dumps(index)
    elif mode == "big-config":
        index, manifest, config = documents(files)
        config["padding"] = "x" * (30 << 20)
        store(files, index, manifest, config)
    elif mode == "wrong-diffid":
        index, manifest, config = documents(files)
        config["rootfs"]["diff_ids"][0] = "sha256:" + "0" * 64
        store(files, index, manifest, config)
    else:
        sys.exit("edit_oci_archive.py: unknown mode " + mode)
    save(out, files, extra)


if __name__ == "__main__":
    main()
