#!/usr/bin/env node
// A Node CI job's test of its ID Mobile client against a running dqe-mock, then the gate on
// the mock's behaviour report. It starts nothing itself: the job starts the mock
// (docs/node-client.md).
//
//   node examples/node/run-flows.mjs http://127.0.0.1:8080
//
// Environment: DQE_MOCK_URL (instead of the argument), DQE_ADMIN_TOKEN (the mock's
// --admin-token), DQE_MOCK_CLI (the dqe-mock command, default `dqe-mock`), DQE_REPORT
// (the JUnit file, default report.xml), DQE_NAMESPACE (the namespace every request of this
// run is sent in, default node-example-<random>: the gate judges this run's traffic only,
// not other clients' on a shared mock).
// Prints one JSON line per flow ({"flow", "ok", "answer"...}); exits 0 when every flow got
// the answers the magic-number table promises and the report gate passed, 1 otherwise.

import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { IdMobileClient, IdMobileError, mockRules } from "./dqe-client.mjs";

const url = (process.argv[2] ?? process.env.DQE_MOCK_URL ?? "").replace(/\/+$/, "");
if (!url) {
  console.error("usage: run-flows.mjs MOCK_URL (or DQE_MOCK_URL)");
  process.exit(2);
}
const adminToken = process.env.DQE_ADMIN_TOKEN || undefined;
// This run's namespace (the X-Dqe-Namespace header of its requests; the admin calls and the
// gate name it too). It must follow the mock's rule: a letter or digit, then up to 63
// letters, digits, '.', '_', ':' or '-'.
const namespace = process.env.DQE_NAMESPACE || `node-example-${randomBytes(6).toString("hex")}`;
const BACK = "https://shop.example/back";

// The mock's behaviour rules, when it serves a report: poll no faster than it asks.
const rules = (await mockRules(url, adminToken)) ?? {};
const options = {
  baseUrl: url,
  licence: "100001", // the built-in pack's licences table
  clientSecret: "demo-secret",
  partner: "ACME",
  namespace,
  minPollInterval: Number(rules.min_poll_interval_s ?? 1),
  backoff: Math.max(Number(rules.min_backoff_s ?? 0.5), 0.5),
};

function check(flow, facts, expected) {
  const ok = Object.entries(expected).every(([key, value]) => facts[key] === value);
  return { flow, ok, ...facts, ...(ok ? {} : { expected }) };
}

/** The admin API (scenarios, clock), in this run's namespace. */
async function admin(method, path, body, type = "yaml") {
  const headers = { "Content-Type": `application/${type}` };
  if (adminToken) headers.Authorization = `Bearer ${adminToken}`;
  const reply = await fetch(`${url}/__admin/${path}?namespace=${encodeURIComponent(namespace)}`, {
    method,
    headers,
    body,
    signal: AbortSignal.timeout(10000),
  });
  await reply.arrayBuffer();
  if (reply.status >= 300) throw new Error(`${method} /__admin/${path}: HTTP ${reply.status}`);
}

async function outcome(promise) {
  try {
    return { ...(await promise), error_id: null };
  } catch (error) {
    if (!(error instanceof IdMobileError)) throw error;
    return { error_id: error.errorId, pending: error.pending ?? null };
  }
}

// A run of its own: fault counters are kept per fault id, so a second run on the same mock
// gets its faults again (the scenario is removed at the end of the flow).
const FLAKY_ID = `node-example-flaky-${Date.now().toString(36)}`;
const FLAKY = `version: 1
scenarios:
  - id: ${FLAKY_ID}
    match: {numbers: ["+33639987601"]}
    operator: Orange
    outcome: {consent: {auto: true}}
    faults:
      - {id: idmobile-503, endpoint: IDMOBILE, kind: http_error, status: 503, first: 1}
      - {id: get-503, endpoint: GET, kind: http_error, status: 503, first: 1}
`;

const flows = {
  // +33 6 39 98 00 01, orange-happy: every scope succeeds; formfilling gives Jean Dupont.
  async "formfilling-success"() {
    const client = new IdMobileClient(options);
    const { token, body } = await client.initiate({
      scope: "formfilling",
      number: "0639980001",
      redirectUri: BACK,
    });
    const redirect = await client.consent(body.url);
    const got = await outcome(client.result(token, "formfilling"));
    const facts = {
      operator: body.operator,
      redirect,
      status: got.body?.status ?? "error",
      error_id: got.error_id,
      family_name: got.body?.formfilling?.family_name ?? null,
    };
    const expected = { operator: "Orange", redirect: "success", status: "success" };
    return check("formfilling-success", facts, { ...expected, family_name: "Dupont" });
  },

  // +33 6 39 98 60 16, operator-unreachable: /IDMOBILE/ answers error 16.
  async "operator-unreachable"() {
    const client = new IdMobileClient(options);
    const got = await outcome(client.initiate({ scope: "numVerify", number: "0639986016" }));
    return check("operator-unreachable", { error_id: got.error_id }, { error_id: "16" });
  },

  // +33 6 39 98 40 03, pending-3-polls: consent by itself, /GET/ pending 3 times, then
  // success with numVerify true.
  async "pending-then-success"() {
    const client = new IdMobileClient(options);
    const { token, body } = await client.initiate({ scope: "numVerify", number: "0639984003" });
    const redirect = await client.consent(body.url); // no form: consent is already given
    const got = await outcome(client.result(token, "numVerify"));
    const facts = {
      redirect,
      status: got.body?.status ?? "error",
      pending: got.pending,
      numVerify: got.body?.numVerify ?? null,
    };
    const expected = { redirect: null, status: "success", pending: 3, numVerify: true };
    return check("pending-then-success", facts, expected);
  },

  // +33 6 39 98 30 01, consent-denied: the user refuses; /GET/ answers error 21.
  async "consent-refused"() {
    const client = new IdMobileClient(options);
    const { token, body } = await client.initiate({
      scope: "formfilling",
      number: "0639983001",
      redirectUri: BACK,
    });
    const redirect = await client.consent(body.url, { refuse: true });
    const got = await outcome(client.result(token, "formfilling"));
    const facts = { redirect, error_id: got.error_id };
    return check("consent-refused", facts, { redirect: "error", error_id: "21" });
  },

  // A flaky gateway, added for this run on a number the built-in pack leaves free: the first
  // /IDMOBILE/ and the first /GET/ answer 503; each is retried after a backoff, and the
  // check succeeds.
  async "retry-after-503"() {
    await admin("POST", "scenarios", FLAKY);
    const client = new IdMobileClient(options);
    let got;
    try {
      const { token } = await client.initiate({ scope: "numVerify", number: "0639987601" });
      got = await outcome(client.result(token, "numVerify"));
    } finally {
      await admin("DELETE", `scenarios/${FLAKY_ID}`);
    }
    const facts = { status: got.body?.status ?? "error", retries: client.retries };
    return check("retry-after-503", facts, { status: "success", retries: 2 });
  },

  // Licence 100004's tokens live 5 s (README, licences table): the token is let expire (the
  // mock's clock moved 6 s for it), /IDMOBILE/ answers 30, the client fetches a new token and
  // the check goes on to success.
  async "new-token-after-30"() {
    const client = new IdMobileClient({ ...options, licence: "100004" });
    const expired = await client.token();
    await admin("POST", "clock/advance", JSON.stringify({ seconds: 6, token: expired }), "json");
    const { token, body } = await client.initiate({ scope: "numVerify", number: "0639980001" });
    await client.consent(body.url);
    const got = await outcome(client.result(token, "numVerify"));
    const facts = {
      status: got.body?.status ?? "error",
      tokens: client.tokensFetched,
      new_token: token !== expired,
    };
    return check("new-token-after-30", facts, { status: "success", tokens: 2, new_token: true });
  },
};

// The flows run side by side (each waits between its own polls); their lines in order.
const results = await Promise.all(
  Object.entries(flows).map(([name, flow]) =>
    flow().catch((error) => ({ flow: name, ok: false, failure: String(error) })),
  ),
);
let passed = true;
for (const result of results) {
  console.log(JSON.stringify(result));
  passed = result.ok && passed;
}

// The gate: the mock's verdict on how this client behaved (coverage, polling, retries), on
// this run's namespace only.
const cli = process.env.DQE_MOCK_CLI ?? "dqe-mock";
const report = process.env.DQE_REPORT ?? "report.xml";
const args = ["report", "--url", url, "--namespace", namespace, "--format", "junit"];
args.push("--output", report, "--fail-on-findings");
if (adminToken) args.push("--admin-token", adminToken);
const gate = spawnSync(cli, args, { stdio: "inherit", shell: false });
const ok = gate.status === 0;
const failure = gate.error ? { failure: `${cli}: ${gate.error.message}` } : {};
console.log(JSON.stringify({ flow: "report-gate", ok, exit: gate.status, report, ...failure }));
passed = ok && passed;
process.exit(passed ? 0 : 1);
