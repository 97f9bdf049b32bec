"""The bare ASGI floor: uvicorn + httptools + uvloop, json.loads, predict_proba, no validation or metrics."""

from __future__ import annotations

import json
import os

import joblib
import numpy as np

model = joblib.load(os.environ["MODEL_PATH"])
predict = model.predict_proba if hasattr(model, "predict_proba") else model.predict
HEADERS = [(b"content-type", b"application/json")]


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    rows = np.asarray(json.loads(body)["instances"], dtype=np.float64)
    out = json.dumps({"predictions": predict(rows).tolist()}).encode()
    await send({"type": "http.response.start", "status": 200, "headers": HEADERS})
    await send({"type": "http.response.body", "body": out})
