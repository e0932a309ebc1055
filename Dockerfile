# Hugging Face Docker Space (or any Docker host): the dashboard with the Gradio panel at /panel/,
# one process, one port (7860, the Space's app_port). Runs as UID 1000, as Spaces requires.
# The Space receives `ganplay space --out DIR`'s folder: these COPY sources minus .dockerignore.
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    OMP_NUM_THREADS=2 \
    STREAMLIT_SERVER_HEADLESS=true

RUN useradd --create-home --uid 1000 user
USER user
ENV HOME=/home/user \
    PATH=/home/user/.local/bin:$PATH
# made by the user, not by WORKDIR (which may create it as root); ./runs is where runs go when the
# Space has no /data (GANPLAY_RUNS is left unset: on a Space with /data writable they go there)
RUN mkdir -p $HOME/app/runs
WORKDIR $HOME/app

# A regular (non-editable) install: the wheel carries pretrained/ as package data. CPU wheels of
# torch (the Space's free hardware is a CPU), the rest from PyPI. The sources go once installed,
# so nothing can import them instead of the installed package.
COPY --chown=user pyproject.toml setup.py README.md LICENSE $HOME/src/
COPY --chown=user ganplay $HOME/src/ganplay
COPY --chown=user pretrained $HOME/src/pretrained
RUN pip install --user --extra-index-url https://download.pytorch.org/whl/cpu $HOME/src && rm -rf $HOME/src

# Streamlit's options (the toolbar without developer chrome), read from the working folder
COPY --chown=user .streamlit ./.streamlit

EXPOSE 7860
# Streamlit's own health endpoint; the slim image has no curl, so Python asks
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD python -c "import urllib.request as u; u.urlopen('http://127.0.0.1:7860/_stcore/health', timeout=5)"
CMD ["ganplay", "app", "--port", "7860", "--host", "0.0.0.0"]
