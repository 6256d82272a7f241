"""The plugin's static-file routes: content types and the path-traversal guard."""

from __future__ import annotations

import os
import pathlib

import pytest
from tensorboard.backend import application
from tensorboard.plugins import base_plugin
from werkzeug.test import Client

from lrfinder_tb import plugin

PREFIX = "/data/plugin/lr_finder"
REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
SECRET = "SECRET-OUTSIDE-THE-FRONTEND"

# Each path tries to reach a file outside the frontend package, or a file of a
# kind that is never served. Each must get a 400 or 404 response.
HOSTILE_PATHS = [
    "../lrfinder_tb/plugin.py",
    "../../pyproject.toml",
    "%2e%2e/lrfinder_tb/plugin.py",
    "%2E%2E/%2E%2E/pyproject.toml",
    "..%2flrfinder_tb%2fplugin.py",
    "..%2f..%2fpyproject.toml",
    "static/..%2f..%2fpyproject.toml",
    "..%5clrfinder_tb%5cplugin.py",
    "..\\lrfinder_tb\\plugin.py",
    "sub\\..\\..\\outside\\secret.js",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "%2F" + str(REPO_ROOT / "lrfinder_tb" / "plugin.py").lstrip("/"),
    "C:%5cWindows%5cwin.ini",
    "plugin.py",
    "__init__.py",
    "static/__init__.py",
    "static/plugin.py",
    "../outside/secret.js",
    "%2e%2e%2foutside%2fsecret.js",
    "sub/../../outside/secret.js",
    "sub/./app.js",
    "./index.js",
    "link.js",
    ".hidden.js",
    "index.js%00.py",
    "index.js/",
    "missing.js",
    "notes.txt",
]


def make_client() -> Client:
    context = base_plugin.TBContext(data_provider=None)
    return Client(application.TensorBoardWSGI([plugin.LRFinderPlugin(context)]))


@pytest.fixture
def fake_frontend(tmp_path, monkeypatch):
    """Serve a temporary frontend folder with a secret file beside it."""
    frontend = tmp_path / "frontend"
    (frontend / "sub").mkdir(parents=True)
    (frontend / "index.js").write_text("export function render() {}\n")
    (frontend / "sub" / "app.js").write_text("export const app = 1;\n")
    (frontend / "style.css").write_text("body { margin: 0; }\n")
    (frontend / "page.html").write_text("<p>hello</p>\n")
    (frontend / "icon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>\n")
    (frontend / ".hidden.js").write_text(f"// {SECRET}\n")
    (frontend / "__init__.py").write_text(f"# {SECRET}\n")
    (frontend / "notes.txt").write_text(f"{SECRET}\n")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.js").write_text(f"// {SECRET}\n")
    os.symlink(tmp_path / "outside" / "secret.js", frontend / "link.js")
    monkeypatch.setattr(plugin, "frontend_root", lambda: frontend)
    return frontend


@pytest.mark.parametrize(
    "path, content_type, text",
    [
        ("index.js", "application/javascript", "export function render"),
        ("static/index.js", "application/javascript", "export function render"),
        ("sub/app.js", "application/javascript", "export const app"),
        ("static/sub/app.js", "application/javascript", "export const app"),
        ("style.css", "text/css", "margin"),
        ("page.html", "text/html", "hello"),
        ("icon.svg", "image/svg+xml", "<svg"),
    ],
)
def test_static_file_served(fake_frontend, path, content_type, text):
    response = make_client().get(f"{PREFIX}/{path}")

    assert response.status_code == 200
    assert response.mimetype == content_type
    assert text in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_static_hostile_path_rejected(fake_frontend, path):
    response = make_client().get(f"{PREFIX}/{path}")

    assert response.status_code in (400, 404), response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    assert SECRET not in body
    assert "class LRFinderPlugin" not in body
    assert "[build-system]" not in body


@pytest.mark.parametrize("path", HOSTILE_PATHS)
def test_static_hostile_path_rejected_real_frontend(path):
    response = make_client().get(f"{PREFIX}/{path}")

    assert response.status_code in (400, 404), response.get_data(as_text=True)
    body = response.get_data(as_text=True)
    assert "class LRFinderPlugin" not in body
    assert "[build-system]" not in body
    assert "root:" not in body


@pytest.mark.parametrize(
    "path", ["..", "../x.js", "a/../b.js", "/abs.js", "a\\b.js", "a:b.js", "", "a//b.js"]
)
def test_read_static_file_rejects_path(path):
    with pytest.raises(plugin.errors.InvalidArgumentError, match="invalid static file path"):
        plugin.read_static_file(path)


def test_read_static_file_rejects_suffix():
    with pytest.raises(plugin.errors.NotFoundError, match=r"\.js"):
        plugin.read_static_file("plugin.py")


def test_real_index_js_served():
    index = REPO_ROOT / "frontend" / "index.js"

    response = make_client().get(f"{PREFIX}/index.js")

    # The frontend is written alongside this backend. Until its index.js
    # exists, the route must return 404 rather than fail.
    if not index.exists():
        assert response.status_code == 404
        return
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.get_data() == index.read_bytes()


def test_real_frontend_modules_served():
    modules = sorted((REPO_ROOT / "frontend").glob("*.js"))
    client = make_client()

    for module in modules:
        response = client.get(f"{PREFIX}/{module.name}")
        assert response.status_code == 200, module.name
        assert response.mimetype == "application/javascript", module.name
        assert response.get_data() == module.read_bytes(), module.name
