"""The panel's Inside the GAN tab: its handlers called directly, then through gradio_client against
`python -m ganplay.panel` serving a runs folder with one tiny trained run (stopped by pid)."""

from __future__ import annotations

import json

import pytest
from PIL import Image

from ganplay.panel import inside as P
from servers import panel_server

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
ZOO_G = "mnist-cdcgan"


def test_handlers_answer_for_a_zoo_generator():
    nb, nb_text, maps, maps_text = P.sample_view(ZOO_G, 3, 7, 1.0, 0.0, 0.0, 0.0)
    assert nb.width > 6 * 84 and "| 5 |" in nb_text
    assert maps.height > 3 * 56 and maps_text.count("| ") >= 5 and len(maps_text.splitlines()) == 5  # 3 layers
    from ganplay import explore as E

    code = E.Latent("z", E.get_generator(ZOO_G).noise(1, 3))  # a projected digit's code draws as its seed
    assert P.sample_view(ZOO_G, code, 7, 1.0, 0.0, 0.0, 0.0)[2].tobytes() == maps.tobytes()
    fig, text = P.memorisation(ZOO_G)
    assert [t.name.split(" ")[0] for t in fig.data] == ["500", "10,000"] and "its card" in text
    img, text = P.verdict(ZOO_G, 8, 4, 0)
    assert img is None and "zoo ships its generator only" in text
    with pytest.raises(ValueError, match="unknown generator"):
        P.verdict("/etc/passwd", 8, 4, 0)


@pytest.fixture(scope="module")
def panel(tmp_path_factory):
    from test_memorisation import _tiny_run

    root = tmp_path_factory.mktemp("runs")
    run = _tiny_run(root, "mnist-dcgan")
    with panel_server(tmp_path_factory.mktemp("log"), root) as url:
        yield url, f"runs/{run.name}"


@pytest.mark.slow
def test_the_inside_tab_answers_through_gradio_client(panel):
    from gradio_client import Client

    url, run = panel
    client = Client(url, verbose=False)
    nb, nb_text, maps, maps_text = client.predict("mnist-cstylegan-lite", 3, 2, 1.0, 0.0, 1.0, 0.0,
                                                  api_name="/inside_sample")
    assert Image.open(nb).width > 6 * 84 and "features: training digit" in nb_text
    assert Image.open(maps).height > 6 * 56 and maps_text.count("modulated conv") == 5
    still = client.predict("mnist-cstylegan-lite", 3, 2, 1.0, 0.0, 0.0, 0.0, api_name="/inside_sample")[2]
    assert Image.open(still).tobytes() != Image.open(maps).tobytes()  # the direction slider moves the maps
    plot, text = client.predict(ZOO_G, api_name="/memorisation")
    traces = json.loads(plot["plot"])["data"]
    assert plot["type"] == "plotly" and len(traces) == 2 and "its card" in text
    # a run: its memorisation measured now, its D's verdict drawn
    plot, text = client.predict(run, api_name="/memorisation")
    assert "2,000 samples measured now" in text
    img, text = client.predict(run, 10, 6, 0, api_name="/d_verdict")
    assert img["visible"] and Image.open(img["value"]).width > 8 * 56 and "6 real training digits" in text
    img, text = client.predict(ZOO_G, 10, 6, 0, api_name="/d_verdict")
    assert not img["visible"] and "zoo ships its generator only" in text  # no empty picture box
    with pytest.raises(Exception, match="unknown generator"):
        client.predict("../../etc", 3, 2, 1.0, 0.0, 0.0, 0.0, api_name="/inside_sample")
