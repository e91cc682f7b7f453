# syntax=docker/dockerfile:1
#
# Anlaufstelle production image. Build: docker build -t anlaufstelle .
# Run it with docker-compose.yml (PostgreSQL, secrets, hardening), behind a TLS proxy.

# ---- build: install the package and its dependencies into a venv --------------
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/anlaufstelle
ENV PATH=/opt/anlaufstelle/bin:$PATH

WORKDIR /src
# Only what the package is built from (keep in step with
# [tool.setuptools.packages.find] in pyproject.toml; a test checks this).
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY dialogs ./dialogs
COPY storage ./storage
# With the Rasa extra: the compose profile "rasa" runs `anlaufstelle rasa actions` from this
# image. An office without Rasa can build with EXTRAS="" for a smaller image.
ARG EXTRAS="[rasa]"
RUN pip install ".${EXTRAS}"

# ---- runtime ----------------------------------------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/anlaufstelle/bin:$PATH

RUN groupadd --system --gid 10001 anlaufstelle \
 && useradd --system --uid 10001 --gid anlaufstelle \
      --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin anlaufstelle

COPY --from=build /opt/anlaufstelle /opt/anlaufstelle

USER anlaufstelle:anlaufstelle
EXPOSE 8080

# curl is not in the slim image; python's urllib does the probe.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/readyz', timeout=4).status == 200 else 1)"]

CMD ["anlaufstelle", "serve"]
