// The support API (docs/api.md "Support") with the support token as a bearer token.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export class SupportApi {
  constructor(token) {
    this.token = token;
  }

  async get(path) {
    const response = await fetch(path, { headers: { Authorization: `Bearer ${this.token}` } });
    let body = null;
    try {
      body = await response.json();
    } catch {
      // not JSON: described below by the status
    }
    if (!response.ok) {
      const error = body?.error ?? {};
      throw new ApiError(response.status, error.code ?? "http_error", error.message ?? `HTTP ${response.status}`);
    }
    return body;
  }

  rooms(filters = {}) {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(filters)) if (value !== "" && value != null) query.set(key, value);
    const qs = query.toString();
    return this.get(`/v1/support/rooms${qs ? `?${qs}` : ""}`);
  }

  diagnostics(roomId) {
    return this.get(`/v1/support/rooms/${encodeURIComponent(roomId)}/diagnostics`);
  }

  exportRoom(roomId) {
    return this.get(`/v1/support/rooms/${encodeURIComponent(roomId)}/export`);
  }

  testReport(id) {
    return this.get(`/v1/support/tests/${encodeURIComponent(id)}`);
  }
}
