# The reference hub, production style: granian with uvloop, configuration from OCPI_HUB_* variables.
FROM python:3.11-slim
WORKDIR /app
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
COPY pyproject.toml README.md openapi.yaml ./
COPY reference_hub ./reference_hub
COPY conformance ./conformance
COPY features ./features
COPY loadtests ./loadtests
RUN pip install --no-cache-dir -e .
EXPOSE 8080
CMD ["ocpi-hub", "serve", "--host", "0.0.0.0", "--port", "8080"]
