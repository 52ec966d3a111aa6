#!/usr/bin/env bash
# Makes a Node base image from this machine's own files, for a container engine that cannot pull
# one (no registry reachable): this machine's node and npm, the libraries `ldd` lists for them,
# dash as /bin/sh, the few commands the Dockerfile's RUN lines call, the `node` user (uid 1000)
# that node:*-slim images have, and the host's CA bundle, trusted by Node, so npm inside a build
# reaches the registry through whatever TLS-inspecting proxy the host trusts.
#
#   tests/deploy/node-base-image.sh [image name] [extra global engine flags…]
#   podman build --build-arg NODE_IMAGE=localhost/mifeng-node-base …
#
# ENV is set by a one-line build on top of the imported root file system: podman 4.3's
# `import --change ENV …` merges every variable into one malformed entry.
set -euo pipefail
image="${1:-localhost/mifeng-node-base}"
shift || true
engine=(podman "$@")

rootfs="$(mktemp -d)"
trap 'rm -rf "$rootfs"' EXIT
mkdir -p "$rootfs"/{bin,usr/bin,usr/lib/node_modules,etc/ssl/certs,tmp,root,home/node}
chmod 1777 "$rootfs/tmp"

node="$(readlink -f "$(command -v node)")"
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
cp "$node" "$rootfs/usr/bin/node"
cp -a "$npm_dir" "$rootfs/usr/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/bin/npx"
cp "$(readlink -f /bin/sh)" "$rootfs/bin/sh"
# npm's scripts start through `#!/usr/bin/env node`; the Dockerfile's RUN lines call mkdir, chown.
tools=(env mkdir chown)
for tool in "${tools[@]}"; do cp "$(readlink -f "$(command -v "$tool")")" "$rootfs/usr/bin/$tool"; done

binaries=("$node" "$(readlink -f /bin/sh)")
for tool in "${tools[@]}"; do binaries+=("$(readlink -f "$(command -v "$tool")")"); done
for lib in $(ldd "${binaries[@]}" | grep -o '/[^ ]*\.so[^ ]*' | sort -u); do
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
done

printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"
chown 1000:1000 "$rootfs/home/node"
bundle=/etc/ssl/certs/ca-certificates.crt
extra_ca=""
if [ -f "$bundle" ]; then
  cp "$bundle" "$rootfs$bundle"
  extra_ca=" NODE_EXTRA_CA_CERTS=$bundle"
fi

# The previous build's images go first, or each run would leave them behind untagged (kept while
# an image built on them exists).
"${engine[@]}" rmi "$image" "$image-rootfs" >/dev/null 2>&1 || true
tar -C "$rootfs" -c . | "${engine[@]}" import --quiet - "$image-rootfs" >/dev/null
# No RUN: nothing starts a container here, so this works wherever import does.
empty="$rootfs/tmp"
printf 'FROM %s-rootfs\nENV PATH=/usr/local/bin:/usr/bin:/bin%s\nCMD ["node"]\n' "$image" "$extra_ca" |
  "${engine[@]}" build --quiet -t "$image" -f - "$empty" >/dev/null
echo "$image"
