# OX Connector: the UCS App Center Docker app.
#
# Build it with ./build_docker_image (it reads the version from appcenter/ini). By hand:
#   docker build --build-arg BASE_IMAGE=python:3.11-slim-bookworm -t ox-connector:VERSION .
#   podman build --format docker --build-arg BASE_IMAGE=... -t ox-connector:VERSION .
# BuildKit (docker >= 23, or DOCKER_BUILDKIT=1) or podman/buildah is needed for the
# RUN --mount lines below.
#
# BASE_IMAGE is any Debian bookworm based image: the public python:3.11-slim-bookworm
# (default), or a bare Debian bookworm rootfs (CI builds one with debootstrap, since no
# image registry is reachable there): python3, ca-certificates and tzdata are then
# installed from Debian.
#
# The connector is installed from this build context: a wheel is built from the sources
# here and installed with its dependencies (from PyPI, at build time only) into the venv
# /opt/ox-connector, which the final stage copies. Only the product goes in: the builder
# stops if any of the test kit (ox_emulator, udm_simulator, ox_demo), or starlette or
# uvicorn, got into that venv. Nothing is fetched at run time, and no compiler is
# installed in either stage (every dependency ships binary wheels).
#
# Beside it, the reference suite (tests/reference and what it imports from tests/, in
# /usr/local/share/ox-connector/tests, run there with pytest: its README.md) has a venv of
# its own, /opt/ox-connector-tests: the test tools pinned in pyproject.toml's test extra
# and the directory simulator (testkit/simulator), which the suite imports. A .pth file
# lets it see the product's venv, so the suite runs against the installed connector. The
# emulator and the demo are not in the build context; the builder stops if ox_emulator,
# ox_demo, starlette or uvicorn can be imported in the suite's venv.
#
# Optional build secret "build_ca": a PEM bundle that pip trusts while building (for a
# TLS-inspecting proxy between the build host and PyPI). It is not stored in the image.

ARG BASE_IMAGE=python:3.11-slim-bookworm

# --- runtime base: Python >= 3.11, CA certificates, time zones --------------------------
FROM ${BASE_IMAGE} AS runtime-base
ENV LANG=C.UTF-8 \
    DEBIAN_FRONTEND=noninteractive
SHELL ["/bin/sh", "-eu", "-c"]
RUN packages="ca-certificates tzdata"; \
    if ! command -v python3 >/dev/null \
       || ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
        packages="$packages python3"; \
    fi; \
    apt-get update -qq; \
    apt-get install -y -qq --no-install-recommends $packages >/dev/null; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log

# --- builder: a venv with the connector wheel and its dependencies -----------------------
FROM runtime-base AS builder
RUN if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then \
        apt-get update -qq; \
        apt-get install -y -qq --no-install-recommends python3-venv >/dev/null; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    python3 -m venv /opt/ox-connector
COPY pyproject.toml README.md /src/
COPY connector /src/connector
RUN --mount=type=secret,id=build_ca,required=false \
    --mount=type=cache,target=/root/.cache/pip,sharing=locked \
    if [ -s /run/secrets/build_ca ]; then export PIP_CERT=/run/secrets/build_ca; fi; \
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_PROGRESS_BAR=off; \
    /opt/ox-connector/bin/pip wheel --quiet --no-deps --wheel-dir /tmp/wheels /src; \
    /opt/ox-connector/bin/pip install --quiet --only-binary=:all: /tmp/wheels/ox_connector-*.whl; \
    /opt/ox-connector/bin/ox-connector --version; \
    /opt/ox-connector/bin/python -c 'import zeep, lxml, requests, connector.cli'; \
    /opt/ox-connector/bin/python -c 'import importlib.util as u, sys; \
        kit = [m for m in ("ox_emulator", "udm_simulator", "ox_demo", "starlette", "uvicorn") if u.find_spec(m)]; \
        sys.exit(f"not product code, in the image: {kit}" if kit else 0)'

# --- builder: the reference suite's venv ---------------------------------------------------
COPY testkit/simulator /src/testkit/simulator
RUN --mount=type=secret,id=build_ca,required=false \
    --mount=type=cache,target=/root/.cache/pip,sharing=locked \
    if [ -s /run/secrets/build_ca ]; then export PIP_CERT=/run/secrets/build_ca; fi; \
    export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_PROGRESS_BAR=off; \
    suite=/opt/ox-connector-tests; \
    python3 -m venv "$suite"; \
    purelib() { "$1" -c 'import sysconfig; print(sysconfig.get_path("purelib"))'; }; \
    purelib /opt/ox-connector/bin/python > "$(purelib "$suite/bin/python")/ox-connector-product.pth"; \
    /opt/ox-connector/bin/python -c 'import tomllib; \
        print("\n".join(tomllib.load(open("/src/pyproject.toml", "rb"))["project"]["optional-dependencies"]["test"]))' \
        > /tmp/test-tools.txt; \
    "$suite/bin/pip" install --quiet --only-binary=:all: -r /tmp/test-tools.txt; \
    "$suite/bin/pip" wheel --quiet --no-deps --wheel-dir /tmp/wheels /src/testkit/simulator; \
    "$suite/bin/pip" install --quiet --no-deps /tmp/wheels/udm_simulator-*.whl; \
    "$suite/bin/pip" check; \
    "$suite/bin/python" -c 'import pytest, hypothesis, faker, xdist, zeep, udm_simulator, connector.cli'; \
    "$suite/bin/python" -c 'import importlib.util as u, sys; \
        kit = [m for m in ("ox_emulator", "ox_demo", "starlette", "uvicorn") if u.find_spec(m)]; \
        sys.exit(f"the emulator or the demo, in the suite venv: {kit}" if kit else 0)'

# --- the app image ------------------------------------------------------------------------
FROM runtime-base
ARG VERSION=dev
LABEL org.opencontainers.image.title="OX Connector" \
      org.opencontainers.image.description="Keeps Open-Xchange App Suite in step with UCS (UCS App Center app ox-connector)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="AGPL-3.0-only"

COPY --from=builder /opt/ox-connector /opt/ox-connector
COPY appcenter/listener_trigger /usr/local/share/ox-connector/listener_trigger
COPY docker/entrypoint /usr/local/sbin/ox-connector-entrypoint
# What runs on the UCS host (schema, UDM modules, hooks, syntax, the join script's helper):
# the join script copies it out of the running container (the configure script also puts
# a copy into the data dir, <data>/ucs).
COPY ucs /usr/local/share/ox-connector/ucs
# The reference suite and its venv (see above); `pytest` and `py.test` are the suite's.
COPY --from=builder /opt/ox-connector-tests /opt/ox-connector-tests
COPY tests/__init__.py tests/conftest.py tests/oxclient.py /usr/local/share/ox-connector/tests/tests/
COPY tests/reference /usr/local/share/ox-connector/tests/tests/reference
RUN suite=/usr/local/share/ox-connector/tests; \
    mv "$suite/tests/reference/IMAGE_README.md" "$suite/README.md"; \
    mv "$suite/tests/reference/image-pytest.ini" "$suite/pytest.ini"; \
    ln -s /opt/ox-connector-tests/bin/pytest /usr/local/bin/pytest; \
    ln -s /opt/ox-connector-tests/bin/py.test /usr/local/bin/py.test

# Everything readable and the scripts executable for any user id (non-root friendly); the
# data dir is the App Center's mount point and the default of every state path (each one
# can be moved with OX_CONNECTOR_QUEUE_DIR, OX_CONNECTOR_STATE_DIR, OX_CREDENTIALS_FILE).
RUN chmod -R a+rX /opt/ox-connector /opt/ox-connector-tests /usr/local/share/ox-connector; \
    chmod 0755 /usr/local/share/ox-connector/listener_trigger /usr/local/sbin/ox-connector-entrypoint; \
    ln -s /opt/ox-connector/bin/ox-connector /usr/local/bin/ox-connector; \
    data=/var/lib/univention-appcenter/apps/ox-connector/data; \
    mkdir -p "$data/listener" "$data/conf/ca-certificates" "$data/secrets"; \
    chmod 0700 "$data/secrets"; \
    for compiler in cc gcc c++ clang; do \
        if command -v "$compiler" >/dev/null; then echo "compiler $compiler in the image" >&2; exit 1; fi; \
    done

# OX_CA_BUNDLE: the system bundle, so that CA certificates added by the entrypoint (from
# <data>/conf/ca-certificates/*.pem, via update-ca-certificates) are trusted; the
# connector's HTTP client would otherwise use its own bundle. Set it to a PEM file of
# your own to trust exactly that (the way for a container that does not run as root).
ENV PATH=/opt/ox-connector/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    OX_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

VOLUME ["/var/lib/univention-appcenter/apps/ox-connector/data"]
WORKDIR /var/lib/univention-appcenter/apps/ox-connector/data
# The App Center starts the container with DockerScriptInit (the same entrypoint) and runs
# the listener trigger with docker exec.
CMD ["/usr/local/sbin/ox-connector-entrypoint"]
