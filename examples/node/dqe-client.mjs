// An integrator's ID Mobile client in Node (18 or later), with no npm package: Node's own
// fetch. Point it at DQE in production, at dqe-mock in tests and CI.
//
// What it does as DQE's docs and dqe-mock's behaviour report ask (docs/node-client.md,
// "Node example client"):
//   - POST, form-encoded, to /ACCESS_TOKEN/, /IDMOBILE/ and /GET/ (the documented spellings:
//     licence on the first two, Licence on /GET/);
//   - a 5xx answer or a cut connection is retried after a growing wait (backoff), at most
//     `maxRetries` times;
//   - error 30 (invalid or expired token) drops the token: the next request gets a new one,
//     and an /IDMOBILE/ refused with 30 is sent once more with a fresh token;
//   - /GET/ is polled with at least `minPollInterval` seconds between polls, the wait growing
//     while the operator is pending, and never again once the answer is final;
//   - the consent step is answered as a browser would: the operator page's form is read and
//     posted back (the code typed in the `otp` field, the Accept or Refuse button's
//     `decision`), to the page's own url, and the redirect to redirect_uri is read.

export class IdMobileError extends Error {
  /** DQE answered a documented error: `errorId` ("16", "30"...) and its label. */
  constructor(errorId, label, endpoint) {
    super(`DQE error ${errorId} on /${endpoint}/: ${label}`);
    this.errorId = errorId;
    this.endpoint = endpoint;
  }
}

export class TransportError extends Error {
  /** No usable answer after every retry: a 5xx, a cut connection, a body that is not JSON. */
  constructor(message, status = null) {
    super(message);
    this.status = status;
  }
}

const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000));

export class IdMobileClient {
  /**
   * @param {object} options
   * @param {string} options.baseUrl      DQE's (or the mock's) base url, http://127.0.0.1:8080
   * @param {string} options.licence      the licence code
   * @param {string} options.clientSecret its client secret
   * @param {string} options.partner      the `name` shown to the user
   * @param {string} [options.namespace] dqe-mock only: sent as the X-Dqe-Namespace header of
   *   /ACCESS_TOKEN/, /IDMOBILE/ and /GET/, so that the mock counts this client's requests
   *   (and its sessions, consent page included) apart from other clients' (default: none)
   * @param {number} [options.minPollInterval=1] seconds between two polls, at least
   * @param {number} [options.maxPollInterval=5] seconds between two polls, at most
   * @param {number} [options.pollDeadline=60]  seconds of polling before giving up
   * @param {number} [options.backoff=0.5] seconds before the first retry (then doubled)
   * @param {number} [options.maxRetries=4] retries of a 5xx or a cut connection
   * @param {number} [options.timeout=10]  seconds to wait for one answer
   * @param {(seconds: number) => Promise<void>} [options.sleep] how to wait (tests inject one)
   */
  constructor(options) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.licence = options.licence;
    this.clientSecret = options.clientSecret;
    this.partner = options.partner;
    this.namespace = options.namespace ?? null;
    this.minPollInterval = options.minPollInterval ?? 1;
    this.maxPollInterval = Math.max(options.maxPollInterval ?? 5, this.minPollInterval);
    this.pollDeadline = options.pollDeadline ?? 60;
    this.backoff = options.backoff ?? 0.5;
    this.maxRetries = options.maxRetries ?? 4;
    this.timeout = options.timeout ?? 10;
    this.sleep = options.sleep ?? sleep;
    this.accessToken = null;
    this.tokensFetched = 0;
    this.retries = 0;
  }

  /** The headers of a request to the API: a form, and the mock's namespace when given. */
  headers() {
    const headers = { "Content-Type": "application/x-www-form-urlencoded" };
    if (this.namespace) headers["X-Dqe-Namespace"] = this.namespace;
    return headers;
  }

  /** POST a form; the JSON answer. 5xx and cut connections are retried with backoff. */
  async post(endpoint, params) {
    let wait = this.backoff;
    for (let attempt = 0; ; attempt += 1) {
      let reply;
      let failure;
      try {
        reply = await fetch(`${this.baseUrl}/${endpoint}/`, {
          method: "POST",
          headers: this.headers(),
          body: new URLSearchParams(params).toString(),
          signal: AbortSignal.timeout(this.timeout * 1000),
        });
        if (reply.status >= 500) {
          await reply.arrayBuffer();
          failure = new TransportError(`/${endpoint}/ answered HTTP ${reply.status}`, reply.status);
        }
      } catch (error) {
        failure = new TransportError(`/${endpoint}/: ${error.cause?.code ?? error.message}`);
      }
      if (failure === undefined) {
        const text = await reply.text();
        try {
          return { status: reply.status, body: JSON.parse(text) };
        } catch {
          failure = new TransportError(`/${endpoint}/ answered HTTP ${reply.status}, not JSON`);
        }
      }
      if (attempt >= this.maxRetries) throw failure;
      this.retries += 1;
      await this.sleep(wait);
      wait *= 2;
    }
  }

  /** The answer's body, or IdMobileError for a documented error (30 also drops the token). */
  checked(endpoint, { status, body }) {
    if (body && body.status === "error") {
      if (body.error_id === "30") this.accessToken = null;
      throw new IdMobileError(body.error_id, body.error_type, endpoint);
    }
    if (status !== 200 || typeof body !== "object" || body === null) {
      const said = body?.error_description ?? body?.error ?? JSON.stringify(body);
      throw new IdMobileError(body?.error ?? `HTTP ${status}`, said, endpoint);
    }
    return body;
  }

  /** The current access token, fetched when there is none (at start, after error 30). */
  async token() {
    if (this.accessToken === null) {
      const answer = await this.post("ACCESS_TOKEN", {
        licence: this.licence,
        client_secret: this.clientSecret,
        grant_type: "client_idmobile",
      });
      this.accessToken = String(this.checked("ACCESS_TOKEN", answer).access_token);
      this.tokensFetched += 1;
    }
    return this.accessToken;
  }

  /**
   * /IDMOBILE/: start a check. Resolves to { token, body } (body: the scores of
   * matching_notp, or status, operator and the consent url). An error 30 is answered by one
   * more try with a new token.
   */
  async initiate({ scope, number, redirectUri, mode = "2", userInfos, codeName }) {
    for (let attempt = 0; ; attempt += 1) {
      const token = await this.token();
      const params = { licence: this.licence, token, name: this.partner, scope, number };
      if (scope !== "numVerify") params.mode = mode;
      if (redirectUri) params.redirect_uri = redirectUri;
      if (userInfos) params.user_infos = JSON.stringify(userInfos);
      if (codeName) params.code_name = codeName;
      try {
        return { token, body: this.checked("IDMOBILE", await this.post("IDMOBILE", params)) };
      } catch (error) {
        if (!(error instanceof IdMobileError) || error.errorId !== "30" || attempt >= 1) throw error;
      }
    }
  }

  /**
   * Answer the operator's consent page as a browser would: GET it, read its form, type the
   * code (`otp`, else the one the test page shows), press Accept (decision approve) or
   * Refuse (deny). Resolves to the redirect's `status` (success, error), or null when the
   * page has no form (consent already given, e.g. a scenario that consents by itself) or no
   * redirect_uri was given.
   */
  async consent(url, { refuse = false, otp } = {}) {
    const page = await fetch(url, { signal: AbortSignal.timeout(this.timeout * 1000) });
    const html = await page.text();
    const form = readForm(html);
    if (form === null) return null;
    const fields = new URLSearchParams();
    if (form.inputs.includes("otp") && !refuse) fields.set("otp", otp ?? form.shownCode ?? "");
    fields.set("decision", refuse ? "deny" : "approve");
    const reply = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: fields.toString(),
      redirect: "manual",
      signal: AbortSignal.timeout(this.timeout * 1000),
    });
    await reply.arrayBuffer();
    const location = reply.headers.get("location");
    if (reply.status !== 302 || !location) return null;
    return new URL(location).searchParams.get("status");
  }

  /**
   * Poll /GET/ until the answer is final: waits `minPollInterval` seconds before each poll,
   * the wait growing by half while pending, up to `maxPollInterval`; stops at the first final
   * answer. Resolves to { body, pending } (pending: how many pending answers came first);
   * rejects with IdMobileError for an error (30 drops the token) or after `pollDeadline`.
   */
  async result(token, scope) {
    let wait = this.minPollInterval;
    let pending = 0;
    for (let waited = 0; waited <= this.pollDeadline; waited += wait) {
      await this.sleep(wait);
      const answer = await this.post("GET", { token, Licence: this.licence, scope });
      let body;
      try {
        body = this.checked("GET", answer);
      } catch (error) {
        if (error instanceof IdMobileError) error.pending = pending;
        throw error;
      }
      if (body.status !== "pending") return { body, pending };
      pending += 1;
      wait = Math.min(wait * 1.5, this.maxPollInterval);
    }
    throw new TransportError(`/GET/ still pending after ${this.pollDeadline} s`);
  }
}

/** The consent page's form: input names and the code shown in test mode; null if none. */
export function readForm(html) {
  if (!/<form\b[^>]*method=['"]?post/i.test(html)) return null;
  const inputs = [...html.matchAll(/<input\b[^>]*\bname=['"]([^'"]+)['"]/gi)].map((m) => m[1]);
  const shown = /id=['"]expected-code['"][^>]*>([^<]*)</i.exec(html);
  return { inputs, shownCode: shown ? shown[1].trim() : null };
}

/** The behaviour rules of a dqe-mock (GET /__admin/report's `rules`), or null elsewhere. */
export async function mockRules(baseUrl, adminToken) {
  const headers = adminToken ? { Authorization: `Bearer ${adminToken}` } : {};
  try {
    const reply = await fetch(`${baseUrl.replace(/\/+$/, "")}/__admin/report`, {
      headers,
      signal: AbortSignal.timeout(10000),
    });
    if (reply.status !== 200) return null;
    const body = await reply.json();
    return body && typeof body.rules === "object" ? body.rules : null;
  } catch {
    return null;
  }
}
