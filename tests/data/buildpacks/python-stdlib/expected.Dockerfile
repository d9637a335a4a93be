# Synthesized by nextdeploy (python). 'nextdeploy plan' says why.
FROM python:3.11.4-bookworm AS build
WORKDIR /app
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
LABEL nextdeploy.managed="true" nextdeploy.app="golden" nextdeploy.stage="build"
RUN python3 -m venv /opt/venv
ENV VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
COPY . .

FROM python:3.11.4-slim-bookworm AS runtime
WORKDIR /app
ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app ./
USER 10001:10001
ENV PORT=8000
EXPOSE 8000
CMD ["python", "main.py"]
