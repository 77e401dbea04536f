# The reference hub alone, production style: granian with uvloop, settings from OCPI_HUB_* variables.
# No test or load tools are installed (the harness and the load tests have their own extras), the package is a
# regular install (not editable), and the hub runs as an unprivileged user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md LICENSE CHANGELOG.md openapi.yaml ./
COPY reference_hub ./reference_hub
RUN pip install . && cd / && rm -rf /src \
    && useradd --system --uid 10001 --create-home --home-dir /var/lib/ocpi-hub --shell /usr/sbin/nologin ocpi \
    && install -d -m 0700 -o ocpi -g ocpi /var/lib/ocpi-hub/data

USER ocpi
WORKDIR /var/lib/ocpi-hub
# the SQLite store (the default sqlite:///data/hub.db) and its key file live here unless OCPI_HUB_STORE says otherwise;
# the directory belongs to the hub's user, so a named volume mounted here starts writable for it
VOLUME /var/lib/ocpi-hub/data
ENV OCPI_HUB_HOST=0.0.0.0 OCPI_HUB_PORT=8080
EXPOSE 8080

# /health answers 200 while the store is usable and 503 when it is not (urlopen raises on 503: unhealthy)
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD python -c 'import os, urllib.request; urllib.request.urlopen("http://127.0.0.1:%s/health" % os.environ.get("OCPI_HUB_PORT", "8080"), timeout=4)' || exit 1

CMD ["ocpi-hub", "serve"]
