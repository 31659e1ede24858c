// Loaded with NODE_OPTIONS=--require: the Agents Playground may connect only to this
// machine. Its telemetry (Application Insights) tries Azure even with --disable-telemetry;
// those connections and look-ups are refused here and written to $NETGUARD_LOG.
const net = require("net"), dns = require("dns"), fs = require("fs");
const logFile = process.env.NETGUARD_LOG;
function local(host) {
  return !host || host === "localhost" || host.startsWith("127.") || host === "::1" || host === "0.0.0.0";
}
function refuse(what) {
  if (logFile) fs.appendFileSync(logFile, what + "\n");
  return new Error("netguard: refused " + what);
}
const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  let opts = args[0];
  if (Array.isArray(opts)) opts = opts[0];
  const host = typeof opts === "object" && opts !== null ? opts.host : (typeof args[1] === "string" ? args[1] : undefined);
  const path = typeof opts === "object" && opts !== null ? opts.path : undefined;
  if (!path && !local(host)) {
    const err = refuse("connect " + host);
    process.nextTick(() => this.destroy(err));
    return this;
  }
  return realConnect.apply(this, args);
};
const realLookup = dns.lookup;
dns.lookup = function (host, options, cb) {
  if (typeof options === "function") { cb = options; options = {}; }
  if (!local(host)) { return process.nextTick(() => cb(refuse("lookup " + host))); }
  return realLookup.call(dns, host, options, cb);
};
dns.promises.lookup = async (host, options) => {
  if (!local(host)) throw refuse("lookup " + host);
  return realLookup.__promisify__ ? realLookup.__promisify__(host, options) : require("util").promisify(realLookup)(host, options);
};
