#!/usr/bin/env bash
# Build the Debian base image locally from a Debian mirror (debootstrap + docker import), for
# machines that reach no container registry (ours, and air-gapped sites with a local mirror).
# The tag is what `make image` passes as the Dockerfile's BASE_IMAGE; an existing tag is reused.
#   BASE_IMAGE_LOCAL  tag to create (default localhost/debian:bookworm-minbase)
#   DEBIAN_MIRROR     mirror URL (default http://deb.debian.org/debian; apt verifies signatures)
#   DEBIAN_SECURITY   security mirror URL (default http://deb.debian.org/debian-security)
#   FORCE=1           rebuild even when the tag exists (e.g. monthly, for security updates)
set -euo pipefail

tag=${BASE_IMAGE_LOCAL:-localhost/debian:bookworm-minbase}
suite=bookworm
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY:-http://deb.debian.org/debian-security}
docker=${DOCKER:-docker}

if [ "${FORCE:-0}" != 1 ] && "$docker" image inspect "$tag" >/dev/null 2>&1; then
  echo "base image $tag exists (FORCE=1 rebuilds it)" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "building $tag needs root (debootstrap); or set BASE_IMAGE to a pinned registry image" >&2
  exit 1
fi
if ! command -v debootstrap >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

rootfs=$(mktemp -d /var/tmp/kit-rootfs.XXXXXX)
trap 'rm -rf --one-file-system "$rootfs" "$rootfs.log"' EXIT
echo "debootstrap $suite from $mirror into $rootfs" >&2
debootstrap --variant=minbase --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
  "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || { tail -n 30 "$rootfs.log" >&2; exit 1; }


# Same apt sources as the official image (updates and security too), in deb822 form.
rm -f "$rootfs/etc/apt/sources.list"
cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
# Like debian:*-slim: keep docs, man pages and locales out of every later apt install.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'DPKG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
DPKG
# Like the official image: no apt caches or package lists in layers.
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
  >"$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* "$rootfs"/tmp/*
find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
: >"$rootfs/etc/machine-id"

echo "importing $tag" >&2
tar --numeric-owner --xattrs -C "$rootfs" -c . | "$docker" import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["bash"]' \
  --message "debootstrap --variant=minbase $suite $mirror" - "$tag" >/dev/null
echo "built $tag" >&2
