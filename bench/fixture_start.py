"""Cold start of the in-process fixture, run in a fresh interpreter by bench/run.py.

    python bench/fixture_start.py KEYS_DIR FIXTURES_DIR

Prints JSON: seconds for the imports, for create_app (memory store), for werkzeug make_server plus
its thread, and for the first 200 on discovery -- what a pytest fixture pays before its first test.
"""

from __future__ import annotations

import json
import socket
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

t0 = time.perf_counter()
from werkzeug.serving import make_server  # noqa: E402

from mock_bankid.app import create_app  # noqa: E402
from mock_bankid.core.settings import Settings  # noqa: E402

t_import = time.perf_counter()


def main() -> None:
    keys_dir, fixtures_dir = Path(sys.argv[1]), Path(sys.argv[2])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with tempfile.TemporaryDirectory() as data:
        t1 = time.perf_counter()
        app = create_app(Settings(store="memory", keys_dir=keys_dir, data_dir=Path(data), fixtures_dir=fixtures_dir,
                                  base_url=f"http://127.0.0.1:{port}", log_requests=False))
        t2 = time.perf_counter()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        t3 = time.perf_counter()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/auth/realms/current/.well-known/openid-configuration") as r:
            assert r.status == 200
        t4 = time.perf_counter()
        server.shutdown()
    print(json.dumps({"import_s": t_import - t0, "create_app_s": t2 - t1, "make_server_s": t3 - t2,
                      "first_200_s": t4 - t3, "fixture_s": t4 - t1, "with_imports_s": t4 - t0}))


if __name__ == "__main__":
    main()
