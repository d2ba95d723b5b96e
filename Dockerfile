# The course's model service (`course serve`) as a slim CPU image.
#
#   docker build -t course-serve .
#   docker run --rm -p 8000:8000 -v "$PWD/outputs/sentiment-model:/model:ro" course-serve
#
# The model folder (save_pretrained output: config, tokenizer, *.safetensors) is mounted at /model,
# or baked into a derived image (see docs/deployment.md). Versions come from the course's lock file:
# only the packages the service imports are installed, each at its locked version (-c).
# If the lock pins a CPU-only torch build (`+cpu`), pass the index that serves it:
#   docker build --build-arg PIP_EXTRA_INDEX_URL=<PyTorch CPU wheel index> -t course-serve .
FROM python:3.11-slim

ARG PIP_EXTRA_INDEX_URL=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    HF_HUB_DISABLE_TELEMETRY=1 \
    COURSE_PROFILE=fast \
    TOKENIZERS_PARALLELISM=false \
    PYTHONPATH=/app

WORKDIR /app
COPY requirements.lock /tmp/requirements.lock
RUN pip install -c /tmp/requirements.lock \
        torch transformers tokenizers safetensors huggingface_hub numpy scikit-learn \
        fastapi uvicorn prometheus-client \
    && rm /tmp/requirements.lock

# The service needs only the course package (utils/), not the notebooks or data.
COPY utils/ /app/utils/

RUN useradd --create-home --uid 10001 serve && mkdir -p /model && chown serve /model
USER serve

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/ready', timeout=4)"]

# 0.0.0.0 inside the container; publish the port on the host's loopback if it should stay private.
CMD ["python", "-m", "utils.serving", "--model", "/model", "--host", "0.0.0.0", "--port", "8000"]
