/**
 * The web app's calls to the session's REST API (paths relative to the page, so the app also works
 * under a proxy prefix such as Jupyter's `/atoti-lab/proxy/{port}/`).
 *
 * With security on, credentials typed in the login form are kept in sessionStorage (this tab only)
 * and sent as HTTP Basic on each call. The `X-Atoti-Lab-App` header asks the server for 401s
 * without a challenge, so the browser does not pop up its own dialog.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

const CREDENTIALS_KEY = "atoti-lab-credentials";

export class Api {
  constructor(private readonly base: string) {}

  static forPage(location: Location): Api {
    const path = location.pathname.endsWith("/") ? location.pathname : location.pathname.replace(/[^/]*$/, "");
    return new Api(`${path}atoti/rest/v0/`);
  }

  get credentials(): string | null {
    return sessionStorage.getItem(CREDENTIALS_KEY);
  }

  login(user: string, password: string): void {
    const bytes = new TextEncoder().encode(`${user}:${password}`);
    let binary = "";
    for (const b of bytes) binary += String.fromCharCode(b);
    sessionStorage.setItem(CREDENTIALS_KEY, btoa(binary));
  }

  logout(): void {
    sessionStorage.removeItem(CREDENTIALS_KEY);
  }

  /** The live websocket's URL; with credentials, it carries a single-use token asked for over HTTP. */
  async liveUrl(): Promise<string> {
    const url = new URL(`${this.base}live`, window.location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (this.credentials) {
      const answer = await this.json("live/token", { method: "POST" });
      if (answer?.token) url.searchParams.set("token", answer.token);
    }
    return url.toString();
  }

  async json(path: string, init: { method?: string; body?: unknown } = {}): Promise<any> {
    const headers: Record<string, string> = { "X-Atoti-Lab-App": "1", Accept: "application/json" };
    const credentials = this.credentials;
    if (credentials) headers.Authorization = `Basic ${credentials}`;
    if (init.body !== undefined) headers["Content-Type"] = "application/json";
    // Under Jupyter's proxy, writes need Jupyter's XSRF token (its _xsrf cookie, echoed in a header).
    const xsrf = /(?:^|;\s*)_xsrf=([^;]*)/.exec(document.cookie);
    if (xsrf) headers["X-XSRFToken"] = decodeURIComponent(xsrf[1]);
    const response = await fetch(this.base + path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    if (response.status === 204) return null;
    const text = await response.text();
    let body: any = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    if (!response.ok) throw new ApiError(body?.error ?? `HTTP ${response.status}`, response.status);
    return body;
  }
}
