// The smallest Probot app that does what an intake must: verify the
// signature, parse, dispatch to a handler. It stores nothing (no database,
// no queue), which is what makes it the yardstick: Bottega's intake must
// beat it while committing every delivery before answering.
//   PORT=... WEBHOOK_SECRET=... PRIVATE_KEY_PATH=... node app.mjs
import { readFileSync } from "node:fs";
import http from "node:http";
import { Probot, createNodeMiddleware } from "probot";

const probot = new Probot({
  appId: 1,
  privateKey: readFileSync(process.env.PRIVATE_KEY_PATH, "utf8"),
  secret: process.env.WEBHOOK_SECRET,
  logLevel: "fatal",
});
let handled = 0;
const app = (a) => a.on("issue_comment.created", async () => { handled += 1; });
const middleware = await createNodeMiddleware(app, { probot, webhooksPath: "/webhooks/github" });
http.createServer(middleware).listen(Number(process.env.PORT), "127.0.0.1", () => {
  console.log(`probot listening on ${process.env.PORT}`);
});
process.on("SIGTERM", () => {
  console.log(`handled ${handled}`);
  process.exit(0);
});
