"""HTTP concerns shared by every endpoint: rendering, CORS, caching, the control token, the request log."""
