"""`python -m ganplay.panel`: the panel alone (GRADIO_SERVER_NAME / GRADIO_SERVER_PORT honoured)."""

from __future__ import annotations

import os


def main() -> None:
    from starlette.middleware import Middleware

    from ganplay.panel import MAX_UPLOAD, SESSIONS, build_blocks, guard, mount, show_errors

    demo = build_blocks()
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7861")),
                show_error=show_errors(), ssr_mode=False, footer_links=["api"], max_file_size=MAX_UPLOAD,
                head=mount.HEAD, css=mount.CSS, state_session_capacity=SESSIONS,
                app_kwargs={"middleware": [Middleware(guard.RequestGuard, blocks=demo)]})


if __name__ == "__main__":
    main()
