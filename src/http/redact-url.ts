/**
 * URLs as they may appear in messages and reports: a `user:password@` part is
 * replaced, so a cache URL with credentials can be logged and shown safely.
 */

/** `https://user:secret@host/x` → `https://***@host/x`; anything else unchanged. */
export function redactUrl(url: string): string {
  const scheme = url.indexOf("://");
  if (scheme < 0) return url;
  const start = scheme + 3;
  let end = url.length;
  for (const stop of ["/", "?", "#"]) {
    const i = url.indexOf(stop, start);
    if (i >= 0 && i < end) end = i;
  }
  const at = url.lastIndexOf("@", end - 1);
  return at < start ? url : `${url.slice(0, start)}***${url.slice(at)}`;
}
