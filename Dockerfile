# syntax=docker/dockerfile:1
# sessionsvc image: `docker build -t sessionsvc .` then
# `docker run -p 8080:8080 -e SESSIONSVC_ENV=production -e SESSIONSVC_... sessionsvc`.

# --- The wheel, built as `pip wheel .` builds it anywhere: setup.py runs the browser app's build
#     (npm ci and npm run build in web/) and the wheel carries its output. Node's image, plus
#     Debian's Python to run pip. ---------------------------------------------------------------
FROM node:20-bookworm-slim AS wheel
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3-venv \
 && rm -rf /var/lib/apt/lists/*
RUN python3 -m venv /opt/build
WORKDIR /src
# README* (not README.md) so the build does not depend on the readme existing.
COPY pyproject.toml setup.py MANIFEST.in README* ./
COPY web/ web/
COPY sessionsvc/ sessionsvc/
RUN --mount=type=cache,target=/root/.npm \
    /opt/build/bin/pip wheel --no-cache-dir --no-deps -w /wheels .

# --- Python: dependencies first (cached while pyproject.toml is unchanged), then the wheel -----
FROM python:3.11-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_NO_INPUT=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt
COPY --from=wheel /wheels/ /wheels/
RUN pip install --no-deps /wheels/sessionsvc-*.whl \
 && python -c "import sessionsvc.cli; from sessionsvc.web.routes import check_built; check_built()"

# --- Runtime ----------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm
RUN groupadd --gid 10001 sessionsvc \
 && useradd --uid 10001 --gid 10001 --create-home --shell /usr/sbin/nologin sessionsvc
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SESSIONSVC_HOST=0.0.0.0 \
    SESSIONSVC_PORT=8080
WORKDIR /home/sessionsvc
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('SESSIONSVC_PORT', '8080'), timeout=4)"]
CMD ["sessionsvc", "serve"]
