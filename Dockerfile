# Hugging Face Docker Space (or any Docker host): the dashboard with the Gradio panel at /panel/,
# one process, one port (7860, the Space's app_port). Runs as UID 1000, as Spaces requires.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OMP_NUM_THREADS=2 \
    STREAMLIT_SERVER_HEADLESS=true \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false \
    GRADIO_ANALYTICS_ENABLED=False

RUN useradd --create-home --uid 1000 user
USER user
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH \
    GANPLAY_RUNS=/home/user/app/runs
WORKDIR /home/user/app

# CPU wheels of torch (the Space's free hardware is a CPU); the rest from PyPI
COPY --chown=user pyproject.toml README.md ./
COPY --chown=user ganplay ./ganplay
RUN pip install --user --extra-index-url https://download.pytorch.org/whl/cpu -e .

# an editable install: the zoo reads pretrained/ next to the package
COPY --chown=user pretrained ./pretrained
COPY --chown=user app.py ./
RUN mkdir -p "$GANPLAY_RUNS"

EXPOSE 7860
CMD ["streamlit", "run", "app.py", "--server.port", "7860", "--server.address", "0.0.0.0"]
