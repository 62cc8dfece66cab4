// A test send with nodemailer, configured from the environment as an app would be; on a
// failure it prints the error as apps usually log it (String(err)) and exits 1.
// OK_HOST, OK_PORT, OK_CA (PEM file to trust, or empty for the system's), OK_USER,
// OK_SECRET, OK_AUTH (LOGIN, PLAIN or XOAUTH2), OK_TLS (starttls, none or implicit),
// OK_FROM, OK_TO.
const nodemailer = require("nodemailer");
const fs = require("fs");

const env = process.env;
const auth =
  env.OK_AUTH === "XOAUTH2"
    ? { type: "OAuth2", user: env.OK_USER, accessToken: env.OK_SECRET }
    : { user: env.OK_USER, pass: env.OK_SECRET };
const transport = nodemailer.createTransport({
  host: env.OK_HOST,
  port: Number(env.OK_PORT),
  secure: env.OK_TLS === "implicit",
  ignoreTLS: env.OK_TLS === "none",
  requireTLS: env.OK_TLS === "starttls",
  authMethod: env.OK_AUTH === "XOAUTH2" ? undefined : env.OK_AUTH,
  auth,
  tls: env.OK_CA ? { ca: fs.readFileSync(env.OK_CA) } : {},
  connectionTimeout: 10000,
});
transport
  .sendMail({ from: env.OK_FROM, to: env.OK_TO, subject: "nodemailer test", text: "Hello.\n" })
  .then((info) => console.log(`sent: ${info.response}`))
  .catch((err) => {
    console.error(String(err));
    process.exit(1);
  });
