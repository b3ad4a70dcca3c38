/**
 * The local sandbox: a fleet of test hosts on this machine with a real
 * server, real agents and a signed local cache, brought up, inspected and
 * removed by `hostplane sandbox`.
 */
export { sandboxUp, sandboxPrefix } from "./up.js";
export { sandboxDown } from "./down.js";
export { sandboxStatus } from "./status.js";
export { HOSTS_SKIP } from "./hosts/index.js";
