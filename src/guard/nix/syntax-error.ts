/** A Nix syntax error at a source offset; the guard turns it into a `guard/parse-error` finding. */
export class NixSyntaxError extends Error {
  override readonly name = "NixSyntaxError";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}
