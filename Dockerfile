# The kit's one image for any service. A builder stage installs the dependencies locked in the
# service's lock into a virtualenv; the runtime stage holds Debian's python3, that virtualenv and
# the service's files, and runs gunicorn as uid 10001 on a read-only root filesystem. Build it
# with `make image` (scripts/docker-image.sh): the context is staged from the service's contract
# (kit.toml) by kitcore/image.py: pyproject.toml + uv.lock, service/ (the [image] include paths),
# kit/ (the kit's build and serve scripts).
#
# Build arguments (from the contract, by kitcore/image.py) and secrets:
#   BASE_IMAGE      the Debian 12 base, pinned by tag and digest (bump both together; the current
#                   digest: `docker buildx imagetools inspect debian:bookworm-slim`, or let
#                   Renovate's docker manager do it). Machines that reach no registry build a base
#                   with scripts/docker-base-image.sh (debootstrap) and pass its tag.
#   WSGI_APP, GUNICORN_CONFIG   serve.wsgi and serve.gunicorn_config: what kit-serve runs.
#   APP_PORT, HEALTH_PATH       serve.port (GUNICORN_BIND's default) and the liveness route.
#   VERSION_ENV, APP_VERSION    the variable that tells the service its release, and the release.
#   IMAGE_TITLE                 the service's name, for the OCI labels.
#   --secret id=extra_ca,src=FILE   an extra CA bundle for the builder's downloads (corporate TLS
#                   proxy); it is mounted for single RUN steps only and never reaches a layer.
ARG BASE_IMAGE=debian:bookworm-slim@sha256:88200866dfff7ea7f5cbcb6ec7c8a701889efe6fe859fe64d6990e4b07ea4171

# checkov can not resolve the ARG; BASE_IMAGE above is pinned by tag and digest.
# checkov:skip=CKV_DOCKER_7:FROM uses the BASE_IMAGE ARG, which is pinned by tag and digest
FROM ${BASE_IMAGE} AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Debian stable only gets security fixes within a release, and the base image is pinned: pinning
# each package version as well would only break builds when a security update supersedes it.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates python3 python3-pip \
    && rm -rf /var/lib/apt/lists/*
COPY kit/with-ca.sh /usr/local/bin/with-ca
COPY kit/build-requirements.txt /tmp/build-requirements.txt
# uv from PyPI by hash, into its own directory: it installs the lock but is not copied onward.
RUN --mount=type=secret,id=extra_ca --mount=type=tmpfs,target=/run/ca \
    with-ca python3 -m pip install --no-cache-dir --no-compile --require-hashes \
        --only-binary :all: --target /opt/uv -r /tmp/build-requirements.txt
# The service's runtime dependencies only (no dependency groups), exactly as locked, as wheels
# only (--no-build: no compiler is needed or present). Byte-compiled later (kit/precompile.py).
ENV UV_PROJECT_ENVIRONMENT=/opt/venv \
    UV_PYTHON=/usr/bin/python3 \
    UV_PYTHON_DOWNLOADS=never \
    UV_COMPILE_BYTECODE=0 \
    UV_LINK_MODE=copy
WORKDIR /src
COPY pyproject.toml uv.lock ./
RUN --mount=type=secret,id=extra_ca --mount=type=tmpfs,target=/run/ca \
    --mount=type=cache,target=/root/.cache/uv \
    with-ca /opt/uv/bin/uv sync --frozen --no-default-groups --no-install-project --no-build
# Bytes no request reads (kit/slim-venv.py): the AWS API models of services other than these,
# Babel's locales of languages other than these, tests bundled in wheels, and the debug symbols
# some wheels ship in their extension modules (strip: binutils, in this stage only).
ARG KEEP_AWS_SERVICES="s3 sts"
ARG KEEP_LOCALES="en fr"
COPY kit/slim-venv.py /tmp/slim-venv.py
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends binutils \
    && rm -rf /var/lib/apt/lists/* \
    && python3 /tmp/slim-venv.py /opt/venv "${KEEP_AWS_SERVICES}" "${KEEP_LOCALES}" \
    && find /opt/venv -name '*.so*' -type f -exec strip --strip-unneeded {} +

# The runtime filesystem, assembled here and copied whole into one layer below: files that the base
# or the package installs leave behind (downloaded .debs, debconf backups, glibc's iconv modules,
# which Python never loads) are then really gone instead of hidden under a later layer.
FROM ${BASE_IMAGE} AS rootfs
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Manuals, docs and message catalogues of the packages installed here are never read in a container.
COPY kit/dpkg-nodoc /etc/dpkg/dpkg.cfg.d/nodoc
# Runtime only: the interpreter, CA roots for outbound TLS, tini as PID 1, and ps/ss for the
# testinfra checks. No compiler, no pip (Debian's python3 has neither ensurepip nor pip).
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates python3 tini procps iproute2 \
    && apt-get clean \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
        /var/cache/debconf/*-old /var/lib/dpkg/*-old /usr/lib/x86_64-linux-gnu/gconv \
    && groupadd --gid 10001 app \
    && useradd --no-log-init --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin app
COPY --from=builder /opt/venv /opt/venv
COPY kit/kit-serve.sh /usr/local/bin/kit-serve
COPY kit/production-defaults /etc/kit/production-defaults
COPY kit/precompile.py /usr/local/lib/kit/precompile.py

FROM scratch AS runtime
# The whole filesystem on purpose: this is the squash described above.
# hadolint ignore=DL3067
COPY --from=rootfs / /
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /srv
# Owned by root and not writable by the app user; compiled now because the root filesystem is
# read-only at run time (PYTHONDONTWRITEBYTECODE stops attempts to write .pyc files): the service,
# and the modules a worker imports at start-up (kit/precompile.py).
COPY service/ /srv/
ARG WSGI_APP
ARG GUNICORN_CONFIG
ARG APP_PORT=8000
ARG HEALTH_PATH
# Built by scripts/docker-image.sh, which passes the contract's values; refuse a build without.
RUN test -n "${WSGI_APP}" && test -n "${GUNICORN_CONFIG}" && test -n "${HEALTH_PATH}" \
    || { echo "build with scripts/docker-image.sh (the contract's build arguments)" >&2; exit 1; }
# A layer of its own from scratch: no variable of the base's carries over, PATH included.
ENV PATH=/opt/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# From /tmp, so nothing the import might create lands in /srv.
WORKDIR /tmp
RUN PYTHONPATH=/srv python3 /usr/local/lib/kit/precompile.py "${WSGI_APP}" "${GUNICORN_CONFIG}" /srv
WORKDIR /srv
ENV PYTHONPATH=/srv \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WSGI_APP=${WSGI_APP} \
    GUNICORN_CONFIG=${GUNICORN_CONFIG} \
    GUNICORN_BIND=0.0.0.0:${APP_PORT} \
    GUNICORN_WORKER_TMP_DIR=/dev/shm \
    KIT_HEALTH_PATH=${HEALTH_PATH}
USER 10001:10001
EXPOSE ${APP_PORT}
# Liveness through the service itself, with the stdlib only (no curl in the image); it follows
# GUNICORN_BIND's port so a container bound elsewhere (e.g. --network host) stays checkable.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python3", "-c", "import os, urllib.request as r; port = os.environ['GUNICORN_BIND'].rpartition(':')[2]; r.urlopen(f'http://127.0.0.1:{port}' + os.environ['KIT_HEALTH_PATH'], timeout=2)"]
# tini is PID 1: it forwards SIGTERM to gunicorn (which then drains in-flight requests within
# GUNICORN_GRACEFUL_TIMEOUT) and reaps orphans, so the same image serves the worker and one-shot
# commands (migrations) just as safely. kit-serve: the contract's production defaults, then
# gunicorn with WSGI_APP and GUNICORN_CONFIG.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["kit-serve"]
# Last, so a new version only rebuilds these metadata layers.
ARG VERSION_ENV=APP_VERSION
ARG APP_VERSION=dev
ARG IMAGE_TITLE=service
ENV ${VERSION_ENV}=${APP_VERSION}
LABEL org.opencontainers.image.title="${IMAGE_TITLE}" \
    org.opencontainers.image.description="${IMAGE_TITLE}, served by gunicorn (flask-deploy-kit image)" \
    org.opencontainers.image.version="${APP_VERSION}" \
    org.opencontainers.image.base.name="debian:bookworm-slim"
