# syntax=docker/dockerfile:1
# sessionsvc image: `docker build -t sessionsvc .` then
# `docker run -p 8080:8080 -e SESSIONSVC_ENV=production -e SESSIONSVC_... sessionsvc`.

# --- Front end: socket.io-client's ESM bundle into sessionsvc/web/static/vendor -------------
FROM node:20-bookworm-slim AS web
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY sessionsvc/web/ sessionsvc/web/
RUN npm run build && test -d sessionsvc/web/static/vendor

# --- Python: dependencies first (cached while pyproject.toml is unchanged), then the package --
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
# README* (not README.md) so the build does not depend on the readme existing.
COPY pyproject.toml README* ./
COPY sessionsvc/ sessionsvc/
COPY --from=web /src/sessionsvc/web/static/vendor/ sessionsvc/web/static/vendor/
RUN pip install --no-deps . \
 && python -c "import sessionsvc.cli"

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
