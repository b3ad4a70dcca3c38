/**
 * store-leak/*: Nix patterns that copy a secret into the world-readable
 * /nix/store even when no credential is written literally in the file.
 */
import type { Expr, ExprOf } from "../nix/ast.js";
import type { RuleMeta } from "../rule-meta.js";
import { asCall, baseName, effectiveValues, isEmptyValue, type Call } from "../analyze/calls.js";
import type { DefEvent, Site, WalkHandlers } from "../analyze/walk.js";
import { detectSecrets } from "../secrets/patterns.js";
import { isSecretLikeName, looksLikeLiteralSecret } from "../secrets/context.js";
import { formatPath, literalValue, pathMatches, type RuleContext } from "./context.js";
import { findEmbeddedCredentials } from "./embedded-credentials.js";
import {
  isEncryptedSecretContext, isPublicOrEncryptedFile, isRuntimeSecretPath, isSecretFileName, isSecretFileOption,
  isSecretLocation, isSecretManagerPath, lastName,
} from "./secret-paths.js";

const meta = (id: string, title: string, help: string, bad: string, good: string): RuleMeta => ({
  id: `store-leak/${id}`, category: "store-leak", severity: "error", title, help, bad, good,
});

export const STORE_LEAK_RULES: RuleMeta[] = [
  meta("user-password", "User password option puts the password (or its hash) in the Nix store",
    "`users.users.<name>.password`, `initialPassword`, `hashedPassword` and `initialHashedPassword` are rendered into the system closure, which every local user can read under /nix/store. Password hashes are secrets too: they can be cracked offline. Use `hashedPasswordFile` pointing at a runtime secret (sops-nix with `neededForUsers = true`, or agenix).",
    `users.users.alice.hashedPassword = "$6$rounds=…";`,
    `users.users.alice.hashedPasswordFile = config.sops.secrets."alice-password".path;`),
  meta("wireguard-private-key", "WireGuard private or preshared key set inline",
    "The WireGuard modules write `privateKey` and `presharedKey` to a file in the Nix store (`pkgs.writeText`), so the interface key is world-readable. Use `privateKeyFile` / `presharedKeyFile` (or `generatePrivateKeyFile = true`) with a path outside the store.",
    `networking.wireguard.interfaces.wg0.privateKey = "<base64 key>";`,
    `networking.wireguard.interfaces.wg0.privateKeyFile = "/run/agenix/wg0-key";`),
  meta("nginx-basic-auth", "nginx basicAuth credentials end up in the Nix store",
    "`basicAuth = { user = \"password\"; }` renders an htpasswd file into the store. Use `basicAuthFile` with an htpasswd file delivered at runtime.",
    `services.nginx.virtualHosts."app".basicAuth = { admin = "s3cret-pass"; };`,
    `services.nginx.virtualHosts."app".basicAuthFile = config.age.secrets.htpasswd.path;`),
  meta("service-secret-option", "Service option holds a secret that will be rendered into the store",
    "Module options that take a password, token or key by value are written into configuration files or unit files in the store. Nearly all such options have a `…File` sibling (or `environmentFile`) that reads the secret at runtime: use it.",
    `services.grafana.settings.security.admin_password = "hunter2hunter2";`,
    `services.grafana.settings.security.admin_password = "$__file{/run/secrets/grafana-admin}";`),
  meta("read-secret-file", "Secret file read at evaluation time",
    "`builtins.readFile`, `lib.fileContents`, `lib.importJSON`/`importTOML` of a secret copy its content into the evaluated configuration, and from there into the store. This also defeats sops-nix/agenix: `config.sops.secrets.<n>.path` does not exist at evaluation time. Pass the path to an option that reads it at runtime instead.",
    `services.foo.password = builtins.readFile ./secrets/foo-password;`,
    `services.foo.passwordFile = config.sops.secrets.foo-password.path;`),
  meta("write-text-secret", "Secret written to the store with a text-file builder",
    "`pkgs.writeText`, `writeTextFile`, `writeShellScript` and `builtins.toFile` create world-readable store paths. Feeding one to a `…File`, `keyFile`, `credentialsFile` or `environmentFile` option, or putting credentials in its text, publishes the secret. Use a runtime secret (sops-nix/agenix) or `sops.templates` with `config.sops.placeholder`.",
    `services.foo.environmentFile = pkgs.writeText "foo.env" "API_TOKEN=abc123abc123";`,
    `services.foo.environmentFile = config.sops.templates."foo.env".path;`),
  meta("secret-path-literal", "Path literal copies a secret file into the store",
    "A path literal (`./id_ed25519`) is copied into the store when it is evaluated as a value: assigned to an option, interpolated (`\"${./key}\"`) or used as a source. Use an absolute string path to a runtime location instead; module authors can type such options with `types.externalPath` or `types.pathWith { inStore = false; }`.",
    `services.openssh.hostKeys = [ { path = "\${./ssh_host_ed25519_key}"; type = "ed25519"; } ];`,
    `services.openssh.hostKeys = [ { path = "/etc/ssh/ssh_host_ed25519_key"; type = "ed25519"; } ];`),
  meta("etc-text-secret", "Secret in environment.etc text",
    "`environment.etc.<file>.text` is rendered into the store and linked under /etc. Credentials in it are world-readable under /nix/store even when the /etc file has a strict mode. Point `environment.etc.<file>.source` at a runtime secret, or render the file with `sops.templates`.",
    `environment.etc."foo/config.ini".text = ''\n  password = correct-horse-battery\n'';`,
    `sops.templates."foo-config.ini".content = ''\n  password = \${config.sops.placeholder.foo-password}\n'';`),
  meta("getenv-secret", "Secret read from the environment at evaluation time",
    "`builtins.getEnv` in an `--impure` evaluation bakes the variable's value into the derivation, and from there into the store and binary caches. Read credentials at runtime (systemd `LoadCredential`, `EnvironmentFile`) instead.",
    `services.foo.token = builtins.getEnv "FOO_API_TOKEN";`,
    `systemd.services.foo.serviceConfig.LoadCredential = [ "token:/run/secrets/foo-token" ];`),
];

const USER_PASSWORD_OPTIONS = new Set(["password", "initialPassword", "hashedPassword", "initialHashedPassword"]);
const WIREGUARD_PATTERNS: readonly (readonly string[])[] = [
  ["networking", "wireguard", "interfaces", "*", "privateKey"],
  ["networking", "wireguard", "interfaces", "*", "peers", "*", "presharedKey"],
  ["networking", "wg-quick", "interfaces", "*", "privateKey"],
  ["networking", "wg-quick", "interfaces", "*", "peers", "*", "presharedKey"],
  ["systemd", "network", "netdevs", "*", "wireguardConfig", "PrivateKey"],
  ["systemd", "network", "netdevs", "*", "wireguardPeers", "*", "PresharedKey"],
  ["systemd", "network", "netdevs", "*", "wireguardPeers", "*", "wireguardPeerConfig", "PresharedKey"],
];
const READERS = new Set(["readFile", "fileContents", "importJSON", "importTOML", "readFileCached"]);
const WRITERS = new Set([
  "writeText", "writeTextFile", "toFile", "writeShellScript", "writeShellScriptBin", "writeScript", "writeScriptBin",
  "writeTextDir", "writeShellApplication",
]);

function isUserPasswordPath(path: readonly string[]): boolean {
  return path.length === 4 && path[0] === "users" && (path[1] === "users" || path[1] === "extraUsers") && USER_PASSWORD_OPTIONS.has(path[3]!);
}

function isWireGuardKeyPath(path: readonly string[]): boolean {
  return WIREGUARD_PATTERNS.some((p) => pathMatches(path, p));
}

const BASIC_AUTH_PATTERNS: readonly (readonly string[])[] = [
  ["services", "nginx", "virtualHosts", "*", "basicAuth"],
  ["services", "nginx", "virtualHosts", "*", "locations", "*", "basicAuth"],
].flatMap((p) => [p, [...p, "*"]]);

/** `…basicAuth = { user = "pw"; }` or `…basicAuth.user = "pw";` */
function isBasicAuthPath(path: readonly string[]): boolean {
  return BASIC_AUTH_PATTERNS.some((p) => pathMatches(path, p));
}

/** NixOS options outside `services.*` that take a secret by value and have a file-based alternative. */
const OTHER_SECRET_OPTIONS: readonly (readonly string[])[] = [
  ["networking", "wireless", "networks", "*", "psk"],
  ["networking", "wireless", "networks", "*", "pskRaw"],
  ["networking", "wireless", "networks", "*", "auth"],
  ["security", "acme", "certs", "*", "credentialsFile"],
];

function isServiceSecretPath(path: readonly string[]): boolean {
  const last = path[path.length - 1];
  if (OTHER_SECRET_OPTIONS.some((p) => pathMatches(path, p))) return last !== "credentialsFile";
  return path[0] === "services" && path.length >= 3 && last !== undefined && isSecretLikeName(last);
}


/** Values that carry no secret into the store: null, "", booleans, numbers, and runtime secret paths. */
function carriesNothing(ctx: RuleContext, v: Expr): boolean {
  if (isEmptyValue(v) || v.type === "Int" || v.type === "Float") return true;
  if (v.type === "Var" && (v.name === "true" || v.name === "false")) return true;
  if (isSecretManagerPath(v)) return true;
  if (v.type === "String") {
    const s = literalValue(ctx, v);
    // "!" / "*" lock the account: no password, nothing secret.
    if (s !== null) return isRuntimeSecretPath(s) || s.startsWith("$__file{") || s.startsWith("$__env{") || /^[!*]{1,2}$/.test(s);
    // "${config.sops.secrets.x.path}" or Grafana's "$__file{${…path}}": a reference to a runtime file.
    const interps = v.parts.filter((p) => p.kind === "interp");
    return interps.length > 0 && interps.every((p) => isSecretManagerPath(p.expr));
  }
  return false;
}

export function storeLeakHandlers(ctx: RuleContext): WalkHandlers {
  const reportValue = (ruleId: string, v: Expr, message: string, path: readonly string[]): void => {
    const text = v.type === "String" ? literalValue(ctx, v) : null;
    ctx.report({
      ruleId, message, start: v.start, end: v.end, attrPath: formatPath(path),
      ...(text !== null && text.length > 0 ? { secretText: text } : {}),
    });
  };

  /** Which store-leak option rule owns this path, and its message (built only on a match: this runs for every definition). */
  const optionRule = (ev: DefEvent): { rule: string; message: string } | null => {
    const path = ev.path;
    const where = (): string => formatPath(path);
    const owner = (): string => formatPath(path.slice(0, -1));
    if (isUserPasswordPath(path)) {
      return { rule: "store-leak/user-password", message: `${where()} is written to the world-readable Nix store; set ${owner()}.hashedPasswordFile to a runtime secret (sops-nix neededForUsers, or agenix) instead` };
    }
    if (isWireGuardKeyPath(path)) {
      return { rule: "store-leak/wireguard-private-key", message: `${where()} is copied into the Nix store by the WireGuard module; use ${owner()}.${path[path.length - 1]}File with a path outside the store` };
    }
    // `basicAuth = { user = …; }` is reported once, at basicAuth; `basicAuth.user = …` at each user.
    if (isBasicAuthPath(path) && (path[path.length - 1] === "basicAuth" || ev.binding.path.length > 1)) {
      return { rule: "store-leak/nginx-basic-auth", message: `${where()} renders an htpasswd file into the Nix store; use ${owner()}.basicAuthFile with a runtime secret` };
    }
    if (isServiceSecretPath(path)) {
      const name = path[path.length - 1]!;
      return {
        rule: "store-leak/service-secret-option",
        message: path[path.length - 2] === "environment"
          ? `${where()} puts a secret in the service's environment, which is rendered into the Nix store; provide it through environmentFile (or systemd EnvironmentFile/LoadCredential) pointing at a runtime secret`
          : `${where()} holds a secret that is rendered into the Nix store; use the option's file variant (such as ${name}File, or environmentFile) pointing at a runtime secret`,
      };
    }
    return null;
  };

  const onDef = (ev: DefEvent): void => {
    if (ev.scope !== "attrs") return;
    const path = ev.path;
    const owned = optionRule(ev);
    if (owned !== null) {
      for (const v of effectiveValues(ev.binding.value)) {
        if (carriesNothing(ctx, v)) continue;
        if (owned.rule === "store-leak/service-secret-option" && !valueMayHoldSecret(ctx, v)) continue;
        reportValue(owned.rule, v, owned.message, path);
      }
    }
    if (path.length === 4 && path[0] === "environment" && path[1] === "etc" && path[3] === "text") {
      for (const v of effectiveValues(ev.binding.value)) {
        if (!containsSecretString(ctx, v, 0)) continue;
        const where = formatPath(path);
        ctx.report({
          ruleId: "store-leak/etc-text-secret", start: ev.nameStart, end: ev.nameEnd, attrPath: where,
          message: `${where} contains a credential and is rendered into the world-readable Nix store; point environment.etc.${formatPath(path.slice(2, 3))}.source at a runtime secret or use sops.templates`,
        });
      }
    }
  };

  const onCall = (call: Call, site: Site): void => {
    if (call.name === null) return;
    const base = baseName(call.name);
    if (READERS.has(base)) checkRead(ctx, call, site);
    else if (WRITERS.has(base)) checkWrite(ctx, call, site);
    else if (base === "getEnv") checkGetEnv(ctx, call, site);
  };

  const onPath = (node: ExprOf<"Path">, site: Site): void => {
    // Readers have their own rule; `toString ./p` yields the path as a string without copying it.
    if (node.kind !== "path" || (site.argOf !== null && (READERS.has(site.argOf) || site.argOf === "toString"))) return;
    if (isEncryptedSecretContext(site.path)) return;
    const text = ctx.src.slice(node.start, node.end);
    if (text.length > 1024) return;
    const option = lastName(site.path);
    if (isPublicOrEncryptedFile(text) || site.path.includes("authorizedKeys") || (option !== undefined && /sops|encrypted|^age/i.test(option))) return;
    const secretName = isSecretFileName(text);
    const secretOption = option !== undefined && isSecretFileOption(option);
    if (!(secretName && (site.interpolated || site.def !== null)) && !secretOption) return;
    const how = site.interpolated ? "interpolating it into a string" : option !== undefined ? `assigning it to ${formatPath(site.path)}` : "using it as a value";
    ctx.report({
      ruleId: "store-leak/secret-path-literal", start: node.start, end: node.end, ...(site.path.length ? { attrPath: formatPath(site.path) } : {}),
      message: `path literal ${text} copies this file into the world-readable Nix store by ${how}; use an absolute string path to a runtime secret (e.g. "/run/secrets/…") instead`,
    });
  };

  return { def: onDef, call: onCall, path: onPath };
}

/**
 * A value that may be a secret: a literal that looks like a credential, or an
 * expression that names one (`cfg.password`, `secrets.db`, `dbPassword`).
 * Durations, algorithm names and references to other options are not.
 */
function valueMayHoldSecret(ctx: RuleContext, v: Expr): boolean {
  if (v.type === "String") {
    const s = literalValue(ctx, v);
    if (s !== null) return looksLikeLiteralSecret(s);
    return v.parts.some((p) => p.kind === "interp" && valueMayHoldSecret(ctx, p.expr));
  }
  if (v.type === "Var") return isSecretLikeName(v.name);
  if (v.type === "Select") {
    // `cfg.password`, `secrets.grafana_admin`, `cfg.secrets.db`; not `cfg.passwordFile` or `…secrets.x.path`.
    const names = v.path.flatMap((p) => (p.kind === "static" ? [p.name] : []));
    if (v.expr.type === "Var") names.unshift(v.expr.name);
    const last = names[names.length - 1] ?? "";
    return !/(?:file|files|path|paths|dir)$/i.test(last) && names.some((n) => isSecretLikeName(n));
  }
  if (v.type === "Apply") {
    const call = asCall(v);
    return call?.name != null && READERS.has(baseName(call.name));
  }
  if (v.type === "Binary") return valueMayHoldSecret(ctx, v.left) || valueMayHoldSecret(ctx, v.right);
  return false;
}

/** `password`, `cfg.relayPassword`, `secrets.db`: an expression whose name says it is a credential. */
function namesSecret(e: Expr): boolean {
  if (e.type === "Var") return isSecretLikeName(e.name);
  if (e.type !== "Select") return false;
  const last = e.path[e.path.length - 1];
  return last?.kind === "static" && isSecretLikeName(last.name);
}

/** A credential in any string of a value built with `toJSON`/`generators.*`/`//`, or written directly. */
function containsSecretString(ctx: RuleContext, e: Expr, depth: number): boolean {
  if (depth > 32) return false;
  switch (e.type) {
    case "String": return stringHoldsSecret(ctx, e);
    case "Attrs": return e.bindings.some((b) => b.kind === "def" && containsSecretString(ctx, b.value, depth + 1));
    case "List": return e.items.some((i) => containsSecretString(ctx, i, depth + 1));
    case "Apply": return containsSecretString(ctx, e.arg, depth + 1) || containsSecretString(ctx, e.fn, depth + 1);
    case "Binary": return containsSecretString(ctx, e.left, depth + 1) || containsSecretString(ctx, e.right, depth + 1);
    default: return false;
  }
}

function stringHoldsSecret(ctx: RuleContext, node: ExprOf<"String">): boolean {
  return node.parts.some((p) => {
    if (p.kind !== "literal") return false;
    const raw = ctx.src.slice(p.start, p.end);
    return detectSecrets(raw).length > 0 || findEmbeddedCredentials(raw).length > 0;
  });
}

function describeSecretSource(ctx: RuleContext, arg: Expr): string | null {
  if (arg.type === "Path" && arg.kind === "path") {
    const text = ctx.src.slice(arg.start, arg.end);
    return text.length <= 1024 && isSecretLocation(text) ? text : null;
  }
  if (isSecretManagerPath(arg)) return ctx.src.slice(arg.start, arg.end);
  if (arg.type === "String") {
    const s = literalValue(ctx, arg);
    if (s !== null) return isRuntimeSecretPath(s) ? JSON.stringify(s) : null;
    for (const p of arg.parts) if (p.kind === "interp" && isSecretManagerPath(p.expr)) return ctx.src.slice(arg.start, arg.end);
  }
  return null;
}

function checkRead(ctx: RuleContext, call: Call, site: Site): void {
  const arg = call.args[0];
  if (!arg) return;
  const source = describeSecretSource(ctx, arg);
  if (source === null) return;
  ctx.report({
    ruleId: "store-leak/read-secret-file", start: call.node.start, end: call.node.end,
    ...(site.path.length ? { attrPath: formatPath(site.path) } : {}),
    message: `${call.name} ${source} reads a secret at evaluation time, so its content lands in the Nix store${site.path.length ? ` via ${formatPath(site.path)}` : ""}; pass the path to an option that reads it at runtime (a …File option) instead`,
  });
}

function checkWrite(ctx: RuleContext, call: Call, site: Site): void {
  const option = lastName(site.path);
  const feedsSecretOption = option !== undefined && isSecretFileOption(option) && !isEncryptedSecretContext(site.path);
  let secretContent = false;
  for (const arg of call.args) {
    for (const v of arg.type === "Attrs" ? arg.bindings.flatMap((b) => (b.kind === "def" ? [b.value] : [])) : [arg]) {
      if (v.type === "String" && stringHoldsSecret(ctx, v)) secretContent = true;
      // ''…${relayPassword}…'': the text carries a secret-named value into the store.
      if (v.type === "String" && v.parts.some((p) => p.kind === "interp" && namesSecret(p.expr))) secretContent = true;
      const named = v.type === "Select" ? v.path[v.path.length - 1] : undefined;
      if (named?.kind === "static" && isSecretLikeName(named.name)) secretContent = true;
    }
  }
  if (!feedsSecretOption && !secretContent) return;
  const why = feedsSecretOption
    ? `its result feeds ${formatPath(site.path)}, so the secret file is world-readable in /nix/store`
    : "its text contains a credential, which becomes world-readable in /nix/store";
  ctx.report({
    ruleId: "store-leak/write-text-secret", start: call.node.start, end: call.fn.end,
    ...(site.path.length ? { attrPath: formatPath(site.path) } : {}),
    message: `${call.name} creates a store path and ${why}; use a runtime secret (sops-nix/agenix path, or sops.templates with config.sops.placeholder)`,
  });
}

function checkGetEnv(ctx: RuleContext, call: Call, site: Site): void {
  const arg = call.args[0];
  if (arg?.type !== "String") return;
  const name = literalValue(ctx, arg);
  if (name === null || name.length > 256) return;
  const option = lastName(site.path);
  const secretName = isSecretLikeName(name) || /TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i.test(name);
  if (!secretName && !(option !== undefined && isSecretLikeName(option))) return;
  ctx.report({
    ruleId: "store-leak/getenv-secret", start: call.node.start, end: call.node.end,
    ...(site.path.length ? { attrPath: formatPath(site.path) } : {}),
    message: `builtins.getEnv "${name}" bakes the variable's value into the evaluation result and the Nix store; read it at runtime (systemd LoadCredential or EnvironmentFile) instead`,
  });
}
